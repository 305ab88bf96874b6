"""At the review deadline the scheduled task grades each assignment once."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import workers.tasks
from assessment.assignment_settings import default_settings
from assessment.models import Course, Enrollment, Grade, Person
from assessment.services import create_assignment, set_phase
from config.settings import Settings
from lti_tool.registry import PlatformSpec, register_platform
from tests.conftest import TEST_SECRET
from tests.support.concurrency import all_at_once
from workers.celery_app import make_celery


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
    from assessment.models import Assignment

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
