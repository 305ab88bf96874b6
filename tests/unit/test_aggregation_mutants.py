"""Aggregation pinned on small fixed cohorts, and the properties its numbers keep on any scale."""

import math

import numpy as np
import pytest

from assessment import aggregation
from assessment.aggregation import METHODS, CalibrationError, Estimate, PeerScore, aggregate, explain

# Five reviewers on a 1..5 scale: "a" has five reviews (so the trimmed mean drops two), "b" four, "c" three.
ONE_TO_FIVE = (1.0, 5.0)
REVIEWERS = ("r1", "r2", "r3", "r4", "r5")
FORM = {"a": (1, 3, 4, 4, 5), "b": (2, 2, 3, 5), "c": (3, 4, 5)}
CONTENT = {"a": (2, 2, 3, 3, 4), "b": (5, 4, 4, 3), "c": (1, 2, 3)}
# r1 calibrated well, r2 middling, r3 below the floor of 0.05; r4 and r5 never calibrated (the default 0.5).
ACCURACY = {"r1": 0.9, "r2": 0.5, "r3": 0.02}


def cohort(rows=FORM, *, criterion=None, weight=1.0) -> list[PeerScore]:
    return [PeerScore(work, REVIEWERS[index], float(score), criterion=criterion, weight=weight)
            for work, scores in rows.items() for index, score in enumerate(scores)]


def two_criteria() -> list[PeerScore]:
    return cohort(FORM, criterion="form", weight=1.0) + cohort(CONTENT, criterion="content", weight=3.0)


def pairs(estimates) -> dict:
    return {work: (estimate.score, estimate.std) for work, estimate in estimates.items()}


def pinned(numbers: dict, tolerance: float = 1e-3) -> dict:
    return {work: (pytest.approx(score, abs=tolerance), pytest.approx(std, abs=tolerance))
            for work, (score, std) in numbers.items()}


# Hand-checked: a's mean is 3.4 with sample variance 2.3 (4 degrees of freedom), b's 3 with 2 (3), c's 4 with 1 (2);
# pooled (9.2 + 6 + 2) / 9 = 1.9111; a's variance pulled towards it by 4 pseudo-reviews is (4 * 1.9111 + 4 * 2.3) / 8,
# over 5 reviews: std 0.648931. The median's std is sqrt(pi / 2) times the mean's from three reviews on, the trimmed
# mean's sqrt(1.2) times it from four on. Calibrated weights are 0.9, 0.5, 0.05 (the floor), 0.5 and 0.5 (the default):
# a is (0.9 + 1.5 + 0.2 + 2 + 2.5) / 2.45 = 2.897959.
TOTALS = {
    "mean": {"a": (3.4, 0.648931), "b": (3.0, 0.69807), "c": (4.0, 0.731985)},
    "median": {"a": (4.0, 0.813314), "b": (2.5, 0.874901), "c": (4.0, 0.917408)},
    "trimmed_mean": {"a": (3.666667, 0.710868), "b": (2.5, 0.764697), "c": (4.0, 0.731985)},
    "calibrated": {"a": (2.897959, 0.876713), "b": (2.794872, 0.953345), "c": (3.413793, 1.066914)},
}
# A staff grade of c (3, where peers said 4) shows peers off together by 1 beyond c's own variance 0.535802: the
# methods without a model widen every std by sqrt(0.464198 / (1 + 5)) = 0.278147 in quadrature (a: 0.706029). The
# calibrated estimate of c is 0.41 off, within its std: nothing widens. d, graded but unreviewed, teaches nothing.
WITH_STAFF = {
    "mean": {"a": (3.4, 0.706029), "b": (3.0, 0.751444), "c": (3.0, 0.0), "d": (2.0, 0.0)},
    "median": {"a": (4.0, 0.829382), "b": (2.5, 0.889857), "c": (3.0, 0.0), "d": (2.0, 0.0)},
    "trimmed_mean": {"a": (3.666667, 0.763348), "b": (2.5, 0.813713), "c": (3.0, 0.0), "d": (2.0, 0.0)},
    "calibrated": {"a": (2.897959, 0.876713), "b": (2.794872, 0.953345), "c": (3.0, 0.0), "d": (2.0, 0.0)},
}
# Two criteria, weighted 1 and 3: each estimated on its own, the scores combined by weight, the variances by weight
# squared (a's mean: (3.4 + 3 * 2.8) / 4 = 2.95).
BY_CRITERIA = {
    "mean": {"a": (2.95, 0.328929), "b": (3.75, 0.362421), "c": (2.5, 0.436385)},
    "median": {"a": (3.25, 0.412252), "b": (3.625, 0.454228), "c": (2.5, 0.546928)},
    "trimmed_mean": {"a": (2.916667, 0.360324), "b": (3.625, 0.397013), "c": (2.5, 0.436385)},
    "calibrated": {"a": (2.69898, 0.419641), "b": (3.852564, 0.487088), "c": (1.913793, 0.554497)},
}


