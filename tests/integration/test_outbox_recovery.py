"""The grade outbox recovers in seconds, not at the next sweep: when a worker starts or reconnects to the broker,
and when the worker holding a posting is gone; never posting a grade twice."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assessment.models import PostingStatus
from tests.integration import test_grade_passback as passback_tests
from tests.integration.test_grade_passback import (
    RedisServer,
    Workers,
    assert_posted_exactly_once,
    dispatch,
    release_grades,
    statuses,
    wait_until,
)
from tests.support.faults import install_faults, slow_every_score

# The grade passback tests' gradebook, broker (Redis database 14) and Redis server of the test's own.
_platform_key_dir, sandbox_instance = passback_tests._platform_key_dir, passback_tests.sandbox_instance
broker, own_redis = passback_tests.broker, passback_tests.own_redis

# Far above the waits below: a row recovered within them was recovered by the new paths, not by the stuck delay.
STUCK_SECONDS = 300
RECOVERY_SECONDS = 30


class RecoveringWorkers(Workers):
    """Workers that take back a gone worker's postings at once, and a stuck one only after five minutes."""

    def _env(self, broker_url: str) -> dict[str, str]:
        return super()._env(broker_url) | {"PASSBACK_STUCK_SECONDS": str(STUCK_SECONDS), "PASSBACK_ORPHAN_SECONDS": "0"}


@pytest.fixture
def recovering_workers(tmp_path: Path, database_url: str) -> Iterator[RecoveringWorkers]:
    running = RecoveringWorkers(tmp_path, database_url)
    yield running
    running.stop_all()


def _posted(current) -> int:
    return sum(status is PostingStatus.POSTED for status, _, _ in current.values())


def _settled(current) -> bool:
    return bool(current) and all(status is PostingStatus.POSTED for status, _, _ in current.values())


def test_postings_resume_within_seconds_of_a_worker_reconnecting_after_a_redis_restart(
    lms, session, own_redis: RedisServer, recovering_workers
):
    faulty = install_faults(lms, [slow_every_score(0.5)])
    release = release_grades(lms, session)
    recovering_workers.start(own_redis.url)
    dispatch(recovering_workers.settings(own_redis.url), release.postings.values())
    wait_until(session, release, lambda current: _posted(current) >= 2, recovering_workers)

    own_redis.stop()  # every queued message is gone; no beat runs in this test to sweep them back
    own_redis.start()
    restarted = time.monotonic()
    current = wait_until(session, release, _settled, recovering_workers, timeout=RECOVERY_SECONDS)

    assert time.monotonic() - restarted < RECOVERY_SECONDS
    assert_posted_exactly_once(lms, release, current)
    assert len(faulty.score_posts) >= len(release.postings)


def test_a_new_worker_finishes_the_postings_a_killed_worker_held_long_before_the_stuck_delay(
    lms, session, broker, recovering_workers
):
    faulty = install_faults(lms, [slow_every_score(0.5)])
    release = release_grades(lms, session)
    doomed = recovering_workers.start(broker)
    dispatch(recovering_workers.settings(broker), release.postings.values())
    wait_until(session, release, lambda current: _posted(current) >= 2 and any(
        status is PostingStatus.IN_FLIGHT for status, _, _ in current.values()), recovering_workers)

    os.kill(doomed.pid, signal.SIGKILL)  # mid-post: its row stays in flight, its message unacknowledged
    doomed.wait()
    left_behind = statuses(session, release)
    killed = time.monotonic()
    recovering_workers.start(broker)
    current = wait_until(session, release, _settled, recovering_workers, timeout=RECOVERY_SECONDS)

    assert any(status is PostingStatus.IN_FLIGHT for status, _, _ in left_behind.values())
    assert time.monotonic() - killed < RECOVERY_SECONDS
    assert_posted_exactly_once(lms, release, current)
    assert len(faulty.score_posts) >= len(release.postings)
