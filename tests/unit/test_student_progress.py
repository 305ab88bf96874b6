"""A student's checklist and next step through an assignment, and their grade explained, from plain facts."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from assessment.messages import N_, message_document
from assessment.phases import Phase
from assessment.student_progress import (
    Action,
    Calibration,
    Dates,
    GradeExplanation,
    GradeFacts,
    NextStep,
    Note,
    Reviewing,
    Situation,
    Step,
    StepKind,
    StepState,
    explain_grade,
    progress,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MICRO = timedelta(microseconds=1)
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


# Whole checklists, every field of every step: a student on an assignment with every step (two calibration examples,
# three reviews, a self-assessment), each date distinct so that a step showing the wrong one is seen.
FULL_DATES = Dates(
    submission_opens=NOW - 5 * DAY, submission_due=NOW + 2 * DAY, late_until=NOW + 3 * DAY,
    calibration_opens=NOW + 4 * DAY, calibration_due=NOW + 5 * DAY,
    review_opens=NOW + 6 * DAY, review_due=NOW + 10 * DAY, results_release=NOW + 12 * DAY,
)
UNSETTLED = Calibration(required=2, settled=0, done=False, passed=False)
FULL = replace(FRESH, dates=FULL_DATES, calibration=UNSETTLED, self_assessment=True)


def _checklist(situation: Situation) -> tuple[tuple[Step, ...], NextStep]:
    result = progress(situation)
    return result.steps, result.next


def test_the_whole_checklist_while_handing_in_shows_when_each_later_step_opens():
    steps, next_step = _checklist(FULL)

    assert steps == (
        Step(StepKind.SUBMIT, StepState.CURRENT, due=FULL_DATES.submission_due),
        Step(StepKind.CALIBRATE, StepState.UPCOMING, opens=FULL_DATES.calibration_opens, done_count=0, total_count=2),
        Step(StepKind.REVIEW, StepState.UPCOMING, opens=FULL_DATES.review_opens, done_count=0, total_count=3),
        Step(StepKind.SELF_ASSESS, StepState.UPCOMING, opens=FULL_DATES.review_opens),
        Step(StepKind.FEEDBACK, StepState.UPCOMING, opens=FULL_DATES.results_release),
    )
    assert next_step == NextStep(Action.SUBMIT, StepKind.SUBMIT, FULL_DATES.submission_due)


def test_without_a_calibration_date_calibration_opens_with_reviewing():
    steps, _ = _checklist(replace(FULL, dates=replace(FULL_DATES, calibration_opens=None)))

    assert steps[1] == Step(StepKind.CALIBRATE, StepState.UPCOMING, opens=FULL_DATES.review_opens, done_count=0,
                            total_count=2)


def test_in_the_calibration_phase_practice_is_due_by_the_calibration_deadline():
    steps, next_step = _checklist(replace(FULL, phase=Phase.CALIBRATION, submitted=True,
                                          calibration=replace(UNSETTLED, settled=1)))

    assert steps[1:3] == (
        Step(StepKind.CALIBRATE, StepState.CURRENT, due=FULL_DATES.calibration_due, done_count=1, total_count=2),
        Step(StepKind.REVIEW, StepState.UPCOMING, opens=FULL_DATES.review_opens, done_count=0, total_count=3),
    )
    assert next_step == NextStep(Action.PRACTISE, StepKind.CALIBRATE, FULL_DATES.calibration_due)


def test_in_the_review_phase_unfinished_practice_is_due_by_the_review_deadline_and_holds_back_reviewing():
    # Reviewing opened early by hand: the calibration deadline is still ahead, but no longer the one that counts.
    steps, next_step = _checklist(replace(FULL, phase=Phase.REVIEW, submitted=True))

    assert steps[1:4] == (
        Step(StepKind.CALIBRATE, StepState.CURRENT, due=FULL_DATES.review_due, done_count=0, total_count=2),
        Step(StepKind.REVIEW, StepState.UPCOMING, due=FULL_DATES.review_due, done_count=0, total_count=3,
             note=Note.AFTER_CALIBRATION),
        Step(StepKind.SELF_ASSESS, StepState.UPCOMING, due=FULL_DATES.review_due, note=Note.AFTER_REVIEWS),
    )
    assert next_step == NextStep(Action.PRACTISE, StepKind.CALIBRATE, FULL_DATES.review_due)


def test_in_the_review_phase_work_still_to_hand_in_late_holds_back_reviewing_and_self_assessment():
    steps, next_step = _checklist(replace(FULL, phase=Phase.REVIEW, now=FULL_DATES.submission_due + timedelta(hours=1)))

    assert steps[:4] == (
        Step(StepKind.SUBMIT, StepState.CURRENT, due=FULL_DATES.late_until, note=Note.LATE_WINDOW),
        Step(StepKind.CALIBRATE, StepState.CURRENT, due=FULL_DATES.review_due, done_count=0, total_count=2),
        Step(StepKind.REVIEW, StepState.UPCOMING, due=FULL_DATES.review_due, done_count=0, total_count=3,
             note=Note.NEEDS_SUBMISSION),
        Step(StepKind.SELF_ASSESS, StepState.UPCOMING, due=FULL_DATES.review_due, note=Note.NEEDS_SUBMISSION),
    )
    assert next_step == NextStep(Action.SUBMIT, StepKind.SUBMIT, FULL_DATES.late_until, Note.LATE_WINDOW)


@pytest.mark.parametrize(("started", "note"), [(False, None), (True, Note.IN_PROGRESS)])
def test_with_practice_settled_and_reviews_done_the_self_assessment_is_open(started, note):
    settled = Calibration(required=2, settled=2, done=True, passed=False)
    reviewing = replace(FULL.reviewing, done=4)
    steps, next_step = _checklist(replace(FULL, phase=Phase.REVIEW, submitted=True, calibration=settled,
                                          reviewing=reviewing, self_assessment_started=started))

    assert steps[1:4] == (
        Step(StepKind.CALIBRATE, StepState.DONE, done_count=2, total_count=2, note=Note.NOT_PASSED),
        Step(StepKind.REVIEW, StepState.DONE, done_count=3, total_count=3),
        Step(StepKind.SELF_ASSESS, StepState.CURRENT, due=FULL_DATES.review_due, note=note),
    )
    assert next_step == NextStep(Action.SELF_ASSESS, StepKind.SELF_ASSESS, FULL_DATES.review_due, note)


def test_a_passed_calibration_is_done_without_a_note():
    steps, _ = _checklist(replace(FULL, calibration=Calibration(required=2, settled=2, done=True, passed=True)))

    assert steps[1] == Step(StepKind.CALIBRATE, StepState.DONE, done_count=2, total_count=2)


def test_a_started_review_is_continued_by_the_review_deadline():
    reviewing = replace(FULL.reviewing, done=1, in_progress=True)
    steps, next_step = _checklist(replace(FULL, phase=Phase.REVIEW, submitted=True, reviewing=reviewing,
                                          calibration=NO_CALIBRATION))

    assert steps[1] == Step(StepKind.REVIEW, StepState.CURRENT, due=FULL_DATES.review_due, done_count=1,
                            total_count=3, note=Note.IN_PROGRESS)
    assert next_step == NextStep(Action.CONTINUE_REVIEW, StepKind.REVIEW, FULL_DATES.review_due, Note.IN_PROGRESS)


def test_with_no_work_to_hand_out_the_student_waits_within_the_review_deadline():
    reviewing = replace(FULL.reviewing, available=False)
    _, next_step = _checklist(replace(FULL, phase=Phase.REVIEW, submitted=True, reviewing=reviewing,
                                      calibration=NO_CALIBRATION))

    assert next_step == NextStep(Action.WAIT, StepKind.REVIEW, FULL_DATES.review_due, Note.NOTHING_YET)


def test_after_the_review_phase_unfinished_steps_are_missed_with_the_counts_reached():
    steps, next_step = _checklist(replace(FULL, phase=Phase.GRADING, submitted=True,
                                          calibration=replace(UNSETTLED, settled=1),
                                          reviewing=replace(FULL.reviewing, done=1)))

    assert steps == (
        Step(StepKind.SUBMIT, StepState.DONE),
        Step(StepKind.CALIBRATE, StepState.MISSED, done_count=1, total_count=2),
        Step(StepKind.REVIEW, StepState.MISSED, done_count=1, total_count=3),
        Step(StepKind.SELF_ASSESS, StepState.MISSED),
        Step(StepKind.FEEDBACK, StepState.UPCOMING, opens=FULL_DATES.results_release),
    )
    assert next_step == NextStep(Action.WAIT, StepKind.FEEDBACK, FULL_DATES.results_release)


def test_without_own_work_where_reviewing_needs_it_only_the_feedback_is_left():
    late = replace(FULL, phase=Phase.REVIEW, dates=replace(FULL_DATES, late_until=None),
                   now=FULL_DATES.submission_due + DAY)

    steps, next_step = _checklist(late)

    assert steps == (
        Step(StepKind.SUBMIT, StepState.MISSED, due=FULL_DATES.submission_due),
        Step(StepKind.CALIBRATE, StepState.NOT_NEEDED, done_count=0, total_count=2),
        Step(StepKind.REVIEW, StepState.MISSED, done_count=0, total_count=3, note=Note.NEEDS_SUBMISSION),
        Step(StepKind.SELF_ASSESS, StepState.NOT_NEEDED),
        Step(StepKind.FEEDBACK, StepState.UPCOMING, opens=FULL_DATES.results_release),
    )
    assert next_step == NextStep(Action.WAIT, StepKind.FEEDBACK, FULL_DATES.results_release)


def test_once_self_assessed_the_step_is_done():
    steps, _ = _checklist(replace(FULL, phase=Phase.GRADING, submitted=True, self_assessed=True))

    assert steps[3] == Step(StepKind.SELF_ASSESS, StepState.DONE)


def test_released_results_are_read_next_with_no_deadline():
    _, next_step = _checklist(replace(FULL, phase=Phase.RELEASED, submitted=True, grade_released=True))

    assert next_step == NextStep(Action.READ_FEEDBACK, StepKind.FEEDBACK, None)


def test_a_date_exactly_now_is_not_shown_as_still_to_come():
    steps, _ = _checklist(replace(FULL, phase=Phase.CALIBRATION, submitted=True, now=FULL_DATES.review_opens))

    assert steps[2] == Step(StepKind.REVIEW, StepState.UPCOMING, done_count=0, total_count=3)


def test_an_assignment_without_calibration_has_no_calibration_step():
    assert progress(FRESH).step(StepKind.CALIBRATE) is None


# The hand-in step on each side of each of its dates.
@pytest.mark.parametrize(("phase", "now", "late_until", "expected"), [
    (Phase.SETUP, NOW, None, Step(StepKind.SUBMIT, StepState.UPCOMING)),  # opened by date, held back by the phase
    (Phase.SUBMISSION, NOW - 5 * DAY - timedelta(seconds=1), None,
     Step(StepKind.SUBMIT, StepState.UPCOMING, opens=NOW - 5 * DAY)),
    (Phase.SUBMISSION, NOW - 5 * DAY, None, Step(StepKind.SUBMIT, StepState.CURRENT, due=NOW + 2 * DAY)),
    # A deadline is the first instant after its step: work is on time before it, late work taken before the limit.
    (Phase.SUBMISSION, NOW + 2 * DAY - MICRO, None, Step(StepKind.SUBMIT, StepState.CURRENT, due=NOW + 2 * DAY)),
    (Phase.SUBMISSION, NOW + 2 * DAY, None, Step(StepKind.SUBMIT, StepState.MISSED, due=NOW + 2 * DAY)),
    (Phase.SUBMISSION, NOW + 2 * DAY + MICRO, None, Step(StepKind.SUBMIT, StepState.MISSED, due=NOW + 2 * DAY)),
    (Phase.SUBMISSION, NOW + 2 * DAY - MICRO, NOW + 3 * DAY,
     Step(StepKind.SUBMIT, StepState.CURRENT, due=NOW + 2 * DAY)),
    (Phase.SUBMISSION, NOW + 2 * DAY, NOW + 3 * DAY,
     Step(StepKind.SUBMIT, StepState.CURRENT, due=NOW + 3 * DAY, note=Note.LATE_WINDOW)),
    (Phase.REVIEW, NOW + 2 * DAY, NOW + 3 * DAY,
     Step(StepKind.SUBMIT, StepState.CURRENT, due=NOW + 3 * DAY, note=Note.LATE_WINDOW)),
    (Phase.SUBMISSION, NOW + 3 * DAY - MICRO, NOW + 3 * DAY,
     Step(StepKind.SUBMIT, StepState.CURRENT, due=NOW + 3 * DAY, note=Note.LATE_WINDOW)),
    (Phase.SUBMISSION, NOW + 3 * DAY, NOW + 3 * DAY, Step(StepKind.SUBMIT, StepState.MISSED, due=NOW + 3 * DAY)),
    (Phase.SUBMISSION, NOW + 3 * DAY + MICRO, NOW + 3 * DAY,
     Step(StepKind.SUBMIT, StepState.MISSED, due=NOW + 3 * DAY)),
    (Phase.GRADING, NOW + 2 * DAY + timedelta(seconds=1), NOW + 3 * DAY,
     Step(StepKind.SUBMIT, StepState.MISSED, due=NOW + 3 * DAY)),  # grading takes no late work, window or not
])
def test_the_hand_in_step_on_each_side_of_its_dates(phase, now, late_until, expected):
    situation = replace(FRESH, phase=phase, now=now, dates=replace(DATES, late_until=late_until))

    assert progress(situation).step(StepKind.SUBMIT) == expected


def test_an_on_time_hand_in_is_done_without_a_note():
    assert progress(replace(FRESH, submitted=True)).step(StepKind.SUBMIT) == Step(StepKind.SUBMIT, StepState.DONE)


def test_the_grade_explained_keeps_the_facts_and_rounds_each_part_to_the_hundredth():
    facts = GradeFacts(points_possible=20, submission_weight=75, peer_score=14.5, reviews_received=4,
                       submission_points=10.8767, reviewing_points=4.1234, late_deduction=1.0876,
                       computed_total=13.9125, released_total=14.25)

    assert explain_grade(facts) == GradeExplanation(
        points_possible=20, peer_score=14.5, reviews_received=4, submission_share=15.0, submission_points=10.88,
        reviewing_share=5.0, reviewing_points=4.12, late_deduction=1.09, adjustment=0.34, final=14.25)


def test_a_team_members_grade_explained_shows_how_their_teammates_ratings_moved_it():
    line = N_("Your grade is %(grade)s; the team's grade is %(team_grade)s.", grade=12.35, team_grade=10)
    facts = GradeFacts(points_possible=20, submission_weight=75, peer_score=14.5, reviews_received=4,
                       submission_points=12.3456, reviewing_points=4.0, late_deduction=0.0, computed_total=16.3456,
                       released_total=16.3456,
                       contribution={"points": 12.3456, "team_points": 10.0, "explanation": [message_document(line)]})

    explained = explain_grade(facts)

    assert explained.contribution_change == 2.35
    assert explained.contribution_lines == ("Your grade is 12.35; the team's grade is 10.",)
    assert explained.contribution_lines[0].template == "Your grade is %(grade)s; the team's grade is %(team_grade)s."
    without_lines = explain_grade(replace(facts, contribution={"points": 9.0, "team_points": 10.0}))
    assert (without_lines.contribution_change, without_lines.contribution_lines) == (-1.0, ())
    alone = explain_grade(replace(facts, contribution=None))
    assert (alone.contribution_change, alone.contribution_lines) == (0.0, ())
