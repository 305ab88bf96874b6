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
from limits.storage import MemoryStorage
from werkzeug.middleware.proxy_fix import ProxyFix

from assessment.errors import NotAllowed
from config.settings import Settings
from lti_tool.identity import launch_identity

EXTENSION = "peerlti.limiter"
# How often counters kept in memory are swept of the ones that ran out (each is also checked when read).
SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """The library's memory:// counters, swept of run-out ones by the requests themselves: the library starts a new
    timer thread for that on a request that finds its last one ended (10 ms after it began), so nearly every
    limited request waited for a thread to start, on a loaded machine longer than the rest of a launch."""

    STORAGE_SCHEME = ["peerlti-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions, **options)
        self._next_sweep = time.monotonic() + SWEEP_SECONDS

    # The library's private hook, by its mangled name: called on every count, where it starts its timer.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def init_rate_limits(app: Flask, settings: Settings) -> None:
    """Limit the routes once every blueprint is registered; counters live in Redis when one is configured."""
    if settings.proxy_fix_x_for or settings.proxy_fix_x_proto:
        # Only as many X-Forwarded-For entries as there are trusted proxies: the rest could be written by anyone.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_fix_x_for,  # type: ignore[method-assign]
                                x_proto=settings.proxy_fix_x_proto)
    limiter = Limiter(
        get_remote_address, app=app, storage_uri=_storage_uri(settings.rate_limit_storage_url),
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


def _storage_uri(configured: str | None) -> str:
    """Redis as configured; otherwise counting in memory, without the library's thread per request."""
    uri = configured or "memory://"
    return "peerlti-" + uri if uri.startswith("memory://") else uri


def too_many_requests(error: RateLimitExceeded) -> Response:
    current = current_app.extensions[EXTENSION].current_limit
    wait = max(1, int(current.reset_at - time.time())) if current is not None else 60
    message = gettext("Too many requests came from here in a short time, so this one was refused. "
                      "Try again in %(wait)s.", wait=format_timedelta(timedelta(seconds=wait), threshold=1))
    response = make_response(render_template("error.html", status=429, message=message), 429)
    response.headers["Retry-After"] = str(wait)
    return response
