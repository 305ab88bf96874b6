"""A student's checklist and next step through an assignment, and their grade explained, from plain facts."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from assessment.phases import Phase
from assessment.student_progress import (
    Action,
    Calibration,
    Dates,
    GradeFacts,
    Note,
    Reviewing,
    Situation,
    StepKind,
    StepState,
    explain_grade,
    progress,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
DATES = Dates(
    submission_opens=NOW - 5 * DAY, submission_due=NOW + 2 * DAY, late_until=None,
    calibration_opens=None, calibration_due=None,
    review_opens=NOW + 3 * DAY, review_due=NOW + 10 * DAY, results_release=NOW + 12 * DAY,
)
NO_CALIBRATION = Calibration(required=0, settled=0, done=True, passed=True)
FRESH = Situation(
    now=NOW, phase=Phase.SUBMISSION, dates=DATES, submitted=False, submitted_late=False,
    calibration=NO_CALIBRATION,
    reviewing=Reviewing(required=3, done=0, in_progress=False, available=True, needs_submission=True),
    self_assessment=False, self_assessed=False, self_assessment_started=False,
    grade_released=False, grade_held=False,
)


def _in_review(**changes) -> Situation:
    return replace(FRESH, phase=Phase.REVIEW, submitted=True, **changes)


def _states(situation: Situation) -> dict[StepKind, StepState]:
    return {step.kind: step.state for step in progress(situation).steps}


def test_before_handing_in_the_next_step_is_to_hand_in_by_the_deadline():
    result = progress(FRESH)

    assert [step.kind for step in result.steps] == [StepKind.SUBMIT, StepKind.REVIEW, StepKind.FEEDBACK]
    assert _states(FRESH) == {StepKind.SUBMIT: StepState.CURRENT, StepKind.REVIEW: StepState.UPCOMING,
                              StepKind.FEEDBACK: StepState.UPCOMING}
    assert (result.next.action, result.next.due) == (Action.SUBMIT, DATES.submission_due)
    assert (result.done, result.total) == (0, 3)


def test_before_submissions_open_the_student_waits_for_the_opening():
    early = replace(FRESH, phase=Phase.SETUP, dates=replace(DATES, submission_opens=NOW + DAY))

    result = progress(early)

    assert result.step(StepKind.SUBMIT).state is StepState.UPCOMING
    assert (result.next.action, result.next.step, result.next.due) == (Action.WAIT, StepKind.SUBMIT, NOW + DAY)


def test_after_handing_in_the_student_waits_for_reviewing_to_open():
    result = progress(replace(FRESH, submitted=True))

    assert result.step(StepKind.SUBMIT).state is StepState.DONE
    assert (result.next.action, result.next.step, result.next.due) == (Action.WAIT, StepKind.REVIEW, DATES.review_opens)
    assert result.done == 1


def test_a_late_hand_in_is_done_and_says_it_was_late():
    step = progress(replace(FRESH, submitted=True, submitted_late=True)).step(StepKind.SUBMIT)

    assert (step.state, step.note) == (StepState.DONE, Note.LATE)


def test_in_the_late_window_the_student_can_still_hand_in_until_late_work_closes():
    late = replace(FRESH, now=NOW + 3 * DAY, dates=replace(DATES, late_until=NOW + 4 * DAY))

    result = progress(late)

    assert result.step(StepKind.SUBMIT).note is Note.LATE_WINDOW
    assert (result.next.action, result.next.due, result.next.note) == (Action.SUBMIT, NOW + 4 * DAY, Note.LATE_WINDOW)


def test_a_missed_deadline_closes_reviewing_too_when_reviewers_must_have_handed_in():
    missed = replace(FRESH, phase=Phase.REVIEW, now=NOW + 4 * DAY)

    result = progress(missed)

    assert result.step(StepKind.SUBMIT).state is StepState.MISSED
    review = result.step(StepKind.REVIEW)
    assert (review.state, review.note) == (StepState.MISSED, Note.NEEDS_SUBMISSION)
    assert (result.next.action, result.next.step) == (Action.WAIT, StepKind.FEEDBACK)


def test_a_missed_deadline_leaves_reviewing_open_when_the_assignment_allows_it():
    anyone_reviews = replace(FRESH.reviewing, needs_submission=False)
    missed = replace(FRESH, phase=Phase.REVIEW, now=NOW + 4 * DAY, reviewing=anyone_reviews)

    result = progress(missed)

    assert result.step(StepKind.REVIEW).state is StepState.CURRENT
    assert result.next.action is Action.REVIEW


def test_reviewing_waits_for_the_students_own_work_while_they_can_still_hand_it_in():
    late = replace(FRESH, phase=Phase.REVIEW, now=NOW + 4 * DAY, dates=replace(DATES, late_until=NOW + 5 * DAY))

    result = progress(late)

    review = result.step(StepKind.REVIEW)
    assert (review.state, review.note) == (StepState.UPCOMING, Note.NEEDS_SUBMISSION)
    assert result.next.action is Action.SUBMIT


def test_calibration_comes_before_reviewing_and_counts_examples():
    calibrating = _in_review(calibration=Calibration(required=2, settled=1, done=False, passed=False))

    result = progress(calibrating)

    calibration = result.step(StepKind.CALIBRATE)
    assert (calibration.state, calibration.done_count, calibration.total_count) == (StepState.CURRENT, 1, 2)
    assert result.step(StepKind.REVIEW).note is Note.AFTER_CALIBRATION
    assert (result.next.action, result.next.due) == (Action.PRACTISE, DATES.review_due)


def test_calibration_is_due_by_its_own_deadline_during_the_calibration_phase():
    dates = replace(DATES, calibration_opens=NOW - DAY, calibration_due=NOW + DAY)
    calibrating = replace(FRESH, phase=Phase.CALIBRATION, submitted=True, dates=dates,
                          calibration=Calibration(required=2, settled=0, done=False, passed=False))

    assert progress(calibrating).next.due == NOW + DAY


def test_calibration_with_every_attempt_used_below_the_target_is_done_and_reviewing_opens():
    out_of_attempts = _in_review(calibration=Calibration(required=2, settled=2, done=True, passed=False))

    result = progress(out_of_attempts)

    calibration = result.step(StepKind.CALIBRATE)
    assert (calibration.state, calibration.note) == (StepState.DONE, Note.NOT_PASSED)
    assert result.next.action is Action.REVIEW


def test_calibration_is_not_needed_once_the_student_cannot_review():
    missed = replace(FRESH, phase=Phase.REVIEW, now=NOW + 4 * DAY,
                     calibration=Calibration(required=2, settled=0, done=False, passed=False))

    result = progress(missed)

    assert result.step(StepKind.CALIBRATE).state is StepState.NOT_NEEDED
    assert result.total == 3  # submit, review and feedback count; calibration does not


def test_reviewing_counts_the_reviews_done_and_continues_a_started_one():
    reviewing = _in_review(reviewing=replace(FRESH.reviewing, done=2, in_progress=True))

    result = progress(reviewing)

    review = result.step(StepKind.REVIEW)
    assert (review.state, review.done_count, review.total_count, review.due) == (StepState.CURRENT, 2, 3, DATES.review_due)
    assert result.next.action is Action.CONTINUE_REVIEW


def test_with_nothing_to_review_yet_the_student_is_told_to_wait():
    starved = _in_review(reviewing=replace(FRESH.reviewing, available=False))

    result = progress(starved)

    assert (result.next.action, result.next.step, result.next.note) == (Action.WAIT, StepKind.REVIEW, Note.NOTHING_YET)


def test_self_assessment_opens_after_the_peer_reviews():
    before = _in_review(self_assessment=True, reviewing=replace(FRESH.reviewing, done=1))
    after = _in_review(self_assessment=True, reviewing=replace(FRESH.reviewing, done=3))

    assert progress(before).step(StepKind.SELF_ASSESS).note is Note.AFTER_REVIEWS
    assert progress(after).next.action is Action.SELF_ASSESS
    assert progress(replace(after, self_assessed=True)).next == progress(replace(after, self_assessment=False)).next


def test_self_assessment_waits_for_work_still_to_be_handed_in():
    late = replace(FRESH, phase=Phase.REVIEW, now=NOW + 4 * DAY, self_assessment=True,
                   dates=replace(DATES, late_until=NOW + 5 * DAY))

    step = progress(late).step(StepKind.SELF_ASSESS)

    assert (step.state, step.note) == (StepState.UPCOMING, Note.NEEDS_SUBMISSION)


def test_self_assessment_is_not_needed_without_work_to_assess():
    missed = replace(FRESH, phase=Phase.REVIEW, now=NOW + 4 * DAY, self_assessment=True)

    assert progress(missed).step(StepKind.SELF_ASSESS).state is StepState.NOT_NEEDED


def test_with_every_step_done_the_student_waits_for_the_results():
    finished = _in_review(reviewing=replace(FRESH.reviewing, done=3))

    result = progress(finished)

    assert (result.next.action, result.next.step, result.next.due) == (Action.WAIT, StepKind.FEEDBACK,
                                                                       DATES.results_release)
    assert (result.done, result.total) == (2, 3)


def test_reviews_not_done_when_reviewing_closed_are_missed_with_their_count():
    closed = replace(FRESH, phase=Phase.GRADING, submitted=True, now=NOW + 11 * DAY,
                     reviewing=replace(FRESH.reviewing, done=1))

    review = progress(closed).step(StepKind.REVIEW)

    assert (review.state, review.done_count, review.total_count) == (StepState.MISSED, 1, 3)


@pytest.mark.parametrize(("released", "held", "note"), [
    (True, False, None), (True, True, Note.GRADE_HELD), (False, False, Note.GRADE_PENDING),
], ids=["grade released", "grade held", "grade not released yet"])
def test_once_results_are_released_the_next_step_is_to_read_the_feedback(released, held, note):
    out = replace(FRESH, phase=Phase.RELEASED, submitted=True, now=NOW + 13 * DAY, grade_released=released,
                  grade_held=held, reviewing=replace(FRESH.reviewing, done=3))

    result = progress(out)

    assert (result.next.action, result.next.note) == (Action.READ_FEEDBACK, note)


def test_a_phase_moved_by_hand_opens_reviewing_before_its_date_and_shows_no_stale_deadline():
    overridden = replace(FRESH, phase=Phase.REVIEW, submitted=True,
                         dates=replace(DATES, review_opens=NOW + 3 * DAY, review_due=NOW - DAY))

    result = progress(overridden)

    assert result.step(StepKind.REVIEW).state is StepState.CURRENT
    assert (result.next.action, result.next.due) == (Action.REVIEW, None)


def test_a_phase_moved_back_by_hand_says_results_are_coming_without_a_past_date():
    held_back = replace(FRESH, phase=Phase.GRADING, submitted=True, now=NOW + 13 * DAY,
                        reviewing=replace(FRESH.reviewing, done=3))

    result = progress(held_back)

    assert (result.next.action, result.next.step, result.next.due) == (Action.WAIT, StepKind.FEEDBACK, None)


def test_the_grade_is_explained_as_work_plus_reviewing_less_lateness_and_any_staff_change():
    facts = GradeFacts(points_possible=50, submission_weight=80, peer_score=45, reviews_received=3,
                       submission_points=36, reviewing_points=9.5, late_deduction=3.6, computed_total=41.9,
                       released_total=44)

    explained = explain_grade(facts)

    assert (explained.submission_share, explained.reviewing_share) == (40, 10)
    assert explained.adjustment == pytest.approx(2.1)
    parts = explained.submission_points - explained.late_deduction + explained.reviewing_points + explained.adjustment
    assert parts == pytest.approx(explained.final)
