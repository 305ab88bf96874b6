"""When teammates may rate each other: from the team's hand-in or the submission deadline until results are out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assessment.phases import Phase, Timeline
from assessment.teammate_ratings import RatingWindow, WindowState, rating_window

DUE = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
TIMELINE = Timeline(submission_opens=DUE - timedelta(days=7), submission_due=DUE, calibration_opens=None,
                    calibration_due=None, review_opens=DUE, review_due=DUE + timedelta(days=7),
                    results_release=DUE + timedelta(days=8))
SECOND = timedelta(seconds=1)


def test_a_team_that_handed_in_may_rate_before_the_deadline():
    assert rating_window(TIMELINE, Phase.SUBMISSION, True, DUE - timedelta(days=3)) == RatingWindow(
        WindowState.OPEN, closes=TIMELINE.results_release)


def test_a_team_that_has_not_handed_in_waits_for_the_deadline_to_the_second():
    assert rating_window(TIMELINE, Phase.SUBMISSION, False, DUE - SECOND) == RatingWindow(WindowState.NOT_YET, opens=DUE)
    assert rating_window(TIMELINE, Phase.SUBMISSION, False, DUE).state is WindowState.OPEN


def test_moving_past_the_submission_phase_by_hand_opens_rating_for_every_team():
    assert rating_window(TIMELINE, Phase.REVIEW, False, DUE - timedelta(days=3)).state is WindowState.OPEN
    assert rating_window(TIMELINE, Phase.GRADING, False, DUE - timedelta(days=3)).state is WindowState.OPEN


def test_nothing_is_rated_in_setup_even_after_a_hand_in():
    assert rating_window(TIMELINE, Phase.SETUP, True, DUE + SECOND).state is WindowState.NOT_YET


def test_rating_closes_when_results_are_released():
    assert rating_window(TIMELINE, Phase.RELEASED, True, TIMELINE.results_release) == RatingWindow(WindowState.CLOSED)
    assert rating_window(TIMELINE, Phase.GRADING, True, TIMELINE.results_release - SECOND).state is WindowState.OPEN
