"""Peer-score aggregation: each method turns reviews into a score per submission and the uncertainty of that score."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Generic, TypeVar

import numpy as np

METHODS = ("mean", "median", "trimmed_mean", "calibrated", "reliability")
# The trimmed mean drops a submission's highest and lowest score only when this many remain meaningful: with three
# reviews, dropping two would leave one opinion, so it is the plain mean.
MIN_REVIEWS_TO_TRIM = 4

# The "calibrated" method: a reviewer who never calibrated counts like a middling one; nobody counts for nothing,
# so a submission whose reviewers all calibrated badly still gets a score from them.
DEFAULT_ACCURACY = 0.5
ACCURACY_FLOOR = 0.05

# The median of n normal draws varies pi/2 times as much as their mean; MAD * 1.4826 estimates a normal sd.
MEDIAN_EFFICIENCY = math.sqrt(math.pi / 2)
# The mean, median, trimmed mean and calibrated methods judge a score's uncertainty from how much its reviews scatter;
# two or three reviews that happen to agree say little about how far all of them could be off, so a submission's own
# scatter is pulled towards the class's as if the class had given it this many more reviews.
POOLED_PSEUDO_REVIEWS = 4.0
# Reviews can agree and all be off together (peers often mark lower than tutors); staff grades show by how much, and
# that widens these methods' uncertainty, by a share that grows with the staff grades: 5 of them, half.
STAFF_GAP_PSEUDO_GRADES = 5.0
# A mean trimmed of its extremes varies about 1.2 times as much as the plain mean of a few normal draws.
TRIMMED_EFFICIENCY = math.sqrt(1.2)

# The "reliability" model (Piech et al. 2013, PG1), on scores normalised to 0..1 of the scale:
#   true score s_u ~ N(mu, 1/gamma), reviewer bias b_v ~ N(0, 1/eta), reviewer precision tau_v ~ Gamma(a_v, beta_v),
#   observed z_uv ~ N(s_u + b_v, 1/tau_v).
# It is fitted by mean-field variational Bayes: q(s_u), q(b_v) normal, q(tau_v) gamma, each updated in closed form
# in turn, while mu, 1/gamma and 1/eta are re-estimated from the current posteriors (empirical Bayes, with weak
# hyperpriors so that a handful of reviews cannot collapse a variance to zero). Integrating tau out makes each
# reviewer's errors Student-t: one wild review costs its reviewer weight instead of dragging the score.
# Each reviewer's bias has its own precision too, eta_v ~ Gamma(BIAS_SHAPE, BIAS_SHAPE / eta), so biases are
# Student-t as well: a lone very harsh or very lenient reviewer is recognised as such rather than shrunk towards the
# others (a Gaussian prior would spread much of that bias over the scores they gave).
# Sweeps go on until no score moves by more than TOLERANCE of the scale (a thousandth of a point on 100 points, below
# the hundredths a grade shows); a fit still moving after MAX_ITERATIONS sweeps says so (Estimates.converged) instead
# of passing its scores off as settled. Real courses need a few hundred sweeps.
MAX_ITERATIONS = 5_000
TOLERANCE = 1e-5
# Each sweep moves the scores this many times as far as its update says (over-relaxation): the fit settles where it
# would anyway, in about two thirds of the sweeps (heavy-tailed priors make the plain updates creep).
OVER_RELAXATION = 1.6
# True scores are Student-t about the cohort's mean as well, s_u ~ N(mu, 1/gamma_u), gamma_u ~ Gamma(SCORE_SHAPE,
# SCORE_SHAPE / gamma): work far from the class's usual grade (missing parts, weak drafts) exists, and a normal prior
# pulled it hard towards the middle when its reviews were noisy (reviews 2, 7 and 6 of 25 gave 10.9).
SCORE_SHAPE = 2.0
# Hyperpriors, as (prior variance, pseudo-count); variances are fractions of the scale width squared.
SCORE_SPREAD_PRIOR = (0.15**2, 5.0)
BIAS_SPREAD_PRIOR = (0.05**2, 5.0)
NOISE_PRIOR = (0.1**2, 5.0)
# What all peers add to staff's score (peers commonly mark a little lower or higher than tutors): 0 unless staff
# grades or calibration examples show otherwise; a prior variance of 0.05^2 of the scale width keeps a few anchors
# from moving everyone's score far.
SHIFT_PRIOR = (0.05**2,)
# Calibration accuracy is 1 - mean |error| / width over the examples. For normal errors E|e| = sd * sqrt(2/pi), so
# an accuracy implies an error variance of (pi/2) (1 - accuracy)^2. Its level is not that of a review's noise on the
# total (it is measured criterion by criterion, bias and rounding included, and taken at face value it made the
# model shrink every score too far: RMSE 0.90 against 0.63 on the benchmark's per-criterion cohort), so only how
# reviewers compare counts: the prior mean of a reviewer's noise variance is the cohort's typical one times their
# calibrated variance over the calibrated reviewers' mean, worth CALIBRATED_SHAPE pseudo-reviews. Reviewers without
# calibration get the cohort's typical noise variance (one over the mean precision), worth fewer.
CALIBRATED_SHAPE = 2.0
UNCALIBRATED_SHAPE = 1.0
BIAS_SHAPE = 1.0
# A near-perfect calibration over a few examples is luck as much as skill (on a scale of a few levels, three exact
# matches are common): nobody's prior noise variance goes below this share of the cohort's typical one. At half, a
# lucky reviewer outweighed the others on scores of 1..5 (RMSE 0.298 against 0.290 for plain PG1).
NOISE_FLOOR_SHARE = 0.8
# The model's variance of a score is checked against how far each review misses when predicted from the rest
# (_held_out_misses): the class's misses set the level, a submission's and a reviewer's own misses move their share,
# as if the class had given them this many more reviews. (The median of a chi-square with one degree of freedom is
# 0.4549.)
HELD_OUT_PSEUDO_REVIEWS = 4.0
CHI2_1_MEDIAN = 0.454936
# A review held out from a reviewer with no other review is predicted by the prior alone; with UNCALIBRATED_SHAPE 1
# that prior's noise has no finite variance, so the held-out shape is kept at least this (a Student-t of 2.5 degrees
# of freedom).
MIN_HELD_OUT_SHAPE = 1.25
LEVERAGE_FLOOR = 0.05
# A reviewer whose scores vary less than the work they reviewed (everyone gets the same score, or only part of the
# scale is used) misses far work by more than the fit sees: it pulls the scores they gave towards theirs, so their
# residuals stay small. How far the spread of their reviews falls short of that of the work's fitted scores
# (_shortfall) counts as noise (for everyone the same score: the scores' own sum of squares about their mean, what such
# reviews miss by once their bias is taken out), this many times over, the fitted scores being pulled towards the
# reviewer and shrunk towards the class's mean. On the accuracy benchmark (seeds 0-9), with a fifth of reviewers giving
# everyone the same score, RMSE went 0.767 -> 0.719 (once) -> 0.691 (twice) -> 0.671 (three times), with a third
# keeping only part of the scale 0.650 -> 0.630 (twice); honest classes of 3 reviews on 5 levels lose
# 0.2847 -> 0.2878 (twice) -> 0.289 (three times), where PG1 reaches 0.2896.
SHORTFALL_WEIGHT = 2.0
# A review within this share of the scale's width of an end sits at that end (censored).
CENSORED_WITHIN = 1e-9
# Mean-field fits treat each reviewer's bias as known apart from its own reviews, but reviewers who marked the same
# work have biases that err together (their common offset trades against those works' scores), and under shifted
# permutations neighbours share most of their work: on the benchmark's classes the bias part of a score's error was
# 2-4 times what the mean-field form gave. A class with up to this many submissions and reviewers (together) gets the
# exact posterior variance of the linear model instead (a dense inverse: about 0.1 s at this size); larger ones keep
# the mean-field form.
EXACT_VARIANCE_LIMIT = 1_500


# Ids need only be hashable; the estimates come back under the caller's own submission ids.
SubmissionId = TypeVar("SubmissionId", bound=Hashable)
ReviewerId = TypeVar("ReviewerId", bound=Hashable)
_SubmissionId_co = TypeVar("_SubmissionId_co", bound=Hashable, covariant=True)
_ReviewerId_co = TypeVar("_ReviewerId_co", bound=Hashable, covariant=True)


@dataclass(frozen=True, slots=True)
class PeerScore(Generic[_SubmissionId_co, _ReviewerId_co]):
    submission: _SubmissionId_co
    reviewer: _ReviewerId_co
    score: float  # on the rubric's scale (a criterion's score too: as a fraction of its span, times the scale)
    # Scores that name their rubric criterion are modelled criterion by criterion, then combined: the total is the
    # weighted mean of the criteria's estimates, as the rubric weighs them. Either every score names one or none does.
    criterion: Hashable | None = None
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Estimate:
    score: float
    std: float  # uncertainty of the score, same scale


class Estimates(dict[SubmissionId, Estimate]):
    """The estimates by submission, and how the fit that made them ended: the number of sweeps and whether it settled
    within MAX_ITERATIONS (methods without sweeps always have)."""

    def __init__(self, estimates: Mapping[SubmissionId, Estimate] | None = None, *, sweeps: int = 0,
                 converged: bool = True) -> None:
        super().__init__(estimates or {})
        self.sweeps = sweeps
        self.converged = converged


@dataclass(frozen=True, slots=True)
class CalibrationError:
    """A reviewer's signed error on calibration examples: the mean of (their score - the reference), on the scale."""

    mean: float
    examples: int
    by_criterion: Mapping[Hashable, float] = field(default_factory=dict)  # the same, criterion by criterion


