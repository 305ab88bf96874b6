"""A misbehaving LMS: WSGI middleware around the sandbox that breaks AGS score posts and NRPS rosters as a test
scripts it."""

from __future__ import annotations

import io
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from tests.support.lms import RunningLMS

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Fault:
    """What to do to a score post: answer `status` (with `headers`) without forwarding it, or forward it and
    `delay` its answer. It hits the first `first` score posts the sandbox receives (every one when None), or
    only those for `user_id`.

    `delay` with `status` set: the answer comes late and the score is NOT recorded (the platform gave up too).
    `delay` without `status`: `record_first` decides whether the score is forwarded (recorded) before the
    delay, so that only the answer is lost, or after it (a slow platform)."""

    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    delay: float = 0.0
    record_first: bool = False
    first: int | None = None
    user_id: str | None = None

    def matches(self, number: int, user_id: str | None) -> bool:
        if self.user_id is not None and user_id != self.user_id:
            return False
        return self.first is None or number < self.first


def fail_first(count: int, status: int = 500) -> Fault:
    return Fault(status=status, body="The gradebook is having a bad day.", first=count)


def throttle_first(count: int, retry_after: int = 1) -> Fault:
    return Fault(status=429, headers=(("Retry-After", str(retry_after)),), body="Too many requests.", first=count)


def time_out_first(count: int, seconds: float) -> Fault:
    """No answer within `seconds`, and the score never reaches the gradebook."""
    return Fault(status=504, body="Gave up.", delay=seconds, first=count)


def lose_answer_of_first(count: int, seconds: float) -> Fault:
    """The score is recorded, then the answer takes `seconds`: the client times out on a recorded score."""
    return Fault(delay=seconds, record_first=True, first=count)


def slow_every_score(seconds: float) -> Fault:
    return Fault(delay=seconds, record_first=True)


def refuse_user(user_id: str, status: int = 422) -> Fault:
    return Fault(status=status, body=json.dumps({
        "error": "invalid_request", "error_description": f"userId {user_id!r} is not a student in this course."}),
        user_id=user_id)


@dataclass(frozen=True)
class ScorePost:
    """One score post as the sandbox saw it: its order and time (monotonic) of arrival, its user, the status answered."""

    number: int
    arrived: float
    user_id: str | None
    status: int


