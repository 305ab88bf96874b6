"""Races on a real database: a throwaway PostgreSQL with a connection per thread, and threads released at once."""

from __future__ import annotations

import fcntl
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from assessment.db import make_session_factory
from lti_tool import migrate
from lti_tool import models as _models  # noqa: F401  (every table on the metadata)
from tests.support.services import throwaway_postgres_database, uses_postgres

Result = TypeVar("Result")
# How long the first thread at the barrier waits for the last: a thread that died on the way breaks it, not hangs it.
BARRIER_SECONDS = 30
# Threads one test may start together: with every xdist worker's own connections, within PostgreSQL's default 100.
CROWD_CONNECTIONS = 60
# Held by whichever pytest process (xdist worker) releases a crowd of threads: two crowds at once, each with ~50
# connections besides every worker's own, would pass PostgreSQL's default limit of 100 clients. A crowd never waits on
# another worker while it holds the lock, so the lock cannot deadlock.
CROWD_LOCK = Path(tempfile.gettempdir()) / "peerlti-tests-thread-crowd.lock"


@contextmanager
def _one_crowd_at_a_time() -> Iterator[None]:
    with CROWD_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def wide_postgres_fixture(connections: int) -> Any:
    """A module fixture `postgres`: sessions on a migrated throwaway PostgreSQL database with room for `connections`
    at once, one for every thread a test of the module starts together (plus a few for its own reads). Connections
    are closed when their session ends, so that idle ones never count against the server's limit between races."""
    assert connections <= CROWD_CONNECTIONS, "more threads than the server has room for beside the other workers"

    @pytest.fixture(scope="module")
    def postgres() -> Iterator[sessionmaker]:
        with ExitStack() as stack:
            with pytest.MonkeyPatch.context() as patch:
                if not uses_postgres():
                    # An SQLite DATABASE_URL names no PostgreSQL server: use the local default one.
                    patch.delenv("DATABASE_URL", raising=False)
                url = stack.enter_context(throwaway_postgres_database())
            migrate.upgrade(url)
            engine = create_engine(url, poolclass=NullPool)
            stack.callback(engine.dispose)
            yield make_session_factory(engine)

    return postgres


def all_at_once(count: int, work: Callable[[int], Result]) -> list[Result | Exception]:
    """Run `work(i)` for i in range(count), each in its own thread, released together by a barrier; each outcome
    is what `work` returned or the exception it raised, in the order of i."""

    def run(index: int, go: Callable[[], None]) -> Result:
        go()
        return work(index)

    return _released_together(count, run)


def all_at_once_in_sessions(sessions: Callable[[], Session], items: Sequence[Any],
                            work: Callable[[Session, Any], Result]) -> list[Result | Exception]:
    """Run `work(session, item)` for every item in a thread and session of its own, connected before the barrier
    so that the calls themselves start together; outcomes as for `all_at_once`."""

    def run(index: int, go: Callable[[], None]) -> Result:
        with sessions() as session:
            session.connection()
            go()
            return work(session, items[index])

    return _released_together(len(items), run)


def errors_among(outcomes: Sequence[object]) -> list[Exception]:
    return [outcome for outcome in outcomes if isinstance(outcome, Exception)]


def results_of(outcomes: Sequence[Result | Exception]) -> list[Result]:
    """The outcomes of threads none of which may fail: the first exception is raised again, one that broke the
    barrier before a thread that merely found it broken."""
    errors = errors_among(outcomes)
    for error in sorted(errors, key=lambda error: isinstance(error, threading.BrokenBarrierError)):
        raise error
    return list(outcomes)  # type: ignore[arg-type]  (no exception left)


def _released_together(count: int, run: Callable[[int, Callable[[], None]], Result]) -> list[Result | Exception]:
    barrier = threading.Barrier(count)

    def outcome(index: int) -> Result | Exception:
        try:
            return run(index, lambda: barrier.wait(BARRIER_SECONDS))
        except Exception as error:  # noqa: BLE001 - the test sorts the outcomes
            barrier.abort()  # the others stop waiting for a thread that will never come
            return error

    with _one_crowd_at_a_time(), ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(outcome, range(count)))
