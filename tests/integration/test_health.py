"""/healthz, /readyz and `peerlti doctor` against real services, and real outages of them."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from lti_tool import health, migrate
from lti_tool.app import create_app
from lti_tool.cli import main
from lti_tool.database import EXTENSION as SESSION_FACTORY
from lti_tool.database import dispose_database
from tests.conftest import TEST_SECRET, make_settings
from tests.support.postgres_server import PostgresCluster
from tests.support.processes import stop_process
from tests.support.redis_server import RedisServer, free_port
from tests.support.services import sqlite_url, uses_postgres
from tests.support.workers import start_worker
from workers.celery_app import make_celery

BROKER_TIMEOUT = 2


def _client(tmp_path, database_url: str, **extra: str):
    app = create_app(make_settings(tmp_path, database_url, CELERY_BROKER_TIMEOUT_SECONDS=str(BROKER_TIMEOUT), **extra))
    return app, app.test_client()


@pytest.fixture
def serve_with():
    """Build an app on the given database (and settings) and close its connections after the test."""
    apps = []

    def build(tmp_path, database_url: str, **extra: str):
        app, client = _client(tmp_path, database_url, **extra)
        apps.append(app)
        return client
    yield build
    for app in apps:
        dispose_database(app)


def _unreachable_postgres() -> str:
    return f"postgresql://postgres@127.0.0.1:{free_port()}/peerlti"


def test_healthz_answers_ok_uncached_without_touching_the_database(tmp_path, serve_with):
    client = serve_with(tmp_path, _unreachable_postgres())

    response = client.get("/healthz")

    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_green_with_the_database_at_the_head_and_storage_writable(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready" and body["failed"] == []
    assert set(body["checks"]) == {"database", "storage"}  # no broker configured: tasks run in-process
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_red_naming_the_database_when_postgresql_is_unreachable(tmp_path, serve_with):
    url = _unreachable_postgres()
    client = serve_with(tmp_path, url)

    started = time.monotonic()
    response = client.get("/readyz")

    assert response.status_code == 503
    assert time.monotonic() - started < 5
    body = response.get_json()
    assert body["failed"] == ["database"] and body["checks"]["database"]["detail"] == "unreachable"
    assert url.rsplit("@", 1)[1] not in response.get_data(as_text=True)  # no address for anyone who asks
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word: a database host that hangs."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return
    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for connection in accepted:
        connection.close()


def test_readyz_is_red_within_its_time_limit_when_the_database_host_accepts_and_never_answers(tmp_path, silent_server,
                                                                                             serve_with):
    client = serve_with(tmp_path, f"postgresql://postgres@127.0.0.1:{silent_server}/peerlti")

    started = time.monotonic()
    response = client.get("/readyz")
    took = time.monotonic() - started

    assert response.status_code == 503
    assert took < health.DATABASE_TIMEOUT_SECONDS + 1
    body = response.get_json()
    assert body["failed"] == ["database"]
    assert body["checks"]["database"]["detail"] == f"no answer within {health.DATABASE_TIMEOUT_SECONDS:g} s"


def test_readyz_is_red_within_its_time_limit_when_the_database_is_blocked_and_green_once_it_is_not(
        tmp_path, database_url, engine, serve_with):
    if not uses_postgres():
        pytest.skip("a lock that blocks readers is PostgreSQL's")
    client = serve_with(tmp_path, database_url)
    assert _readiness(client) == (200, [])

    with engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        response = client.get("/readyz")
        took = time.monotonic() - started
        blocker.rollback()
    back = _readiness(client)

    assert response.status_code == 503 and took < health.DATABASE_TIMEOUT_SECONDS + 1
    assert response.get_json()["checks"]["database"]["detail"] == (
        f"no answer within {health.DATABASE_TIMEOUT_SECONDS:g} s")
    assert back == (200, [])


def test_a_probe_during_a_hung_database_check_waits_for_that_check_instead_of_starting_another(tmp_path,
                                                                                               silent_server):
    # Every probe of a load balancer would otherwise leave one more thread and connection waiting on the host.
    app = create_app(make_settings(tmp_path, f"postgresql://postgres@127.0.0.1:{silent_server}/peerlti"))
    bound = app.extensions[SESSION_FACTORY].kw["bind"]
    try:
        first = health.database(bound, timeout_seconds=0.2)
        second = health.database(bound, timeout_seconds=0.2)
    finally:
        dispose_database(app)

    assert first.detail == "no answer within 0.2 s"
    assert not second.ok and second.detail == "no answer within 0.2 s (to a check started 0 s ago)"


def test_readyz_is_red_naming_the_revision_when_the_database_is_behind_the_head(tmp_path, serve_with):
    url = sqlite_url(tmp_path)
    migrate.upgrade(url, "0014")
    client = serve_with(tmp_path, url)

    response = client.get("/readyz")

    assert response.status_code == 503
    detail = response.get_json()["checks"]["database"]["detail"]
    assert "at revision 0014, behind the head" in detail and "peerlti db upgrade" in detail


def test_readyz_stays_green_naming_the_revision_when_a_newer_release_migrated_the_database(tmp_path, serve_with):
    # A rolling upgrade: the database is migrated while this (older) release still serves.
    url = sqlite_url(tmp_path)
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    client = serve_with(tmp_path, url)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert "at revision 0999, newer than this release's head" in response.get_json()["checks"]["database"]["detail"]


def test_readyz_is_red_when_the_upload_storage_cannot_be_written(tmp_path, database_url, engine, serve_with):
    client = serve_with(tmp_path, database_url)
    (tmp_path / "instance").mkdir(exist_ok=True)
    (tmp_path / "instance" / "uploads").write_text("a file where the uploads directory should be")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["failed"] == ["storage"]


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


def _readiness(client) -> tuple[int, list[str]]:
    response = client.get("/readyz")
    return response.status_code, response.get_json()["failed"]


@pytest.mark.slow
def test_readyz_goes_red_when_redis_stops_and_green_when_it_returns(tmp_path, database_url, engine, own_redis,
                                                                   serve_with):
    client = serve_with(tmp_path, database_url, CELERY_BROKER_URL=own_redis.url, RATE_LIMIT_STORAGE_URL="memory://")
    assert _readiness(client) == (200, [])

    own_redis.stop()
    started = time.monotonic()
    down = _readiness(client)
    took = time.monotonic() - started
    own_redis.start()
    back = _readiness(client)

    assert down == (503, ["broker"])
    assert took < BROKER_TIMEOUT * 3  # a stopped broker costs the probe its timeout at most, not minutes
    assert back == (200, [])


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().create()
    yield cluster
    cluster.remove()


@pytest.mark.slow
def test_readyz_and_doctor_go_red_when_postgresql_stops_and_green_when_it_returns(tmp_path, own_postgres, serve_with):
    url = own_postgres.url  # the cluster is the test's own: its first database will do
    migrate.upgrade(url)
    client = serve_with(tmp_path, url)
    assert _readiness(client) == (200, [])
    assert _doctor(tmp_path, url).exit_code == 0

    own_postgres.stop()
    started = time.monotonic()
    down = client.get("/readyz")
    took = time.monotonic() - started
    doctor_down = _doctor(tmp_path, url)
    own_postgres.start()
    back = _readiness(client)  # the same app: its pool drops the dead connections and makes new ones
    doctor_back = _doctor(tmp_path, url)

    assert down.status_code == 503 and took < health.DATABASE_TIMEOUT_SECONDS + 1
    assert down.get_json()["failed"] == ["database"]
    assert down.get_json()["checks"]["database"]["detail"] == "unreachable"
    assert doctor_down.exit_code == 1
    assert "FAIL  database: unreachable (OperationalError: " in doctor_down.output
    assert back == (200, [])
    assert doctor_back.exit_code == 0 and "ok    database: reachable, at the migration head" in doctor_back.output


def _doctor(tmp_path, database_url: str, **extra: str):
    env = {"DATABASE_URL": database_url, "PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
           "CELERY_BROKER_URL": "", "CELERY_BROKER_TIMEOUT_SECONDS": str(BROKER_TIMEOUT)} | extra
    return CliRunner().invoke(main, ["doctor"], env=env)


def test_doctor_says_ready_and_exits_zero_when_every_check_passes(tmp_path, database_url, engine):
    result = _doctor(tmp_path, database_url)

    assert result.exit_code == 0, result.output
    assert "ok    database: reachable, at the migration head" in result.output
    assert "ok    storage: writable" in result.output
    assert "peerlti is ready" in result.output


def test_doctor_names_each_failed_check_with_its_cause_and_exits_non_zero(tmp_path):
    port = free_port()
    result = _doctor(tmp_path, sqlite_url(tmp_path), CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0")

    assert result.exit_code == 1
    assert "FAIL  database: the database is not migrated" in result.output
    assert "run `peerlti db upgrade`" in result.output
    assert f"FAIL  broker: unreachable (OperationalError: Error 111 connecting to 127.0.0.1:{port}" in result.output
    assert "FAIL  workers:" in result.output
    assert "ok    storage: writable" in result.output
    assert "Error: not ready: database, broker, workers" in result.output


@pytest.mark.slow
def test_a_running_worker_answers_the_ping_and_without_one_the_check_fails(tmp_path, broker):
    celery = make_celery(make_settings(tmp_path, sqlite_url(tmp_path), CELERY_BROKER_URL=broker))
    try:
        assert not health.workers(celery, timeout_seconds=0.5).ok  # none is running yet
        worker = start_worker({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET},
                              tmp_path / f"worker-{uuid.uuid4().hex}.log")
        try:
            deadline = time.monotonic() + 60
            answered = health.workers(celery, timeout_seconds=1)
            while not answered.ok and time.monotonic() < deadline and worker.poll() is None:
                answered = health.workers(celery, timeout_seconds=1)
        finally:
            stop_process(worker)
    finally:
        celery.close()

    assert answered.ok and answered.detail == "1 answered"