@pytest.mark.parametrize("method", TOTALS)
def test_each_simple_method_is_pinned_on_a_small_class_on_a_scale_from_one(method):
    estimates = aggregate(cohort(), method, scale=ONE_TO_FIVE, reviewer_accuracy=ACCURACY)
    assert pairs(estimates) == pinned(TOTALS[method])
    assert (estimates.sweeps, estimates.converged) == (0, True)


@pytest.mark.parametrize("method", WITH_STAFF)
def test_each_simple_method_is_pinned_with_staff_grades_that_show_peers_off_together(method):
    estimates = aggregate(cohort(), method, scale=ONE_TO_FIVE, reviewer_accuracy=ACCURACY, known={"c": 3.0, "d": 2.0})
    assert pairs(estimates) == pinned(WITH_STAFF[method])


@pytest.mark.parametrize("method", BY_CRITERIA)
def test_each_simple_method_is_pinned_criterion_by_criterion_and_says_it_settled(method):
    estimates = aggregate(two_criteria(), method, scale=ONE_TO_FIVE, reviewer_accuracy=ACCURACY)
    assert pairs(estimates) == pinned(BY_CRITERIA[method])
    assert (estimates.sweeps, estimates.converged) == (0, True)


def test_reliability_scores_are_pinned_loosely_on_the_small_class():
    # The model's uncertainty is still being refined; its scores move little with it, its stds are only bounded.
    estimates = aggregate(cohort(), "reliability", scale=ONE_TO_FIVE, reviewer_accuracy=ACCURACY)
    assert {work: estimate.score for work, estimate in estimates.items()} == {
        "a": pytest.approx(4.016, abs=0.05), "b": pytest.approx(3.971, abs=0.05), "c": 5.0}
    assert all(0.3 < estimate.std < 1.2 for estimate in estimates.values())
    assert estimates.converged and 1 < estimates.sweeps < aggregation.MAX_ITERATIONS


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("shift", "stretch"), [(-1.0, 1.0), (9.0, 1.0), (-1.0, 25.0), (3.0, 0.5)])
def test_moving_and_stretching_a_scale_from_one_moves_and_stretches_scores_and_stds_by_criterion(
        method, shift, stretch):
    def moved(score: float) -> float:
        return (score + shift) * stretch

    base = aggregate(two_criteria(), method, scale=ONE_TO_FIVE, reviewer_accuracy=ACCURACY)
    scores = [PeerScore(s.submission, s.reviewer, moved(s.score), s.criterion, s.weight) for s in two_criteria()]
    other = aggregate(scores, method, scale=(moved(1.0), moved(5.0)), reviewer_accuracy=ACCURACY)
    assert pairs(other) == {work: (pytest.approx(moved(score), abs=1e-4 * stretch),
                                   pytest.approx(std * stretch, abs=1e-4 * stretch))
                            for work, (score, std) in pairs(base).items()}


@pytest.mark.parametrize("method", METHODS)
def test_criteria_are_each_estimated_alone_and_combined_by_weight_with_their_variances_adding(method):
    # (Without calibration, where reliability puts c's form past the top: a criterion is combined unclipped.)
    accuracy = ACCURACY if method == "calibrated" else None
    combined = aggregate(two_criteria(), method, scale=ONE_TO_FIVE, reviewer_accuracy=accuracy)
    form = aggregate(cohort(FORM), method, scale=ONE_TO_FIVE, reviewer_accuracy=accuracy)
    content = aggregate(cohort(CONTENT), method, scale=ONE_TO_FIVE, reviewer_accuracy=accuracy)
    for work in combined:
        score = (form[work].score + 3 * content[work].score) / 4
        std = math.hypot(form[work].std, 3 * content[work].std) / 4
        assert pairs(combined)[work] == (pytest.approx(score, abs=1e-9), pytest.approx(std, abs=1e-9))


