"""Counting rows in every table, to show a refused request wrote nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessment.db import Base


def see_committed(session: Session) -> Session:
    """End the test session's transaction and forget loaded objects, to read what the servers committed."""
    session.rollback()
    session.expire_all()
    return session


def row_counts(session: Session) -> dict[str, int]:
    see_committed(session)
    return {table.name: session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}