@dataclass(frozen=True)
class _Reviews(Generic[SubmissionId]):
    """The scores as arrays: submission and reviewer as indices into `submissions` and `reviewers`."""

    submission: np.ndarray
    reviewer: np.ndarray
    score: np.ndarray
    submissions: list[SubmissionId]
    reviewers: list[Hashable]
    criterion: np.ndarray | None = None  # per score, an index into `criteria`; None when the scores name none
    criteria: tuple[Hashable, ...] = ()
    weights: np.ndarray | None = None  # per criterion

    @property
    def counts(self) -> np.ndarray:
        return np.bincount(self.submission, minlength=len(self.submissions))


@dataclass(frozen=True)
class _Scale:
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def prior_std(self) -> float:
        # The sd of a score drawn uniformly from the scale: what one knows about a submission before any review.
        return self.width / math.sqrt(12)



@dataclass(frozen=True)
class _Inputs(Generic[SubmissionId]):
    """The checked inputs `aggregate` and `explain` share."""

    scale: _Scale
    accuracy: dict[Hashable, float]
    known: dict[SubmissionId, float]
    reviews: _Reviews[SubmissionId]
    calibration_error: dict[Hashable, CalibrationError]


def _prepared(scores: Sequence[PeerScore[SubmissionId, ReviewerId]], method: str, scale: tuple[float, float],
              reviewer_accuracy: Mapping[ReviewerId, float] | None, known: Mapping[SubmissionId, float] | None,
              calibration_error: Mapping[ReviewerId, CalibrationError] | None) -> _Inputs[SubmissionId] | None:
    """The checked inputs; None when there is nothing to score."""
    if method not in METHODS:
        raise ValueError(f"unknown aggregation method {method!r}; choose one of {', '.join(METHODS)}")
    bounds = _scale(scale)
    accuracy = _accuracies(reviewer_accuracy or {})
    known_scores = _known(known or {})
    errors = _calibration_errors(calibration_error or {})
    if not scores and not known_scores:
        return None
    return _Inputs(bounds, accuracy, known_scores, _arrays(scores, known_scores), errors)


def aggregate(
    scores: Sequence[PeerScore[SubmissionId, ReviewerId]],
    method: str = "reliability",
    *,
    scale: tuple[float, float],
    reviewer_accuracy: Mapping[ReviewerId, float] | None = None,
    known: Mapping[SubmissionId, float] | None = None,
    calibration_error: Mapping[ReviewerId, CalibrationError] | None = None,
) -> Estimates[SubmissionId]:
    """An Estimate for every submission in `scores` and in `known`, its score clipped to `scale`.

    `reviewer_accuracy` (0..1, from calibration) weighs reviewers in "calibrated" and is the prior on reviewers'
    precision in "reliability". `known` scores (staff grades) are returned as they are, with std 0; "reliability"
    also uses them to learn the bias of the reviewers who scored them. `calibration_error` (each reviewer's signed
    error on the calibration examples) tells "reliability" which way each reviewer leans before any review is seen.
    """
    inputs = _prepared(scores, method, scale, reviewer_accuracy, known, calibration_error)
    if inputs is None:
        return Estimates()
    return _aggregated(method, inputs)[0]


def _aggregated(method: str, inputs: _Inputs[SubmissionId]) -> tuple[Estimates[SubmissionId], _Fit | None]:
    """The estimates, and the reliability model's fit that made them when the scores name no criteria."""
    bounds, reviews = inputs.scale, inputs.reviews
    sweeps, converged, fit = 0, True, None
    if len(reviews.score) == 0:
        estimate, std = np.zeros(len(reviews.submissions)), np.zeros(len(reviews.submissions))
    elif reviews.criterion is None:
        estimate, std, fit = _estimated(method, inputs)
        if fit is not None:
            sweeps, converged = fit.sweeps, fit.converged
    else:
        estimate, std, sweeps, converged = _estimated_by_criteria(method, inputs)
    is_known, known_values = _known_arrays(reviews, inputs.known)
    if method != "reliability":
        std = np.hypot(std, _staff_gap(estimate, std, known_values, is_known & (reviews.counts > 0)))
    estimate = np.where(is_known, known_values, estimate)
    std = np.where(is_known, 0.0, np.minimum(std, bounds.width))
    estimate = np.clip(estimate, bounds.low, bounds.high)
    return Estimates(dict(zip(reviews.submissions, map(Estimate, estimate.tolist(), std.tolist()), strict=True)),
                     sweeps=sweeps, converged=converged), fit


