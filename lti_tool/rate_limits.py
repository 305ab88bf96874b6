"""Rate limits on the routes worth hammering (login, launch, registration, review queue, uploads), and the 429 page."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, Response, current_app, make_response, render_template, request
from flask_babel import format_timedelta, gettext
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from assessment.errors import NotAllowed
from config.settings import Settings
from lti_tool.identity import launch_identity

EXTENSION = "peerlti.limiter"


def init_rate_limits(app: Flask, settings: Settings) -> None:
    """Limit the routes once every blueprint is registered; counters live in Redis when one is configured."""
    if settings.proxy_fix_x_for or settings.proxy_fix_x_proto:
        # Only as many X-Forwarded-For entries as there are trusted proxies: the rest could be written by anyone.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_fix_x_for,  # type: ignore[method-assign]
                                x_proto=settings.proxy_fix_x_proto)
    limiter = Limiter(
        get_remote_address, app=app, storage_uri=settings.rate_limit_storage_url or "memory://",
        key_prefix="peerlti", headers_enabled=True,
        # Redis going away must not take every page with it: count in memory until it is back.
        swallow_errors=True, in_memory_fallback_enabled=True,
    )
    limits = settings.rate_limits
    _limit(app, limiter.limit(limits.login), "lti.login")
    _limit(app, limiter.shared_limit(limits.launch, scope="launch"), "lti.launch", "lti.launch_with_platform_storage")
    _limit(app, limiter.shared_limit(limits.register, scope="register"),
           "installation.register_page", "installation.register")
    _limit(app, limiter.limit(limits.review_queue, key_func=person_or_address), "reviewing.next_review")
    _limit(app, limiter.limit(limits.upload, key_func=person_or_address), "student.hand_in")
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, too_many_requests)


def _limit(app: Flask, decorator: Callable[[Callable[..., Any]], Callable[..., Any]], *endpoints: str) -> None:
    for endpoint in endpoints:
        app.view_functions[endpoint] = decorator(app.view_functions[endpoint])


def person_or_address() -> str:
    """The person launched into the link the route names; the client address for anyone else."""
    link_id = (request.view_args or {}).get("link_id")
    try:
        if link_id is not None:
            return f"person:{launch_identity(link_id).person_id}"
    except NotAllowed:
        pass
    return f"address:{get_remote_address()}"


def too_many_requests(error: RateLimitExceeded) -> Response:
    current = current_app.extensions[EXTENSION].current_limit
    wait = max(1, int(current.reset_at - time.time())) if current is not None else 60
    message = gettext("Too many requests came from here in a short time, so this one was refused. "
                      "Try again in %(wait)s.", wait=format_timedelta(timedelta(seconds=wait), threshold=1))
    response = make_response(render_template("error.html", status=429, message=message), 429)
    response.headers["Retry-After"] = str(wait)
    return response
