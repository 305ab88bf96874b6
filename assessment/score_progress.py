"""What a score tells the gradebook besides the points: the student's progress on the activity and on its grading."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ActivityProgress(enum.StrEnum):
    """AGS `activityProgress` values peerlti sends (the spec's InProgress has no step of its own here)."""

    INITIALIZED = "Initialized"
    STARTED = "Started"
    SUBMITTED = "Submitted"
    COMPLETED = "Completed"


class GradingProgress(enum.StrEnum):
    """AGS `gradingProgress` values peerlti sends."""

    FULLY_GRADED = "FullyGraded"
    PENDING_MANUAL = "PendingManual"


@dataclass(frozen=True)
class StudentWork:
    """What a student did in one assignment, as far as the gradebook cares."""

    handed_in: bool
    reviews_done: int
    reviews_required: int
    self_assessment_owed: bool  # the assignment asks for one and the student has not submitted it
    other_work: bool  # a review or calibration attempt begun: the activity was opened and used


def activity_progress(work: StudentWork) -> ActivityProgress:
    """How far the student got, in the AGS spec's terms."""
    # 1. Completed: the work handed in and every review (and self-assessment) owed submitted.
    # 2. Submitted: the work handed in, some reviewing still owed.
    # 3. Started: nothing handed in, but a review or calibration attempt shows the activity was used.
    # 4. Initialized: nothing at all, e.g. a student known only from the roster who never opened the activity.
    if work.handed_in:
        owes = work.reviews_done < work.reviews_required or work.self_assessment_owed
        return ActivityProgress.SUBMITTED if owes else ActivityProgress.COMPLETED
    if work.other_work or work.reviews_done:
        return ActivityProgress.STARTED
    return ActivityProgress.INITIALIZED


def grading_progress(held: bool) -> GradingProgress:
    """A held grade waits for course staff (PendingManual, no score); any other grade is final, a zero included."""
    return GradingProgress.PENDING_MANUAL if held else GradingProgress.FULLY_GRADED
