"""The declarative base, engine and session factory shared by every model."""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy import (
    JSON,
    CursorResult,
    DateTime,
    Engine,
    Executable,
    MetaData,
    Row,
    UpdateBase,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.types import TypeDecorator

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


P = ParamSpec("P")
R = TypeVar("R")


def cycle_collection_paused(work: Callable[P, R]) -> Callable[P, R]:
    """Run `work` with Python's cycle collector paused: work over a whole class builds tens of thousands of rows that
    all stay alive until it ends, so every collection in between walks them all and frees nothing; the time it took
    grew faster than the class. Garbage with cycles is collected as usual afterwards."""

    @functools.wraps(work)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return work(*args, **kwargs)
        finally:
            if was_enabled:  # another thread's pause, begun earlier, ends with that thread
                gc.enable()
    return paused


# A pooled connection idle this long is pinged before use; one in steady use is not (a ping is a round trip).
PING_AFTER_IDLE_SECONDS = 5.0


def make_engine(database_url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> Engine:
    """The engine of the app and workers; a database restart costs at most the one request that finds it (the pool
    is then renewed), and a connection left idle across one is replaced before use."""
    engine = create_engine(database_url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: Engine, after: float) -> None:
    # pool_pre_ping pings at every checkout: one more round trip for every request, a third of a short one. A
    # connection given back a moment ago is as alive as a ping could tell; one idle for a while may have been cut
    # by a restart, a failover or a firewall, so it alone is pinged, and replaced when the ping fails.

    @event.listens_for(engine, "checkin")
    def idle_from_now(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < after:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            alive = not engine.dialect.is_disconnect(error, dbapi_connection, None)
            if alive:
                raise
        if not alive:
            raise DisconnectionError  # the pool drops this connection and checks out a new one


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def column_rows(session: Session, statement: Executable) -> Sequence[Row[*tuple[Any, ...]]]:
    """The rows of a statement that selects columns only, run on the session's connection: past the ORM's result
    loading, which for a class of ten thousand costs more than the database takes. The session's pending changes are
    flushed first, as the ORM's autoflush would."""
    session.flush()
    return session.connection().execute(statement).all()


def rows_changed(session: Session, statement: UpdateBase, **execution_options: Any) -> int:
    """How many rows an UPDATE or DELETE touched (how a conditional update tells whether it won its race)."""
    # Session.execute is annotated with the plain Result for every statement; a DML statement's result is a
    # CursorResult, the one that counts rows.
    result = cast(CursorResult[Any], session.execute(statement, execution_options=execution_options))
    return result.rowcount


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # SQLite ignores foreign keys unless asked; WAL lets the web and the workers read while one writes.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
