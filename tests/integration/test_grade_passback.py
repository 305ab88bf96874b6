"""Grades reach the sandbox gradebook exactly once through real Celery workers, whatever the LMS or Redis do."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.assignment_settings import default_settings
from assessment.models import Course, GradePosting, Person, PostingStatus, ResourceLink
from assessment.services import create_assignment
from config.settings import Settings
from lti_tool.advantage import SCORE_SCOPE
from sandbox.keys import KEY_FILE_NAME, load_or_create_platform_key
from tests.conftest import TEST_SECRET
from tests.support.faults import (
    FaultyAGS,
    fail_first,
    install_faults,
    lose_answer_of_first,
    refuse_user,
    sandbox_scores,
    slow_every_score,
    throttle_first,
    time_out_first,
)
from tests.support.lms import RunningLMS, launch_as
from tests.support.processes import stop_process
from tests.support.rows import see_committed
from tests.support.services import redis_test_url, service_missing
from workers.celery_app import make_celery

# A database of its own, so the suite never consumes or leaves messages in anyone else's queue.
BROKER_URL = redis_test_url("broker")
# Real worker processes, and faults that take seconds to play out.
pytestmark = pytest.mark.slow
STUDENTS = tuple(f"student-{number}" for number in range(1, 7))
STUCK_SECONDS = 3
SETTLED = (PostingStatus.POSTED, PostingStatus.FAILED)


# --- a fresh gradebook per test ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def _platform_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sandbox-key")
    load_or_create_platform_key(directory)
    return directory


@pytest.fixture
def sandbox_instance(tmp_path: Path, _platform_key_dir: Path) -> Path:
    # Overrides the suite's shared sandbox: the same platform key (slow to make), an empty gradebook, so that
    # "one score per student" counts this test's scores only.
    directory = tmp_path / "sandbox"
    directory.mkdir()
    shutil.copy2(_platform_key_dir / KEY_FILE_NAME, directory / KEY_FILE_NAME)
    return directory


# --- Redis and workers -------------------------------------------------------------------------------------------

def _reachable(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        service_missing(f"Redis is not reachable at {url}: {error}")


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> str:
    _reachable(BROKER_URL)
    redis.Redis.from_url(BROKER_URL).flushdb()
    _use_broker(monkeypatch, BROKER_URL)
    return BROKER_URL


def _use_broker(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    # Celery prefers these variables over its configuration, so point them at the test broker too.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", url)


class Workers:
    """Celery worker processes of `workers.celery_app`, each logging to a file of the test's directory."""

    def __init__(self, directory: Path, database_url: str) -> None:
        self._directory = directory
        self._database_url = database_url
        self._running: list[tuple[subprocess.Popen, object]] = []

    def settings(self, broker_url: str) -> Settings:
        return Settings.from_env(self._env(broker_url))

    def _env(self, broker_url: str) -> dict[str, str]:
        return {
            "PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(self._directory / "worker-instance"),
            "DATABASE_URL": self._database_url, "SECRET_KEY": TEST_SECRET,
            "CELERY_BROKER_URL": broker_url, "CELERY_RESULT_BACKEND": broker_url,
            "HTTP_TIMEOUT_SECONDS": "2", "PASSBACK_BACKOFF_SECONDS": "1", "PASSBACK_STUCK_SECONDS": str(STUCK_SECONDS),
        }

    def start(self, broker_url: str, *pool: str) -> subprocess.Popen:
        """Start a worker and wait until it answers a ping through the broker."""
        log = (self._directory / f"worker-{len(self._running) + 1}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", *(pool or ("--pool", "solo")),
             "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle",
             "--hostname", f"passback-{uuid.uuid4().hex[:8]}@%h"],
            env=os.environ | self._env(broker_url), stdout=log, stderr=subprocess.STDOUT,
        )
        self._running.append((process, log))
        celery = make_celery(self.settings(broker_url))
        try:
            result = celery.tasks["peerlti.ping"].delay("ready")
            assert result.get(timeout=30) == "ready", self.logs()
            result.forget()
        finally:
            celery.close()
        return process

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-3000:] for path in sorted(self._directory.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process, log in self._running:
            stop_process(process)
            log.close()  # type: ignore[attr-defined]
        self._running.clear()


@pytest.fixture
def workers(tmp_path: Path, database_url: str) -> Iterator[Workers]:
    running = Workers(tmp_path, database_url)
    yield running
    running.stop_all()


# --- the release of a class's grades -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Release:
    lineitem: str
    marker: str
    postings: dict[str, int]  # student -> posting id
    scores: dict[str, float]


def release_grades(lms: RunningLMS, session: Session, students: Iterable[str] = STUDENTS) -> Release:
    """Launch every student (provisioning people, course and link with the sandbox's real AGS claim), then write
    one pending outbox row per student, as releasing grades does."""
    students = tuple(students)
    for student in students:
        assert launch_as(lms, student).status_code == 200
    link = session.scalars(select(ResourceLink).where(ResourceLink.resource_link_id == "sandbox-link-1")).one()
    course = session.get(Course, link.course_id)
    assert course is not None and course.context_id == "sandbox-course-1"
    now = datetime.now(UTC)
    assignment = create_assignment(session, course.id, default_settings("Essay", now), resource_link_id=link.id)
    people = {p.subject: p for p in session.scalars(select(Person).where(Person.platform_id == course.platform_id,
                                                                           Person.subject.in_(students)))}
    marker = uuid.uuid4().hex[:16]
    scores = {student: 40.0 + index for index, student in enumerate(students)}
    rows = {student: GradePosting(
        assignment_id=assignment.id, person_id=people[student].id, release_id=marker, score_given=scores[student],
        score_maximum=100.0, grading_progress="FullyGraded", comment=f"Release {marker}", timestamp=now,
        status=PostingStatus.PENDING, next_attempt_at=now,
    ) for student in students}
    session.add_all(rows.values())
    session.commit()
    return Release(link.ags_claim["lineitem"], marker, {s: row.id for s, row in rows.items()}, scores)


def dispatch(settings: Settings, posting_ids: Iterable[int]) -> None:
    celery = make_celery(settings)
    try:
        for posting_id in posting_ids:
            celery.tasks["peerlti.post_grade"].delay(posting_id)
    finally:
        celery.close()


def sweep(settings: Settings) -> None:
    celery = make_celery(settings)
    try:
        celery.tasks["peerlti.sweep_grade_postings"].delay()
    finally:
        celery.close()


def statuses(session: Session, release: Release) -> dict[str, tuple[PostingStatus, int | None, str]]:
    rows = session.execute(select(Person.subject, GradePosting.status, GradePosting.last_status, GradePosting.last_error)
                           .join(Person, Person.id == GradePosting.person_id)
                           .where(GradePosting.release_id == release.marker)).all()
    session.rollback()  # end the read, so SQLite's writers and PostgreSQL's snapshots move on
    return {subject: (status, last_status, error) for subject, status, last_status, error in rows}


def wait_until(session: Session, release: Release, done, workers: Workers, timeout: float = 180,
               sweep_with: Settings | None = None):
    """Poll the outbox until `done(statuses)`; with `sweep_with`, send the sweep every few seconds as beat would.

    The deadline only ends a run that will never settle: on a machine shared with parallel test workers a batch that
    takes seconds alone has been seen to take a minute."""
    deadline, next_sweep = time.monotonic() + timeout, time.monotonic() + STUCK_SECONDS + 0.5
    while True:
        current = statuses(session, release)
        if done(current):
            return current
        if time.monotonic() > deadline:
            pytest.fail(f"postings did not settle: {current}\n--- worker logs ---\n{workers.logs()}")
        if sweep_with is not None and time.monotonic() >= next_sweep:
            sweep(sweep_with)
            next_sweep = time.monotonic() + STUCK_SECONDS
        time.sleep(0.1)


def all_settled(current) -> bool:
    return bool(current) and all(status in SETTLED for status, _, _ in current.values())


def assert_posted_exactly_once(lms: RunningLMS, release: Release, current, refused: Iterable[str] = ()) -> None:
    refused = set(refused)
    for student in release.postings:
        status, last_status, error = current[student]
        expected = PostingStatus.FAILED if student in refused else PostingStatus.POSTED
        assert status is expected, (student, status, last_status, error)
    recorded = sandbox_scores(lms, release.lineitem)
    for student in release.postings:
        history = recorded.get(student, [])
        if student in refused:
            assert history == [], f"{student} was refused yet has a score: {history}"
        else:
            assert len(history) == 1, f"{student} has {len(history)} scores: {history}"
            recorded_score = (history[0]["scoreGiven"], history[0]["comment"])
            assert recorded_score == (release.scores[student], f"Release {release.marker}")
    assert set(recorded) <= set(release.postings)


def _run_batch(lms, session, broker, workers, faults, *pool: str) -> tuple[Release, FaultyAGS, dict]:
    faulty = install_faults(lms, faults)
    release = release_grades(lms, session)
    workers.start(broker, *pool)
    dispatch(workers.settings(broker), release.postings.values())
    current = wait_until(session, release, all_settled, workers)
    faulty.wait_for_answers()
    return release, faulty, current


# --- the LMS misbehaves ------------------------------------------------------------------------------------------

def test_a_server_error_is_retried_until_the_score_is_recorded_once(lms, session, broker, workers):
    release, faulty, current = _run_batch(lms, session, broker, workers, [fail_first(2, status=500)])

    assert_posted_exactly_once(lms, release, current)
    assert [post.status for post in faulty.score_posts].count(500) == 2
    assert len(faulty.score_posts) == len(STUDENTS) + 2


def test_throttling_is_retried_no_sooner_than_retry_after_says(lms, session, broker, workers):
    # Retry-After (2 s) is longer than the first backoff (1 s): the platform's word wins.
    release, faulty, current = _run_batch(lms, session, broker, workers, [throttle_first(3, retry_after=2)])

    assert_posted_exactly_once(lms, release, current)
    throttled = [post for post in faulty.score_posts if post.status == 429]
    assert len(throttled) == 3
    for refused in throttled:
        later = [post for post in faulty.score_posts if post.user_id == refused.user_id and post.number > refused.number]
        retry = min(later, key=lambda post: post.number)
        assert retry.status == 200 and retry.arrived - refused.arrived >= 1.9


def test_a_score_that_timed_out_unrecorded_is_posted_again(lms, session, broker, workers):
    release, faulty, current = _run_batch(lms, session, broker, workers, [time_out_first(1, seconds=3)])

    assert_posted_exactly_once(lms, release, current)
    assert len(faulty.score_posts) == len(STUDENTS) + 1


def test_a_score_recorded_whose_answer_was_lost_counts_as_posted_not_twice(lms, session, broker, workers):
    release, faulty, current = _run_batch(lms, session, broker, workers, [lose_answer_of_first(1, seconds=3)])

    assert_posted_exactly_once(lms, release, current)
    first = min(faulty.score_posts, key=lambda post: post.number).user_id
    retried = sorted((post for post in faulty.score_posts if post.user_id == first), key=lambda post: post.number)
    assert [post.status for post in retried] == [200], "the retry should read the result back, not post again"
    assert "answer was lost" in current[first][2]


def test_a_lost_answer_on_a_platform_that_accepts_equal_timestamps_records_the_score_once(lms, session, broker,
                                                                                          workers):
    faulty = install_faults(lms, [lose_answer_of_first(1, seconds=3)])
    faulty.accept_stale = True
    release = release_grades(lms, session)
    workers.start(broker)
    dispatch(workers.settings(broker), release.postings.values())
    current = wait_until(session, release, all_settled, workers)

    assert_posted_exactly_once(lms, release, current)


def test_a_platform_answering_409_for_a_score_it_already_holds_counts_it_posted(lms, session, broker, workers):
    faulty = install_faults(lms)
    faulty.stale_status = 409
    release = release_grades(lms, session)
    posting = session.get(GradePosting, release.postings["student-1"])
    store = lms.sandbox.app.app.extensions["sandbox"].store
    # The gradebook got this score already (an attempt whose answer never came back, then a staff retry).
    store.record_score(release.lineitem.rstrip("/").rsplit("/", 1)[1], {
        "userId": "student-1", "scoreGiven": release.scores["student-1"], "scoreMaximum": 100.0,
        "comment": f"Release {release.marker}", "activityProgress": "Completed", "gradingProgress": "FullyGraded",
        "timestamp": posting.timestamp.replace(tzinfo=UTC).isoformat(timespec="milliseconds")})
    session.rollback()
    workers.start(broker)
    dispatch(workers.settings(broker), release.postings.values())
    current = wait_until(session, release, all_settled, workers)

    assert_posted_exactly_once(lms, release, current)
    assert [post.status for post in faulty.score_posts if post.user_id == "student-1"] == [409]


def test_a_student_the_lms_refuses_fails_with_its_reason_and_the_others_are_posted(lms, session, broker, workers):
    release, faulty, current = _run_batch(lms, session, broker, workers, [refuse_user("student-3")])

    assert_posted_exactly_once(lms, release, current, refused=["student-3"])
    _, last_status, error = current["student-3"]
    assert last_status == 422 and "not a student in this course" in error
    assert [post.status for post in faulty.score_posts if post.user_id == "student-3"] == [422], "never retried"


def test_workers_share_one_access_token_per_platform_and_scope(lms, session, broker, workers):
    faulty = install_faults(lms, [slow_every_score(0.1)])
    release = release_grades(lms, session)
    workers.start(broker, "--pool", "threads", "--concurrency", "4")
    workers.start(broker, "--pool", "threads", "--concurrency", "4")

    dispatch(workers.settings(broker), release.postings.values())
    current = wait_until(session, release, all_settled, workers)

    assert_posted_exactly_once(lms, release, current)
    assert dict(faulty.token_requests) == {SCORE_SCOPE: 1}


def test_workers_racing_on_a_link_without_a_column_create_it_once_and_never_look_it_up_per_score(
        lms, session, broker, workers):
    # As Open edX may launch: the AGS claim offers the line items service but names no line item for the link.
    faulty = install_faults(lms)
    faulty.line_item_delay = 0.5  # every worker asks before any column exists
    release = release_grades(lms, session)
    link = session.scalars(select(ResourceLink)).one()
    link.ags_claim = {key: value for key, value in link.ags_claim.items() if key != "lineitem"}
    session.commit()
    store = lms.sandbox.app.app.extensions["sandbox"].store
    columns_before = {item["id"] for item in store.line_items()}
    workers.start(broker, "--pool", "prefork", "--concurrency", "4")

    dispatch(workers.settings(broker), release.postings.values())
    current = wait_until(session, release, all_settled, workers)

    created = [item for item in store.line_items() if item["id"] not in columns_before]
    assert len(created) == 1, created
    assert all(status is PostingStatus.POSTED for status, _, _ in current.values()), current
    stored = see_committed(session).get(ResourceLink, link.id)
    assert stored is not None and stored.line_item_url and stored.line_item_url.endswith(f"/{created[0]['id']}")
    recorded = sandbox_scores(lms, stored.line_item_url)
    assert {student: len(history) for student, history in recorded.items()} == dict.fromkeys(STUDENTS, 1)
    line_item_requests = {request: count for request, count in faulty.requests.items()
                          if "/lineitems" in request[1] and not request[1].endswith("/scores")}
    container = "/api/courses/sandbox-course-1/lineitems"
    assert line_item_requests == {("GET", container): 1, ("POST", container): 1}, line_item_requests


# --- the workers or the broker fail ------------------------------------------------------------------------------

def test_a_worker_killed_mid_batch_loses_no_grade_and_posts_none_twice(lms, session, broker, workers):
    faulty = install_faults(lms, [slow_every_score(0.5)])
    release = release_grades(lms, session)
    settings = workers.settings(broker)
    doomed = workers.start(broker)
    dispatch(settings, release.postings.values())

    wait_until(session, release, lambda now: sum(s is PostingStatus.POSTED for s, _, _ in now.values()) >= 2, workers)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()
    left_behind = statuses(session, release)
    workers.start(broker)
    time.sleep(STUCK_SECONDS + 0.5)
    sweep(settings)
    current = wait_until(session, release, all_settled, workers)

    assert any(status is not PostingStatus.POSTED for status, _, _ in left_behind.values())
    assert_posted_exactly_once(lms, release, current)
    assert len(faulty.score_posts) >= len(STUDENTS)


@pytest.fixture
def own_redis(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of this test's own, which it may stop and start without disturbing the machine's."""
    if shutil.which("redis-server") is None:
        service_missing("redis-server is not installed")
    server = RedisServer(_free_port(), tmp_path)
    server.start()
    _use_broker(monkeypatch, server.url)
    yield server
    server.stop()


class RedisServer:
    def __init__(self, port: int, directory: Path) -> None:
        self.port, self.url = port, f"redis://127.0.0.1:{port}/0"
        self._directory = directory
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self._directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.stop()
                    service_missing(f"could not start redis-server on port {self.port}")
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()  # SIGTERM: redis shuts down, and with --save "" keeps nothing
            self._process.wait(timeout=10)
            self._process = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_redis_restart_mid_batch_loses_no_grade_once_the_sweep_runs(lms, session, own_redis, workers):
    faulty = install_faults(lms, [slow_every_score(0.5)])
    release = release_grades(lms, session)
    settings = workers.settings(own_redis.url)
    workers.start(own_redis.url)
    dispatch(settings, release.postings.values())

    wait_until(session, release, lambda now: sum(s is PostingStatus.POSTED for s, _, _ in now.values()) >= 2, workers)
    own_redis.stop()  # every queued message and the token cache are gone
    time.sleep(1)
    own_redis.start()
    current = wait_until(session, release, all_settled, workers, sweep_with=settings)

    assert_posted_exactly_once(lms, release, current)
    assert len(faulty.score_posts) >= len(STUDENTS)
