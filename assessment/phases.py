"""The phase timeline of an assignment: which step is open at a given moment, and what comes next."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import datetime

from assessment.errors import InvalidInput
from assessment.messages import N_


class Phase(enum.StrEnum):
    SETUP = "setup"
    SUBMISSION = "submission"
    CALIBRATION = "calibration"
    REVIEW = "review"
    GRADING = "grading"
    RELEASED = "released"


# How a phase is named in a sentence ("the assignment is in its review phase").
PHASE_NAMES = {
    Phase.SETUP: N_("setup"),
    Phase.SUBMISSION: N_("submission"),
    Phase.CALIBRATION: N_("calibration"),
    Phase.REVIEW: N_("review"),
    Phase.GRADING: N_("grading"),
    Phase.RELEASED: N_("released"),
}

# Phases in which work may be handed in: on time in the submission phase, late (as the policy allows) until grading.
HAND_IN_PHASES = (Phase.SUBMISSION, Phase.CALIBRATION, Phase.REVIEW)

# Each rule: (earlier field, later field, may they be equal, the message shown on the later field).
# Checked in order; a field keeps the first message that concerns it.
_ORDER_RULES: tuple[tuple[str, str, bool, str], ...] = (
    ("submission_opens", "submission_due", False, N_("The submission deadline must be after submissions open.")),
    ("submission_due", "calibration_opens", True, N_("Calibration can open only once the submission deadline has passed.")),
    ("calibration_opens", "calibration_due", False, N_("The calibration deadline must be after calibration opens.")),
    ("calibration_due", "review_opens", True, N_("Reviews can open only once the calibration deadline has passed.")),
    ("submission_due", "review_opens", True, N_("Reviews can open only once the submission deadline has passed.")),
    ("review_opens", "review_due", False, N_("The review deadline must be after reviews open.")),
    ("review_due", "results_release", True, N_("Results can be released only once the review deadline has passed.")),
)


@dataclass(frozen=True)
class Timeline:
    submission_opens: datetime
    submission_due: datetime
    calibration_opens: datetime | None  # both calibration dates, or neither when there is no calibration step
    calibration_due: datetime | None
    review_opens: datetime
    review_due: datetime
    results_release: datetime

    @property
    def has_calibration(self) -> bool:
        return self.calibration_opens is not None and self.calibration_due is not None

    def problems(self) -> dict[str, str]:
        """Field name -> what to change; empty when the dates are usable."""
        problems: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is not None and not _is_aware(value):
                problems[field.name] = N_("Give this date with its time zone.")
        if (self.calibration_opens is None) != (self.calibration_due is None):
            missing = "calibration_opens" if self.calibration_opens is None else "calibration_due"
            problems.setdefault(missing, N_("Give both calibration dates, or neither to skip calibration."))
        if problems:
            # Naive and aware datetimes cannot be compared; the order is checked once every date is aware.
            return problems
        for earlier, later, may_equal, message in _ORDER_RULES:
            first, second = getattr(self, earlier), getattr(self, later)
            if first is None or second is None or later in problems or earlier in problems:
                continue
            if second < first or (second == first and not may_equal):
                problems[later] = message
        return problems

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidInput(problems)

    def milestones(self) -> tuple[tuple[Phase, datetime], ...]:
        """When each phase starts, in order; calibration only when the assignment has that step."""
        starts: list[tuple[Phase, datetime]] = [(Phase.SUBMISSION, self.submission_opens)]
        if self.calibration_opens is not None and self.calibration_due is not None:
            starts.append((Phase.CALIBRATION, self.calibration_opens))
        starts += [
            (Phase.REVIEW, self.review_opens),
            (Phase.GRADING, self.review_due),
            (Phase.RELEASED, self.results_release),
        ]
        return tuple(starts)

    def phase_at(self, now: datetime, override: Phase | None = None) -> Phase:
        """The instructor's override if any; otherwise the latest phase whose start has been reached."""
        if override is not None:
            return override
        _require_aware(now)
        current = Phase.SETUP
        # Later starts win, so an instant shared by two phases belongs to the later one.
        for phase, start in self.milestones():
            if start <= now:
                current = phase
        return current

    def next_change(self, now: datetime) -> tuple[Phase, datetime] | None:
        """The phase the dates lead to next and when, or None once results are released."""
        _require_aware(now)
        current = self.phase_at(now)
        for when in sorted({start for _, start in self.milestones() if start > now}):
            phase = self.phase_at(when)
            if phase != current:
                return phase, when
        return None


def _is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def _require_aware(moment: datetime) -> None:
    if not _is_aware(moment):
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
