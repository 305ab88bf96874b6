"""Staff's "Run grading" runs once at a time per assignment: two tabs, or a tab and the schedule, give one run."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import select

import lti_tool.views.grading
import workers.tasks
from assessment.models import Assignment, Grade
from config.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, open_new_activity, page_text
from workers.celery_app import make_celery

STUDENTS = ("student-1", "student-2", "student-3")
COMPUTED = "Grades computed for 3 students"
ALREADY = "Grades are already being computed for this activity"


@pytest.fixture
def postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("one run at a time is PostgreSQL's advisory lock; SQLite runs one writer at a time")


def _class_to_grade(lms, session) -> tuple[Visitor, int]:
    instructor = open_new_activity(lms, STUDENTS)
    return instructor, see_committed(session).scalars(select(Assignment.id)).one()


def _slowed(monkeypatch: pytest.MonkeyPatch, module, runs: list[int]) -> None:
    """Make `module`'s grading run hold its transaction open after computing, as a large class would."""
    real_run: Callable = module.run_grading

    def slow_run(*args, **kwargs):
        runs.append(args[1])
        grades = real_run(*args, **kwargs)
        time.sleep(1)  # the other run starts meanwhile
        return grades

    monkeypatch.setattr(module, "run_grading", slow_run)


def _grades_per_student(session) -> Counter[int]:
    return Counter(see_committed(session).scalars(select(Grade.person_id)))


def test_staff_pressing_run_grading_in_two_tabs_at_once_get_one_run_and_a_clear_page_each(
    postgres_only, lms, session, monkeypatch
):
    instructor, _ = _class_to_grade(lms, session)
    runs: list[int] = []
    _slowed(monkeypatch, lti_tool.views.grading, runs)
    barrier = threading.Barrier(2)
    pages: list[tuple[int, str]] = []

    def press() -> None:
        tab = Visitor(lms, "instructor-1", browser=instructor.browser, link_id=instructor.link_id,
                      _csrf=instructor.csrf_token())
        barrier.wait()
        response = tab.post("/links/{link}/grades/run", {"method": "mean"})
        pages.append((response.status_code, page_text(response)))

    tabs = [threading.Thread(target=press) for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join(timeout=30)

    assert [status for status, _ in pages] == [200, 200], pages
    assert sorted(COMPUTED in text for _, text in pages) == [False, True]
    assert sorted(ALREADY in text for _, text in pages) == [False, True]
    assert len(runs) == 1
    assert set(_grades_per_student(session).values()) == {1} and len(_grades_per_student(session)) == len(STUDENTS)


def test_staff_pressing_run_grading_while_the_scheduled_run_grades_get_told_and_nothing_doubles(
    postgres_only, lms, session, database_url, tmp_path, monkeypatch
):
    instructor, assignment_id = _class_to_grade(lms, session)
    scheduled_runs: list[int] = []
    _slowed(monkeypatch, workers.tasks, scheduled_runs)
    celery = make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path / "worker"),
                                            "SECRET_KEY": TEST_SECRET, "DATABASE_URL": database_url}))
    outcome: list[object] = []
    scheduled = threading.Thread(target=lambda: outcome.append(
        celery.tasks["peerlti.run_grading"].apply(args=(assignment_id,)).result))
    scheduled.start()
    deadline = time.monotonic() + 10
    while not scheduled_runs and time.monotonic() < deadline:
        time.sleep(0.01)  # until the scheduled run holds the assignment's lock
    assert scheduled_runs, "the scheduled run never started"

    pressed = instructor.post("/links/{link}/grades/run", {"method": "mean"})
    scheduled.join(timeout=30)
    celery.close()

    assert pressed.status_code == 200
    assert ALREADY in page_text(pressed) and COMPUTED not in page_text(pressed)
    assert outcome == [len(STUDENTS)]
    assert set(_grades_per_student(session).values()) == {1} and len(_grades_per_student(session)) == len(STUDENTS)


def test_run_grading_pressed_again_after_a_run_has_finished_computes_again(lms, session):
    instructor, _ = _class_to_grade(lms, session)

    first = instructor.post("/links/{link}/grades/run", {"method": "mean"})
    again = instructor.post("/links/{link}/grades/run", {"method": "mean"})

    assert COMPUTED in page_text(first) and COMPUTED in page_text(again)
    assert set(_grades_per_student(session).values()) == {1}
