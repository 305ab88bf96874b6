"""Grades: late penalties, the grade for reviewing, the final composition, staff overrides and what needs a look."""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from assessment.errors import PhaseClosed
from assessment.messages import N_

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
            problems["until"] = N_("Choose the last moment late work is accepted.")
        elif self.late_until.tzinfo is None or self.late_until.utcoffset() is None:
            problems["until"] = N_("Give the last moment for late work with its time zone.")
        elif self.late_until <= submission_due:
            problems["until"] = N_("Late work must be accepted until some time after the submission deadline.")
        if not (_is_number(self.penalty_per_day) and 0 <= self.penalty_per_day <= 100):
            problems["penalty_per_day"] = N_("The late penalty must be between 0 and 100 percent per day.")
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
        # 2. Before the deadline, work is on time. A deadline is the first instant after its step, as each phase ends
        #    where the next begins (reviewing may open at that very instant): work at the deadline itself is late.
        # 3. From the deadline on, only a policy that accepts late work, and only before `late_until`.
        if now < self.opens:
            raise PhaseClosed(N_("Submissions are not open yet; they open on %(opens)s.", opens=self.opens))
        if now < self.due:
            return Lateness.on_time()
        if not self.policy.accept_late:
            raise PhaseClosed(N_(
                "The deadline passed on %(due)s and this assignment does not accept late work. "
                "Ask your instructor if you need an extension.",
                due=self.due,
            ))
        if self.policy.late_until is None or now >= self.policy.late_until:
            closed = self.policy.late_until or self.due
            raise PhaseClosed(N_("Late submissions closed on %(closed)s. Ask your instructor if you need an extension.",
                                 closed=closed))
        days = days_late(now, self.due)
        return Lateness(is_late=True, days_late=days, penalty=self.policy.penalty_for(days))


def days_late(submitted_at: datetime, due: datetime) -> int:
    """Started 24-hour periods from the deadline: the deadline itself and up to 24 h after it are one day, 24 h and
    a microsecond two; before the deadline, none."""
    late_by = submitted_at - due
    if late_by < timedelta(0):
        return 0
    whole, rest = divmod(late_by, DAY)
    return max(1, whole + (1 if rest else 0))


def apply_late_penalty(score: float, penalty: float) -> float:
    """The score left after taking off `penalty`, a fraction from 0 (nothing) to 1 (everything)."""
    if not (_is_number(penalty) and 0 <= penalty <= 1):
        raise ValueError(f"a late penalty is a fraction from 0 to 1, not {penalty!r}")
    return score * (1 - penalty)


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


# The grade for reviewing, in the spirit of Moodle's "comparison with the best assessment": a review is compared
# with the consensus criterion by criterion, and strictness says how fast the grade falls with the distance.
# At the middle strictness (5) a review that is 20% of every criterion's range away from the consensus gets 0.8.
STRICTNESS_LEVELS = (1.0, 3.0, 5.0, 7.0, 9.0)  # lax to strict, as Moodle offers them
MIDDLE_STRICTNESS = 5.0


_ReviewerId_co = TypeVar("_ReviewerId_co", bound=Hashable, covariant=True)
_SubmissionId_co = TypeVar("_SubmissionId_co", bound=Hashable, covariant=True)
ReviewerId = TypeVar("ReviewerId", bound=Hashable)
SubmissionId = TypeVar("SubmissionId", bound=Hashable)


@dataclass(frozen=True)
class ReviewerAccuracy(Generic[_ReviewerId_co, _SubmissionId_co]):
    reviewer: _ReviewerId_co
    submission: _SubmissionId_co
    criterion_scores: Mapping[str, float]  # a review, criterion by criterion


