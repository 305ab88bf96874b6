"""At the review deadline the scheduled task grades each assignment once."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import workers.tasks
from assessment.assignment_settings import default_settings
from assessment.grading_run import run_grading
from assessment.models import Assignment, Course, Enrollment, Extension, Grade, GradingRun, Person
from assessment.personal_dates import Step
from assessment.services import create_assignment, set_phase
from config.settings import Settings
from lti_tool.registry import PlatformSpec, register_platform
from tests.conftest import TEST_SECRET
from tests.support.concurrency import all_at_once
from workers.celery_app import make_celery
from workers.locks import try_lock
from workers.schedule import BEAT_SCHEDULE


def _assignment_due(session, due_ago: timedelta, *, opened: bool = True) -> int:
    platform = register_platform(session, PlatformSpec("LMS", "https://lms.example", "c", "https://lms.example/a",
                                                       "https://lms.example/t", "https://lms.example/k"))
    course = Course(platform_id=platform.id, context_id="c1")
    student = Person(platform_id=platform.id, subject="s1")
    session.add_all([course, student])
    session.flush()
    session.add(Enrollment(person_id=student.id, course_id=course.id, role="student"))
    now = datetime.now(UTC)
    settings = default_settings("Essay", now - timedelta(days=30))
    timeline = replace(settings.timeline, review_due=now - due_ago, results_release=now + timedelta(days=1))
    assignment = create_assignment(session, course.id, replace(settings, timeline=timeline))
    if opened:  # a new activity waits in setup until staff open it; opened, it follows its dates
        set_phase(session, assignment.id, None)
    session.commit()
    return assignment.id


def test_assignments_past_their_review_deadline_are_graded_once(session, database_url, tmp_path):
    assignment_id = _assignment_due(session, timedelta(hours=1))
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))
    sweep = celery.tasks["peerlti.grade_due_assignments"]

    assert sweep.delay().get() == 1
    assert sweep.delay().get() == 0  # graded after the deadline already
    session.expire_all()
    grades = session.scalars(select(Grade).where(Grade.assignment_id == assignment_id)).all()
    assert len(grades) == 1 and grades[0].total == 0  # no work handed in
    celery.close()


def test_an_activity_never_opened_is_not_graded_when_its_review_deadline_passes(session, database_url, tmp_path):
    held = _assignment_due(session, timedelta(hours=1), opened=False)
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))

    assert celery.tasks["peerlti.grade_due_assignments"].delay().get() == 0

    assert session.scalars(select(Grade).where(Grade.assignment_id == held)).all() == []
    celery.close()


def test_missing_work_gets_no_grade_when_the_assignment_says_so(session, database_url, tmp_path):
    assignment_id = _assignment_due(session, timedelta(hours=1))
    session.get(Assignment, assignment_id).zero_for_missing_work = False
    session.commit()
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))

    celery.tasks["peerlti.run_grading"].delay(assignment_id).get()

    session.expire_all()
    assert session.scalars(select(Grade).where(Grade.assignment_id == assignment_id)).all() == []
    celery.close()


def test_grading_scheduled_twice_at_once_by_two_beats_runs_once(session, database_url, tmp_path, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("the lock of scheduled tasks is PostgreSQL's; SQLite runs one writer at a time")
    _assignment_due(session, timedelta(hours=1))
    runs: list[int] = []
    real_run = workers.tasks.run_grading

    def slow_run(*args, **kwargs):
        runs.append(args[1])
        time.sleep(0.5)  # both beats' tasks are inside their transaction by now
        return real_run(*args, **kwargs)

    monkeypatch.setattr(workers.tasks, "run_grading", slow_run)
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))
    results = all_at_once(2, lambda _: celery.tasks["peerlti.grade_due_assignments"].apply().result)
    celery.close()

    assert sorted(results, key=str) == [0, 1]
    assert len(runs) == 1


# Every job the beat sends, and the lock it takes; the nonce clean-up takes none (a second delete finds nothing).
LOCKED_BEAT_JOBS = {"peerlti.sweep_grade_postings": "sweep_grade_postings",
                    "peerlti.sweep_file_checks": "sweep_file_checks",
                    "peerlti.reclaim_expired_leases": "reclaim_expired_leases",
                    "peerlti.grade_due_assignments": "grade_due_assignments", "peerlti.sync_all_rosters": "sync_all_rosters"}


def test_every_scheduled_job_but_the_nonce_clean_up_takes_a_lock_a_second_beat_finds_taken():
    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    # Reminders take their lock only when e-mail is on: the next test.
    assert scheduled == set(LOCKED_BEAT_JOBS) | {"peerlti.forget_expired_nonces", "peerlti.send_reminders"}


def test_reminders_sent_by_a_second_beat_while_the_first_runs_send_nothing(session, database_url, tmp_path, caplog):
    if not database_url.startswith("postgresql"):
        pytest.skip("the lock of scheduled tasks is PostgreSQL's; SQLite runs one writer at a time")
    # No server listens on port 9: a run that got past the lock would record a failed delivery, not a skip.
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url, "SMTP_URL": "smtp://127.0.0.1:9"}))
    assert try_lock(session, "send_reminders")  # the first beat's run, inside its transaction
    try:
        with caplog.at_level(logging.INFO, logger="workers.tasks"):
            result = celery.tasks["peerlti.send_reminders"].apply().result
    finally:
        session.rollback()
        celery.close()

    assert result == {"sent": 0, "failed": 0, "no_address": 0, "busy": 1}
    assert "send_reminders is already running elsewhere; skipped" in caplog.text


@pytest.mark.parametrize(("task", "lock"), sorted(LOCKED_BEAT_JOBS.items()))
def test_a_scheduled_job_sent_by_a_second_beat_while_the_first_runs_does_nothing(
        task, lock, session, database_url, tmp_path, caplog):
    if not database_url.startswith("postgresql"):
        pytest.skip("the lock of scheduled tasks is PostgreSQL's; SQLite runs one writer at a time")
    _assignment_due(session, timedelta(hours=1))  # work there is for grade_due_assignments
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))
    assert try_lock(session, lock)  # the first beat's run, inside its transaction
    try:
        with caplog.at_level(logging.INFO, logger="workers.tasks"):
            result = celery.tasks[task].apply().result
    finally:
        session.rollback()
        celery.close()

    assert result == 0
    assert f"{lock} is already running elsewhere; skipped" in caplog.text


def _graded_at_the_deadline_without_an_extended_student(session, own_due_from_now: timedelta
                                                        ) -> tuple[int, list[int]]:
    """A class of two: one student's review step runs until `own_due_from_now`; the class's deadline passed a day ago
    and the beat graded the class then (the extended student's grade waited)."""
    assignment_id = _assignment_due(session, timedelta(days=1))
    assignment = session.get(Assignment, assignment_id)
    student = session.scalar(select(Enrollment.person_id).where(Enrollment.course_id == assignment.course_id))
    classmate = Person(platform_id=session.get(Person, student).platform_id, subject="s2")
    session.add(classmate)
    session.flush()
    session.add(Enrollment(person_id=classmate.id, course_id=assignment.course_id, role="student"))
    now = datetime.now(UTC)
    session.add(Extension(assignment_id=assignment_id, person_id=student, step=Step.REVIEW,
                          until=now + own_due_from_now, from_lms=False, reason="Illness", granted_at=now))
    session.commit()
    graded = run_grading(session, assignment_id, assignment.review_due + timedelta(minutes=5))
    session.commit()
    assert [grade.person_id for grade in graded] == [classmate.id]
    return assignment_id, sorted([student, classmate.id])


def test_when_a_students_extension_ends_the_beat_grades_them_once(session, database_url, tmp_path):
    assignment_id, students = _graded_at_the_deadline_without_an_extended_student(session, -timedelta(minutes=1))
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))
    beat = celery.tasks["peerlti.grade_due_assignments"]

    assert beat.delay().get() == 1
    assert beat.delay().get() == 0
    celery.close()

    session.expire_all()
    graded = session.scalars(select(Grade.person_id).where(Grade.assignment_id == assignment_id)).all()
    assert sorted(graded) == students


