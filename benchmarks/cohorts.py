"""Synthetic peer-assessment cohorts, one family per way real classes go wrong, with the true scores to judge by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from assessment.aggregation import PeerScore

CALIBRATION_EXAMPLES = 3


@dataclass(frozen=True)
class Cohort:
    """One class: every review as arrays, criterion by criterion, and what the tool would know besides."""

    family: str
    scale: tuple[float, float]  # of the total
    criterion_scales: tuple[tuple[float, float], ...]
    weights: tuple[float, ...]  # the total is the weighted sum of the criteria
    truth: np.ndarray  # per submission, total; shape (submissions,)
    truth_by_criterion: np.ndarray  # (submissions, criteria)
    submission: np.ndarray  # per review
    reviewer: np.ndarray  # per review
    given: np.ndarray  # (reviews, criteria)
    accuracy: dict[int, float]  # calibration accuracy, 0..1, as assessment.calibration computes it
    calibration_error: dict[int, tuple[float, ...]]  # mean signed error on the examples, per criterion
    staff: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))  # submissions staff graded

    @property
    def total_given(self) -> np.ndarray:
        return self.given @ np.asarray(self.weights)

    def peer_scores(self) -> list[PeerScore]:
        """One score per review: the weighted total."""
        return [PeerScore(s, r, v) for s, r, v in
                zip(self.submission.tolist(), self.reviewer.tolist(), self.total_given.tolist(), strict=True)]

    def criterion_scores(self) -> list[PeerScore]:
        """One score per review and criterion, each on the total's scale as PeerScore asks, weighted as the total is."""
        count = self.given.shape[1]
        low, high = self.criterion_scales[0]
        total_low, total_high = self.scale
        on_total = total_low + (self.given - low) / (high - low) * (total_high - total_low)
        return [PeerScore(s, r, v, criterion=c, weight=self.weights[c])
                for s, r, row in zip(self.submission.tolist(), self.reviewer.tolist(), on_total.tolist(), strict=True)
                for c, v in zip(range(count), row, strict=True)]

    def signed_error_by_criterion(self) -> dict[int, dict[int, float]]:
        """Calibration's signed error of each criterion, on the total's scale as criterion_scores puts it."""
        low, high = self.criterion_scales[0]
        stretch = (self.scale[1] - self.scale[0]) / (high - low)
        return {reviewer: {c: error * stretch for c, error in enumerate(errors)}
                for reviewer, errors in self.calibration_error.items()}

    def known(self) -> dict[int, float]:
        return {int(s): float(self.truth[s]) for s in self.staff}

    def signed_error(self) -> dict[int, float]:
        """Calibration's signed error of the total, per reviewer."""
        weights = np.asarray(self.weights)
        return {reviewer: float(np.dot(errors, weights)) for reviewer, errors in self.calibration_error.items()}


@dataclass(frozen=True)
class _Spec:
    students: int
    reviews_each: int
    criteria: int = 1
    levels: tuple[float, float] = (0.0, 10.0)  # each criterion's scale, scored in whole steps
    true_mean: float = 0.62  # of each criterion's scale
    true_sd: float = 0.16
    bias_sd: float = 0.09  # reviewer bias, shared by the criteria
    criterion_bias_sd: float = 0.0  # reviewer bias of each criterion on its own
    noise_shape: float = 2.0  # precision ~ Gamma(shape, scale) in units of the scale width ^ -2
    noise_scale: float = 100.0
    offset: tuple[float, ...] = ()  # what every peer adds on each criterion, as a fraction of its scale
    staff_share: float = 0.0


Twist = Callable[[Cohort, np.random.Generator], Cohort]