def _staff_gap(estimate: np.ndarray, std: np.ndarray, known: np.ndarray, graded: np.ndarray) -> float:
    """The sd of what peers get wrong together, as staff grades show it: what the estimates of graded work miss by
    beyond their own uncertainty, pulled towards 0 by STAFF_GAP_PSEUDO_GRADES when staff graded few."""
    count = int(graded.sum())
    if not count:
        return 0.0
    miss = estimate[graded] - known[graded]
    beyond = max(0.0, float(np.mean(miss * miss) - np.mean(std[graded] ** 2)))
    return math.sqrt(beyond * count / (count + STAFF_GAP_PSEUDO_GRADES))


def _estimated(method: str, inputs: _Inputs[SubmissionId]) -> tuple[np.ndarray, np.ndarray, _Fit | None]:
    """Scores and their std by one method, with the reliability model's fit (the sweeps it took, whether it settled)
    for that method."""
    reviews, bounds = inputs.reviews, inputs.scale
    if method == "mean":
        return (*_mean(reviews, bounds), None)
    if method == "median":
        return (*_median(reviews, bounds), None)
    if method == "trimmed_mean":
        return (*_trimmed_mean(reviews, bounds), None)
    if method == "calibrated":
        return (*_calibrated(reviews, bounds, inputs.accuracy), None)
    return _reliability_fit(inputs)


def _estimated_by_criteria(method: str, inputs: _Inputs[SubmissionId]) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Each criterion estimated on its own (a reviewer may be lenient on one and harsh on another), then combined by
    the rubric's weights; criteria err independently given the reviews, so their variances add."""
    reviews = inputs.reviews
    assert reviews.criterion is not None and reviews.weights is not None
    size = len(reviews.submissions)
    total, variance, weights = np.zeros(size), np.zeros(size), np.zeros(size)
    sweeps, converged = 0, True
    for index, criterion in enumerate(reviews.criteria):
        rows = reviews.criterion == index
        part = _Reviews(reviews.submission[rows], reviews.reviewer[rows], reviews.score[rows], reviews.submissions,
                        reviews.reviewers)
        errors = {reviewer: CalibrationError(error.by_criterion.get(criterion, error.mean), error.examples)
                  for reviewer, error in inputs.calibration_error.items()}
        # Staff grades are totals: they say nothing certain about one criterion, so they anchor only the total.
        estimate, std, fit = _estimated(method, replace(inputs, reviews=part, known={}, calibration_error=errors))
        criterion_sweeps, criterion_converged = (fit.sweeps, fit.converged) if fit is not None else (0, True)
        weight = reviews.weights[index] * (part.counts > 0)
        total += weight * estimate
        variance += weight * weight * std * std
        weights += weight
        sweeps, converged = max(sweeps, criterion_sweeps), converged and criterion_converged
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.nan_to_num(total / weights), np.nan_to_num(np.sqrt(variance) / weights, nan=inputs.scale.prior_std),
                sweeps, converged)


def _scale(scale: tuple[float, float]) -> _Scale:
    if any(isinstance(bound, bool) for bound in scale):  # a tick box is no bound (True would read as 1)
        raise ValueError(f"a scale runs from a lower to a higher finite number, not {scale!r}")
    low, high = (float(bound) for bound in scale)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"a scale runs from a lower to a higher finite number, not {scale!r}")
    return _Scale(low, high)


def _accuracies(reviewer_accuracy: Mapping[ReviewerId, float]) -> dict[Hashable, float]:
    accuracy: dict[Hashable, float] = {reviewer: float(value) for reviewer, value in reviewer_accuracy.items()}
    wrong = [reviewer for reviewer, value in accuracy.items() if not 0 <= value <= 1]
    if wrong:
        raise ValueError(f"a calibration accuracy is from 0 to 1; reviewer {wrong[0]!r} has {accuracy[wrong[0]]!r}")
    return accuracy


def _calibration_errors(errors: Mapping[ReviewerId, CalibrationError]) -> dict[Hashable, CalibrationError]:
    wrong = [reviewer for reviewer, error in errors.items()
             if not (math.isfinite(error.mean) and isinstance(error.examples, int) and error.examples >= 0)]
    if wrong:
        raise ValueError(f"a calibration error is a finite mean over a count of examples; reviewer {wrong[0]!r} has "
                         f"{errors[wrong[0]]!r}")
    return {reviewer: error for reviewer, error in errors.items()}


def _known(known: Mapping[SubmissionId, float]) -> dict[SubmissionId, float]:
    values = {submission: float(value) for submission, value in known.items()}
    wrong = [submission for submission, value in values.items() if not math.isfinite(value)]
    if wrong:
        raise ValueError(f"the known score of submission {wrong[0]!r} is not a number: {values[wrong[0]]!r}")
    return values


def _arrays(
    scores: Sequence[PeerScore[SubmissionId, Hashable]], known: Mapping[SubmissionId, float]
) -> _Reviews[SubmissionId]:
    # One pass per field and dict look-ups to number the ids: ids need only be hashable, not sortable.
    submission_ids = list(map(attrgetter("submission"), scores))
    reviewer_ids = list(map(attrgetter("reviewer"), scores))
    values = np.fromiter(map(attrgetter("score"), scores), dtype=float, count=len(scores))
    if not np.isfinite(values).all():
        raise ValueError("every peer score must be a finite number")
    criterion, criteria, weights = _criteria(scores)
    reviewed = dict.fromkeys(submission_ids)
    submissions = [*reviewed, *(submission for submission in known if submission not in reviewed)]
    reviewers = list(dict.fromkeys(reviewer_ids))
    submission_index = {submission: index for index, submission in enumerate(submissions)}
    reviewer_index = {reviewer: index for index, reviewer in enumerate(reviewers)}
    return _Reviews(
        submission=np.fromiter(map(submission_index.__getitem__, submission_ids), dtype=np.intp, count=len(scores)),
        reviewer=np.fromiter(map(reviewer_index.__getitem__, reviewer_ids), dtype=np.intp, count=len(scores)),
        score=values,
        submissions=submissions,
        reviewers=reviewers,
        criterion=criterion,
        criteria=criteria,
        weights=weights,
    )


