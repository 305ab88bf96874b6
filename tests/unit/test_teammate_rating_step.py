"""The "Rate your teammates" step of a student's checklist: where it stands, and when it is the next thing to do."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from assessment.phases import Phase
from assessment.student_progress import Action, StepKind, StepState, TeammateRatingFacts, progress
from tests.unit.test_student_progress import DATES, FRESH

OPEN = TeammateRatingFacts(rated=0, to_rate=2, window="open", opens=None, closes=DATES.results_release)


def _step(**facts):
    situation = replace(FRESH, submitted=True, teammate_rating=replace(OPEN, **facts))
    return progress(situation).step(StepKind.RATE_TEAMMATES), progress(situation)


def test_without_teammate_evaluation_there_is_no_rating_step():
    assert progress(FRESH).step(StepKind.RATE_TEAMMATES) is None


def test_an_open_window_with_teammates_owed_makes_rating_the_next_step_until_results_are_out():
    step, result = _step()

    assert (step.state, step.due, step.done_count, step.total_count) == (
        StepState.CURRENT, DATES.results_release, 0, 2)
    assert (result.next.action, result.next.step) == (Action.RATE_TEAMMATES, StepKind.RATE_TEAMMATES)


def test_rating_one_teammate_of_two_leaves_the_step_open_and_both_makes_it_done():
    assert _step(rated=1)[0].state is StepState.CURRENT
    assert _step(rated=2)[0].state is StepState.DONE


def test_before_the_teams_work_is_in_the_step_waits_for_the_deadline():
    step, _ = _step(window="not_yet", opens=DATES.submission_due)

    assert (step.state, step.opens) == (StepState.UPCOMING, DATES.submission_due)


def test_ratings_owed_when_results_are_released_are_missed_and_the_feedback_comes_next():
    situation = replace(FRESH, phase=Phase.RELEASED, now=DATES.results_release + timedelta(hours=1), submitted=True,
                        teammate_rating=replace(OPEN, rated=1, window="closed", closes=None))

    result = progress(situation)

    assert result.step(StepKind.RATE_TEAMMATES).state is StepState.MISSED
    assert result.next.action is Action.READ_FEEDBACK


def test_a_member_with_no_teammate_left_to_rate_is_not_asked_to():
    assert _step(to_rate=0)[0].state is StepState.NOT_NEEDED


def test_the_rating_step_comes_before_the_feedback_step():
    _, result = _step()

    assert [step.kind for step in result.steps][-2:] == [StepKind.RATE_TEAMMATES, StepKind.FEEDBACK]


def test_the_step_counts_the_teammates_rated_in_every_state():
    counts = {
        "not needed": _step(to_rate=0)[0],
        "done": _step(rated=3),
        "upcoming": _step(rated=1, window="not_yet", opens=DATES.submission_due)[0],
    }
    counts["done"] = counts["done"][0]
    assert {name: (step.done_count, step.total_count) for name, step in counts.items()} == {
        "not needed": (0, 0), "done": (2, 2), "upcoming": (1, 2)}
    situation = replace(FRESH, phase=Phase.RELEASED, now=DATES.results_release + timedelta(hours=1), submitted=True,
                        teammate_rating=replace(OPEN, rated=1, window="closed", closes=None))
    missed = progress(situation).step(StepKind.RATE_TEAMMATES)
    assert (missed.state, missed.done_count, missed.total_count) == (StepState.MISSED, 1, 2)
