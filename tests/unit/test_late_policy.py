"""Late work: when it is still accepted, how late it is, and what it costs."""

from datetime import UTC, datetime, timedelta, tzinfo

import pytest

from assessment.errors import PhaseClosed
from assessment.grading import Lateness, LatePolicy, SubmissionWindow, apply_late_penalty, days_late

OPENS = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 8, 23, 59, tzinfo=UTC)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
MICRO = timedelta(microseconds=1)


def window(accept_late=True, late_until=DUE + 3 * DAY, penalty_per_day=10.0) -> SubmissionWindow:
    return SubmissionWindow(OPENS, DUE, LatePolicy(accept_late, late_until, penalty_per_day))


@pytest.mark.parametrize(("submitted_at", "days"), [
    (DUE - DAY, 0),
    (DUE - MICRO, 0),
    (DUE, 1),  # the deadline itself starts the first day
    (DUE + timedelta(microseconds=1), 1),
    (DUE + SECOND, 1),
    (DUE + DAY, 1),
    (DUE + DAY + SECOND, 2),
    (DUE + 2 * DAY, 2),
    (DUE + 10 * DAY - SECOND, 10),
])
def test_days_late_counts_started_24_hour_periods(submitted_at, days):
    assert days_late(submitted_at, DUE) == days


def test_work_handed_in_before_the_deadline_is_on_time_and_at_the_deadline_is_late():
    # The deadline is the first instant after the submission step, as every phase ends where the next begins.
    assert window().check(OPENS) == Lateness(is_late=False, days_late=0, penalty=0.0)
    assert window().check(DUE - MICRO) == Lateness(is_late=False, days_late=0, penalty=0.0)
    assert window().check(DUE) == Lateness(is_late=True, days_late=1, penalty=pytest.approx(0.1))
    assert window().check(DUE + MICRO) == Lateness(is_late=True, days_late=1, penalty=pytest.approx(0.1))


@pytest.mark.parametrize("moment", [DUE, DUE + MICRO])
def test_work_at_or_after_the_deadline_is_refused_without_late_work(moment):
    assert window(accept_late=False).check(DUE - MICRO).is_late is False
    with pytest.raises(PhaseClosed, match="The deadline passed on 8 March 2026 at 23:59 UTC"):
        window(accept_late=False).check(moment)


def test_one_second_late_costs_one_day_of_penalty():
    assert window().check(DUE + SECOND) == Lateness(is_late=True, days_late=1, penalty=pytest.approx(0.1))


def test_each_started_day_adds_the_daily_penalty():
    assert window().check(DUE + 2 * DAY + SECOND).penalty == pytest.approx(0.3)


def test_the_penalty_is_capped_at_the_whole_grade():
    lateness = window(late_until=DUE + 30 * DAY, penalty_per_day=40).check(DUE + 5 * DAY)
    assert lateness.days_late == 5
    assert lateness.penalty == 1.0


def test_late_work_without_a_penalty_is_marked_late_but_costs_nothing():
    assert window(penalty_per_day=0).check(DUE + SECOND) == Lateness(is_late=True, days_late=1, penalty=0.0)


def test_work_before_the_window_opens_is_refused_saying_when_it_opens():
    with pytest.raises(PhaseClosed, match="not open yet; they open on 1 March 2026 at 09:00 UTC"):
        window().check(OPENS - SECOND)


def test_late_work_is_refused_when_the_policy_does_not_accept_it():
    with pytest.raises(PhaseClosed) as raised:
        window(accept_late=False).check(DUE + SECOND)
    assert raised.value.message == (
        "The deadline passed on 8 March 2026 at 23:59 UTC and this assignment does not accept late work. "
        "Ask your instructor if you need an extension."
    )


@pytest.mark.parametrize("moment", [DUE + 3 * DAY, DUE + 3 * DAY + MICRO])
def test_late_work_is_accepted_until_the_late_limit_and_refused_from_it(moment):
    assert window().check(DUE + 3 * DAY - MICRO).days_late == 3
    with pytest.raises(PhaseClosed, match="Late submissions closed on 11 March 2026 at 23:59 UTC"):
        window().check(moment)


def test_a_policy_refusing_late_work_needs_nothing_else():
    assert LatePolicy(accept_late=False, penalty_per_day=500).problems(DUE) == {}


def test_accepting_late_work_needs_a_last_moment_after_the_deadline():
    assert LatePolicy(accept_late=True).problems(DUE) == {"until": "Choose the last moment late work is accepted."}
    assert LatePolicy(accept_late=True, late_until=DUE).problems(DUE) == {
        "until": "Late work must be accepted until some time after the submission deadline."
    }
    assert LatePolicy(accept_late=True, late_until=DUE + SECOND).problems(DUE) == {}


