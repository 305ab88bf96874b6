"""Releasing grades (and syncing the roster) answers in seconds whatever the broker does; one posting per student."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from requests import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.db import make_session_factory
from assessment.grading_run import release_grades
from assessment.models import Assignment, Grade, GradePosting, Person, PostingStatus
from lti_tool.key_vault import bind_vault
from tests.conftest import TEST_KEY_VAULT, make_settings
from tests.support.concurrency import all_at_once_in_sessions, errors_among
from tests.support.lms import RunningLMS, start_lms
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, open_new_activity, page_text
from workers import passback

STUDENTS = ("student-1", "student-2", "student-3")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def frozen_port() -> Iterator[int]:
    """A socket that accepts connections and never answers: a Redis that froze."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for connection in accepted:
        connection.close()
    server.close()


def _graded_class(lms: RunningLMS, session: Session) -> Visitor:
    """An instructor with an activity at the sandbox link, and a computed grade for each student."""
    instructor = open_new_activity(lms, STUDENTS)
    assignment = see_committed(session).scalars(select(Assignment)).one()
    people = session.scalars(select(Person).where(Person.subject.in_(STUDENTS))).all()
    session.add_all(Grade(assignment_id=assignment.id, person_id=person.id, method="mean", total=30.0 + index,
                          attention=[]) for index, person in enumerate(people))
    session.commit()
    return instructor


def _postings_per_student(session: Session) -> Counter[int]:
    return Counter(see_committed(session).scalars(select(GradePosting.person_id)))


@pytest.fixture(params=["down", "frozen"])
def lms_with_a_broken_broker(request, session, tmp_path, database_url, sandbox_instance,
                             monkeypatch) -> Iterator[RunningLMS]:
    """The LMS, with a broker that refuses connections (down) or accepts them and never answers (frozen)."""
    port = _free_port() if request.param == "down" else request.getfixturevalue("frozen_port")
    # Celery prefers the CELERY_BROKER_URL of the environment (CI sets it) to the broker it is given.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    running = start_lms(session, lambda url: make_settings(tmp_path, database_url, url,
                                                             CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0",
                                                             RATE_LIMIT_STORAGE_URL="memory://"), sandbox_instance)
    yield running
    running.stop()


def _timed(send: Callable[[], Response]) -> tuple[Response, float]:
    started = time.monotonic()
    answer = send()
    return answer, time.monotonic() - started


@pytest.mark.slow
def test_release_answers_in_seconds_when_the_broker_is_down_or_frozen_and_the_sweep_sends_later(
        lms_with_a_broken_broker, session):
    instructor = _graded_class(lms_with_a_broken_broker, session)

    released, elapsed = _timed(lambda: instructor.post("/links/{link}/grades/release", {}))

    assert released.status_code == 200, page_text(released)[:500]
    assert elapsed < 15
    assert "sent to the gradebook shortly" in page_text(released)
    assert set(_postings_per_student(session).values()) == {1}
    # Never enqueued: the next sweep finds every row due and sends it.
    due = passback.sweep(see_committed(session), datetime.now(UTC))
    assert len(due) == len(STUDENTS)


@pytest.mark.slow
def test_roster_sync_with_the_broker_down_or_frozen_answers_a_page_that_says_to_try_again(
        lms_with_a_broken_broker, session):
    instructor = _graded_class(lms_with_a_broken_broker, session)

    synced, elapsed = _timed(lambda: instructor.post("/links/{link}/people/sync", {}))

    assert synced.status_code == 200 and elapsed < 15
    assert "try again in a few minutes" in page_text(synced)


def test_a_second_release_of_the_same_grades_sends_nothing_again(lms, session):
    instructor = _graded_class(lms, session)

    first = instructor.post("/links/{link}/grades/release", {})
    again = instructor.post("/links/{link}/grades/release", {})

    assert "3 grades released" in page_text(first)
    assert again.status_code == 200 and "No grade changed" in page_text(again)
    assert set(_postings_per_student(session).values()) == {1}


def test_a_changed_grade_is_released_again_alone(lms, session):
    instructor = _graded_class(lms, session)
    instructor.post("/links/{link}/grades/release", {})
    grade = see_committed(session).scalars(select(Grade)).first()
    grade.override_total, grade.override_reason = 49.0, "Oral exam"
    session.commit()

    again = instructor.post("/links/{link}/grades/release", {})

    assert "1 grade released" in page_text(again)
    assert sorted(_postings_per_student(session).values()) == [1, 1, 2]


def test_two_staff_releasing_at_the_same_moment_write_one_posting_per_student(lms, session, engine):
    _graded_class(lms, session)
    assignment_id = see_committed(session).scalars(select(Assignment.id)).one()
    factory = make_session_factory(engine)
    bind_vault(factory, TEST_KEY_VAULT)

    def release(own: Session, assignment_id: int) -> None:
        release_grades(own, assignment_id, datetime.now(UTC))
        time.sleep(0.3)  # hold the transaction open, as a slow request would
        own.commit()

    outcomes = all_at_once_in_sessions(factory, [assignment_id] * 2, release)

    assert errors_among(outcomes) == []
    assert set(_postings_per_student(session).values()) == {1}
    assert {p.status for p in see_committed(session).scalars(select(GradePosting))} <= {
        PostingStatus.PENDING, PostingStatus.POSTED}
