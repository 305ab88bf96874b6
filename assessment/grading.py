"""Grades: late penalties now; the grade for reviewing and the final composition join them later."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from assessment.errors import PhaseClosed

DAY = timedelta(days=1)


@dataclass(frozen=True)
class LatePolicy:
    accept_late: bool
    late_until: datetime | None = None
    penalty_per_day: float = 0.0  # percent of the grade per started day late, 0..100

    def problems(self, submission_due: datetime) -> dict[str, str]:
        """What to change; keys are `until` and `penalty_per_day`. A policy that refuses late work has none."""
        if not self.accept_late:
            return {}
        problems: dict[str, str] = {}
        if self.late_until is None:
            problems["until"] = "Choose the last moment late work is accepted."
        elif self.late_until.tzinfo is None or self.late_until.utcoffset() is None:
            problems["until"] = "Give the last moment for late work with its time zone."
        elif self.late_until <= submission_due:
            problems["until"] = "Late work must be accepted until some time after the submission deadline."
        if not (_is_number(self.penalty_per_day) and 0 <= self.penalty_per_day <= 100):
            problems["penalty_per_day"] = "The late penalty must be between 0 and 100 percent per day."
        return problems

    def penalty_for(self, days: int) -> float:
        """The fraction of the grade taken off for `days` started days late, at most all of it."""
        return min(1.0, max(0.0, days * self.penalty_per_day / 100))


@dataclass(frozen=True)
class Lateness:
    is_late: bool
    days_late: int
    penalty: float  # fraction of the grade taken off, 0..1

    @classmethod
    def on_time(cls) -> Lateness:
        return cls(is_late=False, days_late=0, penalty=0.0)


@dataclass(frozen=True)
class SubmissionWindow:
    opens: datetime
    due: datetime
    policy: LatePolicy

    def check(self, now: datetime) -> Lateness:
        """How late a hand-in at `now` is; raises PhaseClosed when work cannot be handed in at all."""
        # 1. Before the window opens nothing is accepted.
        # 2. Up to and including the deadline, work is on time.
        # 3. After it, only a policy that accepts late work, and only up to and including `late_until`.
        if now < self.opens:
            raise PhaseClosed(f"Submissions are not open yet; they open on {_when(self.opens)}.")
        if now <= self.due:
            return Lateness.on_time()
        if not self.policy.accept_late:
            raise PhaseClosed(
                f"The deadline passed on {_when(self.due)} and this assignment does not accept late work. "
                "Ask your instructor if you need an extension."
            )
        if self.policy.late_until is None or now > self.policy.late_until:
            closed = _when(self.policy.late_until) if self.policy.late_until else _when(self.due)
            raise PhaseClosed(
                f"Late submissions closed on {closed}. Ask your instructor if you need an extension."
            )
        days = days_late(now, self.due)
        return Lateness(is_late=True, days_late=days, penalty=self.policy.penalty_for(days))


def days_late(submitted_at: datetime, due: datetime) -> int:
    """Started 24-hour periods after the deadline: one second late is one day, 24 h and one second are two."""
    late_by = submitted_at - due
    if late_by <= timedelta(0):
        return 0
    whole, rest = divmod(late_by, DAY)
    return whole + (1 if rest else 0)


def apply_late_penalty(score: float, penalty: float) -> float:
    """The score left after taking off `penalty`, a fraction from 0 (nothing) to 1 (everything)."""
    if not (_is_number(penalty) and 0 <= penalty <= 1):
        raise ValueError(f"a late penalty is a fraction from 0 to 1, not {penalty!r}")
    return score * (1 - penalty)


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _when(moment: datetime) -> str:
    # Shown in UTC: the domain does not know the reader's time zone; the web edge may say it better.
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%B %Y at %H:%M} UTC"
