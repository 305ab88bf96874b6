"""`/healthz` (the process answers) and `/readyz` (it can serve: database, broker, storage), for load balancers."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, jsonify

from config.settings import Settings
from lti_tool import health
from lti_tool.database import EXTENSION as SESSION_FACTORY

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def init_health(app: Flask) -> None:
    app.register_blueprint(bp)


def readiness_checks(app: Flask) -> list[health.Check]:
    """What /readyz and `peerlti doctor` both check; the broker only when one is configured (else tasks run eagerly)."""
    settings: Settings = app.config["PEERLTI_SETTINGS"]
    checks = [health.database(app.extensions[SESSION_FACTORY].kw["bind"])]
    if settings.celery_broker_url:
        checks.append(health.broker(settings.celery_broker_url, settings.celery_broker_timeout_seconds))
    checks.append(health.storage(app.extensions["peerlti.submission_deps"].storage))
    return checks


@bp.get("/healthz")
def healthz() -> Response:
    # Nothing but the process: a database outage must not make an orchestrator restart every web process.
    return _answer({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz() -> Response:
    checks = readiness_checks(current_app)
    failed = [check for check in checks if not check.ok]
    for check in failed:
        log.warning("not ready: %s %s %s", check.name, check.detail, check.cause)
    body = {
        "status": "not ready" if failed else "ready",
        "failed": [check.name for check in failed],
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    }
    return _answer(body, 503 if failed else 200)


def _answer(body: dict, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    # Set here, so the app's own policy (which reads the registered LMSs from the database) is not needed.
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response
