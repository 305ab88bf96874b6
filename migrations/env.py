"""Alembic environment: runs migrations on the URL or connection the caller provides."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

import lti_tool.models  # noqa: F401  (registers every table on the shared metadata)
from assessment.db import Base, make_engine

config = context.config
target_metadata = Base.metadata

# Any fixed number, the same in every process: the PostgreSQL advisory lock that lets one upgrade run at a time.
MIGRATION_LOCK_KEY = 0x7065_6572_6C74


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    if connection.dialect.name != "postgresql":
        _migrate(connection)
        return
    # Two upgrades at once would both create the same types and tables, and one would fail on pg_type; the
    # second waits here, then finds the schema already at its revision. A session lock outlives the transaction.
    _locked(connection, "SELECT pg_advisory_lock(:key)")
    try:
        _migrate(connection)
    finally:
        _locked(connection, "SELECT pg_advisory_unlock(:key)")


def _locked(connection, statement: str) -> None:
    # Committed at once unless the caller's own transaction was already open, so the migration's stays its own.
    ours = not connection.in_transaction()
    connection.execute(text(statement), {"key": MIGRATION_LOCK_KEY})
    if ours:
        connection.commit()


def _migrate(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode alters an SQLite table by copying it and dropping the original; with foreign keys on, that
        # drop would cascade and delete every row that refers to the table. The pragma only takes effect
        # outside a transaction, so it is set, and the integrity checked, around the migration's own.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    # Batch mode lets the same migrations alter tables on SQLite.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
        if broken:
            raise RuntimeError(f"the migration left rows that refer to missing rows: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
