"""Calibration: how close a student's assessment of an example is to the reference, and where they stand."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessment.errors import InvalidInput
from assessment.messages import N_, Message
from assessment.rubric import Rubric

MAX_EXAMPLES_REQUIRED = 10
MAX_ATTEMPTS = 10
# Accuracies are computed in floating point: an assessment exactly at an 80% pass mark can come out as
# 0.7999999999999999. Differences this small are noise, not a miss; the smallest real one is far larger.
ACCURACY_TOLERANCE = 1e-9


def accuracy(rubric: Rubric, selections: Mapping[str, float], reference: Mapping[str, float]) -> float:
    """1 for the reference's own assessment, 0 for the opposite extreme on every criterion.

    One minus the weighted mean, over the rubric's criteria, of the distance between the student's score and
    the reference score as a fraction of the criterion's span. Criteria of zero weight do not count.
    """
    distances = _distances(rubric, selections, reference)
    total_weight = math.fsum(criterion.weight for criterion in rubric.criteria)
    if total_weight <= 0:
        return 1.0  # a rubric where nothing counts (refused by Rubric.validate) leaves nothing to disagree on
    weighted = math.fsum(criterion.weight * distances[criterion.key] for criterion in rubric.criteria)
    return min(1.0, max(0.0, 1.0 - weighted / total_weight))


@dataclass(frozen=True)
class CriterionComparison:
    key: str
    title: str
    yours: float
    reference: float
    explanation: str  # the instructor's reason for the reference score; empty when they gave none
    distance: float  # |yours - reference| as a fraction of the criterion's span, from 0 to 1


def compare(
    rubric: Rubric,
    selections: Mapping[str, float],
    reference: Mapping[str, float],
    explanations: Mapping[str, str],
) -> list[CriterionComparison]:
    """The student's scores beside the reference, criterion by criterion in rubric order, for the feedback page."""
    distances = _distances(rubric, selections, reference)
    return [
        CriterionComparison(
            key=criterion.key,
            title=criterion.title,
            yours=float(selections[criterion.key]),
            reference=float(reference[criterion.key]),
            explanation=explanations.get(criterion.key, ""),
            distance=distances[criterion.key],
        )
        for criterion in rubric.criteria
    ]


def _distances(rubric: Rubric, selections: Mapping[str, float], reference: Mapping[str, float]) -> dict[str, float]:
    problems = _key_problems(rubric, selections, N_("Choose a score for “%(criterion)s”."))
    reference_problems = _key_problems(rubric, reference, N_("The reference has no score for “%(criterion)s”."))
    problems.update({f"reference.{key}": text for key, text in reference_problems.items()})
    if problems:
        raise InvalidInput(problems)
    distances: dict[str, float] = {}
    for criterion in rubric.criteria:
        span = criterion.high - criterion.low
        # A criterion whose every level scores the same cannot tell assessments apart.
        gap = abs(float(selections[criterion.key]) - float(reference[criterion.key]))
        distances[criterion.key] = 0.0 if span == 0 else min(1.0, gap / span)
    return distances