def _criteria(scores: Sequence[PeerScore]) -> tuple[np.ndarray | None, tuple[Hashable, ...], np.ndarray | None]:
    """Each score's criterion as an index, the criteria, and their weights; None when no score names a criterion."""
    names = list(map(attrgetter("criterion"), scores))
    criteria = tuple(dict.fromkeys(names))
    if criteria == (None,) or not criteria:
        return None, (), None
    if None in criteria:
        raise ValueError("either every peer score names its criterion or none does")
    index = {criterion: position for position, criterion in enumerate(criteria)}
    position = np.fromiter(map(index.__getitem__, names), dtype=np.intp, count=len(names))
    given = np.fromiter(map(attrgetter("weight"), scores), dtype=float, count=len(scores))
    weights = np.zeros(len(criteria))
    weights[position] = given
    if not (np.isfinite(given).all() and (given >= 0).all()) or (weights[position] != given).any():
        raise ValueError("each criterion has one finite weight of 0 or more, the same on all its scores")
    if not weights.any():
        raise ValueError("at least one criterion must weigh more than 0")
    return position, criteria, weights


def _known_arrays(
    reviews: _Reviews[SubmissionId], known: Mapping[SubmissionId, float]
) -> tuple[np.ndarray, np.ndarray]:
    is_known = np.zeros(len(reviews.submissions), dtype=bool)
    values = np.zeros(len(reviews.submissions))
    if known:
        index = {submission: position for position, submission in enumerate(reviews.submissions)}
        positions = np.fromiter((index[submission] for submission in known), dtype=np.intp, count=len(known))
        is_known[positions] = True
        values[positions] = np.fromiter(known.values(), dtype=float, count=len(known))
    return is_known, values


def _review_variance(own: np.ndarray, dof: np.ndarray, scale: _Scale) -> np.ndarray:
    """Each submission's error variance of one review: the sample variance of its own reviews (with `dof` degrees of
    freedom) pulled towards the class's pooled one; the variance of a score anywhere on the scale when no submission
    has two reviews to compare."""
    own, dof = np.nan_to_num(own), np.nan_to_num(np.maximum(dof, 0.0))
    total = float(dof.sum())
    pooled = float(np.dot(own, dof)) / total if total > 0 else scale.prior_std**2
    return (POOLED_PSEUDO_REVIEWS * pooled + dof * own) / (POOLED_PSEUDO_REVIEWS + dof)


def _weighted_mean_and_std(reviews: _Reviews, weights: np.ndarray, scale: _Scale) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean per submission; std = the review variance (_review_variance) over the effective n."""
    size = len(reviews.submissions)
    total = np.bincount(reviews.submission, weights, size)
    squares = np.bincount(reviews.submission, weights * weights, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(reviews.submission, weights * reviews.score, size) / total
        deviation = reviews.score - mean[reviews.submission]
        variance = np.bincount(reviews.submission, weights * deviation * deviation, size) / total
        effective = np.nan_to_num(total * total / squares)  # Kish's effective sample size: n for equal weights
        unbiased = variance * effective / (effective - 1)
        std = np.sqrt(_review_variance(unbiased, effective - 1, scale) / effective)
    return np.nan_to_num(mean), np.nan_to_num(std, nan=scale.prior_std, posinf=scale.prior_std)


def _mean(reviews: _Reviews, scale: _Scale) -> tuple[np.ndarray, np.ndarray]:
    return _weighted_mean_and_std(reviews, np.ones_like(reviews.score), scale)


def _calibrated(reviews: _Reviews, scale: _Scale, accuracy: Mapping[Hashable, float]) -> tuple[np.ndarray, np.ndarray]:
    per_reviewer = np.fromiter(
        (accuracy.get(reviewer, DEFAULT_ACCURACY) for reviewer in reviews.reviewers),
        dtype=float,
        count=len(reviews.reviewers),
    )
    return _weighted_mean_and_std(reviews, np.maximum(per_reviewer, ACCURACY_FLOOR)[reviews.reviewer], scale)


def _sorted_groups(reviews: _Reviews, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`values` sorted within each submission, with each submission's first position and count in that order."""
    order = np.lexsort((values, reviews.submission))
    counts = reviews.counts
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return values[order], starts, counts


def _group_median(reviews: _Reviews, values: np.ndarray) -> np.ndarray:
    ordered, starts, counts = _sorted_groups(reviews, values)
    has = counts > 0
    median = np.zeros(len(counts))
    low = starts[has] + (counts[has] - 1) // 2
    high = starts[has] + counts[has] // 2
    median[has] = (ordered[low] + ordered[high]) / 2
    return median


def _median(reviews: _Reviews, scale: _Scale) -> tuple[np.ndarray, np.ndarray]:
    median = _group_median(reviews, reviews.score)
    # The median of one or two reviews is their mean; from three on it varies more than the mean would. (A robust
    # spread would be 0 for most three-review submissions on a few levels, however far off they are.)
    _, mean_std = _mean(reviews, scale)
    return median, np.where(reviews.counts >= 3, MEDIAN_EFFICIENCY, 1.0) * mean_std


def _trimmed_mean(reviews: _Reviews, scale: _Scale) -> tuple[np.ndarray, np.ndarray]:
    ordered, starts, counts = _sorted_groups(reviews, reviews.score)
    # Which submission each sorted position belongs to, and whether it is a submission's lowest or highest score.
    group = np.repeat(np.arange(len(counts)), counts)
    position = np.arange(len(ordered)) - starts[group]
    trimmed = (counts[group] >= MIN_REVIEWS_TO_TRIM) & ((position == 0) | (position == counts[group] - 1))
    kept = _Reviews(group[~trimmed], np.zeros(int((~trimmed).sum()), dtype=np.intp), ordered[~trimmed],
                    reviews.submissions, reviews.reviewers)
    mean, _ = _mean(kept, scale)
    # The spread of the reviews kept understates how far they scatter: the uncertainty comes from all of them.
    _, all_std = _mean(reviews, scale)
    return mean, np.where(counts >= MIN_REVIEWS_TO_TRIM, TRIMMED_EFFICIENCY, 1.0) * all_std


@dataclass(frozen=True)
class _Fit:
    """What the reliability model's last sweep used, so a score can be rebuilt from its parts exactly."""

    precision: np.ndarray  # per reviewer
    bias: np.ndarray  # per reviewer, a fraction of the scale
    prior_precision: np.ndarray  # per submission, the weight of the cohort's mean (1 / its score variance)
    mu: float  # the cohort's mean, a fraction of the scale
    shift: float  # what every peer adds to staff's score, a fraction of the scale
    sweeps: int
    converged: bool
    read: np.ndarray  # per review, what the fit read it as (a censored review: its expected value beyond the end)


