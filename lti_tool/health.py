"""The readiness checks (database at the migration head, broker, storage, workers), shared by /readyz and the CLI."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from celery import Celery
from kombu import Connection as BrokerConnection
from sqlalchemy import Engine, text

from assessment.storage import FileStorage
from lti_tool.migrate import schema_status

log = logging.getLogger(__name__)
PROBE_PREFIX = "health"
# How long /readyz and `peerlti doctor` wait for the database: a load balancer's probe must get an answer, and a
# database that takes this long to read one row cannot serve a page either.
DATABASE_TIMEOUT_SECONDS = 2.0
# The database check each engine is waiting for: one at a time, so that a hung database costs one thread and one
# connection, not one per probe; a probe that comes meanwhile waits for that check's answer.
_pending: dict[Engine, _PendingCheck] = {}
_pending_lock = threading.Lock()


@dataclass(frozen=True)
class Check:
    """One check's verdict. `detail` is safe to show anyone (no address, no credential); `cause` is for the
    administrator (logs and `peerlti doctor`)."""

    name: str
    ok: bool
    detail: str
    cause: str = ""


@dataclass
class _PendingCheck:
    started: float
    done: threading.Event
    verdict: list[Check]


def database(engine: Engine, timeout_seconds: float = DATABASE_TIMEOUT_SECONDS) -> Check:
    """Reachable and at the migration head, answered within `timeout_seconds` whatever the database does: the
    check runs in a thread of its own, which a host that accepts and never answers, a stopped server process or
    a lock may hold for longer (the server ends a blocked statement itself shortly after)."""
    with _pending_lock:
        pending = _pending.get(engine)
        joined = pending is not None
        if pending is None:
            pending = _pending[engine] = _PendingCheck(time.monotonic(), threading.Event(), [])

    def check() -> None:
        try:
            pending.verdict.append(_database(engine, timeout_seconds))
        finally:
            with _pending_lock:
                _pending.pop(engine, None)
            pending.done.set()

    if not joined:
        threading.Thread(target=check, name="readiness-database", daemon=True).start()
    if pending.done.wait(timeout_seconds) and pending.verdict:
        return pending.verdict[0]
    waited = f"no answer within {timeout_seconds:g} s"
    if joined:
        waited += f" (to a check started {time.monotonic() - pending.started:.0f} s ago)"
    return Check("database", False, waited,
                 "the database accepted no connection or answered no query in time (a hung server or host, a lock "
                 "held on alembic_version, a network that drops packets)")


def _database(engine: Engine, timeout_seconds: float) -> Check:
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                # The server ends a blocked statement (and so frees this thread and its connection) soon after
                # the caller stopped waiting; SET LOCAL lasts until this check's transaction ends.
                connection.execute(text(f"SET LOCAL statement_timeout = {int(timeout_seconds * 1000) + 1000}"))
            status = schema_status(connection)
    except Exception as error:  # noqa: BLE001 - whatever stops a connection makes the database unusable
        return Check("database", False, "unreachable", _cause(error))
    return Check("database", status.usable, f"reachable, {status.summary}" if status.usable else status.summary)


def broker(url: str, timeout_seconds: float) -> Check:
    options = {"socket_timeout": timeout_seconds, "socket_connect_timeout": timeout_seconds, "max_retries": 1}
    try:
        with BrokerConnection(url, connect_timeout=timeout_seconds, transport_options=options) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=int(timeout_seconds) or 1)
            connection.default_channel  # noqa: B018 - opening a channel is what talks to Redis
    except Exception as error:  # noqa: BLE001 - any failure to talk to the broker is its being unreachable
        return Check("broker", False, "unreachable", _cause(error))
    return Check("broker", True, "reachable")


def storage(files: FileStorage) -> Check:
    """Write and delete a probe file (in the local directory or the S3 bucket): a full, read-only or unreachable
    store fails here before an upload fails there."""
    key = f"{PROBE_PREFIX}/probe-{uuid.uuid4().hex}"
    try:
        files.save(key, b"peerlti readiness probe")
        files.delete(key)
    except Exception as error:  # noqa: BLE001 - any failure to write is a store the tool cannot use
        # The store's own error (a refused connection, a missing bucket) tells the administrator what to fix.
        return Check("storage", False, "not writable", _cause(error.__cause__ or error))
    return Check("storage", True, "writable")


def workers(celery: Celery, timeout_seconds: float) -> Check:
    """Workers answer Celery's ping over the broker (a worker that is up but not consuming does not)."""
    try:
        answers = celery.control.ping(timeout=timeout_seconds)
    except Exception as error:  # noqa: BLE001 - a broker that cannot carry the ping leaves no worker to reach
        return Check("workers", False, "not reachable", _cause(error))
    if not answers:
        return Check("workers", False, f"no worker answered within {timeout_seconds:g} s")
    return Check("workers", True, f"{len(answers)} answered")


def _cause(error: BaseException) -> str:
    # The first line only: a driver's message may go on with the statement, never with the password.
    return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
