"""The reliability model's held-out check of its own uncertainty: the misses it averages and the level it sets."""

import math

import numpy as np
import pytest

from assessment import aggregation
from assessment.aggregation import PeerScore, aggregate

SCALE = (0.0, 10.0)

T5_SQUARED_MEDIAN = 0.316850  # the median of t^2 / Var(t) for a Student-t of 5 degrees of freedom


def _misses(squared_residuals: list[float]) -> aggregation._HeldOutMisses:
    # Reviews nothing else absorbed (leverage 0), predicted exactly (no estimation error), each with noise of variance
    # 1 that is a Student-t of 5 degrees of freedom: each ratio is its squared residual.
    count = len(squared_residuals)
    noise = aggregation._HeldOutNoise(variance=np.ones(count), dof=np.full(count, 5.0))
    return aggregation._held_out_misses(np.sqrt(squared_residuals), np.zeros(count), noise, np.zeros(count))


def test_a_class_whose_median_miss_is_the_models_keeps_its_level():
    assert _misses([0.2, T5_SQUARED_MEDIAN, T5_SQUARED_MEDIAN, T5_SQUARED_MEDIAN, 2.0]).level == pytest.approx(1.0)
    assert _misses([0.2, 0.4, 0.4, 0.4, 2.0]).level == pytest.approx(0.4 / T5_SQUARED_MEDIAN)


# Reviewers whose scores vary less than the work they reviewed.

def test_a_reviewers_shortfall_is_how_far_their_reviews_spread_less_than_the_work():
    # Works fitted at 5, 7 and 9 (sum of squares 8): reviews 7, 7, 7 fall short by all of it; 6, 7, 8 (sum of squares 2)
    # by (sqrt 8 - sqrt 2)^2 = 2; 4, 7, 10 spread more, so not at all.
    work = np.array([0, 1, 2] * 3)
    reviewer = np.repeat([0, 1, 2], 3)
    given = np.array([7.0, 7, 7, 6, 7, 8, 4, 7, 10])
    count = np.bincount(reviewer).astype(float)
    total, spread = aggregation._sums(given, reviewer, count)
    assert (total.tolist(), spread.tolist()) == ([21.0] * 3, pytest.approx([0.0, 2.0, 18.0], abs=1e-12))
    _, work_spread = aggregation._sums(np.array([5.0, 7, 9])[work], reviewer, count)
    assert work_spread == pytest.approx([8.0] * 3, abs=1e-12)
    assert aggregation._shortfall(work_spread, np.array([0.0, 2.0, 18.0])) == pytest.approx([8.0, 2.0, 0.0], abs=1e-12)


def _class_with_constant_reviewers(seed: int) -> tuple[list[PeerScore], np.ndarray]:
    """300 works on 0..10, 4 reviews each by shifted permutations; a fifth of the reviewers give everyone 7."""
    rng = np.random.default_rng(seed)
    students = 300
    true = np.clip(rng.normal(6.2, 1.6, students), 0, 10)
    bias = rng.normal(0, 0.9, students)
    noise = 10 / np.sqrt(rng.gamma(2.0, 100.0, students))
    lazy = rng.random(students) < 0.2
    order = rng.permutation(students)
    scores = []
    for i in range(students):
        for shift in range(1, 5):
            work, reviewer = int(order[(i + shift) % students]), int(order[i])
            given = 7.0 if lazy[reviewer] else float(np.clip(np.rint(true[work] + bias[reviewer]
                                                                        + rng.normal(0, noise[reviewer])), 0, 10))
            scores.append(PeerScore(work, reviewer, given))
    return scores, true