def _reliability_fit(inputs: _Inputs[SubmissionId]) -> tuple[np.ndarray, np.ndarray, _Fit]:
    reviews, scale = inputs.reviews, inputs.scale
    u, v = reviews.submission, reviews.reviewer
    n_submissions, n_reviewers = len(reviews.submissions), len(reviews.reviewers)
    given = (reviews.score - scale.low) / scale.width
    # A review at an end of the scale says only that the reviewer saw the work at or beyond it: it is censored.
    ends = np.flatnonzero((given >= 1 - CENSORED_WITHIN) | (given <= CENSORED_WITHIN))
    at_top = given[ends] >= 1 - CENSORED_WITHIN
    z = given
    per_submission = reviews.counts.astype(float)
    per_reviewer = np.bincount(v, minlength=n_reviewers).astype(float)
    is_known, known_values = _known_arrays(reviews, inputs.known)
    known_values = (known_values - scale.low) / scale.width
    calibration = np.fromiter(
        (inputs.accuracy.get(reviewer, math.nan) for reviewer in reviews.reviewers), dtype=float, count=n_reviewers
    )
    calibrated = np.isfinite(calibration)
    calibrated_variance = (math.pi / 2) * (1 - np.nan_to_num(calibration)) ** 2
    typical_calibrated = float(calibrated_variance[calibrated].mean()) if calibrated.any() else 0.0
    relative_variance = calibrated_variance / typical_calibrated if typical_calibrated > 0 else np.ones(n_reviewers)
    shape = np.where(calibrated, CALIBRATED_SHAPE, UNCALIBRATED_SHAPE)
    # Calibration examples are reviews of work staff scored: each reviewer's signed error there is evidence of their
    # bias (and of the shift all peers share), worth as many reviews as examples they assessed.
    errors = [inputs.calibration_error.get(reviewer) for reviewer in reviews.reviewers]
    example_count = np.fromiter((e.examples if e else 0 for e in errors), dtype=float, count=n_reviewers)
    example_error = np.fromiter((e.mean if e else 0.0 for e in errors), dtype=float, count=n_reviewers) / scale.width

    # Start from the plain mean, no bias and the prior's noise; anchors stay at their known scores throughout.
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.nan_to_num(np.bincount(u, given, n_submissions) / per_submission, nan=0.5)
    score = np.where(is_known, known_values, score)
    score_variance = np.zeros(n_submissions)
    bias = np.zeros(n_reviewers)
    bias_variance_each = np.zeros(n_reviewers)
    shift, shift_variance = 0.0, 0.0
    mu = float(score.mean())
    score_spread = _pooled(float(np.var(score)) * n_submissions, n_submissions, SCORE_SPREAD_PRIOR)
    bias_spread = BIAS_SPREAD_PRIOR[0]
    noise = NOISE_PRIOR[0]
    precision = np.zeros(n_reviewers)
    score_prior = np.full(n_submissions, 1 / score_spread)
    score_precision = score_prior.copy()
    fit = _Fit(precision, bias, score_prior, mu, shift, 0, False, z)
    anchor_rows = np.flatnonzero(is_known[u])
    sees_shift = bool(len(anchor_rows) or example_count.any())
    bias_of_review = np.zeros(len(z))
    beyond: np.ndarray = np.zeros(n_reviewers)  # per reviewer, the summed variance of their censored reviews' unseen values
    reviews_total, reviews_spread = _sums(z, v, per_reviewer)
    for sweep in range(1, MAX_ITERATIONS + 1):
        if len(ends) and sweep > 1:
            # A censored review stands for what the reviewer would have given on an unbounded scale: its expected
            # value beyond the end, given the model's prediction of it (the EM step of a censored, Tobit, model).
            read, spread = _uncensored(at_top, score[u[ends]] + bias_of_review[ends] + shift, 1 / precision[v[ends]])
            z = given.copy()
            z[ends] = read
            beyond = np.bincount(v[ends], spread, n_reviewers).astype(float)
            reviews_total, reviews_spread = _sums(z, v, per_reviewer)
        # Reviewer precision: the prior from calibration (or the population), updated by the reviewer's residuals.
        seen = np.take(score, u)
        residual = z - seen - bias_of_review - shift
        # Against the fitted scores, sweep by sweep: measured once against the plain means the fit starts from, it
        # took nearly twice the sweeps to settle (141 against 78 on 500,000 reviews).
        work_total, work_spread = _sums(seen, v, per_reviewer)
        # Each reviewer's summed residual, from the sums at hand (one pass over the reviews fewer).
        residual_total = reviews_total - work_total - per_reviewer * (bias + shift)
        squared = (np.bincount(v, residual * residual + np.take(score_variance, u), n_reviewers) + beyond
                   + per_reviewer * bias_variance_each + SHORTFALL_WEIGHT * _shortfall(work_spread, reviews_spread))
        noise_floor = NOISE_FLOOR_SHARE * noise
        prior_variance = np.where(calibrated, np.maximum(noise * relative_variance, noise_floor), noise)
        precision = (shape + per_reviewer / 2) / (shape * prior_variance + squared / 2)
        # Reviewer bias: what the reviewer adds to every score beyond the shared shift, shrunk towards 0.
        bias_prior = (BIAS_SHAPE + 0.5) / (BIAS_SHAPE * bias_spread + (bias * bias + bias_variance_each) / 2)
        bias_precision = bias_prior + precision * (per_reviewer + example_count)
        bias = precision * (residual_total + per_reviewer * bias
                            + example_count * (example_error - shift)) / bias_precision
        bias_variance_each = 1 / bias_precision
        bias_of_review = np.take(bias, v)
        weight = np.take(precision, v)
        if sees_shift:
            # The shift: only reviews of work whose score staff know (graded submissions, calibration examples) see
            # it; without them it is the prior's 0, which cannot be told apart from the cohort's mean.
            anchor_weight = weight[anchor_rows]
            shift_precision = 1 / SHIFT_PRIOR[0] + float(anchor_weight.sum() + np.dot(precision, example_count))
            shift = (float(np.dot(anchor_weight, z[anchor_rows] - score[u[anchor_rows]] - bias_of_review[anchor_rows]))
                     + float(np.dot(precision * example_count, example_error - bias))) / shift_precision
            shift_variance = 1 / shift_precision
        # True scores: the precision-weighted mean of the de-biased reviews, shrunk towards the cohort's mean.
        score_prior = (SCORE_SHAPE + 0.5) / (SCORE_SHAPE * score_spread + ((score - mu) ** 2 + score_variance) / 2)
        fit = _Fit(precision, bias, score_prior, mu, shift, sweep, False, z)
        score_precision = score_prior + np.bincount(u, weight, n_submissions)
        new_score = (mu * score_prior + np.bincount(u, weight * (z - bias_of_review - shift), n_submissions)
                     ) / score_precision
        new_score = np.where(is_known, known_values, new_score)
        score_variance = np.where(is_known, 0.0, 1 / score_precision)
        # The cohort: mean and spread of the scores, spread of the biases, typical noise of a review.
        mu = float(new_score.mean())
        score_spread = _pooled(float(np.sum((new_score - mu) ** 2 + score_variance)), n_submissions, SCORE_SPREAD_PRIOR)
        bias_spread = _pooled(float(np.sum(bias * bias + bias_variance_each)), n_reviewers, BIAS_SPREAD_PRIOR)
        noise = _typical_noise(precision)
        change = float(np.max(np.abs(new_score - score)))
        if change < TOLERANCE:
            fit = replace(fit, converged=True)
            break
        score = np.where(is_known, new_score, score + OVER_RELAXATION * (new_score - score))
    # The scores are the last update's, exactly as its parts (the fit) make them up: explain() rebuilds them so.
    score = new_score
    # The bias of each reviewer and the shared shift are uncertain too, and that passes to the scores they gave.
    share = precision[v] / score_precision[u]
    reviews_share = np.bincount(u, share, n_submissions)
    # A reviewer's noise variance is uncertain as well: its posterior mean, (shape) / (shape - 1) times one over the
    # mean precision, is what a review's error varies by (a Student-t's, not a normal's, spread).
    posterior_shape = shape + per_reviewer / 2
    noise_inflation = posterior_shape / np.maximum(posterior_shape - 1, 0.5)
    residual = z - score[u] - bias[v] - shift
    misses = _held_out_misses(
        residual=residual,
        # How much of a review its own fit absorbed: its share of its submission's score and of its reviewer's bias.
        leverage=_joint_leverage(np.where(is_known[u], 0.0, share), precision[v] / bias_precision[v]),
        noise=_held_out_noise(
            # What each review added to its reviewer's noise estimate, as the precision update sums it.
            contribution=residual * residual + score_variance[u] + 1 / bias_precision[v],
            rate=((shape + per_reviewer / 2) / precision)[v], shape=shape[v], reviews=per_reviewer[v],
            least=shape[v] * prior_variance[v]),
        estimation=(np.where(is_known[u], 0.0, 1 / np.maximum(score_precision[u] - precision[v], score_prior[u]))
                    + 1 / np.maximum(bias_precision[v] - precision[v], 1 / bias_spread)))
    # A reviewer whose reviews miss more than the model expects, when each is predicted without it, is noisier than
    # the fit judged (one who gives everyone the same score pulls the scores they gave towards it, and so looks
    # careful): the noise their reviews bring to a score grows by as much.
    noise_factor = noise_inflation * misses.factor(v, n_reviewers)
    if int((~is_known).sum()) + n_reviewers <= EXACT_VARIANCE_LIMIT:
        variance = _exact_score_variance(_LinearModel(u, v, precision, noise_factor, score_prior,
                                                      bias_prior + precision * example_count, is_known))
    else:
        # A bias is learned from the other scores its reviewer gave, themselves uncertain: that passes on too.
        bias_share = precision / bias_precision
        bias_variance = bias_variance_each + bias_share * bias_share * np.bincount(v, score_variance[u], n_reviewers)
        prior_share = score_prior / score_precision
        variance = prior_share * prior_share / score_prior + np.bincount(
            u, share * share * (noise_factor[v] / precision[v] + bias_variance[v]), n_submissions)
    variance = variance + reviews_share * reviews_share * shift_variance
    variance = variance * misses.submission_factor(u, n_submissions)
    variance = np.where(is_known, 0.0, variance)
    return scale.low + score * scale.width, np.sqrt(variance) * scale.width, fit