def test_while_a_students_extension_runs_the_beat_does_not_grade_again(session, database_url, tmp_path):
    _graded_at_the_deadline_without_an_extended_student(session, timedelta(minutes=10))
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))

    assert celery.tasks["peerlti.grade_due_assignments"].delay().get() == 0
    celery.close()


def _beats_with_every_student_waiting(session, database_url, tmp_path, monkeypatch) -> tuple[list[int], list[int]]:
    """A class of one whose student's review step runs for ten minutes more: grading at the deadline graded nobody.
    Two beats with nothing changed: what each returned, and the grading runs they set off."""
    assignment_id = _assignment_due(session, timedelta(hours=1))
    student = session.scalar(select(Enrollment.person_id).where(
        Enrollment.course_id == session.get(Assignment, assignment_id).course_id))
    now = datetime.now(UTC)
    session.add(Extension(assignment_id=assignment_id, person_id=student, step=Step.REVIEW,
                          until=now + timedelta(minutes=10), from_lms=False, reason="Illness", granted_at=now))
    session.commit()
    runs: list[int] = []
    real_run = workers.tasks.run_grading

    def counted_run(*args, **kwargs):
        runs.append(args[1])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(workers.tasks, "run_grading", counted_run)
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))
    beat = celery.tasks["peerlti.grade_due_assignments"]
    results = [beat.delay().get(), beat.delay().get()]
    celery.close()
    return results, runs