def test_staff_grades_anchor_the_total_not_each_criterion():
    # Graded work's total is staff's; the other works' criteria are estimated as if no work were graded.
    graded = aggregate(two_criteria(), "reliability", scale=ONE_TO_FIVE, known={"c": 1.5})
    form = aggregate(cohort(FORM), "reliability", scale=ONE_TO_FIVE)
    content = aggregate(cohort(CONTENT), "reliability", scale=ONE_TO_FIVE)
    assert graded["c"] == Estimate(1.5, 0.0)
    for work in ("a", "b"):
        assert graded[work].score == pytest.approx((form[work].score + 3 * content[work].score) / 4, abs=1e-9)


def test_each_criterion_reads_the_calibration_error_made_on_it_or_else_the_overall_one():
    # r1 was 1 point lenient on form in calibration and said nothing of content: content takes their overall 0.25.
    errors = {"r1": CalibrationError(0.25, 3, by_criterion={"form": 1.0})}
    combined = aggregate(two_criteria(), "reliability", scale=ONE_TO_FIVE, calibration_error=errors)
    form = aggregate(cohort(FORM), "reliability", scale=ONE_TO_FIVE,
                     calibration_error={"r1": CalibrationError(1.0, 3)})
    content = aggregate(cohort(CONTENT), "reliability", scale=ONE_TO_FIVE,
                        calibration_error={"r1": CalibrationError(0.25, 3)})
    plain = aggregate(two_criteria(), "reliability", scale=ONE_TO_FIVE)
    for work in combined:
        assert combined[work].score == pytest.approx((form[work].score + 3 * content[work].score) / 4, abs=1e-9)
        assert combined[work].std == pytest.approx(math.hypot(form[work].std, 3 * content[work].std) / 4, abs=1e-9)
    assert combined["a"].score != pytest.approx(plain["a"].score, abs=1e-3)


def test_a_criterion_fit_that_reaches_its_sweep_limit_unsettled_says_so_for_the_total(monkeypatch):
    monkeypatch.setattr(aggregation, "MAX_ITERATIONS", 2)
    estimates = aggregate(two_criteria(), "reliability", scale=ONE_TO_FIVE)
    assert (estimates.sweeps, estimates.converged) == (2, False)


@pytest.mark.parametrize("method", METHODS)
def test_work_reviewed_only_on_a_criterion_of_no_weight_gets_the_bottom_with_the_scales_own_uncertainty(method):
    scores = two_criteria() + [PeerScore("e", reviewer, 4.0, criterion="style", weight=0.0) for reviewer in REVIEWERS]
    estimates = aggregate(scores, method, scale=ONE_TO_FIVE, reviewer_accuracy=ACCURACY)
    assert estimates["e"] == Estimate(1.0, pytest.approx(4 / math.sqrt(12)))
    if method != "reliability":  # whose cohort mean counts e, unreviewed, on each criterion
        assert pairs(estimates) == {**pinned(BY_CRITERIA[method]), "e": (1.0, pytest.approx(4 / math.sqrt(12)))}


@pytest.mark.parametrize(("alpha", "expected"), [(-3.0, 0.004432), (-1.0, 0.287600), (0.0, 0.797885), (1.0, 1.525135),
                                                 (3.0, 3.283099)])
def test_the_inverse_mills_ratio_is_the_mean_of_a_normal_beyond_alpha_on_both_sides_of_zero(alpha, expected):
    # phi(alpha) / (1 - Phi(alpha)): at -1, 0.241971 / 0.841345.
    assert aggregation._inverse_mills(np.array([alpha]))[0] == pytest.approx(expected, abs=1e-5)


