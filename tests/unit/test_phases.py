"""The phase timeline: dates in order, the phase open at each moment, and what comes next."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

from assessment.errors import InvalidInput
from assessment.phases import Phase, Timeline

SECOND = timedelta(seconds=1)


def day(number: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, number, hour, tzinfo=UTC)


def timeline(**changes) -> Timeline:
    base = Timeline(
        submission_opens=day(1),
        submission_due=day(8),
        calibration_opens=day(9),
        calibration_due=day(11),
        review_opens=day(12),
        review_due=day(19),
        results_release=day(21),
    )
    return replace(base, **changes)


def without_calibration(**changes) -> Timeline:
    return timeline(**{"calibration_opens": None, "calibration_due": None, "review_opens": day(8), **changes})


def test_dates_in_order_have_no_problems():
    assert timeline().problems() == {}
    assert without_calibration().problems() == {}
    timeline().validate()


def test_a_deadline_may_coincide_with_the_next_opening():
    assert timeline(calibration_opens=day(8), review_opens=day(11), results_release=day(19)).problems() == {}


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"submission_due": day(1)}, "submission_due", "after submissions open"),
    ({"calibration_opens": day(7)}, "calibration_opens", "submission deadline has passed"),
    ({"calibration_due": day(9)}, "calibration_due", "after calibration opens"),
    ({"review_opens": day(10)}, "review_opens", "calibration deadline has passed"),
    ({"review_due": day(12)}, "review_due", "after reviews open"),
    ({"results_release": day(18)}, "results_release", "review deadline has passed"),
])
def test_each_date_out_of_order_is_named_with_a_message(changes, field, words):
    problems = timeline(**changes).problems()
    assert field in problems
    assert words in problems[field]


def test_without_calibration_reviews_open_only_after_the_submission_deadline():
    problems = without_calibration(review_opens=day(7)).problems()
    assert problems == {"review_opens": "Reviews can open only once the submission deadline has passed."}


@pytest.mark.parametrize(("opens", "due", "missing"), [
    (day(9), None, "calibration_due"),
    (None, day(11), "calibration_opens"),
])
def test_calibration_needs_both_dates_or_neither(opens, due, missing):
    problems = timeline(calibration_opens=opens, calibration_due=due).problems()
    assert problems == {missing: "Give both calibration dates, or neither to skip calibration."}


def test_naive_datetimes_are_refused_rather_than_guessed():
    problems = timeline(review_due=datetime(2026, 3, 19)).problems()
    assert problems == {"review_due": "Give this date with its time zone."}


def test_dates_in_different_time_zones_are_compared_as_instants():
    paris = timezone(timedelta(hours=1))
    # 8 March 00:30 in Paris is 7 March 23:30 UTC: before the deadline, so calibration would open too early.
    problems = timeline(calibration_opens=datetime(2026, 3, 8, 0, 30, tzinfo=paris)).problems()
    assert "calibration_opens" in problems


def test_validate_raises_invalid_input_with_the_problems():
    with pytest.raises(InvalidInput) as raised:
        timeline(review_due=day(12)).validate()
    assert raised.value.problems == {"review_due": "The review deadline must be after reviews open."}


@pytest.mark.parametrize(("moment", "phase"), [
    (day(1) - SECOND, Phase.SETUP),
    (day(1), Phase.SUBMISSION),
    (day(8), Phase.SUBMISSION),  # the deadline itself still belongs to submission (late work, if allowed)
    (day(9) - SECOND, Phase.SUBMISSION),
    (day(9), Phase.CALIBRATION),
    (day(12) - SECOND, Phase.CALIBRATION),
    (day(12), Phase.REVIEW),
    (day(19) - SECOND, Phase.REVIEW),
    (day(19), Phase.GRADING),
    (day(21) - SECOND, Phase.GRADING),
    (day(21), Phase.RELEASED),
    (day(30), Phase.RELEASED),
])
def test_the_phase_at_each_boundary_is_the_latest_that_has_started(moment, phase):
    assert timeline().phase_at(moment) is phase


def test_without_calibration_submission_leads_straight_to_review():
    plan = without_calibration()
    assert plan.phase_at(day(8) - SECOND) is Phase.SUBMISSION
    assert plan.phase_at(day(8)) is Phase.REVIEW
    assert Phase.CALIBRATION not in dict(plan.milestones())
    assert not plan.has_calibration and timeline().has_calibration


def test_phases_starting_at_the_same_instant_give_the_later_one():
    plan = timeline(results_release=day(19))
    assert plan.phase_at(day(19)) is Phase.RELEASED


@pytest.mark.parametrize("override", list(Phase))
def test_an_instructor_override_wins_over_the_dates(override):
    assert timeline().phase_at(day(1) - SECOND, override) is override
    assert timeline().phase_at(day(30), override) is override


def test_phase_at_refuses_a_naive_moment():
    with pytest.raises(ValueError, match="naive"):
        timeline().phase_at(datetime(2026, 3, 5))


@pytest.mark.parametrize(("moment", "expected"), [
    (day(1) - SECOND, (Phase.SUBMISSION, day(1))),
    (day(1), (Phase.CALIBRATION, day(9))),
    (day(10), (Phase.REVIEW, day(12))),
    (day(12), (Phase.GRADING, day(19))),
    (day(20), (Phase.RELEASED, day(21))),
    (day(21), None),
])
def test_next_change_says_what_comes_next_and_when(moment, expected):
    assert timeline().next_change(moment) == expected


def test_next_change_skips_a_phase_that_would_last_no_time():
    plan = timeline(results_release=day(19))
    assert plan.next_change(day(12)) == (Phase.RELEASED, day(19))


def test_phases_are_strings_for_storage_and_templates():
    assert Phase.REVIEW == "review"
    assert Phase("released") is Phase.RELEASED


# Each order rule on both sides, and every problem at once.

@pytest.mark.parametrize(("changes", "problems"), [
    ({"submission_due": day(1)}, {"submission_due": "The submission deadline must be after submissions open."}),
    ({"calibration_opens": day(8) - SECOND},
     {"calibration_opens": "Calibration can open only once the submission deadline has passed."}),
    ({"calibration_due": day(9)}, {"calibration_due": "The calibration deadline must be after calibration opens."}),
    ({"review_opens": day(11) - SECOND},
     {"review_opens": "Reviews can open only once the calibration deadline has passed."}),
    ({"review_due": day(12)}, {"review_due": "The review deadline must be after reviews open."}),
    ({"results_release": day(19) - SECOND},
     {"results_release": "Results can be released only once the review deadline has passed."}),
])
def test_each_date_a_second_too_early_is_refused_with_its_message(changes, problems):
    assert timeline(**changes).problems() == problems


@pytest.mark.parametrize("changes", [
    {"submission_due": day(1) + SECOND},
    {"calibration_opens": day(8)},
    {"calibration_due": day(9) + SECOND},
    {"review_opens": day(11)},
    {"review_due": day(12) + SECOND},
    {"results_release": day(19)},
])
def test_each_date_at_its_earliest_is_allowed(changes):
    assert timeline(**changes).problems() == {}


def test_a_date_already_refused_is_not_compared_again_and_its_successor_is_still_checked():
    # Calibration opening before the deadline is one problem; reviews opening before calibration closes is another;
    # reviews opening before the deadline too adds nothing to review_opens, which keeps its first message.
    problems = timeline(calibration_opens=day(7), review_opens=day(7, 1), review_due=day(7, 2)).problems()
    assert problems == {
        "calibration_opens": "Calibration can open only once the submission deadline has passed.",
        "review_opens": "Reviews can open only once the calibration deadline has passed.",
    }


def test_every_naive_date_is_named_and_a_missing_calibration_date_too():
    naive = datetime(2026, 3, 1)
    problems = timeline(submission_opens=naive, results_release=naive, calibration_due=None).problems()
    assert problems == {
        "submission_opens": "Give this date with its time zone.",
        "results_release": "Give this date with its time zone.",
        "calibration_due": "Give both calibration dates, or neither to skip calibration.",
    }


def test_a_time_zone_without_an_offset_is_naive():
    class NoOffset(tzinfo):
        def utcoffset(self, moment):
            return None

    problems = timeline(review_due=datetime(2026, 3, 19, tzinfo=NoOffset())).problems()
    assert problems == {"review_due": "Give this date with its time zone."}
    with pytest.raises(ValueError) as raised:
        timeline().next_change(datetime(2026, 3, 5, tzinfo=NoOffset()))
    assert str(raised.value) == "naive datetimes are ambiguous; pass an aware datetime"


def test_the_milestones_are_each_phase_start_in_order():
    assert timeline().milestones() == (
        (Phase.SUBMISSION, day(1)), (Phase.CALIBRATION, day(9)), (Phase.REVIEW, day(12)), (Phase.GRADING, day(19)),
        (Phase.RELEASED, day(21)),
    )
    assert [phase for phase, _ in timeline(calibration_due=None).milestones()] == [
        Phase.SUBMISSION, Phase.REVIEW, Phase.GRADING, Phase.RELEASED]
    assert not timeline(calibration_opens=None).has_calibration


def test_next_change_from_the_last_instant_before_a_phase_is_that_phase():
    assert timeline().next_change(day(9) - SECOND) == (Phase.CALIBRATION, day(9))
    assert timeline().next_change(day(21) - SECOND) == (Phase.RELEASED, day(21))
    assert timeline().next_change(day(30)) is None


def test_next_change_is_a_real_change_even_on_dates_out_of_order():
    # Calibration set to open after reviews (refused by validate): its start changes nothing, so it is not next.
    plan = timeline(calibration_opens=day(15), calibration_due=day(16))
    assert plan.phase_at(day(13)) is Phase.REVIEW
    assert plan.next_change(day(13)) == (Phase.GRADING, day(19))
