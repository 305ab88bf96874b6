"""The grade outbox recovers in seconds, not at the next sweep: when a worker starts or reconnects to the broker,
and when the worker holding a posting is gone; never posting a grade twice."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from assessment.assignment_settings import default_settings
from assessment.models import Course, GradePosting, Person, PostingStatus, ResourceLink
from assessment.services import create_assignment
from lti_tool.advantage import AdvantageError
from lti_tool.registry import PlatformSpec, register_platform
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
from workers import passback
from workers.liveness import Presence

# The grade passback tests' gradebook, broker (Redis database 14) and Redis server of the test's own.
_platform_key_dir, sandbox_instance = passback_tests._platform_key_dir, passback_tests.sandbox_instance
broker, own_redis = passback_tests.broker, passback_tests.own_redis

# Far above the waits below: a row recovered within them was recovered by the new paths, not by the stuck delay.
STUCK_SECONDS = 300
RECOVERY_SECONDS = 30
# Longer than a new worker takes to start, so that the kill test sees the sweep sent once the delay has passed.
ORPHAN_SECONDS = 5


class RecoveringWorkers(Workers):
    """Workers that take back a gone worker's postings within seconds, and a stuck one only after five minutes."""

    def _env(self, broker_url: str) -> dict[str, str]:
        return super()._env(broker_url) | {"PASSBACK_STUCK_SECONDS": str(STUCK_SECONDS),
                                           "PASSBACK_ORPHAN_SECONDS": str(ORPHAN_SECONDS)}


@pytest.fixture
def recovering_workers(tmp_path: Path, database_url: str) -> Iterator[RecoveringWorkers]:
    running = RecoveringWorkers(tmp_path, database_url)
    yield running
    running.stop_all()


@pytest.fixture
def postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("workers are known alive by PostgreSQL advisory locks; SQLite waits for the stuck delay")


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
    postgres_only, lms, session, broker, recovering_workers
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


# --- which postings the sweep takes back ---------------------------------------------------------------------------

POLICY = passback.RetryPolicy(stuck_after=timedelta(seconds=300), orphan_after=timedelta(seconds=30))


def _posting_in_flight(session: Session, claimed_by: str | None, claimed_ago: timedelta) -> int:
    platform = register_platform(session, PlatformSpec(
        "LMS", "https://lms.example", "c", "https://lms.example/a", "https://lms.example/t", "https://lms.example/k",
        deployment_ids=("d1",)))
    course = Course(platform_id=platform.id, context_id="c1")
    student = Person(platform_id=platform.id, subject="s1")
    session.add_all([course, student])
    session.flush()
    link = ResourceLink(course_id=course.id, deployment_id=platform.deployments[0].id, resource_link_id="l1",
                        ags_claim={"lineitem": "https://lms.example/lineitems/1"})
    session.add(link)
    session.flush()
    now = datetime.now(UTC)
    assignment = create_assignment(session, course.id, default_settings("Essay", now), resource_link_id=link.id)
    posting = GradePosting(assignment_id=assignment.id, person_id=student.id, release_id="r1", score_given=7.0,
                           score_maximum=10.0, grading_progress="FullyGraded", timestamp=now, attempts=1,
                           status=PostingStatus.IN_FLIGHT, claimed_at=now - claimed_ago, claimed_by=claimed_by)
    session.add(posting)
    session.commit()
    return posting.id


def _status_after_sweep(session: Session, posting_id: int) -> PostingStatus:
    due = passback.sweep(session, datetime.now(UTC), POLICY)
    status = session.get(GradePosting, posting_id, populate_existing=True).status
    assert (posting_id in due) is (status is PostingStatus.PENDING)
    return status


@pytest.mark.parametrize(("claimed_ago", "expected"), [
    (timedelta(seconds=25), PostingStatus.IN_FLIGHT),
    (timedelta(seconds=35), PostingStatus.PENDING),
])
def test_a_posting_of_a_gone_worker_is_taken_back_once_the_orphan_delay_has_passed(
    postgres_only, session, claimed_ago, expected
):
    posting_id = _posting_in_flight(session, "worker-host:4242:gone", claimed_ago)

    assert _status_after_sweep(session, posting_id) is expected


@pytest.mark.parametrize(("claimed_ago", "expected"), [
    (timedelta(seconds=35), PostingStatus.IN_FLIGHT),
    (timedelta(seconds=295), PostingStatus.IN_FLIGHT),
    (timedelta(seconds=305), PostingStatus.PENDING),
])
def test_a_posting_of_a_live_worker_however_busy_waits_for_the_stuck_delay(
    postgres_only, engine, session, claimed_ago, expected
):
    alive = Presence(engine)
    try:
        posting_id = _posting_in_flight(session, alive.claimant(), claimed_ago)

        assert _status_after_sweep(session, posting_id) is expected
    finally:
        alive.close()


def test_a_worker_that_left_has_its_postings_taken_back_early(postgres_only, engine, session):
    leaving = Presence(engine)
    posting_id = _posting_in_flight(session, leaving.claimant(), timedelta(seconds=35))
    assert _status_after_sweep(session, posting_id) is PostingStatus.IN_FLIGHT

    leaving.close()

    assert _status_after_sweep(session, posting_id) is PostingStatus.PENDING


class TakenOverMidPost:
    """A gradebook client whose score post outlives its worker's claim: meanwhile the sweep takes the row back
    and another worker posts it; then this post times out."""

    def __init__(self, engine, posting_id: int) -> None:
        self._engine, self._posting_id = engine, posting_id

    def result_of(self, lineitem: str, user_id: str) -> None:
        return None  # the gradebook holds no score for the student yet

    def post_score(self, lineitem: str, body: dict) -> None:
        with Session(self._engine) as other:
            now = datetime.now(UTC)
            passback.sweep(other, now, passback.RetryPolicy(stuck_after=timedelta(0)))
            assert passback.claim(other, self._posting_id, now, "other-worker")
            posting = other.get(GradePosting, self._posting_id)
            posting.status, posting.posted_at, posting.last_status = PostingStatus.POSTED, now, 200
            other.commit()
        raise AdvantageError("The LMS did not answer in time.", status=None, retryable=True)


def test_a_late_attempt_never_overwrites_the_outcome_of_the_attempt_that_took_over(session, engine):
    posting_id = _posting_in_flight(session, None, timedelta(0))
    session.get(GradePosting, posting_id).status = PostingStatus.PENDING
    session.commit()

    outcome = passback.post_one(session, posting_id, TakenOverMidPost(engine, posting_id), datetime.now(UTC),
                                claimant="this-worker")

    assert outcome.status is None
    posting = session.get(GradePosting, posting_id, populate_existing=True)
    assert (posting.status, posting.attempts, posting.claimed_by) == (PostingStatus.POSTED, 3, "other-worker")
