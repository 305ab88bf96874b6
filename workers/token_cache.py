"""Where platform access tokens are shared between worker processes: Redis, or the database without it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from assessment.models import AccessTokenCache


class RedisTokenCache:
    """Shared by every worker process; when Redis is unreachable it behaves as an empty cache, so a grade
    costs one more token request rather than waiting for Redis to come back."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    def get(self, key: str) -> str | None:
        try:
            value = self._redis.get(key)
        except redis.RedisError:
            return None
        # redis-py's annotations allow str too; this client, built without decode_responses, answers bytes.
        if isinstance(value, bytes):
            return value.decode() or None
        return value or None

    def put(self, key: str, token: str, ttl_seconds: int) -> None:
        with suppress(redis.RedisError):
            self._redis.set(key, token, ex=ttl_seconds)

    def forget(self, key: str) -> None:
        with suppress(redis.RedisError):
            self._redis.delete(key)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        # Held while one worker fetches the token; the others wait, then read it from the cache.
        try:
            lock = self._redis.lock(key + ":lock", timeout=30, blocking_timeout=30)
            acquired = lock.acquire()
        except redis.RedisError:
            yield
            return
        try:
            yield
        finally:
            if acquired:
                with suppress(redis.RedisError, redis.exceptions.LockError):
                    lock.release()


class DatabaseTokenCache:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()

    def lock(self, key: str) -> AbstractContextManager[object]:
        # Only this process's threads wait for each other: without Redis, workers are few.
        return self._lock

    def get(self, key: str) -> str | None:
        with self._sessions() as session:
            row = session.scalar(select(AccessTokenCache).where(AccessTokenCache.key == key,
                                                                AccessTokenCache.expires_at > datetime.now(UTC)))
            return row.token if row else None

    def forget(self, key: str) -> None:
        with self._sessions() as session, session.begin():
            session.execute(delete(AccessTokenCache).where(AccessTokenCache.key == key))

    def put(self, key: str, token: str, ttl_seconds: int) -> None:
        with self._sessions() as session, session.begin():
            session.execute(delete(AccessTokenCache).where(AccessTokenCache.key == key))
            session.add(AccessTokenCache(key=key, token=token,
                                         expires_at=datetime.now(UTC) + timedelta(seconds=ttl_seconds)))
