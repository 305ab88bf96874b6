"""The real services the tests use: a throwaway PostgreSQL database or an SQLite file."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def service_missing(message: str) -> None:
    """Fail when CI requires the service, skip otherwise (a laptop without PostgreSQL)."""
    if REQUIRE_SERVICES:
        pytest.fail(message + " (REQUIRE_SERVICES=1)")
    pytest.skip(message)


def postgres_server_url() -> str:
    url = os.environ.get("DATABASE_URL", DEFAULT_POSTGRES_URL)
    return url.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://", "postgresql+psycopg://", 1)


@contextmanager
def throwaway_postgres_database() -> Iterator[str]:
    """A fresh database on the PostgreSQL server of DATABASE_URL, dropped afterwards."""
    server = make_url(postgres_server_url())
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"peerlti_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means the service is missing
        admin.dispose()
        service_missing(f"PostgreSQL is not reachable at {server.render_as_string(hide_password=True)}: {error}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'peerlti-test.db'}"


def uses_postgres() -> bool:
    return bool(os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")))
