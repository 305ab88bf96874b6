"""Which reminders are due, before which deadline, for a student who still owes the step."""

from datetime import UTC, datetime, timedelta

import pytest

from assessment.phases import Timeline
from assessment.reminders import (
    Deadline,
    Owing,
    ReminderKind,
    current_offset,
    deadlines,
    due_reminders,
    parse_hours,
)

DUE = datetime(2026, 3, 10, 12, tzinfo=UTC)
OPENS = DUE - timedelta(days=7)
NOTHING_DONE = Owing(handed_in=False, calibrated=False, owes_reviews=True)
ALL_DONE = Owing(handed_in=True, calibrated=True, owes_reviews=False)


def deadline(kind=ReminderKind.SUBMISSION):
    return Deadline(kind, OPENS, DUE)


@pytest.mark.parametrize(("before_due", "offset"), [
    (timedelta(hours=49), None),  # not yet
    (timedelta(hours=48), 48),  # exactly on time
    (timedelta(hours=7), 48),
    (timedelta(hours=6), 6),  # the nearer one replaces it
    (timedelta(minutes=1), 6),
    (timedelta(0), None),  # the deadline itself: too late
    (-timedelta(hours=1), None),
])
def test_the_reminder_due_is_the_nearest_whose_moment_has_come_before_the_deadline(before_due, offset):
    assert current_offset(deadline(), (48, 6), DUE - before_due) == offset


def test_no_reminder_before_the_step_opens():
    late_opening = Deadline(ReminderKind.REVIEW, DUE - timedelta(hours=10), DUE)
    assert current_offset(late_opening, (48, 6), DUE - timedelta(hours=11)) is None
    assert current_offset(late_opening, (48, 6), DUE - timedelta(hours=9)) == 48


def test_no_hours_means_no_reminders():
    assert current_offset(deadline(), (), DUE - timedelta(hours=1)) is None


def test_each_step_is_reminded_only_while_the_student_still_owes_it():
    steps = [deadline(kind) for kind in ReminderKind]
    now = DUE - timedelta(hours=5)
    assert [r.kind for r in due_reminders(steps, (48, 6), now, NOTHING_DONE)] == list(ReminderKind)
    assert due_reminders(steps, (48, 6), now, ALL_DONE) == []
    owes_calibration = Owing(handed_in=True, calibrated=False, owes_reviews=False)
    assert [(r.kind, r.hours, r.due) for r in due_reminders(steps, (48, 6), now, owes_calibration)] == [
        (ReminderKind.CALIBRATION, 6, DUE)]


def test_an_assignment_without_calibration_has_two_deadlines_with_it_three():
    day = timedelta(days=1)
    timeline = Timeline(OPENS, OPENS + day, OPENS + day, OPENS + 2 * day, OPENS + 2 * day, OPENS + 3 * day,
                        OPENS + 4 * day)
    assert [d.kind for d in deadlines(timeline, calibration_step=False)] == [ReminderKind.SUBMISSION,
                                                                             ReminderKind.REVIEW]
    found = deadlines(timeline, calibration_step=True)
    assert [(d.kind, d.opens, d.due) for d in found] == [
        (ReminderKind.SUBMISSION, OPENS, OPENS + day),
        (ReminderKind.CALIBRATION, OPENS + day, OPENS + 2 * day),
        (ReminderKind.REVIEW, OPENS + 2 * day, OPENS + 3 * day)]


def test_hours_are_read_from_text_sorted_far_to_near_without_repeats():
    assert parse_hours("6, 48") == (48, 6)
    assert parse_hours(" 24;24 ,1 ") == (24, 1)
    assert parse_hours("") == ()
    assert parse_hours("336") == (336,)


@pytest.mark.parametrize("text", ["0", "337", "-5", "a day", "1.5", "1,2,3,4,5"])
def test_hours_out_of_range_or_not_whole_numbers_are_refused(text):
    with pytest.raises(ValueError, match="whole numbers of hours"):
        parse_hours(text)


def test_a_reminder_is_due_from_the_moment_the_step_opens():
    late_opening = Deadline(ReminderKind.REVIEW, DUE - timedelta(hours=10), DUE)
    assert current_offset(late_opening, (48, 6), DUE - timedelta(hours=10)) == 48
    assert current_offset(late_opening, (48, 6), DUE - timedelta(hours=10, microseconds=1)) is None


def test_four_reminders_are_allowed_and_five_are_not():
    assert parse_hours("1,2,3,4") == (4, 3, 2, 1)
    with pytest.raises(ValueError) as refused:
        parse_hours("1,2,3,4,5")
    assert str(refused.value) == ("Write up to 4 whole numbers of hours between 1 and 336, separated by commas, such as "
                                  "48, 6 (or leave it empty for no reminders).")