def reviewing_grade(
    reviews: Sequence[ReviewerAccuracy[ReviewerId, SubmissionId]],
    consensus: Mapping[SubmissionId, Mapping[str, float]],
    ranges: Mapping[str, tuple[float, float]],
    weights: Mapping[str, float],
    *,
    strictness: float = MIDDLE_STRICTNESS,
) -> dict[ReviewerId, float]:
    """Each reviewer's grade for reviewing, 0..1: the mean over their reviews of how close each is to the consensus.

    A review's distance is the weighted mean over the criteria of |score - consensus| / the criterion's range; its
    grade is 1 - distance * strictness / 5, kept within 0..1. Reviews of submissions without a consensus do not
    count; a reviewer with no review that counts gets no grade.
    """
    if not (_is_number(strictness) and strictness > 0):
        raise ValueError(f"strictness is a positive number such as one of {STRICTNESS_LEVELS}, not {strictness!r}")
    if any(not (_is_number(weight) and weight >= 0) for weight in weights.values()):
        raise ValueError("criterion weights must be numbers of at least 0")
    missing = [key for key in weights if key not in ranges]
    if missing:
        raise ValueError(f"criterion {missing[0]!r} has a weight but no range")
    grades: dict[ReviewerId, list[float]] = {}
    for review in reviews:
        reference = consensus.get(review.submission)
        if reference is None:
            continue
        distance = _review_distance(review.criterion_scores, reference, ranges, weights)
        grade = min(1.0, max(0.0, 1 - distance * strictness / MIDDLE_STRICTNESS))
        grades.setdefault(review.reviewer, []).append(grade)
    return {reviewer: math.fsum(values) / len(values) for reviewer, values in grades.items()}


def _review_distance(
    scores: Mapping[str, float],
    reference: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]],
    weights: Mapping[str, float],
) -> float:
    total_weight = math.fsum(weights.values())
    if total_weight <= 0:
        return 0.0  # nothing counts, so there is nothing to disagree on
    weighted = 0.0
    for key, weight in weights.items():
        if key not in scores or key not in reference:
            raise ValueError(f"criterion {key!r} is missing from a review or from its consensus")
        low, high = ranges[key]
        span = high - low
        # A criterion whose range is a single value cannot tell reviews apart.
        gap = 0.0 if span <= 0 else min(1.0, abs(float(scores[key]) - float(reference[key])) / span)
        weighted += weight * gap
    return weighted / total_weight


@dataclass(frozen=True)
class GradeInputs:
    submission_score: float | None  # fraction of the rubric's maximum, 0..1; None when the work has no grade
    points_possible: float
    submission_weight: float  # percent 0..100 of the points for the submission; the rest is for reviewing
    reviewing_quality: float | None  # 0..1 from reviewing_grade
    calibration_accuracy: float | None  # 0..1, stands in for reviewing_quality when that is unknown
    reviews_done: int
    reviews_required: int
    late_penalty: float  # 0..1, on the submission part only
    # Points the bonus reviews earn (their count times the assignment's points per bonus review): they make up for
    # reviewing points lost to missing or weak reviews, never beyond the reviewing share of the grade.
    bonus_points: float = 0.0


@dataclass(frozen=True)
class GradeBreakdown:
    submission_points: float  # before the late deduction; every part is in hundredths
    reviewing_points: float
    late_deduction: float
    total: float  # exactly submission - late deduction + reviewing, within [0, points_possible]


