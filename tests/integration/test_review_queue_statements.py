"""The review queue's cost per request: a fixed, small number of statements, whatever the class size."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text, update

from assessment.models import Review, ReviewStatus, Submission, SubmissionVersion
from assessment.peer_review import (
    ReviewerContext,
    _claim_and_review_statement,
    _standing_statement,
    request_review,
)
from tests.support.cohort import create_cohort
from tests.support.statements import statements_sent


def _handing_out(engine: Engine) -> int:
    # PostgreSQL claims and inserts in one statement (a data-changing WITH); SQLite has no such WITH and sends two.
    return 2 if engine.dialect.name == "postgresql" else 3


def test_handing_out_a_review_takes_two_statements_in_a_small_and_a_ten_times_larger_class(engine, session):
    for students in (12, 120):
        cohort = create_cohort(session, students, reviews_per_submission=2, reviews_per_student=2)
        reviewer = cohort.student_ids[-1]
        with statements_sent(engine) as sent:
            handed = request_review(session, ReviewerContext(cohort.assignment_id, reviewer, True), datetime.now(UTC))
        session.commit()
        assert len(sent) == _handing_out(engine), sent
        review = session.get(Review, handed.id)
        assert review is not None and review.reviewer_id == reviewer
        # The oldest submission, with the version it has now: what the single insert looked up for itself.
        assert handed.submission_id == review.submission_id == cohort.submission_ids[0]
        assert review.submission_version_id == session.scalar(
            select(SubmissionVersion.id).where(SubmissionVersion.submission_id == cohort.submission_ids[0]))
        assert review.beyond_quota is False and review.lease_expires_at is not None
        assert session.get(Submission, cohort.submission_ids[0]).review_load == 1


def test_the_review_handed_out_assesses_the_latest_of_several_versions(engine, session):
    cohort = create_cohort(session, 4, reviews_per_submission=2, reviews_per_student=2)
    oldest = cohort.submission_ids[0]
    first = session.scalar(select(SubmissionVersion).where(SubmissionVersion.submission_id == oldest))
    later = SubmissionVersion(submission_id=oldest, number=2, text_html="<p>Second</p>", submitted_at=datetime.now(UTC),
                              is_late=False, late_penalty=0.0)
    session.add(later)
    session.commit()
    handed = request_review(session, ReviewerContext(cohort.assignment_id, cohort.student_ids[-1], True),
                            datetime.now(UTC))
    session.commit()
    assert handed.submission_id == oldest
    assert session.get(Review, handed.id).submission_version_id == later.id != first.id


def test_when_every_submission_has_k_the_failed_claim_leaves_nothing_and_one_review_is_served_beyond_k(session):
    cohort = create_cohort(session, 4, reviews_per_submission=1, reviews_per_student=2)
    for reviewer in cohort.student_ids:
        handed = request_review(session, ReviewerContext(cohort.assignment_id, reviewer, True), datetime.now(UTC))
        session.execute(update(Review).where(Review.id == handed.id).values(status=ReviewStatus.SUBMITTED,
                                                                            submitted_at=datetime.now(UTC)))
        session.commit()
    assert sorted(session.scalars(select(Submission.review_load))) == [1, 1, 1, 1]
    # Every submission is at k: the claim under k finds nothing and must leave no review or load behind.
    asking = cohort.student_ids[0]
    beyond = request_review(session, ReviewerContext(cohort.assignment_id, asking, True), datetime.now(UTC))
    session.commit()
    reviews = session.scalars(select(Review).order_by(Review.id)).all()
    assert [review.beyond_quota for review in reviews] == [False, False, False, False, True]
    assert reviews[-1].id == beyond.id and reviews[-1].reviewer_id == asking
    # The oldest of the work they have neither written nor reviewed (their first review took the second's).
    assert beyond.submission_id == reviews[-1].submission_id == cohort.submission_ids[2]
    assert list(session.scalars(select(Submission.review_load).order_by(Submission.id))) == [1, 1, 2, 1]


def test_asking_again_while_holding_a_review_serves_it_with_one_statement(engine, session):
    cohort = create_cohort(session, 12, reviews_per_submission=2, reviews_per_student=2)
    asking = ReviewerContext(cohort.assignment_id, cohort.student_ids[3], True)
    first = request_review(session, asking, datetime.now(UTC))
    session.commit()
    with statements_sent(engine) as sent:
        again = request_review(session, asking, datetime.now(UTC))
    assert again == first
    assert len(sent) == 1


def test_the_queue_statements_write_their_limit_so_postgresql_can_plan_them_once(engine):
    # A LIMIT sent as a parameter makes PostgreSQL plan each claim afresh (its plan for any LIMIT looks dear).
    for statement in (_standing_statement(), _claim_and_review_statement(True), _claim_and_review_statement(False)):
        sql = str(statement.compile(dialect=engine.dialect))
        assert sql.count("LIMIT 1") == sql.count("LIMIT") > 0, sql


def test_postgresql_reuses_one_plan_for_the_claim_of_every_request(engine, session):
    if engine.dialect.name != "postgresql":
        pytest.skip("plans of prepared statements are PostgreSQL's")
    # Large enough, with its statistics, for the planner to weigh a LIMIT it cannot see as it does in a real class.
    cohort = create_cohort(session, 2000, reviews_per_submission=2, reviews_per_student=2)
    session.execute(text("ANALYZE"))
    session.commit()
    connection = session.connection()  # one connection throughout: prepared statements are per connection
    for reviewer in cohort.student_ids[:12]:
        request_review(session, ReviewerContext(cohort.assignment_id, reviewer, True), datetime.now(UTC))
    plans = connection.exec_driver_sql("SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                                       " WHERE starts_with(statement, 'WITH claimed AS')").one()
    session.rollback()
    # psycopg prepares a statement on its sixth run; PostgreSQL then tries five custom plans before its generic one.
    assert plans == (2, 5)