def _key_problems(rubric: Rubric, scores: Mapping[str, float], missing: Message) -> dict[str, str]:
    problems: dict[str, str] = {}
    known = {criterion.key for criterion in rubric.criteria}
    for key in scores:
        if key not in known:
            problems[key] = N_("This rubric has no such criterion; reload the page to get the current rubric.")
    for criterion in rubric.criteria:
        value = scores.get(criterion.key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems[criterion.key] = N_(missing.template, criterion=criterion.title)
    return problems


@dataclass(frozen=True)
class CalibrationPolicy:
    examples_required: int  # 0: the assignment has no calibration step
    pass_accuracy: float  # the accuracy an example needs to count as passed, in (0, 1]
    attempts: int  # tries a student gets at each example

    def problems(self) -> dict[str, str]:
        """What an instructor must change before the policy can be used; empty when it is valid."""
        problems: dict[str, str] = {}
        if not _is_whole(self.examples_required) or not 0 <= self.examples_required <= MAX_EXAMPLES_REQUIRED:
            problems["examples_required"] = (
                N_("The number of calibration examples must be a whole number from 0 to %(max)s.", max=MAX_EXAMPLES_REQUIRED)
            )
        pass_accuracy = self.pass_accuracy
        if isinstance(pass_accuracy, bool) or not isinstance(pass_accuracy, int | float) or not 0 < pass_accuracy <= 1:
            # "pass" in the key is a pass mark, not a password.
            problems["pass_accuracy"] = N_("The accuracy needed to pass must be above 0% and at most 100%.")
        if not _is_whole(self.attempts) or not 1 <= self.attempts <= MAX_ATTEMPTS:
            problems["attempts"] = N_(
                "The number of attempts at each example must be a whole number from 1 to %(max)s.", max=MAX_ATTEMPTS
            )
        return problems

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidInput(problems)


@dataclass(frozen=True)
class ExampleRecord:
    example_id: int
    accuracies: tuple[float, ...]  # one student's attempts at one example, in order


@dataclass(frozen=True)
class CalibrationStatus:
    done: bool  # nothing left to calibrate: the student may review
    passed: bool  # done, and every requirement was met by an attempt at or above the pass accuracy
    accuracy: float | None  # mean of the first attempt at each example tried; None before any attempt
    next_example: int | None  # the example to work on now; None when done
    attempts_left: int  # on the current requirement; 0 when done
    settled: int = 0  # requirements passed or out of attempts
    revealed: frozenset[int] = frozenset()  # examples whose reference the student may now see


# Where a student stands in calibration:
# 1. A student meets `examples_required` requirements (fewer when fewer examples are written), one at a time, each
#    with `attempts` tries; examples are taken in the order given, each new requirement on an example not yet seen.
# 2. A requirement is settled by an attempt at or above `pass_accuracy`, or when its tries are used up.
# 3. A failed try is retried on an unseen example while one is spare (not needed by the requirements still to come);
#    otherwise on the same example. So a reference, once shown, can never be copied into a later try: an example's
#    reference is revealed only when the student will not be given that example again.
# 4. The accuracy that weights a student's reviews is the mean of their first attempt at each example: blind work.
#    Passing decides only whether calibration is passed, never the weight.
# 5. Calibration is done when every requirement is settled. A student who used up the tries without passing is done
#    but not passed: they still review, and their low accuracy gives their scores little weight.
# 6. With no calibration step, or no examples written yet, every student is done and passed.
def calibration_status(
    policy: CalibrationPolicy, example_ids: Sequence[int], records: Sequence[ExampleRecord]
) -> CalibrationStatus:
    """Whether a student has finished calibration, how accurately, and what they work on next."""
    policy.validate()
    if len(set(example_ids)) != len(example_ids):
        raise ValueError("example_ids must not repeat an example")
    attempts_by_example: dict[int, tuple[float, ...]] = {}
    for record in records:
        if record.example_id in attempts_by_example:
            raise ValueError(f"two records for example {record.example_id}; give one record per example")
        if record.accuracies:
            attempts_by_example[record.example_id] = record.accuracies
    requirements = min(policy.examples_required, len(example_ids))
    seen = [example for example in example_ids if example in attempts_by_example]
    firsts = [attempts_by_example[example][0] for example in seen]
    accuracy = math.fsum(firsts) / len(firsts) if firsts else None
    settled = passes = used = 0  # `used`: tries on the requirement in progress
    for example in seen:
        for value in attempts_by_example[example]:
            if settled >= requirements:
                break  # tries beyond the requirements (examples reordered since) change nothing
            used += 1
            if reaches(value, policy.pass_accuracy) or used >= policy.attempts:
                passes += reaches(value, policy.pass_accuracy)
                settled, used = settled + 1, 0
    unseen = [example for example in example_ids if example not in attempts_by_example]
    next_example: int | None = None
    if settled < requirements:
        # A requirement in progress has a failed try: retry on a spare unseen example, else on the same one.
        still_to_come = requirements - settled - 1
        if used and len(unseen) <= still_to_come:
            next_example = seen[-1]
        elif unseen:
            next_example = unseen[0]
    revealed = frozenset(example for example in seen if example != next_example)
    if next_example is None:
        return CalibrationStatus(done=True, passed=passes >= requirements, accuracy=accuracy, next_example=None,
                                 attempts_left=0, settled=settled, revealed=revealed)
    return CalibrationStatus(done=False, passed=False, accuracy=accuracy, next_example=next_example,
                             attempts_left=policy.attempts - used, settled=settled, revealed=revealed)


def reaches(accuracy: float, pass_accuracy: float) -> bool:
    """Whether an accuracy reaches the pass mark, forgiving floating-point noise (ACCURACY_TOLERANCE)."""
    return accuracy >= pass_accuracy - ACCURACY_TOLERANCE


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