def final_grade(inputs: GradeInputs) -> GradeBreakdown:
    """The grade out of `points_possible`: the submission's share scaled by its score, less the late penalty, plus
    the reviewing share scaled by how many of the required reviews were done and how well, plus any bonus points
    within that share."""
    _check_grade_inputs(inputs)
    points = inputs.points_possible
    submission_share = points * inputs.submission_weight / 100
    submission_points = submission_share * (inputs.submission_score or 0.0)
    # With no reviews required nothing is missing.
    completion = min(1.0, inputs.reviews_done / inputs.reviews_required) if inputs.reviews_required else 1.0
    if inputs.reviewing_quality is not None:
        quality = inputs.reviewing_quality
    elif inputs.calibration_accuracy is not None:
        quality = inputs.calibration_accuracy
    else:
        quality = 1.0  # no measure of quality: doing the reviews earns the share
    reviewing_share = points - submission_share
    reviewing_points = min(reviewing_share, reviewing_share * completion * quality + inputs.bonus_points)
    # Every part is rounded to hundredths first and the total is their sum, so the parts a student reads always add
    # up to the total they read (rounding the total alone could leave it a hundredth off its shown parts).
    submission_points = round(submission_points, 2)
    late_deduction = round(submission_points * inputs.late_penalty, 2)
    reviewing_points = round(reviewing_points, 2)
    total = round(submission_points - late_deduction + reviewing_points, 2)
    if total > points:
        # Two parts that each rounded up may pass the points possible by a hundredth: reviewing gives it back.
        reviewing_points = round(max(0.0, reviewing_points - (total - points)), 2)
        total = round(submission_points - late_deduction + reviewing_points, 2)
    return GradeBreakdown(submission_points, reviewing_points, late_deduction, total)