def test_reviewers_who_give_everyone_the_same_score_weigh_less_and_widen_the_intervals():
    # Their residuals are small (the scores they gave are pulled towards their 7), so the fit once trusted them: on
    # these four classes RMSE 0.898 against 0.787 for the plain mean, and 81.5% of true scores within the 95%
    # intervals; now 0.777 and 85.6% (still short of 93%: their misses add up on the work they share).
    squared, squared_by_mean, covered = [], [], []
    for seed in range(4):
        scores, true = _class_with_constant_reviewers(seed)
        estimates = aggregate(scores, "reliability", scale=SCALE)
        means = aggregate(scores, "mean", scale=SCALE)
        errors = np.array([estimates[work].score - true[work] for work in estimates])
        squared += (errors**2).tolist()
        squared_by_mean += [(means[work].score - true[work]) ** 2 for work in means]
        covered += (np.abs(errors) <= 1.96 * np.array([estimate.std for estimate in estimates.values()])).tolist()
    assert math.sqrt(np.mean(squared)) <= math.sqrt(np.mean(squared_by_mean)) - 0.005
    assert np.mean(covered) >= 0.85


# The exact variance of a small class's scores, calibration examples included.

def _small_class_model(rng: np.random.Generator) -> tuple[aggregation._LinearModel, np.ndarray]:
    """20 works reviewed 3 times each by shifted permutations, the first graded by staff; reviewers of unequal
    precision whose reviews are noisier than the fit's weights say by unequal factors; 3 calibration examples each,
    which enter as prior precision of their bias. Also the precision of those examples, per reviewer."""
    students, each = 20, 3
    order = rng.permutation(students)
    position = np.repeat(np.arange(students), each)
    work = order[(position + np.tile(np.arange(1, each + 1), students)) % students]
    who = order[position]
    precision = rng.gamma(4.0, 25.0, students)
    examples = 3 * precision
    known = np.zeros(students, dtype=bool)
    known[0] = True
    model = aggregation._LinearModel(work, who, precision, rng.uniform(1.0, 2.0, students),
                                     rng.uniform(20.0, 40.0, students), np.full(students, 120.0) + examples, known)
    return model, examples


def test_a_small_class_scores_exact_variance_is_how_far_its_linear_estimates_err_calibration_examples_included():
    # Truths drawn from the priors, reviews with the noise the model says (noise_factor / precision), examples with
    # the noise their weight says: the estimates solved with the fit's weights err by exactly the computed variance,
    # so the calibration examples' share of the biases is neither double-counted nor taken as independent of them.
    rng = np.random.default_rng(3)
    model, examples = _small_class_model(rng)
    u, v, free = model.submission, model.reviewer, ~model.is_known
    n_scores, n_reviewers = int(free.sum()), len(model.precision)
    column = np.cumsum(free) - 1
    design = np.zeros((len(u), n_scores + n_reviewers))
    rows = np.flatnonzero(free[u])
    design[rows, column[u[rows]]] = 1.0
    design[np.arange(len(u)), n_scores + v] = 1.0
    weight = model.precision[v]
    hessian = design.T @ (weight[:, None] * design) + np.diag(np.r_[model.score_prior[free], model.bias_prior])
    draws = 20_000
    truth = np.c_[rng.normal(size=(draws, n_scores)) / np.sqrt(model.score_prior[free]),
                  rng.normal(size=(draws, n_reviewers)) / np.sqrt(model.bias_prior - examples)]
    reviews = truth @ design.T + rng.normal(size=(draws, len(u))) * np.sqrt(model.noise_factor[v] / weight)
    signed_error = truth[:, n_scores:] + rng.normal(size=(draws, n_reviewers)) / np.sqrt(examples)
    estimate = np.linalg.solve(hessian, (reviews * weight @ design + np.c_[np.zeros((draws, n_scores)),
                                                                           signed_error * examples]).T).T
    observed = np.mean((estimate - truth)[:, :n_scores] ** 2, axis=0)
    computed = aggregation._exact_score_variance(model)[free]
    # 20,000 draws: each observed variance is within 3% of its own (2 / 20,000)^0.5 = 1% sd, three times over.
    assert observed / computed == pytest.approx(np.ones(n_scores), abs=0.03)
