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


# Redis databases of the suite's own on the server of CELERY_BROKER_URL, counted down from 14 (of Redis's default
# 0-15) so that the low ones, such as the broker CI names (0), stay untouched. Each xdist worker gets a block of its
# own: two workers never flush, fill or consume each other's database.
FIRST_TEST_REDIS_DATABASE = 14
REDIS_PURPOSES = ("broker", "rate limits", "file checks")


def redis_test_url(purpose: str) -> str:
    """A Redis database for `purpose` that this test process alone uses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # unset when pytest runs serially: one process, one block
    index = int(worker.removeprefix("gw"))
    database = FIRST_TEST_REDIS_DATABASE - index * len(REDIS_PURPOSES) - REDIS_PURPOSES.index(purpose)
    if database < 1:
        pytest.fail(f"xdist worker {worker} has no Redis database left for {purpose}: run fewer workers")
    server = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    return f"{server}/{database}"