def _check_grade_inputs(inputs: GradeInputs) -> None:
    fractions = {
        "submission_score": inputs.submission_score,
        "reviewing_quality": inputs.reviewing_quality,
        "calibration_accuracy": inputs.calibration_accuracy,
        "late_penalty": inputs.late_penalty,
    }
    if not (_is_number(inputs.bonus_points) and inputs.bonus_points >= 0):
        raise ValueError(f"bonus_points must be a number of at least 0, not {inputs.bonus_points!r}")
    for name, value in fractions.items():
        if value is not None and not (_is_number(value) and 0 <= value <= 1):
            raise ValueError(f"{name} is a fraction from 0 to 1, not {value!r}")
    if not (_is_number(inputs.points_possible) and inputs.points_possible >= 0):
        raise ValueError(f"points_possible must be a number of at least 0, not {inputs.points_possible!r}")
    if not (_is_number(inputs.submission_weight) and 0 <= inputs.submission_weight <= 100):
        raise ValueError(f"submission_weight is a percentage from 0 to 100, not {inputs.submission_weight!r}")
    for name, count in (("reviews_done", inputs.reviews_done), ("reviews_required", inputs.reviews_required)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{name} must be a whole number of at least 0, not {count!r}")


@dataclass(frozen=True)
class Override:
    total: float
    by: str
    reason: str
    at: datetime


def with_override(breakdown: GradeBreakdown, override: Override | None) -> float:
    """The grade to record: a staff override wins over the computed total."""
    return breakdown.total if override is None else override.total


WIDE_UNCERTAINTY_SHARE = 0.1  # an estimate whose std exceeds this share of the scale needs a person to look
# So does one much less certain than its classmates': a std above this many times the class's median std, once that
# is above UNCERTAINTY_FLOOR_SHARE of the scale (a 95% interval of about +-10%: finer doubts are not worth a look).
# On the benchmark's cohorts this picks 1-5% of a class, whose errors are on average 1.1-2 times the class's.
WIDE_UNCERTAINTY_FACTOR = 1.5
UNCERTAINTY_FLOOR_SHARE = 0.05
# Reviews of one submission disagree widely when their sd exceeds this many times the class's median sd (and a tenth
# of the scale): what counts as wide depends on how much this class's reviewers usually disagree.
WIDE_DISAGREEMENT_FACTOR = 2.0
OPEN_FLAG = N_("open flag")
# Flexible grading's doubt: graded from fewer than k reviews. Staff see it in triage; it does not hold the grade.
FEWER_REVIEWS = N_("graded from fewer reviews")


def review_spread(scores: Sequence[float]) -> float:
    """The sample sd of one submission's review scores; 0 for fewer than two reviews."""
    return statistics.stdev(scores) if len(scores) >= 2 else 0.0


def disagreement_limit(spreads: Sequence[float], *, scale_width: float) -> float:
    """The spread above which a submission's reviews disagree widely, from the spreads of the class's submissions
    that have at least two reviews."""
    floor = WIDE_UNCERTAINTY_SHARE * scale_width
    return max(floor, WIDE_DISAGREEMENT_FACTOR * statistics.median(spreads)) if spreads else floor


def uncertainty_limit(stds: Sequence[float], *, scale_width: float) -> float:
    """The std above which an estimate is widely uncertain, from the stds of the class's peer-scored estimates: a
    tenth of the scale at most, WIDE_UNCERTAINTY_FACTOR times their median when that is less."""
    ceiling = WIDE_UNCERTAINTY_SHARE * scale_width
    finite = [std for std in stds if math.isfinite(std)]
    if not finite:
        return ceiling
    return min(ceiling, max(UNCERTAINTY_FLOOR_SHARE * scale_width, WIDE_UNCERTAINTY_FACTOR * statistics.median(finite)))


# What needs a person, as found by a grading run:
# 1. Wide uncertainty: the estimate's std exceeds the class-relative limit (see uncertainty_limit), or a tenth of the
#    scale when no limit is given.
# 2. Wide disagreement: the reviews' spread exceeds the class-relative limit (see disagreement_limit).
# 3. Too few reviews: fewer than the assignment asks for. Under flexible grading (`flexible_grading_open`) work with
#    at least one review is graded from what it has: the doubt is then FEWER_REVIEWS, shown in triage without holding
#    the grade back. Work with no review at all is never graded from nothing: it waits for staff.
# 4. An open flag on one of the reviews.
# A staff assessment settles 1-3 (its score replaces the peers'); only an answer settles a flag.
def needs_attention(estimate_std: float, reviews: int, required: int, open_flags: int, *, scale_width: float,
                    spread: float = 0.0, spread_limit: float = math.inf, staff_assessed: bool = False,
                    std_limit: float | None = None, flexible: bool = False) -> list[str]:
    """Why a submission's grade needs a person to look at it; empty when it does not."""
    reasons: list[str] = []
    if not staff_assessed:
        limit = WIDE_UNCERTAINTY_SHARE * scale_width if std_limit is None else std_limit
        # No estimate at all (a nan or infinite std) is as uncertain as it gets.
        if not math.isfinite(estimate_std) or estimate_std > limit:
            reasons.append(N_("wide uncertainty"))
        if spread > spread_limit:
            reasons.append(N_("wide disagreement"))
        if reviews < required:
            reasons.append(FEWER_REVIEWS if flexible and reviews > 0 else N_("too few reviews"))
    if open_flags > 0:
        reasons.append(OPEN_FLAG)
    return reasons


def holds_grade(attention: Sequence[str]) -> bool:
    """Whether these doubts hold a grade back until staff settle it: any doubt but flexible grading's."""
    return any(reason != FEWER_REVIEWS for reason in attention)


def flexible_grading_open(review_due: datetime, days: int | None, now: datetime) -> bool:
    """Whether work short of reviews is graded from the reviews it has: `days` (None: never) after the deadline."""
    return days is not None and now >= review_due + timedelta(days=days)


def grading_owed_since(review_due: datetime, flexible_days: int | None, now: datetime) -> datetime | None:
    """The latest moment by `now` at which grades must be computed afresh (None before the review deadline): the
    deadline, then, under flexible grading, the end of its days, when work short of reviews becomes gradable. A run
    computed at or after it owes nothing more."""
    if now < review_due:
        return None
    if flexible_days is not None and flexible_grading_open(review_due, flexible_days, now):
        return review_due + timedelta(days=flexible_days)
    return review_due


def still_in_doubt(attention: Sequence[str], *, open_flags: int, overridden: bool) -> list[str]:
    """What still needs staff now: the grading run's doubts unless an override settled the grade, and the flags open
    now (counted afresh: a flag raised or answered since the run counts as it stands)."""
    reasons = [] if overridden else [reason for reason in attention if reason != OPEN_FLAG]
    if open_flags > 0:
        reasons.append(OPEN_FLAG)
    return reasons
