"""Fixtures shared by every test: settings, a migrated database, the app and its client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from assessment.db import Base, make_engine, make_session_factory
from config.settings import Settings
from lti_tool import migrate
from lti_tool import models as _models  # noqa: F401  (every table on the metadata)
from lti_tool.app import create_app
from lti_tool.database import dispose_database
from lti_tool.key_vault import KeyVault, bind_vault
from sandbox.store import STATE_FILE_NAME
from tests.support.lms import RunningLMS, start_lms
from tests.support.s3_server import S3Server, start_s3_server
from tests.support.services import sqlite_url, throwaway_postgres_database, uses_postgres

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
TEST_KEY_VAULT = KeyVault(TEST_SECRET)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The suite's database: a throwaway PostgreSQL database when DATABASE_URL names one, else SQLite."""
    with ExitStack() as stack:
        if uses_postgres():
            url = stack.enter_context(throwaway_postgres_database())
        else:
            url = sqlite_url(tmp_path_factory.mktemp("db"))
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touched the database leaves it empty for the next."""
    yield
    if "engine" not in request.fixturenames:
        return
    engine = request.getfixturevalue("engine")
    with engine.begin() as connection:
        # DELETE, children first: on tables of a few rows many times faster than a TRUNCATE, which gives every table
        # and index a new file. The ids then start again at 1, as after TRUNCATE ... RESTART IDENTITY.
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT setval(oid, 1, false) FROM pg_class "
                                    "WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace"))


@pytest.fixture
def session(engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    bind_vault(factory, TEST_KEY_VAULT)  # the vault of every app and worker the tests build with TEST_SECRET
    with factory() as session:
        yield session


def make_settings(tmp_path, database_url: str, tool_base_url: str = "http://localhost:5000",
                  **extra: str) -> Settings:
    return Settings.from_env({
        "PEERLTI_ENV": "test",
        "PEERLTI_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "TOOL_BASE_URL": tool_base_url,
    } | extra)


@pytest.fixture
def settings(tmp_path, database_url: str, engine) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def app(settings: Settings):
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    dispose_database(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def sandbox_instance(tmp_path_factory: pytest.TempPathFactory):
    # One platform key for the whole run: generating RSA keys for every test is slow.
    return tmp_path_factory.mktemp("sandbox")


# The sandbox's LMS profiles (sandbox/profiles.py): tests parametrise `lms` over them, indirectly.
LMS_PROFILES = ("spec", "canvas", "moodle")


@pytest.fixture
def lms(request, session, tmp_path, database_url, sandbox_instance) -> Iterator[RunningLMS]:
    """The tool and the sandbox LMS as live HTTP servers on two ports of localhost (one site, two origins).

    Parametrised indirectly, its parameter is the LMS profile's name, or a dict of sandbox options."""
    options = getattr(request, "param", None) or {}
    options = {"lms": options} if isinstance(options, str) else dict(options)
    # {"storage": "s3"}: the tool stores uploads in a fresh bucket of the tests' S3 server.
    storage = options.pop("storage", "local")
    extra = request.getfixturevalue("s3_server").env(request.getfixturevalue("s3_bucket")) if storage == "s3" else {}
    instance = sandbox_instance
    if options.get("team_project"):
        # Its course has a second link with a gradebook column of its own: a gradebook apart from the run's shared
        # one (which the other tests read), with the run's platform key.
        instance = tmp_path / "sandbox-with-team-project"
        shutil.copytree(sandbox_instance, instance, ignore=shutil.ignore_patterns(STATE_FILE_NAME))
    running = start_lms(session, lambda url: make_settings(tmp_path, database_url, url, **extra), instance,
                        sandbox_options=options)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server, one for the run: started on first use, answering before any test uses it."""
    server = start_s3_server(tmp_path_factory.mktemp("s3") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()
