"""A Flask request seen through lti1p3platform's Request interface (its own adapters need pkg_resources)."""

from __future__ import annotations

from typing import Any

import flask
from lti1p3platform.request import Request, TRequest


class FlaskRequest(Request):
    def build_metadata(self, request: Any) -> TRequest:
        assert isinstance(request, flask.Request)
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": request.args.to_dict(),
            "headers": request.headers,
            "content_type": request.content_type,
            "path": request.path,
            "json": request.get_json(silent=True) if request.is_json else None,
        }
