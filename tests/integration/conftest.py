"""Fixtures the integration tests share: a reachable Redis broker for worker processes."""

from __future__ import annotations

import pytest
import redis

from tests.support.services import redis_test_url, service_missing


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> str:
    """This xdist worker's broker database on the machine's Redis, also named in the environment."""
    url = redis_test_url("broker")
    # Celery prefers these variables over its configuration, so point them at the test database too.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", url)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        service_missing(f"Redis is not reachable at {url}: {error}")
    return url
