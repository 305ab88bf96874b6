"""Pooled PostgreSQL connections: pinged only after an idle spell, and replaced when the server dropped them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from assessment.db import make_engine
from tests.support.services import throwaway_postgres_database


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with throwaway_postgres_database() as url:
        yield url


def _backend_of(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()")) or 0


def _drop_on_server(url: str, backend: int) -> None:
    """What a restart does to a pooled connection: the server ends it while the pool keeps it."""
    admin = create_engine(url)
    try:
        with admin.connect() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    finally:
        admin.dispose()


def _pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    seen: list[object] = []
    ping = engine.dialect.do_ping

    def counted(connection: Any) -> bool:
        seen.append(connection)
        return ping(connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def test_a_connection_dropped_by_the_server_while_idle_is_replaced_before_the_next_request_uses_it(
        postgres_url, monkeypatch):
    engine = make_engine(postgres_url, ping_after_idle=0.0)
    try:
        pings = _pings(engine, monkeypatch)
        dropped = _backend_of(engine)
        _drop_on_server(postgres_url, dropped)
        assert _backend_of(engine) not in (0, dropped)
        assert len(pings) == 1  # the pooled connection was pinged; a new one needs no ping
    finally:
        engine.dispose()


def test_a_connection_given_back_a_moment_ago_is_used_without_a_ping(postgres_url, monkeypatch):
    engine = make_engine(postgres_url, ping_after_idle=60.0)
    try:
        pings = _pings(engine, monkeypatch)
        first = _backend_of(engine)
        assert [_backend_of(engine) for _ in range(5)] == [first] * 5
        assert pings == []
    finally:
        engine.dispose()


def test_without_an_idle_spell_a_dropped_connection_fails_one_request_and_the_pool_is_renewed(postgres_url):
    engine = make_engine(postgres_url, ping_after_idle=60.0)
    try:
        dropped = _backend_of(engine)
        _drop_on_server(postgres_url, dropped)
        with pytest.raises(OperationalError):
            _backend_of(engine)
        assert _backend_of(engine) not in (0, dropped)
    finally:
        engine.dispose()
