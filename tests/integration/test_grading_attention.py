"""What a grading run holds for staff on account of uncertainty: estimates much less certain than the class's."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from assessment.grading_run import run_grading
from assessment.models import Grade, Review, Submission
from tests.support.graded_class import graded_cohort

NOW = datetime.now(UTC)


def _attention(session, cohort) -> dict[int, list[str]]:
    run_grading(session, cohort.assignment_id, NOW, "mean")
    grades = session.scalars(select(Grade).where(Grade.assignment_id == cohort.assignment_id))
    return {grade.person_id: list(grade.attention) for grade in grades}


def _rescore(session, cohort, author: int, scores: tuple[float, ...]) -> None:
    rows = session.scalars(select(Review).join(Submission, Review.submission_id == Submission.id)
                           .where(Submission.author_id == author).order_by(Review.id)).all()
    for review, score in zip(rows, scores, strict=True):
        review.score = score
    session.flush()


def test_work_much_less_certain_than_its_classmates_is_held_though_its_std_is_under_a_tenth_of_the_scale(session):
    cohort = graded_cohort(session, 12, NOW, lenient_by=0.0)
    doubtful = cohort.student_ids[5]
    _rescore(session, cohort, doubtful, (4.0, 5.5, 7.0))  # sd 1.5 against 0 elsewhere: std 0.6 of 10

    attention = _attention(session, cohort)
    grade = session.scalars(select(Grade).where(Grade.person_id == doubtful)).one()

    assert 0.5 < grade.submission_std < 1.0
    assert "wide uncertainty" in attention[doubtful]
    assert all(reasons == [] for person, reasons in attention.items() if person != doubtful)


def test_work_about_as_certain_as_its_classmates_is_not_held(session):
    cohort = graded_cohort(session, 12, NOW, lenient_by=0.0)
    for author in cohort.student_ids:
        _rescore(session, cohort, author, (4.0, 5.0, 6.0))

    assert all(reasons == [] for reasons in _attention(session, cohort).values())
