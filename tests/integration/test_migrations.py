"""The migrations build the schema the models describe, from empty, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from assessment.db import Base, make_engine
from lti_tool import migrate
from lti_tool import models as _models  # noqa: F401
from tests.support.services import sqlite_url, throwaway_postgres_database


def _assert_migrations_match_models(url: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            assert differences == []
        migrate.downgrade(url, "base")
        with engine.connect() as connection:
            assert inspect(connection).get_table_names() == ["alembic_version"]
        migrate.upgrade(url)
    finally:
        engine.dispose()


def test_migrations_run_up_from_empty_on_sqlite(tmp_path):
    _assert_migrations_match_models(sqlite_url(tmp_path))


def test_migrations_run_up_from_empty_on_postgresql():
    with throwaway_postgres_database() as url:
        _assert_migrations_match_models(url)
