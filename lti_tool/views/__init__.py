"""Pages people see after a launch: parse input, call services, render."""

from __future__ import annotations

from flask import Flask


def init_views(app: Flask) -> None:
    from lti_tool.views import instructor, landing

    app.register_blueprint(landing.bp)
    app.register_blueprint(instructor.bp)
