"""Static allocation serves students who hand in after it: a late arrival or an extended student gets k reviewers
for their work and reviews to do, from those who can still review, never their own."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from assessment.assignment_settings import AllocationMode
from assessment.db import make_session_factory
from assessment.errors import NothingToReview
from assessment.models import Assignment, Review, ReviewKind, ReviewStatus, Submission
from assessment.peer_review import ReviewerContext, allocate_statically, request_review, serve_latecomers
from assessment.personal_dates import Step
from assessment.services import SubmissionDeps
from assessment.storage import LocalDirectoryStorage
from tests.integration.test_extensions import DAY, NOW, _class, _extend, _hand_in
from tests.support.concurrency import all_at_once_in_sessions, errors_among
from tests.support.rows import see_committed
from tests.support.statements import statements_sent


@pytest.fixture
def deps(tmp_path) -> SubmissionDeps:
    return SubmissionDeps(storage=LocalDirectoryStorage(tmp_path), pseudonym_secret="secret")


def _static_class_allocated(session):
    """The class of test_extensions (six students, the last has handed in nothing, k = 2 and 2 reviews each),
    allocated statically when reviewing opened."""
    cohort, late, staff = _class(session)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id)
                    .values(allocation_mode=AllocationMode.STATIC))
    allocate_statically(session, cohort.assignment_id, NOW, seed=7)
    session.commit()
    return cohort, late, staff


def _active(session, assignment_id: int) -> list[tuple[int, int]]:
    return [(reviewer, author) for reviewer, author in session.execute(
        select(Review.reviewer_id, Submission.author_id).join(Submission, Submission.id == Review.submission_id)
        .where(Review.assignment_id == assignment_id, Review.kind == ReviewKind.PEER,
               Review.status.in_((ReviewStatus.ASSIGNED, ReviewStatus.SUBMITTED))))]


def test_an_extended_student_who_hands_in_after_the_allocation_is_reviewed_k_times_and_reviews(session, deps):
    cohort, late, staff = _static_class_allocated(session)
    _extend(session, cohort, late, staff, until=NOW + 2 * DAY)
    _hand_in(session, cohort, late, deps, NOW)

    handed = request_review(session, ReviewerContext(cohort.assignment_id, late, True), NOW)
    session.commit()

    pairs = _active(session, cohort.assignment_id)
    reviewers_of_late = [reviewer for reviewer, author in pairs if author == late]
    assert len(reviewers_of_late) == 2 == len(set(reviewers_of_late)) and late not in reviewers_of_late
    done_by_late = [author for reviewer, author in pairs if reviewer == late]
    assert len(done_by_late) == 2 and late not in done_by_late
    assert session.get(Submission, handed.submission_id).author_id in done_by_late
    # Every submission keeps at least k, and nobody reviews the same work twice.
    assert min(Counter(author for _, author in pairs).values()) == 2
    assert len(pairs) == len(set(pairs))
    loads = session.execute(select(Submission.author_id, Submission.review_load)
                            .where(Submission.assignment_id == cohort.assignment_id)).all()
    assert dict(loads) == dict(Counter(author for _, author in pairs))


def test_serving_latecomers_twice_adds_nothing_the_second_time(session, deps):
    cohort, late, staff = _static_class_allocated(session)
    _extend(session, cohort, late, staff, until=NOW + 2 * DAY)
    _hand_in(session, cohort, late, deps, NOW)

    first = serve_latecomers(session, cohort.assignment_id, NOW)
    session.commit()
    second = serve_latecomers(session, cohort.assignment_id, NOW)

    assert (first, second) == (4, 0)  # 2 reviewers of the late work, 2 reviews for its author


def test_after_the_class_deadline_only_students_still_reviewing_are_given_the_late_work(session, deps):
    cohort, late, staff = _static_class_allocated(session)
    _extend(session, cohort, late, staff, until=NOW + 3 * DAY)
    other = cohort.student_ids[0]
    _extend(session, cohort, other, staff, step=Step.REVIEW, until=NOW + 3 * DAY)
    after = NOW + 2 * DAY  # the class's reviewing closed a day ago
    _hand_in(session, cohort, late, deps, after)

    serve_latecomers(session, cohort.assignment_id, after)
    session.commit()

    pairs = _active(session, cohort.assignment_id)
    assert [reviewer for reviewer, author in pairs if author == late] == [other]  # the one who can still review
    assert len([author for reviewer, author in pairs if reviewer == late]) == 2  # they review until their own date


def test_a_student_allocated_their_reviews_is_given_nothing_more_and_is_told_why(session, deps):
    cohort, _, _ = _static_class_allocated(session)
    reviewer = cohort.student_ids[0]
    for review in session.scalars(select(Review).where(Review.reviewer_id == reviewer)):
        review.status = ReviewStatus.SUBMITTED
    session.commit()

    with pytest.raises(NothingToReview):
        request_review(session, ReviewerContext(cohort.assignment_id, reviewer, True), NOW)
    assert serve_latecomers(session, cohort.assignment_id, NOW) == 0


def test_serving_latecomers_from_several_requests_at_once_adds_each_review_once(session, engine, deps):
    cohort, late, staff = _static_class_allocated(session)
    _extend(session, cohort, late, staff, until=NOW + 2 * DAY)
    _hand_in(session, cohort, late, deps, NOW)
    factory = make_session_factory(engine)

    def serve(own: Session, _: int) -> int:
        added = serve_latecomers(own, cohort.assignment_id, NOW)
        own.commit()
        return added

    outcomes = all_at_once_in_sessions(factory, [1, 2, 3], serve)

    assert errors_among(outcomes) == [] and sorted(outcomes) == [0, 0, 4]
    pairs = _active(see_committed(session), cohort.assignment_id)
    assert len(pairs) == len(set(pairs)) == 5 * 2 + 4  # the allocation of the five on time, and the 4 added


def _holding_the_assignment_lock(engine, assignment_id: int):
    """Another request's transaction, holding the assignment's row as serving latecomers does while it adds reviews."""
    holder = make_session_factory(engine)()
    holder.execute(select(Assignment.id).where(Assignment.id == assignment_id).with_for_update())
    return holder


def test_serving_latecomers_with_nothing_to_serve_waits_for_no_lock(session, engine, deps):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite writes one transaction at a time")
    cohort, _, _ = _static_class_allocated(session)
    holder = _holding_the_assignment_lock(engine, cohort.assignment_id)
    try:
        # Waiting for the holder would end in a refusal after this long (without the lock, it never waits).
        session.execute(text("SET LOCAL lock_timeout = '2s'"))
        with statements_sent(engine) as sent:
            added = serve_latecomers(session, cohort.assignment_id, NOW)
        session.commit()
    finally:
        holder.rollback()
        holder.close()

    assert added == 0
    assert not [statement for statement in sent if statement.lstrip().upper().startswith("UPDATE")]


def test_a_students_request_for_work_in_static_mode_waits_for_no_other_request(session, engine, deps):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite writes one transaction at a time")
    cohort, _, _ = _static_class_allocated(session)
    # A student whose allocated reviews staff handed to classmates, and who once held every other work (their leases
    # ran out): every work keeps its k reviewers and nothing is left for them, each time they ask.
    reviewer = cohort.student_ids[0]
    for review in session.scalars(select(Review).where(Review.reviewer_id == reviewer)).all():
        taken = set(session.scalars(select(Review.reviewer_id).where(Review.submission_id == review.submission_id)))
        author = session.get(Submission, review.submission_id).author_id
        review.reviewer_id = next(student for student in cohort.student_ids
                                  if student not in taken | {author, reviewer})
    session.flush()
    for submission in session.scalars(select(Submission.id).where(Submission.assignment_id == cohort.assignment_id,
                                                                  Submission.author_id != reviewer)):
        session.add(Review(assignment_id=cohort.assignment_id, submission_id=submission, reviewer_id=reviewer,
                           kind=ReviewKind.PEER, status=ReviewStatus.EXPIRED, assigned_at=NOW,
                           selections={}, comments={}))
    session.commit()
    assert serve_latecomers(session, cohort.assignment_id, NOW) == 0
    session.commit()
    holder = _holding_the_assignment_lock(engine, cohort.assignment_id)
    try:
        session.execute(text("SET LOCAL lock_timeout = '2s'"))
        with pytest.raises(NothingToReview):
            request_review(session, ReviewerContext(cohort.assignment_id, reviewer, True), NOW)
        session.rollback()
    finally:
        holder.rollback()
        holder.close()
