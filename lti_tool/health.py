"""The readiness checks (database at the migration head, broker, storage, workers), shared by /readyz and the CLI."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from celery import Celery
from kombu import Connection as BrokerConnection
from sqlalchemy import Engine

from assessment.storage import FileStorage
from lti_tool.migrate import schema_status

log = logging.getLogger(__name__)
PROBE_PREFIX = "health"


@dataclass(frozen=True)
class Check:
    """One check's verdict. `detail` is safe to show anyone (no address, no credential); `cause` is for the
    administrator (logs and `peerlti doctor`)."""

    name: str
    ok: bool
    detail: str
    cause: str = ""


def database(engine: Engine) -> Check:
    try:
        with engine.connect() as connection:
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
