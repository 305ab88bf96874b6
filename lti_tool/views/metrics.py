"""`/metrics` for Prometheus, behind a bearer token (no token set: the route does not exist), and request timing."""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request

from assessment.db import utcnow
from config.settings import Settings
from lti_tool.database import EXTENSION as SESSION_FACTORY
from lti_tool.metrics import REQUEST_SECONDS, OutboxCollector, exposition

bp = Blueprint("metrics", __name__)


def init_metrics(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_start_timer)
    app.after_request(_time_request)
    app.extensions["peerlti.outbox_collector"] = OutboxCollector(app.extensions[SESSION_FACTORY], utcnow)


@bp.get("/metrics")
def metrics() -> Response:
    settings: Settings = current_app.config["PEERLTI_SETTINGS"]
    if settings.metrics_token is None:
        abort(404)  # turned off: the same answer as any unknown path
    sent = request.headers.get("Authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {settings.metrics_token}".encode()):
        return _plain(b"unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'})
    return _plain(exposition(current_app.extensions["peerlti.outbox_collector"]), 200,
                  {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


def _plain(body: bytes, status: int, headers: dict[str, str]) -> Response:
    response = Response(body, status, mimetype="text/plain")
    response.headers.update(headers)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _time_request(response: Response) -> Response:
    started = g.get("metrics_started")
    # The rule, not the path: paths carry ids, and one series per path would grow without bound.
    if started is not None and request.blueprint != "metrics":
        rule = request.url_rule.rule if request.url_rule is not None else "-"
        REQUEST_SECONDS.labels(rule, request.method, str(response.status_code)).observe(time.perf_counter() - started)
    return response
