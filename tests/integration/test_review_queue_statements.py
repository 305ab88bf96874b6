"""The review queue's cost per request: a fixed, small number of statements, whatever the class size."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from assessment.models import Review, SubmissionVersion
from assessment.peer_review import ReviewerContext, request_review
from tests.support.cohort import create_cohort
from tests.support.statements import statements_sent


def test_handing_out_a_review_takes_three_statements_in_a_small_and_a_ten_times_larger_class(engine, session):
    for students in (12, 120):
        cohort = create_cohort(session, students, reviews_per_submission=2, reviews_per_student=2)
        reviewer = cohort.student_ids[-1]
        with statements_sent(engine) as sent:
            handed = request_review(session, ReviewerContext(cohort.assignment_id, reviewer, True), datetime.now(UTC))
        session.commit()
        assert len(sent) == 3, sent
        review = session.get(Review, handed.id)
        assert review is not None and review.reviewer_id == reviewer
        # The oldest submission, with the version it has now: what the single insert looked up for itself.
        assert handed.submission_id == review.submission_id == cohort.submission_ids[0]
        assert review.submission_version_id == session.scalar(
            select(SubmissionVersion.id).where(SubmissionVersion.submission_id == cohort.submission_ids[0]))


def test_asking_again_while_holding_a_review_serves_it_with_one_more_statement(engine, session):
    cohort = create_cohort(session, 12, reviews_per_submission=2, reviews_per_student=2)
    asking = ReviewerContext(cohort.assignment_id, cohort.student_ids[3], True)
    first = request_review(session, asking, datetime.now(UTC))
    session.commit()
    with statements_sent(engine) as sent:
        again = request_review(session, asking, datetime.now(UTC))
    assert again == first
    assert len(sent) == 2
