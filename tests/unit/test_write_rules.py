"""Which phase allows each write: nothing of students' or staff's work is written while an activity is in setup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assessment.assignment_settings import default_settings
from assessment.errors import PhaseClosed
from assessment.grading import Lateness, LatePolicy
from assessment.models import Assignment, Review, ReviewKind, ReviewStatus
from assessment.personal_dates import Grant, Step, personal_dates
from assessment.phases import Phase
from assessment.write_rules import (
    ensure_feedback_open,
    ensure_gradable,
    ensure_open,
    ensure_releasable,
    ensure_review_writable,
    hand_in_lateness,
    phase_for,
)

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


# The default dates: submissions from 2 March 09:00 to 9 March 23:59, reviewing until 16 March 23:59, results on 17.
DUE = datetime(2026, 3, 9, 23, 59, tzinfo=UTC)
REVIEW_DUE = DUE + timedelta(days=7)
RELEASE = DUE + timedelta(days=8)
SECOND = timedelta(seconds=1)
MICRO = timedelta(microseconds=1)


def _late_assignment(late_until: datetime | None = None) -> Assignment:
    assignment = _assignment(None)
    assignment.accept_late = True
    assignment.late_until = late_until or REVIEW_DUE
    assignment.late_penalty_per_day = 10.0
    return assignment


def _closed(call, *args, **kwargs) -> PhaseClosed:
    with pytest.raises(PhaseClosed) as refusal:
        call(*args, **kwargs)
    return refusal.value


def _extended(until: datetime, accept_late: bool = False):
    assignment = _assignment(None)
    policy = LatePolicy(accept_late=accept_late, late_until=REVIEW_DUE if accept_late else None)
    return assignment, personal_dates(assignment.timeline, policy, [Grant(Step.SUBMISSION, until=until)])


def test_work_handed_in_setup_is_told_submissions_are_not_open():
    refusal = _closed(hand_in_lateness, _assignment(Phase.SETUP), CREATED + timedelta(hours=1))
    assert str(refusal) == "Submissions are not open yet."
    assert str(_closed(ensure_open, _assignment(Phase.SETUP), CREATED)) == (
        "This activity is still being set up, so nothing can be handed in, reviewed or assessed yet. It opens when the "
        "instructor opens it and its dates arrive.")


def test_work_after_the_deadline_without_late_work_is_refused_with_the_phase_it_is_in():
    refusal = _closed(hand_in_lateness, _assignment(None), DUE + SECOND)
    assert str(refusal) == ("The assignment is in its review phase and no longer accepts work. Ask your instructor if "
                            "you need an extension.")
    assert refusal.message.params == {"phase": "review"}
    assert hand_in_lateness(_assignment(None), DUE - SECOND).days_late == 0


def test_late_work_is_taken_in_the_review_phase_when_the_policy_accepts_it_and_never_once_grading_starts():
    late = hand_in_lateness(_late_assignment(), DUE + SECOND)
    assert (late.is_late, late.days_late, late.penalty) == (True, 1, pytest.approx(0.1))
    assert hand_in_lateness(_late_assignment(), REVIEW_DUE - SECOND).days_late == 7
    refusal = _closed(hand_in_lateness, _late_assignment(), REVIEW_DUE)
    assert str(refusal) == ("The assignment is in its grading phase and no longer accepts work. Ask your instructor "
                            "if you need an extension.")


@pytest.mark.parametrize("moment", [RELEASE, RELEASE + MICRO])
def test_an_extended_student_hands_in_on_time_before_their_own_deadline_whatever_the_class_phase(moment):
    assignment, dates = _extended(RELEASE)
    on_time = hand_in_lateness(assignment, RELEASE - MICRO, dates)
    assert (on_time.is_late, on_time.days_late) == (False, 0)
    refusal = _closed(hand_in_lateness, assignment, moment, dates)
    assert str(refusal) == ("The assignment is in its released phase and no longer accepts work. Ask your instructor "
                            "if you need an extension.")


# The default dates open reviewing at the submission deadline: that instant is the review phase's, and work is on
# time only before it, as the phase rule says (a hand-in at the deadline is late work, where the policy takes it).
@pytest.mark.parametrize("moment", [DUE, DUE + MICRO])
def test_with_the_default_dates_work_is_on_time_before_the_deadline_and_refused_from_it(moment):
    assert hand_in_lateness(_assignment(None), DUE - MICRO) == Lateness(is_late=False, days_late=0, penalty=0.0)
    refusal = _closed(hand_in_lateness, _assignment(None), moment)
    assert str(refusal) == ("The assignment is in its review phase and no longer accepts work. Ask your instructor if "
                            "you need an extension.")


@pytest.mark.parametrize("moment", [DUE, DUE + MICRO])
def test_with_the_default_dates_and_late_work_a_hand_in_from_the_deadline_on_is_one_day_late(moment):
    assert hand_in_lateness(_late_assignment(), DUE - MICRO).is_late is False
    late = hand_in_lateness(_late_assignment(), moment)
    assert (late.is_late, late.days_late, late.penalty) == (True, 1, pytest.approx(0.1))


@pytest.mark.parametrize("moment", [DUE, DUE + MICRO])
def test_where_reviewing_opens_later_a_hand_in_at_the_deadline_is_late_in_the_submission_phase(moment):
    assignment = _assignment(None)
    assignment.review_opens = DUE + timedelta(days=1)
    assert assignment.phase_at(moment) is Phase.SUBMISSION
    assert hand_in_lateness(assignment, DUE - MICRO).is_late is False
    with pytest.raises(PhaseClosed, match="The deadline passed on 9 March 2026 at 23:59 UTC"):
        hand_in_lateness(assignment, moment)


@pytest.mark.parametrize("moment", [REVIEW_DUE, REVIEW_DUE + MICRO])
def test_late_work_is_taken_until_the_late_limit_and_refused_from_it(moment):
    assignment = _late_assignment(late_until=REVIEW_DUE - timedelta(days=1))
    limit = assignment.late_until
    assert hand_in_lateness(assignment, limit - MICRO).days_late == 6
    with pytest.raises(PhaseClosed, match="Late submissions closed on 15 March 2026 at 23:59 UTC"):
        hand_in_lateness(assignment, moment - timedelta(days=1))


def test_an_extended_students_late_work_follows_their_own_late_window():
    assignment, dates = _extended(DUE + timedelta(days=1), accept_late=True)
    assignment.accept_late = True
    # Their own deadline moved a day: a second after it is one day late; their window ends a day after the class's.
    late = hand_in_lateness(assignment, DUE + timedelta(days=1) + SECOND, dates)
    assert (late.is_late, late.days_late) == (True, 1)


def test_a_review_no_longer_the_reviewers_or_flagged_is_closed_with_the_reason():
    in_review = _assignment(Phase.REVIEW)
    expired = Review(kind=ReviewKind.PEER, status=ReviewStatus.ASSIGNED, lease_expires_at=CREATED)
    refusal = _closed(ensure_review_writable, in_review, expired, CREATED, flagged=False)
    assert str(refusal) == ("This review is no longer yours to complete: its time ran out or staff removed it. Ask "
                            "for another submission to review.")
    submitted = Review(kind=ReviewKind.PEER, status=ReviewStatus.SUBMITTED, lease_expires_at=CREATED)
    ensure_review_writable(in_review, submitted, CREATED, flagged=False)
    refusal = _closed(ensure_review_writable, in_review, submitted, CREATED, flagged=True)
    assert str(refusal) == ("This review was flagged by its author, so it can no longer be changed: course staff "
                            "decide on the review as it was flagged.")


@pytest.mark.parametrize("kind", [ReviewKind.PEER, ReviewKind.SELF])
def test_students_write_reviews_in_the_review_phase_only(kind):
    ensure_review_writable(_assignment(Phase.REVIEW), _review(kind), CREATED, flagged=False)
    refusal = _closed(ensure_review_writable, _assignment(Phase.GRADING), _review(kind), CREATED, flagged=False)
    assert str(refusal) == ("Reviewing is closed: the assignment is in its grading phase, so reviews can no longer be "
                            "written or changed.")
    assert refusal.message.params == {"phase": "grading"}


def test_an_extended_reviewer_reviews_on_their_own_dates_and_staff_on_the_class_phase():
    assignment, dates = _extended(RELEASE)
    assignment.phase_override = None
    # On 17 March the class is being graded; the extended student's own reviewing runs until their date.
    now = REVIEW_DUE + SECOND
    ensure_review_writable(assignment, _review(ReviewKind.PEER), now, flagged=False, dates=dates)
    _closed(ensure_review_writable, assignment, _review(ReviewKind.PEER), now, flagged=False)
    ensure_review_writable(assignment, _review(ReviewKind.STAFF), now, flagged=False, dates=dates)


def test_feedback_is_shown_once_results_are_released_or_an_authors_extension_ends():
    ensure_feedback_open(_assignment(Phase.RELEASED), CREATED)
    refusal = _closed(ensure_feedback_open, _assignment(Phase.GRADING), CREATED)
    assert str(refusal) == "Feedback is shown once results are released."
    # Staff released the class's results early; an author whose own reviewing still runs reads them when it ends.
    assignment, dates = _extended(RELEASE - timedelta(hours=1))
    assignment.phase_override = Phase.RELEASED
    now = REVIEW_DUE + SECOND
    ensure_feedback_open(assignment, now)
    _closed(ensure_feedback_open, assignment, now, dates)
    assert phase_for(assignment, now, dates) is Phase.REVIEW
    assert phase_for(assignment, now, None) is Phase.RELEASED
    # Their own reviewing ends an hour before the results date; from then on the release by staff holds for them too.
    _closed(ensure_feedback_open, assignment, RELEASE - timedelta(hours=1) - SECOND, dates)
    ensure_feedback_open(assignment, RELEASE - timedelta(hours=1), dates)
    ensure_feedback_open(assignment, RELEASE, dates)


def test_grades_are_computed_and_released_in_any_phase_but_setup():
    message = ("This activity is still being set up: grades are computed once students have handed in work and "
               "reviewed it.")
    assert str(_closed(ensure_gradable, _assignment(Phase.SETUP), CREATED)) == message
    assert str(_closed(ensure_releasable, _assignment(Phase.SETUP), CREATED)) == message
    for phase in [p for p in Phase if p is not Phase.SETUP]:
        ensure_gradable(_assignment(phase), CREATED)
        ensure_releasable(_assignment(phase), CREATED)


def test_an_activity_following_its_dates_is_graded_and_released_only_once_submissions_open():
    opened = _assignment(None, created=CREATED + timedelta(days=1))
    opens = opened.submission_opens

    _closed(ensure_gradable, opened, opens - SECOND)
    _closed(ensure_releasable, opened, opens - SECOND)
    ensure_gradable(opened, opens)
    ensure_releasable(opened, opens)


def test_an_extended_student_hands_in_late_by_their_own_phase_when_staff_moved_the_class_to_grading():
    assignment, dates = _extended(DUE + timedelta(days=1), accept_late=True)
    assignment.accept_late = True
    assignment.phase_override = Phase.GRADING
    now = DUE + timedelta(days=1) + SECOND

    assert phase_for(assignment, now, dates) is Phase.REVIEW
    late = hand_in_lateness(assignment, now, dates)
    assert (late.is_late, late.days_late) == (True, 1)
    _closed(hand_in_lateness, assignment, now)


def test_a_staff_move_back_holds_for_an_extended_student_too():
    assignment, dates = _extended(RELEASE - timedelta(hours=1))
    assignment.phase_override = Phase.SETUP

    assert phase_for(assignment, REVIEW_DUE + SECOND, dates) is Phase.SETUP