def _shortfall(work_spread: np.ndarray, reviews_spread: np.ndarray) -> np.ndarray:
    """How far each reviewer's reviews spread less than the work they reviewed, both as sums of squares about their
    means: (sqrt(work's) - sqrt(reviews'))^2, 0 when the reviews spread as much or more."""
    short = np.maximum(np.sqrt(work_spread) - np.sqrt(reviews_spread), 0.0)
    return short * short


def _sums(values: np.ndarray, group: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group (of `count` values each), the sum of its values and their sum of squares about their mean."""
    total = np.bincount(group, values, len(count))
    with np.errstate(invalid="ignore", divide="ignore"):
        about_mean = np.bincount(group, values * values, len(count)) - np.nan_to_num(total * total / count)
    return total, np.maximum(about_mean, 0.0)  # rounding can leave a hair below 0


@dataclass(frozen=True)
class _LinearModel:
    """The fitted model with its precisions held fixed: reviews z = s_u + b_v + noise, in the indices of _Reviews."""

    submission: np.ndarray
    reviewer: np.ndarray
    precision: np.ndarray  # per reviewer: the weight the fit gave their reviews
    noise_factor: np.ndarray  # per reviewer: their reviews' actual noise variance over 1 / precision
    score_prior: np.ndarray  # per submission
    bias_prior: np.ndarray  # per reviewer (calibration examples included)
    is_known: np.ndarray  # per submission: staff-graded, so not estimated


def _exact_score_variance(model: _LinearModel) -> np.ndarray:
    """Each score's error variance with the scores and biases estimated jointly, every correlation between them
    counted: with H the joint precision of (scores, biases) the fit solved with, the estimates err by H^-1 X' T e,
    and reviews' noise e of variance noise_factor / precision makes that H^-1 + H^-1 X' T (noise_factor - 1) X H^-1
    (the second part: the noise beyond what the weights assumed)."""
    u, v, precision = model.submission, model.reviewer, model.precision
    n_reviewers = len(precision)
    free = ~model.is_known
    scores = int(free.sum())
    position = np.cumsum(free) - 1  # each estimated submission's place among them
    estimated = free[u]
    work, who = position[u[estimated]], v[estimated]
    weight = precision[who]
    # H = [[Ds, B], [B', Db]], both diagonal blocks diagonal; reviews of staff-graded work inform their reviewer's
    # bias alone. Its inverse through the biases' Schur complement S = Db - B' Ds^-1 B, the smaller system.
    score_diagonal = model.score_prior[free] + np.bincount(work, weight, scores)
    bias_diagonal = (model.bias_prior + np.bincount(who, weight, n_reviewers)
                     + np.bincount(v[~estimated], precision[v[~estimated]], n_reviewers))
    coupling = np.zeros((scores, n_reviewers))
    np.add.at(coupling, (work, who), weight)
    scaled = coupling / score_diagonal[:, None]  # Ds^-1 B
    complement = np.diag(bias_diagonal) - coupling.T @ scaled
    score_to_bias = -scaled @ np.linalg.inv(complement)  # the scores' rows of H^-1, bias columns
    score_block = np.diag(1 / score_diagonal) - score_to_bias @ scaled.T  # the scores' rows, score columns
    # Each review moves its score and its reviewer's bias: its column of H^-1 X' is score_block[:, u] +
    # score_to_bias[:, v]. Summed over the reviews, squared and weighed by their noise beyond the weights, review by
    # review would take a row per review; gathered by (submission, reviewer) pair it takes the class's size.
    beyond = np.zeros((scores, n_reviewers))
    np.add.at(beyond, (work, who), weight * (model.noise_factor[who] - 1))
    variance = (np.diag(score_block) + score_block * score_block @ beyond.sum(axis=1)
                + score_to_bias * score_to_bias @ beyond.sum(axis=0)
                + 2 * np.sum((score_block @ beyond) * score_to_bias, axis=1))
    # Staff-graded reviews err too, through the biases they teach.
    graded = v[~estimated]
    if len(graded):
        bias_column = score_to_bias[:, graded]
        variance = variance + bias_column * bias_column @ (precision[graded] * (model.noise_factor[graded] - 1))
    result = np.zeros(len(free))
    result[free] = variance
    return result


def _joint_leverage(score_share: np.ndarray, bias_share: np.ndarray) -> np.ndarray:
    """How much of a review its own prediction (score plus its reviewer's bias) absorbs, when the score and the bias
    are fitted together. Moving the review by dz moves the score by a (dz - d bias) and the bias by c (dz - d score),
    a and c being the review's shares of each: solved, d score = a (1 - c) / (1 - a c) dz and d bias =
    c (1 - a) / (1 - a c) dz. (Adding the shares as if each fit ignored the other overstated it: with three reviews
    each, a held-out miss looked a fifth larger than it was.)"""
    joint = score_share * bias_share
    return (score_share + bias_share - 2 * joint) / np.maximum(1 - joint, LEVERAGE_FLOOR)


@dataclass(frozen=True)
class _HeldOutMisses:
    """How far each review misses when predicted by the fit without it, over what the model expects (`ratio`), how
    much of it its own fit left to tell (`kept`), and the class's level of those ratios."""

    ratio: np.ndarray
    kept: np.ndarray
    level: float

    def factor(self, group: np.ndarray, size: int) -> np.ndarray:
        """Each group's (reviewer's) ratio relative to the class's, its own reviews against the class's
        pseudo-reviews."""
        own = np.bincount(group, self.kept, size)
        return (HELD_OUT_PSEUDO_REVIEWS + np.bincount(group, self.kept * self.ratio, size) / self.level) / (
            HELD_OUT_PSEUDO_REVIEWS + own)

    def submission_factor(self, submission: np.ndarray, n_submissions: int) -> np.ndarray:
        """What each submission's model variance is multiplied by: the class's level, pulled towards its own reviews'
        misses; judged from this few reviews, the score's error is Student-t with that many degrees of freedom, whose
        variance is dof / (dof - 2) times its scale's."""
        dof = HELD_OUT_PSEUDO_REVIEWS + np.bincount(submission, self.kept, n_submissions)
        return self.level * self.factor(submission, n_submissions) * dof / (dof - 2)


@dataclass(frozen=True)
class _HeldOutNoise:
    """What the other reviews of a review's reviewer say about that review's noise: its variance, and the degrees of
    freedom of the Student-t it follows (the noise variance being itself estimated from those few reviews)."""

    variance: np.ndarray
    dof: np.ndarray


def _held_out_noise(contribution: np.ndarray, rate: np.ndarray, shape: np.ndarray, reviews: np.ndarray,
                    least: np.ndarray) -> _HeldOutNoise:
    """Each review's noise as its reviewer's other reviews predict it: their gamma posterior of the precision, the
    review's own contribution taken out (judged with it, a review that happened to land close made its reviewer look
    careful and so itself unsurprising). Per review: `contribution` to the rate, the reviewer's posterior `rate`, prior
    `shape` and count of `reviews`; `least` keeps the rate above a part of the prior's."""
    shape_without = np.maximum(shape + (reviews - 1) / 2, MIN_HELD_OUT_SHAPE)
    rate_without = np.maximum(rate - contribution / 2, least / 2)
    # A normal of gamma-distributed precision is a Student-t with 2 * shape degrees of freedom; its variance is
    # rate / (shape - 1).
    return _HeldOutNoise(rate_without / (shape_without - 1), 2 * shape_without)


def _median_of_squared_t(dof: np.ndarray) -> np.ndarray:
    """The median of t^2 / Var(t) for a Student-t of `dof` degrees of freedom: the square of its upper quartile (by the
    Cornish-Fisher expansion, within 1e-4 from 2.5 degrees of freedom on), times (dof - 2) / dof. 0.4549 for a normal."""
    z = 0.6744897501960817  # the standard normal's upper quartile
    quartile = (z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)
                + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * dof**3))
    return quartile * quartile * (dof - 2) / dof


