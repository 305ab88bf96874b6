"""The real services the tests use: a throwaway PostgreSQL database or an SQLite file."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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
def postgres_database(server_url: str, prefix: str = "peerlti_test") -> Iterator[str]:
    """A fresh database on the PostgreSQL server of `server_url`, dropped afterwards (tests and benchmarks)."""
    server = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1)
                      .replace("postgres://", "postgresql+psycopg://", 1))
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        admin.dispose()
        raise
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def throwaway_postgres_database() -> Iterator[str]:
    """A fresh database on the PostgreSQL server of DATABASE_URL; a missing server fails or skips the test."""
    server_url = postgres_server_url()
    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_database(server_url))
        except Exception as error:  # noqa: BLE001 - any connection failure means the service is missing
            service_missing(f"PostgreSQL is not reachable at {make_url(server_url).render_as_string()}: {error}")
        yield url


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'peerlti-test.db'}"


def uses_postgres() -> bool:
    return bool(os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")))