def test_while_every_student_waits_on_an_extension_a_second_beat_runs_no_grading(
        session, database_url, tmp_path, monkeypatch):
    results, runs = _beats_with_every_student_waiting(session, database_url, tmp_path, monkeypatch)

    assert results == [1, 0]
    assert len(runs) == 1
    assert session.scalars(select(Grade)).all() == []  # the student's grade still waits for their extension


def test_missing_work_without_a_grade_is_not_graded_again_by_every_beat(session, database_url, tmp_path, monkeypatch):
    assignment_id = _assignment_due(session, timedelta(hours=1))
    session.get(Assignment, assignment_id).zero_for_missing_work = False  # the run writes no grade at all
    session.commit()
    runs: list[int] = []
    real_run = workers.tasks.run_grading
    monkeypatch.setattr(workers.tasks, "run_grading", lambda *args, **kwargs: runs.append(args[1]) or real_run(
        *args, **kwargs))
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))
    beat = celery.tasks["peerlti.grade_due_assignments"]

    assert [beat.delay().get(), beat.delay().get()] == [1, 0]
    celery.close()
    assert runs == [assignment_id]


def test_a_student_whose_extension_ends_after_a_run_that_graded_nobody_is_graded_once(
        session, database_url, tmp_path, monkeypatch):
    _, runs = _beats_with_every_student_waiting(session, database_url, tmp_path, monkeypatch)
    # Time passes: the beats above ran two minutes ago, and the extension ended a minute ago.
    now = datetime.now(UTC)
    session.scalars(select(GradingRun)).one().ran_at = now - timedelta(minutes=2)
    session.scalars(select(Extension)).one().until = now - timedelta(minutes=1)
    session.commit()
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))
    beat = celery.tasks["peerlti.grade_due_assignments"]

    assert [beat.delay().get(), beat.delay().get()] == [1, 0]
    celery.close()
    assert len(runs) == 2
    session.expire_all()
    assert len(session.scalars(select(Grade)).all()) == 1


def test_a_grade_changed_by_staff_after_an_extension_ended_does_not_pass_for_the_grading_it_owes(
        session, database_url, tmp_path):
    assignment_id, students = _graded_at_the_deadline_without_an_extended_student(session, -timedelta(minutes=1))
    # Staff set a member's contribution factor a moment ago: their grade is written again (its computed_at), but the
    # extended student's grade, owed since their extension ended, was not computed.
    session.scalars(select(Grade)).one().computed_at = datetime.now(UTC)
    session.commit()
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                            "DATABASE_URL": database_url}))

    assert celery.tasks["peerlti.grade_due_assignments"].delay().get() == 1
    celery.close()
    session.expire_all()
    assert sorted(session.scalars(select(Grade.person_id).where(Grade.assignment_id == assignment_id))) == students