def _held_out_misses(residual: np.ndarray, leverage: np.ndarray, noise: _HeldOutNoise,
                     estimation: np.ndarray) -> _HeldOutMisses:
    """A leave-one-review-out check of the model's variances.

    The fit without a review predicts it with the miss residual / (1 - leverage), of variance noise + estimation (the
    error of the score and bias it is predicted from) if the model is right. Mean-field fits misjudge reviewers' noise
    (the scores and biases are fitted to the same reviews), and misfits the model cannot name (colluders, lazy
    reviewers) show here too."""
    kept = np.clip(1 - leverage, 0.0, 1.0)  # a review its own fit absorbed says little about how far it misses
    expected = noise.variance + estimation
    # The median a review's ratio has if the model is right: the noise part of a miss is Student-t (heavy tails put
    # its median below a normal's), the estimation part normal; weighed by their shares of the variance.
    noise_share = noise.variance / expected
    median = noise_share * _median_of_squared_t(noise.dof) + (1 - noise_share) * CHI2_1_MEDIAN
    ratio = np.where(kept > 0, residual * residual / np.maximum(kept, LEVERAGE_FLOOR) ** 2 / expected, 0.0)
    ratio = ratio * CHI2_1_MEDIAN / median  # so that, for every review, a median of CHI2_1_MEDIAN means all is well
    # The class's level: the median ratio over that of a chi-square with one degree of freedom, so that the few
    # wild reviews a heavy-tailed model expects do not set it.
    telling = kept > 0.5
    level = float(np.median(ratio[telling])) / CHI2_1_MEDIAN if telling.any() else 1.0
    return _HeldOutMisses(ratio, kept, level if level > 0 else 1.0)


