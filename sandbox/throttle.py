"""Canvas's request throttle: a leaky bucket per LTI Advantage client, refusing requests while it is full."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from flask import Flask, Response, g, request

# canvas-lms app/middleware/request_throttle.rb:
# 1. every client has a bucket; a request first reserves `up_front_cost`, and when it ends that reservation is
#    replaced by its real cost (CPU and database time), so parallel requests fill the bucket and serial ones barely;
# 2. the bucket leaks `outflow` units a second; it is full at the high-water mark `hwm` (600 by default) and holds
#    up to `maximum` (800), so a client that overfilled it waits until it has leaked back below the mark;
# 3. a request arriving at a full bucket is refused: 403 "403 Forbidden (Rate Limit Exceeded)" as text, with
#    X-Rate-Limit-Remaining 0.0 (newer Canvas answers 429 Too Many Requests instead; no Retry-After either way);
# 4. every answer to an identified client carries X-Rate-Limit-Remaining (hwm - level), and X-Request-Cost
#    unless it was throttled. LTI Advantage routes (/api/lti/...) are bucketed by the token's client_id
#    (app/controllers/lti/ims/concerns/lti_services.rb).
CANVAS_HWM = 600.0
CANVAS_MAXIMUM = 800.0
CANVAS_OUTFLOW = 10.0
CANVAS_UP_FRONT_COST = 50.0
LTI_SERVICES_PREFIX = "/api/lti/"
BROWSER_PATHS = ("/api/lti/authorize", "/api/lti/security/jwks")


@dataclass(frozen=True)
class ThrottleSettings:
    hwm: float = CANVAS_HWM
    maximum: float = CANVAS_MAXIMUM
    outflow: float = CANVAS_OUTFLOW
    up_front_cost: float = CANVAS_UP_FRONT_COST
    # What one request finally costs; in Canvas, the seconds of CPU and database time it took.
    request_cost: float = 0.01
    # 403 (Canvas's long-standing answer) or 429 (newer Canvas).
    status: int = 403


class LeakyBucket:
    def __init__(self, settings: ThrottleSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._level = 0.0
        self._touched = clock()
        self._lock = threading.Lock()

    def _leak(self) -> None:
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._touched) * self.settings.outflow)
        self._touched = now

    def reserve(self) -> bool:
        """Take the up-front cost; False (nothing taken) when the bucket is full and the request is refused."""
        with self._lock:
            self._leak()
            if self._level >= self.settings.hwm:
                return False
            self._level = min(self.settings.maximum, self._level + self.settings.up_front_cost)
            return True

    def settle(self) -> float:
        """Replace the reservation by the request's real cost; the remaining capacity after it."""
        with self._lock:
            self._leak()
            settled = self._level - self.settings.up_front_cost + self.settings.request_cost
            self._level = min(self.settings.maximum, max(0.0, settled))
            return self.settings.hwm - self._level

    @property
    def remaining(self) -> float:
        with self._lock:
            self._leak()
            return self.settings.hwm - self._level

    def fill(self) -> None:
        """Fill the bucket to its top, as a burst of parallel requests would."""
        with self._lock:
            self._leak()
            self._level = self.settings.maximum

    def drain(self) -> None:
        with self._lock:
            self._level, self._touched = 0.0, self._clock()


class Throttle:
    """One bucket per client id, all with the same settings."""

    def __init__(self, settings: ThrottleSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._buckets: dict[str, LeakyBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, client_id: str) -> LeakyBucket:
        with self._lock:
            if client_id not in self._buckets:
                self._buckets[client_id] = LeakyBucket(self.settings, self._clock)
            return self._buckets[client_id]

    def refusal(self) -> Response:
        status = self.settings.status
        reason = "Forbidden" if status == 403 else "Too Many Requests"
        return Response(f"{status} {reason} (Rate Limit Exceeded)\n", status=status,
                        content_type="text/plain; charset=utf-8", headers={"X-Rate-Limit-Remaining": "0.0"})


def guard_lti_services(app: Flask, throttle: Throttle) -> None:
    """Throttle the LTI Advantage routes (/api/lti/ but not the browser's authorisation), bucketed per client."""

    @app.before_request
    def reserve() -> Response | None:
        client = _lti_client(request.path, request.headers.get("Authorization", ""))
        if client is None:
            return None
        bucket = throttle.bucket(client)
        if not bucket.reserve():
            g.throttled = True
            return throttle.refusal()
        g.throttle_bucket = bucket
        return None

    @app.after_request
    def settle(response: Response) -> Response:
        bucket: LeakyBucket | None = g.pop("throttle_bucket", None)
        if bucket is not None:
            remaining = bucket.settle()
            response.headers["X-Request-Cost"] = str(throttle.settings.request_cost)
            response.headers["X-Rate-Limit-Remaining"] = str(round(remaining, 3))
        return response


def _lti_client(path: str, authorization: str) -> str | None:
    if not path.startswith(LTI_SERVICES_PREFIX) or path.startswith(BROWSER_PATHS):
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    # The sandbox's access tokens name the tool in `sub`; Canvas buckets by the developer key's client_id.
    return str(claims.get("sub") or claims.get("client_id") or "")