def test_a_naive_last_moment_is_refused():
    problems = LatePolicy(accept_late=True, late_until=datetime(2026, 3, 10)).problems(DUE)
    assert list(problems) == ["until"]


@pytest.mark.parametrize("penalty", [-1, 100.5, float("nan"), float("inf")])
def test_the_daily_penalty_is_a_percentage_from_0_to_100(penalty):
    problems = LatePolicy(accept_late=True, late_until=DUE + DAY, penalty_per_day=penalty).problems(DUE)
    assert problems == {"penalty_per_day": "The late penalty must be between 0 and 100 percent per day."}


def test_applying_a_penalty_takes_that_fraction_off_the_score():
    assert apply_late_penalty(80, 0.25) == 60
    assert apply_late_penalty(80, 0) == 80
    assert apply_late_penalty(80, 1) == 0


@pytest.mark.parametrize("penalty", [-0.1, 1.5, float("nan")])
def test_a_penalty_outside_0_to_1_is_a_programming_error(penalty):
    with pytest.raises(ValueError, match="fraction from 0 to 1"):
        apply_late_penalty(80, penalty)


@pytest.mark.parametrize("penalty", [0, 0.5, 100])
def test_a_daily_penalty_from_0_to_100_percent_is_allowed(penalty):
    assert LatePolicy(accept_late=True, late_until=DUE + SECOND, penalty_per_day=penalty).problems(DUE) == {}


@pytest.mark.parametrize("penalty", [True, "10"])
def test_a_daily_penalty_that_is_not_a_number_is_refused(penalty):
    problems = LatePolicy(accept_late=True, late_until=DUE + DAY, penalty_per_day=penalty).problems(DUE)
    assert problems == {"penalty_per_day": "The late penalty must be between 0 and 100 percent per day."}


def test_a_policy_refusing_late_work_ignores_its_other_fields():
    assert LatePolicy(accept_late=False, late_until=None, penalty_per_day=500).problems(DUE) == {}


@pytest.mark.parametrize(("late_until", "message"), [
    (None, "Choose the last moment late work is accepted."),
    (datetime(2026, 3, 10), "Give the last moment for late work with its time zone."),
    (DUE, "Late work must be accepted until some time after the submission deadline."),
    (DUE - SECOND, "Late work must be accepted until some time after the submission deadline."),
])
def test_the_last_moment_for_late_work_says_what_to_change(late_until, message):
    problems = LatePolicy(accept_late=True, late_until=late_until, penalty_per_day=-5).problems(DUE)
    assert problems == {"until": message, "penalty_per_day": "The late penalty must be between 0 and 100 percent per day."}


def test_a_full_daily_penalty_takes_everything_from_the_first_day():
    assert LatePolicy(True, DUE + DAY, 100).penalty_for(1) == 1.0
    assert LatePolicy(True, DUE + DAY, 100).penalty_for(0) == 0.0
    assert LatePolicy(True, DUE + DAY, 30).penalty_for(4) == 1.0
    assert LatePolicy(True, DUE + DAY, 30).penalty_for(3) == pytest.approx(0.9)


def test_refusals_say_when_submissions_open_and_when_late_work_closed():
    with pytest.raises(PhaseClosed) as before:
        window().check(OPENS - SECOND)
    assert before.value.message == "Submissions are not open yet; they open on 1 March 2026 at 09:00 UTC."
    assert window().check(OPENS) == Lateness.on_time()
    with pytest.raises(PhaseClosed) as refused:
        window(accept_late=False).check(DUE + SECOND)
    assert refused.value.message == ("The deadline passed on 8 March 2026 at 23:59 UTC and this assignment does not "
                                     "accept late work. Ask your instructor if you need an extension.")
    with pytest.raises(PhaseClosed) as closed:
        window().check(DUE + 3 * DAY + SECOND)
    assert closed.value.message == ("Late submissions closed on 11 March 2026 at 23:59 UTC. Ask your instructor if you "
                                    "need an extension.")
    with pytest.raises(PhaseClosed) as without_a_last_moment:
        window(late_until=None).check(DUE + SECOND)
    assert without_a_last_moment.value.message.startswith("Late submissions closed on 8 March 2026 at 23:59 UTC.")


@pytest.mark.parametrize("penalty", [True, float("inf")])
def test_a_penalty_that_is_not_a_finite_number_is_a_programming_error(penalty):
    with pytest.raises(ValueError, match="a late penalty is a fraction from 0 to 1, not"):
        apply_late_penalty(80, penalty)


def test_a_last_moment_whose_time_zone_gives_no_offset_is_refused_as_naive():
    class NoOffset(tzinfo):
        def utcoffset(self, moment):
            return None

    problems = LatePolicy(accept_late=True, late_until=datetime(2026, 3, 10, tzinfo=NoOffset())).problems(DUE)
    assert problems == {"until": "Give the last moment for late work with its time zone."}