def _uncensored(at_top: np.ndarray, predicted: np.ndarray, variance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reviews at an end of the scale (0..1 here; `at_top` tells which end) as the fit reads them, with the variance of
    that reading: the mean of a normal about each one's prediction, truncated to beyond its end."""
    sd = np.sqrt(variance)
    # Beyond the top: y >= 1; beyond the bottom, mirrored: -y >= 0.
    sign = np.where(at_top, 1.0, -1.0)
    alpha = sign * (at_top - predicted) / sd
    ratio = _inverse_mills(alpha)
    return predicted + sign * sd * ratio, variance * np.maximum(1 + alpha * ratio - ratio * ratio, 0.0)


def _inverse_mills(alpha: np.ndarray) -> np.ndarray:
    """phi(alpha) / (1 - Phi(alpha)), the mean of a standard normal truncated to beyond alpha, stably for large alpha:
    Phi's tail by Numerical Recipes' erfc (relative error below 1.2e-7), whose Gaussian factor cancels phi's."""
    x = np.abs(alpha) / math.sqrt(2)
    t = 1 / (1 + 0.5 * x)
    poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    # erfc(x) = t exp(-x^2 + poly); phi(alpha) = exp(-x^2) / sqrt(2 pi).
    tail = 0.5 * t * np.exp(poly)  # (1 - Phi(|alpha|)) / exp(-x^2)
    upper = 1 / (math.sqrt(2 * math.pi) * tail)  # for alpha >= 0
    # For alpha < 0: 1 - Phi(alpha) = 1 - tail exp(-x^2).
    lower = np.exp(-x * x) / math.sqrt(2 * math.pi) / (1 - tail * np.exp(-x * x))
    return np.where(alpha >= 0, upper, lower)


def _typical_noise(precision: np.ndarray) -> float:
    """The noise variance of a typical reviewer: one over their mean precision, pulled towards the prior."""
    # Averaging precisions, not variances, keeps a few careless reviewers from making everyone look careless:
    # a prior worth one review of a large variance would swamp a careful reviewer's handful of small residuals.
    variance, weight = NOISE_PRIOR
    return (len(precision) + weight) / (float(precision.sum()) + weight / variance)


def _pooled(sum_of_squares: float, count: float, prior: tuple[float, float]) -> float:
    """A variance estimated from `count` squares, pulled towards the prior variance by its pseudo-count."""
    variance, weight = prior
    return (sum_of_squares + weight * variance) / (count + weight)


# --- explaining a score ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewPart(Generic[_ReviewerId_co]):
    reviewer: _ReviewerId_co
    score: float  # as the reviewer gave it
    correction: float  # points added for the reviewer's measured leniency (< 0) or strictness (> 0)
    share: float  # of the result, 0..1


@dataclass(frozen=True, slots=True)
class Explanation(Generic[_ReviewerId_co]):
    """A score as the sum of its parts: sum(share * (score + correction)) + cohort_share * cohort_mean, then clipped
    to the scale; the shares add up to 1. A known (staff) score stands alone."""

    parts: tuple[ReviewPart[_ReviewerId_co], ...]
    cohort_mean: float  # what the estimate is pulled towards when the reviews alone are not trusted fully
    cohort_share: float
    known: bool
    score: float  # as `aggregate` returns it

    @property
    def unclipped(self) -> float:
        if self.known:
            return self.score
        return math.fsum([part.share * (part.score + part.correction) for part in self.parts]
                         + [self.cohort_share * self.cohort_mean])


def explain(
    scores: Sequence[PeerScore[SubmissionId, ReviewerId]],
    method: str = "reliability",
    *,
    scale: tuple[float, float],
    reviewer_accuracy: Mapping[ReviewerId, float] | None = None,
    known: Mapping[SubmissionId, float] | None = None,
    calibration_error: Mapping[ReviewerId, CalibrationError] | None = None,
) -> dict[SubmissionId, Explanation[ReviewerId]]:
    """How `aggregate` reached each submission's score: each review's share of it and its correction for the
    reviewer's measured bias, and any pull towards the cohort's mean. Same arguments, same scores."""
    return explained_estimates(scores, method, scale=scale, reviewer_accuracy=reviewer_accuracy, known=known,
                               calibration_error=calibration_error)[1]


def explained_estimates(
    scores: Sequence[PeerScore[SubmissionId, ReviewerId]],
    method: str = "reliability",
    *,
    scale: tuple[float, float],
    reviewer_accuracy: Mapping[ReviewerId, float] | None = None,
    known: Mapping[SubmissionId, float] | None = None,
    calibration_error: Mapping[ReviewerId, CalibrationError] | None = None,
) -> tuple[Estimates[SubmissionId], dict[SubmissionId, Explanation[ReviewerId]]]:
    """What `aggregate` and `explain` give, from one fit of the model: the explanations are of these very scores."""
    inputs = _prepared(scores, method, scale, reviewer_accuracy, known, calibration_error)
    if inputs is None:
        return Estimates(), {}
    bounds, accuracy, known_scores, reviews = inputs.scale, inputs.accuracy, inputs.known, inputs.reviews
    if reviews.criterion is not None:
        raise ValueError("explain() explains totals: give it scores without criteria")
    estimates, fit = _aggregated(method, inputs)
    n = len(reviews.score)
    share: np.ndarray = np.zeros(n)
    correction: np.ndarray = np.zeros(n)
    cohort_share: np.ndarray = np.zeros(len(reviews.submissions))
    cohort_mean = 0.0
    counts = reviews.counts
    if n and fit is not None:
        weight = fit.precision[reviews.reviewer]
        total = fit.prior_precision + np.bincount(reviews.submission, weight, len(reviews.submissions))
        share = weight / total[reviews.submission]
        # A full (or zero) mark counts as what it stands for beyond the end of the scale, corrected as the others.
        read = bounds.low + fit.read * bounds.width
        correction = read - reviews.score - (fit.bias[reviews.reviewer] + fit.shift) * bounds.width
        cohort_share = fit.prior_precision / total
        cohort_mean = bounds.low + fit.mu * bounds.width
    elif n and method == "calibrated":
        per_reviewer = np.fromiter((accuracy.get(reviewer, DEFAULT_ACCURACY) for reviewer in reviews.reviewers),
                                   dtype=float, count=len(reviews.reviewers))
        weight = np.maximum(per_reviewer, ACCURACY_FLOOR)[reviews.reviewer]
        share = weight / np.bincount(reviews.submission, weight, len(reviews.submissions))[reviews.submission]
    elif n and method in ("median", "trimmed_mean"):
        order = np.lexsort((reviews.score, reviews.submission))
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        group = reviews.submission[order]
        position = np.arange(n) - starts[group]
        size = counts[group]
        if method == "median":
            middle = (position == (size - 1) // 2).astype(float) + (position == size // 2).astype(float)
            share[order] = middle / 2
        else:
            kept = ~((size >= 4) & ((position == 0) | (position == size - 1)))
            share[order] = kept / np.where(size >= 4, size - 2, size)
    elif n:
        share = 1.0 / counts[reviews.submission]
    parts: dict[SubmissionId, list[ReviewPart[ReviewerId]]] = {submission: [] for submission in reviews.submissions}
    for index in range(n):
        submission = reviews.submissions[reviews.submission[index]]
        parts[submission].append(ReviewPart(
            scores[index].reviewer, float(reviews.score[index]), float(correction[index]), float(share[index])))
    return estimates, {
        submission: Explanation(
            parts=tuple(parts[submission]),
            cohort_mean=cohort_mean if cohort_share[position] else 0.0,
            cohort_share=float(cohort_share[position]),
            known=submission in known_scores,
            score=estimates[submission].score,
        )
        for position, submission in enumerate(reviews.submissions)
    }
