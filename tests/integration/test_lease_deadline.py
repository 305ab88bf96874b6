"""A lease never outlives the review deadline: it shortens as the deadline nears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from assessment.models import Assignment, Review
from assessment.peer_review import ReviewerContext, request_review
from tests.support.cohort import create_cohort


def _lease_with_deadline_in(session, hours_left: float, *, held_open_by_hand: bool = False) -> tuple[datetime, Review]:
    """The lease the queue gives at `now` with the review deadline `hours_left` away (24-hour leases)."""
    now = datetime.now(UTC).replace(microsecond=0)
    cohort = create_cohort(session, 4, reviews_per_submission=2, reviews_per_student=2, now=now)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        review_due=now + timedelta(hours=hours_left),
        results_release=now + timedelta(hours=max(hours_left, 0) + 48),
        phase_override=Assignment.phase_override if held_open_by_hand else None))
    session.commit()
    handed = request_review(session, ReviewerContext(cohort.assignment_id, cohort.student_ids[0], True), now)
    session.commit()
    return now, session.get(Review, handed.id)


@pytest.mark.parametrize("hours_left", [30, 24.5])
def test_a_lease_handed_out_long_before_the_deadline_runs_its_full_hours(session, hours_left):
    now, review = _lease_with_deadline_in(session, hours_left)

    assert review.lease_expires_at == now + timedelta(hours=24)


def test_a_lease_handed_out_exactly_a_lease_before_the_deadline_ends_with_it(session):
    now, review = _lease_with_deadline_in(session, 24)

    assert review.lease_expires_at == now + timedelta(hours=24)


@pytest.mark.parametrize("hours_left", [23.5, 2, 0.01])
def test_a_lease_handed_out_near_the_deadline_ends_at_the_deadline(session, hours_left):
    now, review = _lease_with_deadline_in(session, hours_left)

    assert review.lease_expires_at == now + timedelta(hours=hours_left)


def test_reviewing_kept_open_by_hand_after_the_deadline_gives_full_leases(session):
    # Staff moved the phase to review by hand: the date no longer closes reviewing, so it does not cut leases.
    now, review = _lease_with_deadline_in(session, -5, held_open_by_hand=True)

    assert review.lease_expires_at == now + timedelta(hours=24)
