"""A student's own dates: extensions move their deadlines, never shorten a step, and stop at the results date."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo

from assessment.grading import LatePolicy
from assessment.personal_dates import Grant, Step, grant_problems, personal_dates, personal_timeline
from assessment.phases import Phase, Timeline

SECOND = timedelta(seconds=1)


def day(number: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, number, hour, tzinfo=UTC)


def timeline(**changes) -> Timeline:
    base = Timeline(submission_opens=day(1), submission_due=day(8), calibration_opens=day(9), calibration_due=day(11),
                    review_opens=day(12), review_due=day(19), results_release=day(21))
    return replace(base, **changes)


def without_calibration() -> Timeline:
    return timeline(calibration_opens=None, calibration_due=None, review_opens=day(8))


def test_without_grants_the_student_keeps_the_class_timeline():
    assert personal_timeline(timeline(), []) == timeline()


def test_extra_time_moves_the_submission_deadline_and_keeps_later_steps_open_at_least_as_long():
    own = personal_timeline(timeline(), [Grant(Step.SUBMISSION, extra=timedelta(days=2))])
    assert own.submission_due == day(10)
    assert own.calibration_due == day(11)  # already later than the new submission deadline
    assert own.review_due == day(19)
    assert (own.submission_opens, own.calibration_opens, own.review_opens) == (day(1), day(9), day(12))


def test_a_submission_date_past_the_review_deadline_keeps_reviewing_open_for_the_student_until_then():
    own = personal_timeline(timeline(), [Grant(Step.SUBMISSION, until=day(20))])
    assert (own.submission_due, own.calibration_due, own.review_due) == (day(20), day(20), day(20))
    assert own.phase_at(day(19)) is Phase.REVIEW
    assert own.phase_at(day(20) - SECOND) is Phase.REVIEW
    assert own.phase_at(day(20)) is Phase.GRADING


def test_the_latest_of_a_students_and_their_teams_grants_counts():
    own = personal_timeline(timeline(), [Grant(Step.REVIEW, until=day(20)), Grant(Step.REVIEW, extra=timedelta(hours=6))])
    assert own.review_due == day(20)


def test_an_lms_date_replaces_the_class_submission_deadline_even_when_earlier():
    own = personal_timeline(timeline(), [Grant(Step.SUBMISSION, until=day(7), from_lms=True)])
    assert own.submission_due == day(7)
    later = personal_timeline(timeline(), [Grant(Step.SUBMISSION, until=day(9), from_lms=True),
                                           Grant(Step.SUBMISSION, extra=timedelta(days=3))])
    assert later.submission_due == day(11)  # staff extension counted from the class deadline, and later


def test_an_extension_must_end_after_the_class_deadline():
    assert "until" in grant_problems(timeline(), Grant(Step.SUBMISSION, until=day(8)))
    assert "until" in grant_problems(timeline(), Grant(Step.SUBMISSION, until=day(8) - SECOND))
    assert grant_problems(timeline(), Grant(Step.SUBMISSION, until=day(8) + SECOND)) == {}
    assert "extra" in grant_problems(timeline(), Grant(Step.REVIEW, extra=timedelta(0)))
    # Kept in whole minutes: half a minute would be kept as none, a little more as one minute.
    assert "extra" in grant_problems(timeline(), Grant(Step.REVIEW, extra=30 * SECOND))
    assert grant_problems(timeline(), Grant(Step.REVIEW, extra=31 * SECOND)) == {}


def test_an_extension_cannot_end_after_the_results_date():
    assert grant_problems(timeline(), Grant(Step.REVIEW, until=day(21))) == {}
    problems = grant_problems(timeline(), Grant(Step.REVIEW, until=day(21) + SECOND))
    assert "after results are released" in problems["until"]
    assert grant_problems(timeline(), Grant(Step.CALIBRATION, extra=timedelta(days=10))) == {}
    assert "extra" in grant_problems(timeline(), Grant(Step.CALIBRATION, extra=timedelta(days=10) + SECOND))


def test_calibration_cannot_be_extended_where_there_is_none():
    assert "step" in grant_problems(without_calibration(), Grant(Step.CALIBRATION, extra=timedelta(days=1)))


def test_a_grant_gives_extra_time_or_a_date_not_both_nor_neither():
    assert "until" in grant_problems(timeline(), Grant(Step.REVIEW))
    assert "until" in grant_problems(timeline(), Grant(Step.REVIEW, extra=SECOND, until=day(20)))
    assert "until" in grant_problems(timeline(), Grant(Step.REVIEW, until=datetime(2026, 3, 20)))  # naive


def test_late_work_is_counted_from_the_personal_deadline_and_the_late_window_keeps_its_length():
    policy = LatePolicy(accept_late=True, late_until=day(9), penalty_per_day=10)
    dates = personal_dates(timeline(), policy, [Grant(Step.SUBMISSION, extra=timedelta(days=3))])
    assert dates.timeline.submission_due == day(11)
    assert dates.late_policy.late_until == day(12)
    assert personal_dates(timeline(), policy, []).late_policy == policy


def test_a_release_by_staff_does_not_cut_a_running_extension_short():
    dates = personal_dates(timeline(), LatePolicy(accept_late=False), [Grant(Step.SUBMISSION, until=day(20))])
    assert dates.phase_at(day(19), Phase.RELEASED) is Phase.REVIEW
    assert dates.waiting(day(20) - SECOND, Phase.RELEASED)
    assert not dates.waiting(day(20), Phase.RELEASED)
    assert dates.phase_at(day(19), Phase.SUBMISSION) is Phase.SUBMISSION  # a move back holds for everyone
    unextended = personal_dates(timeline(), LatePolicy(accept_late=False), [])
    assert unextended.phase_at(day(15), Phase.RELEASED) is Phase.RELEASED
    assert not unextended.waiting(day(15), None)


def test_once_the_extension_has_ended_a_release_by_staff_holds_for_the_student_too():
    # Their grade, released after their date, is the gradebook's: they read it (and its feedback) as the class did.
    dates = personal_dates(timeline(), LatePolicy(accept_late=False), [Grant(Step.SUBMISSION, until=day(20))])
    assert dates.phase_at(day(20) - SECOND, Phase.RELEASED) is Phase.REVIEW
    assert dates.phase_at(day(20), Phase.RELEASED) is Phase.RELEASED
    assert dates.phase_at(day(20), Phase.GRADING) is Phase.GRADING
    assert dates.phase_at(day(20), None) is Phase.GRADING  # by the dates alone, results come on the class's date
    assert dates.phase_at(day(21), None) is Phase.RELEASED
class _NoOffset(tzinfo):
    """A time zone that does not know its offset: a date in it is as good as naive."""

    def utcoffset(self, moment):
        return None

    def dst(self, moment):
        return None


def test_each_refused_extension_is_told_what_to_change():
    assert grant_problems(without_calibration(), Grant(Step.CALIBRATION, extra=SECOND)) == {
        "step": "This assignment has no calibration step to extend."}
    assert grant_problems(timeline(), Grant(Step.REVIEW)) == {"until": "Give either extra time or a new date, not both."}
    assert grant_problems(timeline(), Grant(Step.REVIEW, extra=SECOND, until=day(20))) == {
        "until": "Give either extra time or a new date, not both."}
    assert grant_problems(timeline(), Grant(Step.REVIEW, until=datetime(2026, 3, 20))) == {
        "until": "Give the new date with its time zone."}
    assert grant_problems(timeline(), Grant(Step.REVIEW, until=datetime(2026, 3, 20, tzinfo=_NoOffset()))) == {
        "until": "Give the new date with its time zone."}
    assert grant_problems(timeline(), Grant(Step.SUBMISSION, until=day(8))) == {
        "until": "An extension must end after the submission deadline of the class, 8 March 2026 at 00:00 UTC."}
    too_late = grant_problems(timeline(), Grant(Step.REVIEW, until=day(21) + SECOND))
    assert too_late == {"until": "An extension cannot end after results are released, 21 March 2026 at 00:00 UTC; "
                                 "move the results date first if this student needs longer."}
    assert too_late["until"].params == {"release": day(21)}


def test_extra_time_of_nothing_or_less_is_refused_as_such():
    for extra in (timedelta(0), -SECOND):
        assert grant_problems(timeline(), Grant(Step.REVIEW, extra=extra)) == {
            "extra": "Extra time must be more than nothing."}


def test_the_class_deadline_an_extension_must_pass_is_named_with_its_step():
    problems = grant_problems(timeline(), Grant(Step.CALIBRATION, extra=60 * SECOND, until=None))
    assert problems == {}
    refused = grant_problems(timeline(), Grant(Step.CALIBRATION, until=day(11)))
    assert refused == {"until": "An extension must end after the calibration deadline of the class, "
                                "11 March 2026 at 00:00 UTC."}
    assert refused["until"].params == {"step": "calibration", "due": day(11)}


def test_a_staff_move_back_keeps_an_extended_student_waiting_after_their_own_dates_ended():
    dates = personal_dates(timeline(), LatePolicy(accept_late=False), [Grant(Step.SUBMISSION, until=day(10))])
    # By the dates the class and the student are being graded; staff moved everyone back to reviewing.
    assert dates.phase_at(day(20), None) is Phase.GRADING
    assert not dates.waiting(day(20), None)
    assert dates.waiting(day(20), Phase.REVIEW)


def test_only_an_lms_submission_date_is_the_lms_due_date():
    policy = LatePolicy(accept_late=False)
    assert personal_dates(timeline(), policy, [Grant(Step.SUBMISSION, until=day(7), from_lms=True)]).lms_due == day(7)
    assert personal_dates(timeline(), policy, [Grant(Step.SUBMISSION, until=day(9))]).lms_due is None
    assert personal_dates(timeline(), policy, [Grant(Step.REVIEW, until=day(20), from_lms=True)]).lms_due is None
    assert personal_dates(timeline(), policy, []).lms_due is None


def test_a_date_for_another_step_does_not_move_the_submission_deadline():
    assert personal_timeline(timeline(), [Grant(Step.REVIEW, until=day(20))]).submission_due == day(8)
    assert personal_timeline(timeline(), [Grant(Step.REVIEW, until=day(20))]).review_due == day(20)
    assert personal_timeline(timeline(), [Grant(Step.REVIEW, until=day(20), from_lms=True)]).submission_due == day(8)


def test_a_grant_without_extra_time_or_a_date_ends_at_the_class_deadline():
    assert Grant(Step.REVIEW).due(day(19)) == day(19)
    assert Grant(Step.REVIEW, extra=SECOND).due(day(19)) == day(19) + SECOND
