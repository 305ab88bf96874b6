"""Where platform access tokens are shared between worker processes: Redis, or the database without it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from assessment.models import AccessTokenCache


class RedisTokenCache:
    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    def get(self, key: str) -> str | None:
        value = self._redis.get(key)
        return value.decode() if value else None

    def put(self, key: str, token: str, ttl_seconds: int) -> None:
        self._redis.set(key, token, ex=ttl_seconds)


class DatabaseTokenCache:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, key: str) -> str | None:
        with self._sessions() as session:
            row = session.scalar(select(AccessTokenCache).where(AccessTokenCache.key == key,
                                                                AccessTokenCache.expires_at > datetime.now(UTC)))
            return row.token if row else None

    def put(self, key: str, token: str, ttl_seconds: int) -> None:
        with self._sessions() as session, session.begin():
            session.execute(delete(AccessTokenCache).where(AccessTokenCache.key == key))
            session.add(AccessTokenCache(key=key, token=token,
                                         expires_at=datetime.now(UTC) + timedelta(seconds=ttl_seconds)))
