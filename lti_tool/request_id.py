"""A request id for every request (the proxy's `X-Request-ID` when sane), and one log line when it is answered."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from lti_tool.logging_setup import REQUEST_ID

HEADER = "X-Request-ID"
# What a proxy's id may look like: a uuid, a hex or base64url string. Anything else (too long, spaces, quotes, a
# line break that would forge a log line) is replaced by an id of our own.
_SANE = re.compile(r"[A-Za-z0-9._:-]{8,128}")
log = logging.getLogger("peerlti.request")


def init_request_ids(app: Flask) -> None:
    """Registered first, so that every later hook and error page logs under the request's id."""
    app.before_request(_begin)
    app.after_request(_answer)
    app.teardown_request(_end)


def incoming_or_new(value: str | None) -> str:
    return value if value is not None and _SANE.fullmatch(value) else uuid.uuid4().hex


def _begin() -> None:
    g.request_id = incoming_or_new(request.headers.get(HEADER))
    g.request_started = time.perf_counter()
    g.request_id_token = REQUEST_ID.set(g.request_id)


def _answer(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:  # a request refused before the first hook ran
        return response
    response.headers[HEADER] = request_id
    # The route's rule, not the path: paths and query strings carry tokens and ids of people.
    rule = request.url_rule.rule if request.url_rule is not None else "-"
    # A load balancer polls the health routes every few seconds: their successes would drown everything else.
    quiet = request.blueprint == "health" and response.status_code < 400
    log.log(logging.DEBUG if quiet else logging.INFO, "%s %s %s", request.method, rule, response.status_code, extra={
        "method": request.method, "route": rule, "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
    })
    return response


def _end(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        try:
            REQUEST_ID.reset(token)
        except ValueError:  # torn down in another context than it began: clearing is all that matters
            REQUEST_ID.set(None)
