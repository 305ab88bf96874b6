"""Flexible grading: some days after the review deadline, work short of reviews is graded from the reviews it has,
flagged for triage but not held; work with no review still waits for staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from celery import Celery
from sqlalchemy import insert, select, update

from assessment.grading import FEWER_REVIEWS
from assessment.grading_run import run_grading
from assessment.models import Assignment, Grade, Review, ReviewKind, ReviewStatus
from assessment.progress import student_rows, triage
from config.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.cohort import CRITERION, Cohort, create_cohort
from workers.celery_app import make_celery

# Work 0 has 2 of its 3 reviews, work 1 none, works 2 to 5 all 3: (reviewer, work) pairs.
REVIEWS = [(1, 0), (2, 0)] + [((work + step) % 6, work) for work in (2, 3, 4, 5) for step in (1, 2, 3)]


def _graded(session, flexible_days: int | None, days_since_deadline: float
            ) -> tuple[dict[int, Grade], dict[int, list[str] | None]]:
    now = datetime.now(UTC)
    cohort = create_cohort(session, 6, reviews_per_submission=3, reviews_per_student=3, now=now)
    session.execute(insert(Review), [
        {"assignment_id": cohort.assignment_id, "submission_id": cohort.submission_ids[work],
         "reviewer_id": cohort.student_ids[reviewer], "kind": ReviewKind.PEER, "status": ReviewStatus.SUBMITTED,
         "assigned_at": now, "submitted_at": now, "selections": {CRITERION: 2.0}, "comments": {}, "score": 10.0,
         "beyond_quota": False} for reviewer, work in REVIEWS])
    deadline = now - timedelta(days=days_since_deadline)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        review_opens=deadline - timedelta(days=3), review_due=deadline, results_release=now + timedelta(days=5),
        phase_override=None, flexible_grading_days=flexible_days))
    session.commit()
    ran = run_grading(session, cohort.assignment_id, now, "mean")
    session.commit()
    by_person = {grade.person_id: grade for grade in session.scalars(select(Grade))}
    graded = {index: by_person[student] for index, student in enumerate(cohort.student_ids)}
    assignment = session.get(Assignment, cohort.assignment_id)
    in_triage = {row.person_id: row.doubts for row in triage(student_rows(session, assignment, now))}
    # What the run tells staff ("N grades need your attention") holds a grade as its stored row does.
    assert {item.person_id: item.held for item in ran} == {person: grade.held for person, grade in by_person.items()}
    return graded, {index: in_triage.get(student) for index, student in enumerate(cohort.student_ids)}


def test_without_flexible_grading_work_short_of_reviews_is_held(session):
    grades, _ = _graded(session, None, 30)

    assert grades[0].attention == ["too few reviews"] and grades[0].held is True
    assert grades[1].attention == ["too few reviews"] and grades[1].held is True
    assert grades[2].attention == [] and grades[2].held is False


@pytest.mark.parametrize("days_since_deadline", [2.0, 2.5])
def test_once_the_days_have_passed_work_with_some_reviews_is_graded_flagged_and_not_held(session,
                                                                                        days_since_deadline):
    grades, in_triage = _graded(session, 2, days_since_deadline)

    assert grades[0].attention == [FEWER_REVIEWS] and grades[0].held is False
    assert grades[0].submission_score == pytest.approx(10.0)
    assert in_triage[0] == [FEWER_REVIEWS] and in_triage[2] is None  # flagged for staff to check
    # Work with no review is never graded from nothing: it stays held for staff.
    assert grades[1].attention == ["too few reviews"] and grades[1].held is True


def test_before_the_days_have_passed_work_short_of_reviews_is_still_held(session):
    grades, _ = _graded(session, 2, 1.99)

    assert grades[0].attention == ["too few reviews"] and grades[0].held is True


def _graded_at_the_deadline(session, flexible_days: int | None, days_since_deadline: float) -> Cohort:
    """The class of `_graded`, its deadline `days_since_deadline` ago, graded once by the beat just after it."""
    now = datetime.now(UTC)
    cohort = create_cohort(session, 6, reviews_per_submission=3, reviews_per_student=3, now=now)
    session.execute(insert(Review), [
        {"assignment_id": cohort.assignment_id, "submission_id": cohort.submission_ids[work],
         "reviewer_id": cohort.student_ids[reviewer], "kind": ReviewKind.PEER, "status": ReviewStatus.SUBMITTED,
         "assigned_at": now, "submitted_at": now, "selections": {CRITERION: 2.0}, "comments": {}, "score": 10.0,
         "beyond_quota": False} for reviewer, work in REVIEWS])
    deadline = now - timedelta(days=days_since_deadline)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        review_opens=deadline - timedelta(days=3), review_due=deadline, results_release=now + timedelta(days=5),
        phase_override=None, flexible_grading_days=flexible_days))
    session.commit()
    run_grading(session, cohort.assignment_id, deadline + timedelta(minutes=5), "mean")
    session.commit()
    return cohort


def _beat(database_url: str, tmp_path) -> Celery:
    return make_celery(Settings.from_env({"PEERLTI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET,
                                          "DATABASE_URL": database_url}))


def _held_work(session, cohort: Cohort) -> dict[int, tuple[list[str], bool]]:
    session.expire_all()
    grades = {grade.person_id: grade for grade in session.scalars(select(Grade))}
    return {index: (grades[student].attention, grades[student].held) for index, student in
            enumerate(cohort.student_ids[:2])}


def test_when_the_days_pass_the_beat_grades_work_short_of_reviews_once_flagged_and_not_held(
        session, database_url, tmp_path):
    cohort = _graded_at_the_deadline(session, 2, 2.01)
    assert _held_work(session, cohort)[0] == (["too few reviews"], True)  # as graded at the deadline
    celery = _beat(database_url, tmp_path)
    beat = celery.tasks["peerlti.grade_due_assignments"]

    assert beat.delay().get() == 1
    assert beat.delay().get() == 0  # graded since the days passed: a second beat has nothing to do
    celery.close()

    held = _held_work(session, cohort)
    assert held[0] == ([FEWER_REVIEWS], False)
    assert held[1] == (["too few reviews"], True)  # no review at all: still waits for staff


@pytest.mark.parametrize("flexible_days", [None, 2])
def test_the_beat_leaves_grades_of_the_deadline_alone_until_the_days_pass(session, database_url, tmp_path,
                                                                         flexible_days):
    cohort = _graded_at_the_deadline(session, flexible_days, 1.99)
    celery = _beat(database_url, tmp_path)

    assert celery.tasks["peerlti.grade_due_assignments"].delay().get() == 0
    celery.close()

    assert _held_work(session, cohort)[0] == (["too few reviews"], True)
