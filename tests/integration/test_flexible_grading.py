"""Flexible grading: some days after the review deadline, work short of reviews is graded from the reviews it has,
flagged for triage but not held; work with no review still waits for staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from assessment.grading import FEWER_REVIEWS
from assessment.grading_run import run_grading
from assessment.models import Assignment, Grade, Review, ReviewKind, ReviewStatus
from assessment.progress import student_rows, triage
from tests.support.cohort import CRITERION, create_cohort

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