def _allocation(students: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Shifted permutations: students in a random order, each reviewing the next k in that circle.
    order = rng.permutation(students)
    position = np.repeat(np.arange(students), k)
    shift = np.tile(np.arange(1, k + 1), students)
    return order[(position + shift) % students], order[position]


def _observe(spec: _Spec, truth: np.ndarray, reviewer: np.ndarray, bias: np.ndarray, noise: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    low, high = spec.levels
    width = high - low
    offset = np.asarray(spec.offset or (0.0,) * spec.criteria) * width
    raw = truth + bias[reviewer] + offset + rng.normal(0.0, 1.0, truth.shape) * noise[reviewer][:, None]
    return np.clip(np.rint(raw), low, high)


def _base(family: str, spec: _Spec, rng: np.random.Generator) -> Cohort:
    n, c = spec.students, spec.criteria
    low, high = spec.levels
    width = high - low
    truth_c = np.clip(low + width * rng.normal(spec.true_mean, spec.true_sd, (n, 1))
                      + width * rng.normal(0, spec.true_sd / 3, (n, c)), low, high)
    bias = (width * rng.normal(0, spec.bias_sd, (n, 1)) + width * rng.normal(0, spec.criterion_bias_sd, (n, c)))
    noise = width / np.sqrt(rng.gamma(spec.noise_shape, spec.noise_scale, n))
    reviewer, submission = _allocation(n, spec.reviews_each, rng)
    given = _observe(spec, truth_c[submission], reviewer, bias, noise, rng)
    # Calibration: each student scores the same staff-graded examples under the same bias and noise.
    examples = np.clip(low + width * rng.normal(spec.true_mean, spec.true_sd, (CALIBRATION_EXAMPLES, c)), low, high)
    students = np.repeat(np.arange(n), CALIBRATION_EXAMPLES)
    shown = np.tile(examples, (n, 1))
    calibration = _observe(spec, shown, students, bias, noise, rng).reshape(n, CALIBRATION_EXAMPLES, c)
    error = calibration - examples[None]
    accuracy = 1 - np.abs(error).mean(axis=(1, 2)) / width
    weights = tuple([1.0] * c)
    staff = rng.choice(n, round(spec.staff_share * n), replace=False) if spec.staff_share else np.zeros(0, int)
    return Cohort(
        family=family, scale=(c * low, c * high), criterion_scales=((low, high),) * c, weights=weights,
        truth=truth_c.sum(axis=1), truth_by_criterion=truth_c, submission=submission, reviewer=reviewer, given=given,
        accuracy=dict(enumerate(accuracy.tolist())),
        calibration_error={v: tuple(row) for v, row in enumerate(error.mean(axis=1).tolist())},
        staff=np.sort(staff),
    )


def _replace_reviews(cohort: Cohort, who: np.ndarray, value: Callable[[np.ndarray], np.ndarray]) -> Cohort:
    """The reviews by `who` (a mask over reviewers) replaced by value(review indices); calibration follows suit."""
    rows = np.flatnonzero(who[cohort.reviewer])
    given = cohort.given.copy()
    low, high = cohort.criterion_scales[0]
    given[rows] = np.clip(value(rows), low, high)
    return replace(cohort, given=given)


def _constant(cohort: Cohort, rng: np.random.Generator) -> Cohort:
    # A fifth of the reviewers give everyone the same score, near the class's usual grade.
    n = len(cohort.truth)
    lazy = rng.random(n) < 0.2
    low, high = cohort.criterion_scales[0]
    usual = np.rint(low + (high - low) * rng.uniform(0.6, 0.8, n))
    return _replace_reviews(cohort, lazy, lambda rows: np.repeat(usual[cohort.reviewer[rows]][:, None],
                                                                 cohort.given.shape[1], axis=1))


def _colluding(cohort: Cohort, rng: np.random.Generator) -> Cohort:
    # A tenth of the students form pairs who also review each other, giving full marks.
    n = len(cohort.truth)
    members = rng.choice(n, (n // 20, 2), replace=False)
    extra_reviewer = np.concatenate([members[:, 0], members[:, 1]])
    extra_submission = np.concatenate([members[:, 1], members[:, 0]])
    high = cohort.criterion_scales[0][1]
    full = np.full((len(extra_reviewer), cohort.given.shape[1]), high)
    return replace(cohort, submission=np.concatenate([cohort.submission, extra_submission]),
                   reviewer=np.concatenate([cohort.reviewer, extra_reviewer]),
                   given=np.concatenate([cohort.given, full]))


def _strategic(cohort: Cohort, rng: np.random.Generator) -> Cohort:
    # 15% of reviewers mark down the better half of the class by a third of the scale, to look better themselves.
    n = len(cohort.truth)
    strategic = rng.random(n) < 0.15
    low, high = cohort.criterion_scales[0]
    good = cohort.truth > np.median(cohort.truth)
    return _replace_reviews(cohort, strategic, lambda rows: cohort.given[rows] - np.where(
        good[cohort.submission[rows]], np.rint((high - low) / 3), 0.0)[:, None])


def _compressing(cohort: Cohort, rng: np.random.Generator) -> Cohort:
    # A third of the reviewers use part of the scale only: their scores keep 30-70% of how far work lies from the
    # class's mean, rounded to the scale's steps as before.
    n = len(cohort.truth)
    squeezing = rng.random(n) < 1 / 3
    keep = rng.uniform(0.3, 0.7, n)
    centre = cohort.given.mean(axis=0)
    return _replace_reviews(cohort, squeezing, lambda rows: np.rint(
        centre + keep[cohort.reviewer[rows]][:, None] * (cohort.given[rows] - centre)))


def _zero(cohort: Cohort, rng: np.random.Generator) -> Cohort:
    # One reviewer gives 0 to everyone they review.
    who = np.zeros(len(cohort.truth), dtype=bool)
    who[rng.integers(len(cohort.truth))] = True
    return _replace_reviews(cohort, who, lambda rows: np.zeros_like(cohort.given[rows]))


FAMILIES: dict[str, tuple[_Spec, Twist | None]] = {
    "shifted_permutations": (_Spec(students=300, reviews_each=4), None),
    "small_class": (_Spec(students=20, reviews_each=3), None),
    "constant_scores": (_Spec(students=300, reviews_each=4), _constant),
    "colluding_pairs": (_Spec(students=300, reviews_each=4), _colluding),
    "strategic": (_Spec(students=300, reviews_each=4), _strategic),
    "one_zero_reviewer": (_Spec(students=60, reviews_each=3), _zero),
    "compressed_scale": (_Spec(students=300, reviews_each=4), _compressing),
    "ceiling": (_Spec(students=300, reviews_each=4, true_mean=0.9, true_sd=0.1), None),
    "integer_levels": (_Spec(students=300, reviews_each=3, criteria=1, levels=(1.0, 5.0)), None),
    "per_criterion_bias": (_Spec(students=300, reviews_each=3, criteria=4, levels=(0.0, 4.0), bias_sd=0.04,
                                 criterion_bias_sd=0.12), None),
    "staff_offset": (_Spec(students=250, reviews_each=3, criteria=3, levels=(0.0, 5.0),
                           offset=(-0.12, -0.02, -0.02), staff_share=0.05), None),
}


# Each family's place in its cohorts' seed: a family added later goes last, so that the others keep their cohorts.
_SEED_ORDER = ("ceiling", "colluding_pairs", "constant_scores", "integer_levels", "one_zero_reviewer",
               "per_criterion_bias", "shifted_permutations", "small_class", "staff_offset", "strategic",
               "compressed_scale")


def cohort(family: str, seed: int, students: int | None = None) -> Cohort:
    """A class of the named family; `students` overrides the family's size (the small class keeps its own)."""
    spec, twist = FAMILIES[family]
    if students is not None and family not in ("small_class", "one_zero_reviewer"):
        spec = replace(spec, students=students)
    rng = np.random.default_rng([seed, _SEED_ORDER.index(family)])
    result = _base(family, spec, rng)
    return twist(result, rng) if twist else result
