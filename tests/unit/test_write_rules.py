"""Which phase allows each write: nothing of students' or staff's work is written while an activity is in setup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assessment.assignment_settings import default_settings
from assessment.errors import PhaseClosed
from assessment.models import Assignment, Review, ReviewKind, ReviewStatus
from assessment.phases import Phase
from assessment.write_rules import ensure_open, ensure_review_writable, hand_in_lateness

CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _assignment(override: Phase | None, created: datetime = CREATED) -> Assignment:
    assignment = Assignment()
    assignment.apply(default_settings("Essay", created))
    assignment.phase_override = override
    return assignment


def _review(kind: ReviewKind) -> Review:
    return Review(kind=kind, status=ReviewStatus.ASSIGNED, lease_expires_at=None)


def test_an_activity_held_in_setup_refuses_hand_ins_even_when_its_dates_are_open():
    held = _assignment(Phase.SETUP)

    with pytest.raises(PhaseClosed):
        hand_in_lateness(held, CREATED + timedelta(hours=1))
    with pytest.raises(PhaseClosed, match="still being set up"):
        ensure_open(held, CREATED + timedelta(hours=1))


@pytest.mark.parametrize("kind", list(ReviewKind))
def test_no_review_of_any_kind_is_written_in_setup(kind):
    with pytest.raises(PhaseClosed, match="still being set up"):
        ensure_review_writable(_assignment(Phase.SETUP), _review(kind), CREATED, flagged=False)


@pytest.mark.parametrize("phase", [p for p in Phase if p is not Phase.SETUP])
def test_staff_assess_in_every_phase_but_setup(phase):
    ensure_review_writable(_assignment(phase), _review(ReviewKind.STAFF), CREATED, flagged=False)
    ensure_open(_assignment(phase), CREATED)


def test_an_activity_that_follows_its_dates_is_in_setup_until_submissions_open_and_no_longer_from_then():
    opened = _assignment(None, created=CREATED + timedelta(days=1))
    opens = opened.submission_opens

    with pytest.raises(PhaseClosed):
        ensure_open(opened, opens - timedelta(seconds=1))
    with pytest.raises(PhaseClosed):
        hand_in_lateness(opened, opens - timedelta(seconds=1))
    ensure_open(opened, opens)
    assert hand_in_lateness(opened, opens).days_late == 0
