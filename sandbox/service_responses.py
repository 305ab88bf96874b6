"""JSON responses of the LTI services: media types, errors and `Link: rel="next"` paging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app


class BadPagingParameter(ValueError):
    pass


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_url: str | None

    @property
    def link_header(self) -> dict[str, str]:
        # pylti1p3 only recognises the quoted form rel="next".
        return {"Link": f'<{self.next_url}>; rel="next"'} if self.next_url else {}


def json_response(
    payload: Any, status: int = 200, media_type: str = "application/json", headers: Mapping[str, str] | None = None
) -> Response:
    body = current_app.json.dumps(payload)
    return Response(body, status=status, mimetype=media_type, headers=dict(headers or {}))


def service_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def paginate(items: Sequence[Any], query: Mapping[str, str], url: str) -> Page:
    """Slice by `limit` and `page` (1-based); the next page's URL keeps every other parameter."""
    if "limit" not in query:
        return Page(list(items), None)
    limit = _positive_int(query, "limit")
    page = _positive_int(query, "page") if "page" in query else 1
    start = (page - 1) * limit
    has_next = start + limit < len(items)
    next_url = f"{url}?{urlencode({**query, 'page': page + 1})}" if has_next else None
    return Page(list(items[start : start + limit]), next_url)


def _positive_int(query: Mapping[str, str], name: str) -> int:
    try:
        value = int(query[name])
    except ValueError:
        raise BadPagingParameter(f"{name} must be a positive integer") from None
    if value < 1:
        raise BadPagingParameter(f"{name} must be a positive integer")
    return value
