"""Rate-limit counters live in Redis when one is configured, so every web worker shares them."""

from __future__ import annotations

import pytest
import redis

from config.settings import Settings
from lti_tool.app import create_app
from lti_tool.database import dispose_database
from tests.conftest import TEST_SECRET
from tests.support.services import redis_test_url, service_missing

REDIS_URL = redis_test_url("rate limits")


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        service_missing(f"Redis is not reachable at {REDIS_URL}: {error}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def _app(tmp_path, database_url, **environ: str):
    return create_app(Settings.from_env({
        "PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET, "RATE_LIMIT_LOGIN": "2 per minute"} | environ))


def test_two_web_workers_count_logins_together_in_the_configured_redis(tmp_path, database_url, engine, redis_db):
    workers = [_app(tmp_path, database_url, RATE_LIMIT_STORAGE_URL=REDIS_URL) for _ in range(2)]
    try:
        statuses = [worker.test_client().get("/lti/login").status_code for worker in (*workers, workers[0])]
    finally:
        for worker in workers:
            dispose_database(worker)

    assert statuses == [400, 400, 429]
    assert any(b"peerlti" in key for key in redis_db.keys("*"))


def test_the_brokers_redis_is_used_when_no_storage_is_named(tmp_path, database_url, engine, redis_db):
    app = _app(tmp_path, database_url, CELERY_BROKER_URL=REDIS_URL)
    try:
        app.test_client().get("/lti/login")
    finally:
        dispose_database(app)

    assert redis_db.keys("*")
