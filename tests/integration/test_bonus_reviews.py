"""Bonus reviews: offered to a reviewer who did their quota, only for work short of its k reviews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from assessment.errors import NothingToReview
from assessment.grading_run import run_grading
from assessment.models import Assignment, Extension, Grade, Review, ReviewKind, ReviewStatus, Submission
from assessment.peer_review import ReviewerContext, request_bonus_review, request_review
from assessment.personal_dates import Step
from assessment.phases import Phase
from tests.support.cohort import CRITERION, create_cohort


def _submitted(cohort, reviewer: int, submission: int, now: datetime) -> dict:
    return {"assignment_id": cohort.assignment_id, "submission_id": cohort.submission_ids[submission],
            "reviewer_id": cohort.student_ids[reviewer], "kind": ReviewKind.PEER, "status": ReviewStatus.SUBMITTED,
            "assigned_at": now, "submitted_at": now, "selections": {CRITERION: 2.0}, "comments": {}, "score": 5.0,
            "beyond_quota": False}


def _class_with_reviews(session, done: list[tuple[int, int]]):
    """Four students, k = 1 and one review each; `done`: (reviewer, submission) reviews already submitted."""
    now = datetime.now(UTC)
    cohort = create_cohort(session, 4, reviews_per_submission=1, reviews_per_student=1, now=now)
    if done:
        session.execute(insert(Review), [_submitted(cohort, reviewer, submission, now) for reviewer, submission in done])
        for _, submission in done:
            session.execute(update(Submission).where(Submission.id == cohort.submission_ids[submission])
                            .values(review_load=Submission.review_load + 1))
    session.commit()
    return cohort, now


def _asking(cohort, student: int) -> ReviewerContext:
    return ReviewerContext(cohort.assignment_id, cohort.student_ids[student], True)


def test_a_reviewer_who_did_their_quota_takes_a_bonus_review_of_work_short_of_reviews(session):
    cohort, now = _class_with_reviews(session, [(0, 1)])

    handed = request_bonus_review(session, _asking(cohort, 0), now)
    session.commit()

    review = session.get(Review, handed.id)
    # Not their own (0), not one they reviewed (1): the oldest work with no review.
    assert handed.submission_id == cohort.submission_ids[2]
    assert review.bonus is True and review.beyond_quota is False and review.status is ReviewStatus.ASSIGNED
    assert session.get(Submission, cohort.submission_ids[2]).review_load == 1
    # Asking again serves the bonus review held.
    assert request_bonus_review(session, _asking(cohort, 0), now) == handed


def test_a_reviewer_with_reviews_still_owed_is_not_offered_a_bonus_review(session):
    cohort, now = _class_with_reviews(session, [])

    with pytest.raises(NothingToReview, match="once your own reviews are done"):
        request_bonus_review(session, _asking(cohort, 0), now)


def test_no_bonus_review_is_handed_out_for_work_that_has_its_reviews(session):
    # Everyone else's work already has its one review: the bonus offer never serves beyond k.
    cohort, now = _class_with_reviews(session, [(0, 1), (1, 2), (2, 3), (3, 0)])

    with pytest.raises(NothingToReview, match="no extra review is needed now"):
        request_bonus_review(session, _asking(cohort, 0), now)
    assert session.scalar(select(func.count()).select_from(Review)) == 4


def test_work_held_only_by_a_classmates_run_out_lease_is_served_as_a_bonus_review(session):
    cohort, now = _class_with_reviews(session, [(0, 1), (1, 2), (3, 0)])
    session.execute(insert(Review).values(
        assignment_id=cohort.assignment_id, submission_id=cohort.submission_ids[3], reviewer_id=cohort.student_ids[2],
        kind=ReviewKind.PEER, status=ReviewStatus.ASSIGNED, assigned_at=now - timedelta(days=2),
        lease_expires_at=now - timedelta(hours=1), selections={}, comments={}, beyond_quota=False))
    session.execute(update(Submission).where(Submission.id == cohort.submission_ids[3])
                    .values(review_load=Submission.review_load + 1))
    session.commit()

    handed = request_bonus_review(session, _asking(cohort, 0), now)

    assert handed.submission_id == cohort.submission_ids[3]


def test_the_ordinary_queue_still_hands_out_nothing_once_the_quota_is_done(session):
    cohort, now = _class_with_reviews(session, [(0, 1)])

    with pytest.raises(NothingToReview):
        request_review(session, _asking(cohort, 0), now)


@pytest.mark.parametrize("phase", [Phase.CALIBRATION, Phase.GRADING])
def test_no_bonus_review_is_handed_out_outside_the_review_phase(session, phase):
    cohort, now = _class_with_reviews(session, [(0, 1)])
    session.execute(update(Assignment).values(phase_override=phase))
    session.commit()

    with pytest.raises(NothingToReview, match="Reviewing is closed"):
        request_bonus_review(session, _asking(cohort, 0), now)


def test_a_bonus_lease_also_ends_at_the_review_deadline(session):
    cohort, now = _class_with_reviews(session, [(0, 1)])
    session.execute(update(Assignment).values(review_due=now + timedelta(hours=3), phase_override=None))
    session.commit()

    handed = request_bonus_review(session, _asking(cohort, 0), now)

    assert session.get(Review, handed.id).lease_expires_at == now + timedelta(hours=3)



def test_an_extended_reviewers_bonus_lease_ends_by_their_own_review_deadline_after_the_classs(session):
    cohort, now = _class_with_reviews(session, [(0, 1)])
    session.execute(update(Assignment).values(review_due=now - timedelta(hours=1), phase_override=None))
    session.execute(insert(Extension).values(assignment_id=cohort.assignment_id, person_id=cohort.student_ids[0],
                                             step=Step.REVIEW, until=now + timedelta(hours=5), from_lms=False,
                                             reason="Illness", granted_at=now))
    session.commit()

    handed = request_bonus_review(session, _asking(cohort, 0), now)

    assert session.get(Review, handed.id).lease_expires_at == now + timedelta(hours=5)
    # A classmate without an extension works to the class's closed deadline.
    with pytest.raises(NothingToReview, match="Reviewing is closed"):
        request_bonus_review(session, _asking(cohort, 1), now)

def _graded_reviewing_points(session, bonus_review_points: float) -> float:
    """Five students, k = 3; the first reviews three classmates and takes a bonus review, scoring every one of them
    at the weak level where the others score strong (so their reviewing quality is 0); their reviewing points."""
    now = datetime.now(UTC)
    cohort = create_cohort(session, 5, reviews_per_submission=3, reviews_per_student=3, now=now)
    rows = []
    for reviewer in range(5):
        for step in (1, 2, 3, 4) if reviewer == 0 else (1, 2, 3):
            row = _submitted(cohort, reviewer, (reviewer + step) % 5, now)
            row |= {"bonus": reviewer == 0 and step == 4, "selections": {CRITERION: 0.0 if reviewer == 0 else 2.0}}
            rows.append(row)
    session.execute(insert(Review), rows)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id)
                    .values(bonus_review_points=bonus_review_points, points_possible=50.0, submission_weight=80.0))
    session.commit()
    run_grading(session, cohort.assignment_id, now, "mean")
    session.commit()
    return session.scalars(select(Grade.reviewing_points).where(Grade.person_id == cohort.student_ids[0])).one()


@pytest.mark.parametrize("points, expected", [(0.0, 0.0), (1.5, 1.5), (10.0, 10.0), (10.5, 10.0)])
def test_a_bonus_review_adds_the_instructors_points_within_the_reviewing_share(session, points, expected):
    # The reviewing share is 20% of 50 points: 10.
    assert _graded_reviewing_points(session, points) == expected
