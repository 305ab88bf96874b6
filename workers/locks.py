"""One run at a time of a scheduled job: a PostgreSQL advisory lock held for the job's transaction."""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def try_lock(session: Session, job: str, key: int = 0) -> bool:
    """Take the lock of `job` (for `key`, e.g. an id) until the session's transaction ends; False when another
    process holds it. A second `celery beat` then sends the job twice, and the second run does nothing.

    SQLite (the single-process default) has no such lock and needs none: it runs one writer at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    job_key = zlib.crc32(job.encode()) - 2**31  # PostgreSQL's two-key form takes two signed 32-bit integers
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:job, :key)"),
                               {"job": job_key, "key": key % 2**31}))
