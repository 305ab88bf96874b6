"""Which worker processes are alive: each holds a PostgreSQL advisory lock named after it for as long as it runs."""

from __future__ import annotations

import os
import socket
import threading
import uuid
import zlib

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

# The first key of the two-key advisory lock form; the second is the worker's name (see `lock_key`). Both stay
# below 2**31, so that pg_locks shows them as they were given.
NAMESPACE = zlib.crc32(b"peerlti.worker-alive") % 2**31


def lock_key(claimant: str) -> int:
    """The lock a worker holds while alive. Two names sharing a key only make a gone worker look alive, which
    costs time (its rows wait for the stuck delay), never a second posting."""
    return zlib.crc32(claimant.encode()) % 2**31


class Presence:
    """This process's name among the workers, and the session lock that proves it is alive.

    PostgreSQL ends the session of a process that dies (SIGKILL, a crash, a host gone once TCP gives up) and so
    releases its lock: whoever reads pg_locks then knows the process is gone, without heartbeats to tune and
    without asking the worker itself (a worker busy in a task, with the solo pool, cannot answer a Celery ping)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._name = ""
        self._guard = threading.Lock()  # thread pools share one process, one name and one lock

    def claimant(self) -> str | None:
        """The name to write on a row this process claims, once its lock is held; None without PostgreSQL."""
        if self._engine.dialect.name != "postgresql":
            return None
        with self._guard:
            if not self._holding():
                self._take()
            return self._name

    def close(self) -> None:
        """Leave the workers: the lock goes, and rows still claimed under this name count as a gone worker's."""
        with self._guard:
            if self._connection is not None:
                # Unlocked here and now (the server ends a closed session's locks a moment later), then closed for
                # good: back in the pool, the connection would keep any lock.
                self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
                self._connection.invalidate()
                self._connection = None

    def _holding(self) -> bool:
        # A connection that broke (a database restart) took the lock with it: take it again, under a new name,
        # before claiming anything more.
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001  (any failure means the lock is no longer known to be held)
            self._connection.invalidate()
            self._connection = None
            return False

    def _take(self) -> None:
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        while True:
            name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
            if connection.scalar(text("SELECT pg_try_advisory_lock(:namespace, :key)"),
                                 {"namespace": NAMESPACE, "key": lock_key(name)}):
                self._connection, self._name = connection, name
                return


def live_lock_keys(session: Session) -> set[int] | None:
    """The lock keys of the workers alive now on this database; None where liveness cannot be known (SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return set(session.scalars(text(
        "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
        " AND classid::bigint = :namespace"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"namespace": NAMESPACE}))
