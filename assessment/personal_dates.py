"""A student's own dates: the assignment's timeline moved by the extensions staff (or the LMS) gave them or their team."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from assessment.grading import LatePolicy
from assessment.messages import N_
from assessment.phases import Phase, Timeline


class Step(enum.StrEnum):
    SUBMISSION = "submission"
    CALIBRATION = "calibration"
    REVIEW = "review"


# How a step is named in a sentence ("the review deadline").
STEP_NAMES = {
    Step.SUBMISSION: N_("submission"),
    Step.CALIBRATION: N_("calibration"),
    Step.REVIEW: N_("review"),
}

# The field of the timeline that holds each step's deadline.
_DUE_FIELD = {Step.SUBMISSION: "submission_due", Step.CALIBRATION: "calibration_due", Step.REVIEW: "review_due"}

PHASE_ORDER = tuple(Phase)


@dataclass(frozen=True)
class Grant:
    """One extension of one step: extra time after the class deadline, or a date of its own (exactly one of them)."""

    step: Step
    extra: timedelta | None = None
    until: datetime | None = None
    from_lms: bool = False  # the LMS's own date for this student (Canvas's per-student due date)

    def due(self, class_due: datetime) -> datetime:
        if self.until is not None:
            return self.until
        return class_due + (self.extra or timedelta(0))


def class_due(timeline: Timeline, step: Step) -> datetime | None:
    """The class deadline of a step; None for calibration when the assignment has no such step."""
    due: datetime | None = getattr(timeline, _DUE_FIELD[step])
    return due


def grant_problems(timeline: Timeline, grant: Grant) -> dict[str, str]:
    """What to change in an extension before it is kept; empty when it can be given.

    1. The step must exist in this assignment (calibration only where it has that step).
    2. Exactly one of extra time and a date; extra time is more than nothing once kept in whole minutes.
    3. The new date is after the step's class deadline (an extension never shortens a step) and no later than the
       results date (by then every grade is released).
    """
    due = class_due(timeline, grant.step)
    if due is None:
        return {"step": N_("This assignment has no calibration step to extend.")}
    if (grant.extra is None) == (grant.until is None):
        return {"until": N_("Give either extra time or a new date, not both.")}
    if grant.extra is not None and round(grant.extra.total_seconds() / 60) < 1:
        return {"extra": N_("Extra time must be more than nothing.")}
    if grant.until is not None and (grant.until.tzinfo is None or grant.until.utcoffset() is None):
        return {"until": N_("Give the new date with its time zone.")}
    new_due = grant.due(due)
    field = "extra" if grant.extra is not None else "until"
    if new_due <= due:
        return {field: N_("An extension must end after the %(step)s deadline of the class, %(due)s.",
                          step=STEP_NAMES[grant.step], due=due)}
    if new_due > timeline.results_release:
        return {field: N_("An extension cannot end after results are released, %(release)s; move the results date "
                          "first if this student needs longer.", release=timeline.results_release)}
    return {}


def personal_timeline(timeline: Timeline, grants: Sequence[Grant]) -> Timeline:
    """The student's own timeline from the class's and the grants that concern them (their own and their team's).

    0. A date the LMS gave for this student's submission replaces the class deadline, earlier or later (the LMS
       holds the student's overrides); extensions given here are still counted from the class deadline.
    1. A step's deadline is the latest of the class (or LMS) deadline and every grant for that step.
    2. A step never closes for a student before the step it follows: an extended submission keeps calibration and
       reviewing open for them until at least that date.
    3. Openings stay the class's: an extended student calibrates and reviews alongside the class if they wish.
    """
    dues: dict[Step, datetime | None] = {step: class_due(timeline, step) for step in Step}
    for grant in grants:
        if grant.from_lms and grant.step is Step.SUBMISSION and grant.until is not None:
            dues[Step.SUBMISSION] = grant.until
    for grant in grants:
        if grant.from_lms:
            continue
        due = dues[grant.step]
        if due is not None:
            dues[grant.step] = max(due, grant.due(class_due(timeline, grant.step) or due))
    submission_due = dues[Step.SUBMISSION]
    assert submission_due is not None
    calibration_due = dues[Step.CALIBRATION]
    if calibration_due is not None:
        calibration_due = max(calibration_due, submission_due)
    review_due = max(d for d in (dues[Step.REVIEW], calibration_due, submission_due) if d is not None)
    return replace(timeline, submission_due=submission_due, calibration_due=calibration_due, review_due=review_due)


@dataclass(frozen=True)
class PersonalDates:
    """The dates one student works to: the class's, or their own where an extension moved them."""

    timeline: Timeline
    late_policy: LatePolicy
    extended: bool  # some grant concerns this student
    lms_due: datetime | None = None  # the submission deadline as the LMS gave it, when it did

    def phase_at(self, now: datetime, override: Phase | None) -> Phase:
        """The phase this student is in.

        1. Without an extension, the class's phase (staff's override, or the dates).
        2. With one, their own dates, except that a staff move by hand to an earlier phase, or to setup, holds for
           them too; a move to grading or release (a release moves the class on) does not cut their extension short.
        3. Once their own steps have ended, a move by hand holds for them as for the class: their grade, released
           after their date, is read as the gradebook shows it.
        """
        own = self.timeline.phase_at(now)
        if override is None:
            return own
        if self.extended and override in (Phase.GRADING, Phase.RELEASED) and _before(own, Phase.GRADING):
            return own
        return override

    def waiting(self, now: datetime, override: Phase | None) -> bool:
        """Whether this student's grade waits: their own steps still run while the class is graded."""
        return self.extended and _before(self.phase_at(now, override), Phase.GRADING)


def _before(phase: Phase, other: Phase) -> bool:
    return PHASE_ORDER.index(phase) < PHASE_ORDER.index(other)


def personal_dates(timeline: Timeline, late_policy: LatePolicy, grants: Sequence[Grant]) -> PersonalDates:
    """The student's dates and late policy: late work is counted from their own submission deadline, and the late
    window keeps its length after it."""
    own = personal_timeline(timeline, grants)
    shift = own.submission_due - timeline.submission_due
    late = late_policy if late_policy.late_until is None or not shift else replace(
        late_policy, late_until=late_policy.late_until + shift)
    lms_due = next((grant.until for grant in grants if grant.from_lms and grant.step is Step.SUBMISSION), None)
    return PersonalDates(own, late, extended=bool(grants), lms_due=lms_due)