def test_explaining_scores_by_criterion_is_refused_with_what_to_give():
    with pytest.raises(ValueError) as refusal:
        explain(two_criteria(), "mean", scale=ONE_TO_FIVE)
    assert str(refusal.value) == "explain() explains totals: give it scores without criteria"


# One review of "g" (5), which staff graded 2; "a" has three (2, 3, 4): sample variance 1, pooled 1. The graded work
# misses by 3, beyond its own variance 1 by 8, which one staff grade against 5 pseudo-grades makes 8 / 6: a's std
# widens from sqrt(1 / 3) to sqrt(1 / 3 + 4 / 3).
ONE_REVIEW_GRADED = [PeerScore("a", "r1", 2.0), PeerScore("a", "r2", 3.0), PeerScore("a", "r3", 4.0),
                     PeerScore("g", "r1", 5.0)]


def test_a_staff_grade_of_work_with_a_single_review_shows_peers_off_together_too():
    assert aggregate(ONE_REVIEW_GRADED, "mean", scale=ONE_TO_FIVE) == {
        "a": Estimate(3.0, pytest.approx(math.sqrt(1 / 3))), "g": Estimate(5.0, pytest.approx(1.0))}
    assert aggregate(ONE_REVIEW_GRADED, "mean", scale=ONE_TO_FIVE, known={"g": 2.0}) == {
        "a": Estimate(3.0, pytest.approx(math.sqrt(5 / 3))), "g": Estimate(2.0, 0.0)}


@pytest.mark.parametrize("method", METHODS)
def test_staff_grades_without_any_review_are_returned_as_they_are(method):
    estimates = aggregate([], method, scale=ONE_TO_FIVE, known={"x": 4.5, "y": 1.0})
    assert estimates == {"x": Estimate(4.5, 0.0), "y": Estimate(1.0, 0.0)}
    assert (estimates.sweeps, estimates.converged) == (0, True)


@pytest.mark.parametrize("method", METHODS)
def test_nothing_to_aggregate_gives_no_estimates_from_no_fit(method):
    estimates = aggregate([], method, scale=ONE_TO_FIVE)
    assert (estimates, estimates.sweeps, estimates.converged) == ({}, 0, True)


def _refusal(**arguments) -> str:
    with pytest.raises(ValueError) as refusal:
        aggregate(**{"scores": cohort(), "method": "mean", "scale": ONE_TO_FIVE, **arguments})
    return str(refusal.value)


def test_each_refusal_says_exactly_what_is_wrong():
    assert _refusal(method="mode") == (
        "unknown aggregation method 'mode'; choose one of mean, median, trimmed_mean, calibrated, reliability")
    assert _refusal(scores=[PeerScore("a", "r1", math.nan)]) == "every peer score must be a finite number"
    assert _refusal(scores=[PeerScore("a", "r1", 2.0, criterion="form"), PeerScore("a", "r2", 3.0)]) == (
        "either every peer score names its criterion or none does")
    assert _refusal(scores=[PeerScore("a", "r1", 2.0, criterion="form", weight=-1.0)]) == (
        "each criterion has one finite weight of 0 or more, the same on all its scores")
    assert _refusal(scores=[PeerScore("a", "r1", 2.0, criterion="form", weight=0.0)]) == (
        "at least one criterion must weigh more than 0")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_staff_grade_that_is_not_a_number_is_refused_naming_the_work(bad):
    assert _refusal(known={"a": 3.0, "b": bad}) == f"the known score of submission 'b' is not a number: {bad!r}"
    assert _refusal(known={"b": bad}) == f"the known score of submission 'b' is not a number: {bad!r}"


@pytest.mark.parametrize("scale", [(True, 5.0), (1.0, True), (False, 1.0), (5.0, 1.0), (3.0, 3.0), (0.0, math.inf),
                                   (math.nan, 5.0)])
def test_a_scale_that_is_not_two_rising_finite_numbers_is_refused(scale):
    assert _refusal(scale=scale) == f"a scale runs from a lower to a higher finite number, not {scale!r}"


def test_a_scale_from_a_whole_number_to_a_fraction_is_taken():
    assert aggregate(cohort(), "mean", scale=(1, 5.5)).keys() == aggregate(cohort(), "mean", scale=ONE_TO_FIVE).keys()