class FaultyAGS:
    """Wraps the sandbox app; counts token requests per scope and applies the first matching fault to each
    score post. Thread-safe: the live server answers every request in a thread of its own."""

    def __init__(self, app: Any, faults: Iterable[Fault] = ()) -> None:
        self.app = app
        self._faults = list(faults)
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._score_posts = 0
        self.token_requests: Counter[str] = Counter()
        self.score_posts: list[ScorePost] = []
        self.roster_fault: Fault | None = None
        self.roster_fault_page: int | None = None  # only that page of a paged roster, when set
        # Platforms differ on a score not newer than the last: answer it with this status instead of 400 (409),
        # or record it anyway (`accept_stale`, as a platform that takes equal timestamps would).
        self.stale_status: int | None = None
        self.accept_stale = False
        # Every request by method and path, and how long line-item requests wait (a slow gradebook widens races).
        self.requests: Counter[tuple[str, str]] = Counter()
        self.line_item_delay = 0.0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")
        with self._lock:
            self.requests[(str(method), path)] += 1
        if "/lineitems" in path and not path.endswith("/scores") and not path.endswith("/results"):
            time.sleep(self.line_item_delay)
        if method == "POST" and path == "/token":
            form = parse_qs(_read_body(environ).decode("utf-8", "replace"))
            with self._lock:
                for scope in " ".join(form.get("scope", [""])).split():
                    self.token_requests[scope] += 1
        elif method == "POST" and path.endswith("/scores"):
            return self._score(environ, start_response)
        elif method == "GET" and path.endswith("/memberships") and self._roster_refused(environ):
            fault = self.roster_fault
            time.sleep(fault.delay)
            body = fault.body.encode()
            start_response(f"{fault.status} Refused", [("Content-Type", "application/json"), *fault.headers,
                                                      ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)

    def _roster_refused(self, environ: dict[str, Any]) -> bool:
        if self.roster_fault is None:
            return False
        page = parse_qs(environ.get("QUERY_STRING", "")).get("page", ["1"])[0]
        return self.roster_fault_page is None or page == str(self.roster_fault_page)

    def wait_for_answers(self, timeout: float = 30) -> None:
        """Wait until every score post received is answered, so `score_posts` counts them all: a delayed post
        (a timeout, a lost answer) is only counted when its answer leaves, possibly after the outbox settled."""
        with self._answered:
            if not self._answered.wait_for(lambda: len(self.score_posts) == self._score_posts, timeout):
                raise AssertionError(f"{self._score_posts - len(self.score_posts)} score posts still unanswered")

    def set_faults(self, faults: Iterable[Fault]) -> None:
        with self._lock:
            self._faults = list(faults)

    def _score(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        arrived = time.monotonic()
        try:
            score = json.loads(_read_body(environ))
            user_id = score.get("userId")
        except (ValueError, AttributeError):
            score, user_id = None, None
        if self.accept_stale and isinstance(score, dict):
            score["timestamp"] = datetime.now(UTC).isoformat(timespec="microseconds")
            _replace_body(environ, json.dumps(score).encode())
        with self._lock:
            number = self._score_posts
            self._score_posts += 1
            fault = next((f for f in self._faults if f.matches(number, user_id)), None)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured.update(status=status, headers=headers)
            return lambda data: None

        if fault is not None and fault.status is not None:
            time.sleep(fault.delay)
            status_line = f"{fault.status} {'Error' if fault.status >= 500 else 'Refused'}"
            body = fault.body.encode()
            captured.update(status=status_line, headers=[("Content-Type", "application/json"), *fault.headers])
        else:
            if fault is not None and not fault.record_first:
                time.sleep(fault.delay)
            chunks = self.app(environ, capture)
            try:
                body = b"".join(chunks)
            finally:
                getattr(chunks, "close", lambda: None)()
            if fault is not None and fault.record_first:
                time.sleep(fault.delay)
        if self.stale_status and captured["status"].startswith("400") and b"timestamp" in body:
            captured["status"] = f"{self.stale_status} Conflict"
        with self._lock:
            self.score_posts.append(ScorePost(number, arrived, user_id, int(captured["status"].split()[0])))
            self._answered.notify_all()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back so that the wrapped app can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    _replace_body(environ, body)
    return body


def _replace_body(environ: dict[str, Any], body: bytes) -> None:
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def refuse_roster(lms: RunningLMS, status: int, body: str = "", delay: float = 0.0,
                  page: int | None = None) -> FaultyAGS:
    """The sandbox answers roster (NRPS) requests (every one, or only those for `page` of a paged roster) with
    `status` and `body`, after `delay` seconds."""
    faulty = install_faults(lms)
    faulty.roster_fault = Fault(status=status, body=body, delay=delay)
    faulty.roster_fault_page = page
    return faulty


def install_faults(lms: RunningLMS, faults: Iterable[Fault] = ()) -> FaultyAGS:
    """Put the middleware in front of the running sandbox (idempotent: an installed one gets the new faults)."""
    server = lms.sandbox._server
    if isinstance(server.app, FaultyAGS):
        server.app.set_faults(faults)
        return server.app
    faulty = FaultyAGS(server.app, faults)
    server.app = faulty
    return faulty


def sandbox_scores(lms: RunningLMS, lineitem_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every score the sandbox gradebook recorded on the line item, per user, oldest first."""
    app = lms.sandbox.app
    flask_app = app.app if isinstance(app, FaultyAGS) else app
    return flask_app.extensions["sandbox"].store.score_history(lineitem_url.rstrip("/").rsplit("/", 1)[1])
