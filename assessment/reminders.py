"""Which reminders are due: the deadlines of an assignment, the hours before them, and what a student still owes."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from assessment.messages import N_
from assessment.phases import Timeline

DEFAULT_REMINDER_HOURS = (48, 6)
MAX_REMINDERS = 4
MAX_REMINDER_HOURS = 24 * 14


class ReminderKind(enum.StrEnum):
    SUBMISSION = "submission"  # hand in work before submissions close
    CALIBRATION = "calibration"  # finish the calibration examples before calibration closes
    REVIEW = "review"  # finish the reviews owed before reviewing closes


@dataclass(frozen=True)
class Deadline:
    kind: ReminderKind
    opens: datetime  # no reminder before the step has opened: nobody can act on it yet
    due: datetime


@dataclass(frozen=True)
class Owing:
    """What a student has still to do, as the staff's progress rows count it."""

    handed_in: bool
    calibrated: bool
    owes_reviews: bool


@dataclass(frozen=True)
class DueReminder:
    kind: ReminderKind
    hours: int  # how many hours before the deadline this reminder is set for
    due: datetime


def deadlines(timeline: Timeline, calibration_step: bool) -> list[Deadline]:
    found = [Deadline(ReminderKind.SUBMISSION, timeline.submission_opens, timeline.submission_due)]
    if calibration_step and timeline.calibration_due is not None:
        found.append(Deadline(ReminderKind.CALIBRATION, timeline.calibration_opens or timeline.submission_opens,
                              timeline.calibration_due))
    found.append(Deadline(ReminderKind.REVIEW, timeline.review_opens, timeline.review_due))
    return found


def current_offset(deadline: Deadline, hours: Sequence[int], now: datetime) -> int | None:
    """The reminder whose moment has come for this deadline, or None.

    Rules:
    1. A reminder set `h` hours before is due from `due - h` until the deadline itself; none after the deadline.
    2. When several are due (the beat was down, or the hours were set late), only the nearest to the deadline is
       sent: two reminders in the same minute say nothing the last one does not.
    3. None before the step opens: the student could not act on it."""
    if now >= deadline.due or now < deadline.opens:
        return None
    due = [h for h in hours if deadline.due - timedelta(hours=h) <= now]
    return min(due) if due else None


def still_owed(kind: ReminderKind, owing: Owing) -> bool:
    if kind is ReminderKind.SUBMISSION:
        return not owing.handed_in
    if kind is ReminderKind.CALIBRATION:
        return not owing.calibrated
    return owing.owes_reviews


def due_reminders(timeline_deadlines: Sequence[Deadline], hours: Sequence[int], now: datetime,
                  owing: Owing) -> list[DueReminder]:
    """The reminders a student should have now: a deadline near, and the step it closes still undone."""
    found = []
    for deadline in timeline_deadlines:
        offset = current_offset(deadline, hours, now)
        if offset is not None and still_owed(deadline.kind, owing):
            found.append(DueReminder(deadline.kind, offset, deadline.due))
    return found


def parse_hours(text: str) -> tuple[int, ...]:
    """"48, 6" -> (48, 6); ValueError (with a message for the form) for anything else. Empty: no reminders."""
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    try:
        hours = [int(part) for part in parts]
    except ValueError:
        raise ValueError(REMINDER_HOURS_PROBLEM) from None
    return normalised_hours(hours)


def normalised_hours(hours: Sequence[int]) -> tuple[int, ...]:
    # A tick box (True == 1) or a fraction of an hour is not a number of hours.
    if len(hours) > MAX_REMINDERS or any(isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= MAX_REMINDER_HOURS
                                         for h in hours):
        raise ValueError(REMINDER_HOURS_PROBLEM)
    return tuple(sorted(set(hours), reverse=True))


REMINDER_HOURS_PROBLEM: str = N_(
    "Write up to 4 whole numbers of hours between 1 and 336, separated by commas, such as 48, 6 (or leave it empty "
    "for no reminders)."
)
