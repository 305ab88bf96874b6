"""Aggregation: each method's score and uncertainty, staff grades as anchors, and what no method may depend on."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment import aggregation
from assessment.aggregation import METHODS, CalibrationError, Estimate, PeerScore, aggregate, explain

# Derandomized so a run is repeatable; the cohorts are small, so each property stays well under a second.
PROPERTY = settings(max_examples=100, derandomize=True, deadline=None)
SCALE = (0.0, 10.0)
# Bias-free sums in a different order differ in the last bits, and "reliability" may then stop one sweep earlier
# or later; both are far below anything a grade can show.
SAME = 1e-6


def reviews(*triples: tuple[object, object, float]) -> list[PeerScore]:
    return [PeerScore(submission, reviewer, score) for submission, reviewer, score in triples]


def one_submission(*scores: float) -> list[PeerScore]:
    return reviews(*(("work", f"reviewer {index}", score) for index, score in enumerate(scores)))


def close(first: dict, second: dict, tolerance: float = SAME) -> bool:
    return first.keys() == second.keys() and all(
        math.isclose(first[key].score, second[key].score, abs_tol=tolerance)
        and math.isclose(first[key].std, second[key].std, abs_tol=tolerance)
        for key in first
    )


# Hand-checked values.

def test_mean_is_the_average_with_the_standard_error_as_uncertainty():
    estimate = aggregate(one_submission(4, 6, 8), "mean", scale=SCALE)["work"]
    assert estimate.score == pytest.approx(6.0)
    assert estimate.std == pytest.approx(2 / math.sqrt(3))


@pytest.mark.parametrize("method", ["mean", "median", "trimmed_mean", "calibrated"])
def test_a_single_review_has_the_uncertainty_of_a_score_drawn_anywhere_on_the_scale(method):
    assert aggregate(one_submission(7), method, scale=SCALE)["work"] == Estimate(7.0, pytest.approx(10 / math.sqrt(12)))


def test_median_takes_the_middle_review_with_the_means_uncertainty_widened():
    estimate = aggregate(one_submission(2, 9, 3), "median", scale=SCALE)["work"]
    assert estimate.score == 3.0
    # The reviews' sample variance 43/3, over n, times the median's pi/2 variance penalty.
    assert estimate.std == pytest.approx(math.sqrt(math.pi / 2 * 43 / 3 / 3))


@pytest.mark.parametrize("method", ["mean", "median", "trimmed_mean", "calibrated"])
def test_reviews_that_agree_are_still_uncertain_when_the_class_reviews_scatter(method):
    # "agreed" has three equal reviews; "argued" has reviews of sample variance 4 (4, 6, 8).
    scores = reviews(*(("agreed", reviewer, 7.0) for reviewer in "xyz"),
                     *(("argued", reviewer, score) for reviewer, score in zip("xyz", (4.0, 6.0, 8.0), strict=True)))
    estimates = aggregate(scores, method, scale=SCALE)
    # Own variance 0 with 2 degrees of freedom, pulled towards the class's pooled 2 by 4 pseudo-reviews: 8/6 in all.
    penalty = math.sqrt(math.pi / 2) if method == "median" else 1.0
    assert estimates["agreed"].std == pytest.approx(penalty * math.sqrt(8 / 6 / 3))
    assert estimates["argued"].std == pytest.approx(penalty * math.sqrt((4 * 2 + 2 * 4) / 6 / 3))


@pytest.mark.parametrize("method", ["mean", "median", "trimmed_mean", "calibrated"])
def test_a_single_review_in_a_class_is_as_uncertain_as_one_review_there(method):
    # The class's reviews scatter with a pooled variance of 4 (reviews 4, 6, 8 of one submission).
    scores = reviews(("lone", "x", 7.0), *(("argued", reviewer, score)
                                           for reviewer, score in zip("xyz", (4.0, 6.0, 8.0), strict=True)))
    assert aggregate(scores, method, scale=SCALE)["lone"].std == pytest.approx(2.0)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert aggregate(one_submission(2, 9, 4, 6), "median", scale=SCALE)["work"].score == 5.0


def test_median_ignores_one_wild_review():
    assert aggregate(one_submission(6, 7, 0, 7, 6), "median", scale=SCALE)["work"].score == 6.0


def test_trimmed_mean_drops_the_highest_and_lowest_of_four_or_more():
    estimate = aggregate(one_submission(10, 5, 1, 6), "trimmed_mean", scale=SCALE)["work"]
    assert estimate.score == pytest.approx(5.5)
    # From the scatter of all four (sample variance 41/3) over sqrt(4), widened by the trimmed mean's 1.2 variance.
    assert estimate.std == pytest.approx(math.sqrt(1.2 * 41 / 3 / 4))


def test_trimmed_mean_of_fewer_than_four_is_the_mean():
    assert aggregate(one_submission(2, 4, 9), "trimmed_mean", scale=SCALE) == aggregate(
        one_submission(2, 4, 9), "mean", scale=SCALE
    )


def test_calibrated_weighs_reviewers_by_accuracy_with_a_default_and_a_floor():
    scores = reviews(("work", "ana", 8), ("work", "ben", 4), ("work", "cal", 6), ("work", "dee", 0))
    accuracy = {"ana": 0.9, "ben": 0.3, "dee": 0.0}  # cal never calibrated: 0.5; dee counts at the floor, 0.05
    estimate = aggregate(scores, "calibrated", scale=SCALE, reviewer_accuracy=accuracy)["work"]
    assert estimate.score == pytest.approx((0.9 * 8 + 0.3 * 4 + 0.5 * 6 + 0.05 * 0) / (0.9 + 0.3 + 0.5 + 0.05))


def test_calibrated_without_any_accuracy_is_the_mean():
    scores = one_submission(3, 5, 9)
    assert close(aggregate(scores, "calibrated", scale=SCALE), aggregate(scores, "mean", scale=SCALE), 1e-12)


def test_reliability_returns_unanimous_scores_unchanged():
    scores = reviews(*((work, reviewer, 7.0) for work in "abcd" for reviewer in "xyz"))
    for estimate in aggregate(scores, "reliability", scale=SCALE).values():
        assert estimate.score == pytest.approx(7.0)


def test_reliability_discounts_a_reviewer_who_disagrees_with_everyone():
    rng = np.random.default_rng(3)
    works = [f"w{index}" for index in range(8)]
    true = dict(zip(works, rng.uniform(3, 8, len(works)), strict=True))
    careful = [(work, reviewer, true[work] + rng.normal(0, 0.2)) for work in works for reviewer in ("a", "b", "c")]
    careless = [(work, "wild", float(rng.choice([0.0, 10.0]))) for work in works]
    scores = reviews(*careful, *careless)
    error = {
        method: max(abs(estimate.score - true[work]) for work, estimate in aggregate(scores, method, scale=SCALE).items())
        for method in ("mean", "reliability")
    }
    assert error["reliability"] < 0.5
    assert error["reliability"] < error["mean"] / 3


def test_reliability_trusts_a_well_calibrated_reviewer_more_than_a_poorly_calibrated_one():
    scores = reviews(("work", "good", 8.0), ("work", "poor", 4.0))
    estimate = aggregate(scores, "reliability", scale=SCALE, reviewer_accuracy={"good": 0.95, "poor": 0.6})["work"]
    assert estimate.score > 6.5


def test_reliability_reads_calibration_accuracies_relative_to_each_other_not_as_a_noise_level():
    # Calibration is scored criterion by criterion, bias included: a class calibrating at 0.6 need not review totals
    # any less precisely than one at 0.9; only how its reviewers compare with each other says whom to trust.
    poorly = aggregate(reviews(*PINNED), scale=SCALE, reviewer_accuracy=dict.fromkeys("xyz", 0.6))
    well = aggregate(reviews(*PINNED), scale=SCALE, reviewer_accuracy=dict.fromkeys("xyz", 0.9))
    assert close(poorly, well, 1e-9)


def test_reliability_is_less_certain_with_fewer_or_more_discordant_reviews():
    few = aggregate(one_submission(6, 7), "reliability", scale=SCALE)["work"].std
    many = aggregate(one_submission(6, 7, 6, 7, 6, 7), "reliability", scale=SCALE)["work"].std
    assert many < few


# The reliability model's exact numbers on small fixed classes: three reviewers each scoring the same three works.

PINNED = [("a", "x", 6), ("a", "y", 8), ("a", "z", 7), ("b", "x", 3), ("b", "y", 6), ("b", "z", 4),
          ("c", "x", 9), ("c", "y", 9), ("c", "z", 8)]
ONE_TO_FIVE = [("a", "x", 2), ("a", "y", 4), ("a", "z", 3), ("b", "x", 1), ("b", "y", 3), ("b", "z", 2),
               ("c", "x", 5), ("c", "y", 5), ("c", "z", 4)]


def test_reliability_numbers_are_pinned_on_a_small_class():
    # The stds differ by work (the held-out check): "b", whose reviews scatter most, is the least certain; the scores
    # are pulled less towards the class's mean than under a normal prior on scores. Reviewer "y", whose 8, 6, 9 spread
    # less than the work's scores, counts as noisier by the shortfall (6.993, 4.596, 8.290 before).
    estimates = aggregate(reviews(*PINNED), "reliability", scale=SCALE)
    assert {work: (estimate.score, estimate.std) for work, estimate in estimates.items()} == {
        "a": (pytest.approx(6.967437781750, abs=1e-9), pytest.approx(0.692852349633, abs=1e-9)),
        "b": (pytest.approx(4.543625027015, abs=1e-9), pytest.approx(0.849668497020, abs=1e-9)),
        "c": (pytest.approx(8.296558819844, abs=1e-9), pytest.approx(0.709337813089, abs=1e-9)),
    }
    assert (estimates.sweeps, estimates.converged) == (12, True)


def test_reliability_numbers_are_pinned_on_a_scale_that_does_not_start_at_zero():
    estimates = aggregate(reviews(*ONE_TO_FIVE), "reliability", scale=(1, 5))
    assert [(estimate.score, estimate.std) for estimate in estimates.values()] == [
        (pytest.approx(3.243322537908, abs=1e-9), pytest.approx(0.495954901971, abs=1e-9)),
        (pytest.approx(2.322616090535, abs=1e-9), pytest.approx(0.569521775924, abs=1e-9)),
        (pytest.approx(4.359472833738, abs=1e-9), pytest.approx(0.559095527067, abs=1e-9)),
    ]


def test_reliability_is_least_certain_about_the_work_whose_reviews_miss_each_other_most():
    # "b" got 3, 6 and 4 from reviewers who gave "a" 6, 8, 7 and "c" 9, 9, 8: after each reviewer's bias, its reviews
    # still disagree most.
    estimates = aggregate(reviews(*PINNED), "reliability", scale=SCALE)
    assert estimates["b"].std > max(estimates["a"].std, estimates["c"].std) + 0.1


def test_reliability_iterates_past_thirty_sweeps_until_the_scores_settle():
    estimates = aggregate(reviews(*ONE_TO_FIVE), "reliability", scale=(1, 5))
    assert estimates.sweeps == 58
    assert estimates.converged


def test_a_fit_that_reaches_its_sweep_limit_unsettled_says_so(monkeypatch):
    # The class settles at sweep 12: a limit of 12 is enough, a limit of 11 is not.
    monkeypatch.setattr(aggregation, "MAX_ITERATIONS", 12)
    assert aggregate(reviews(*PINNED), "reliability", scale=SCALE).converged
    monkeypatch.setattr(aggregation, "MAX_ITERATIONS", 11)
    unsettled = aggregate(reviews(*PINNED), "reliability", scale=SCALE)
    assert (unsettled.sweeps, unsettled.converged) == (11, False)
    assert unsettled["a"].score == pytest.approx(6.97, abs=0.01)


@pytest.mark.parametrize("method", ["mean", "median", "trimmed_mean", "calibrated"])
def test_methods_without_sweeps_are_always_settled(method):
    estimates = aggregate(reviews(*PINNED), method, scale=SCALE)
    assert (estimates.sweeps, estimates.converged) == (0, True)


# Low work with noisy reviews: reviews [2, 7, 6] of work staff put at 6 of 25 once came out at 10.9 +- 2.3.

def _noisy_class_around(low_work_reviewers: tuple[object, object, object], harsh_by: float = 0.0) -> list[PeerScore]:
    """A class of 247 on 0..25 (mean about 16) whose reviewers err by about 4.5 points, plus work "low" reviewed 2, 7
    and 6; reviewer 1 marks everyone else `harsh_by` points lower still."""
    rng = np.random.default_rng(1)
    true = np.clip(rng.normal(16, 4, 247), 0, 25)
    bias = rng.normal(0, 1.5, 247) - np.where(np.arange(247) == 1, harsh_by, 0.0)
    noise = 4.5 / np.sqrt(rng.gamma(2.0, 0.5, 247))
    given = [(work, reviewer, float(np.clip(np.rint(true[work] + bias[reviewer] + rng.normal(0, noise[reviewer])),
                                            0, 25)))
             for work in range(1, 247) for reviewer in ((work + offset) % 247 for offset in (1, 2, 3))]
    return reviews(*given, *zip(["low"] * 3, low_work_reviewers, (2.0, 7.0, 6.0), strict=True))


@pytest.mark.parametrize("reviewers", [(1, 2, 3), ("new 1", "new 2", "new 3")], ids=["seen elsewhere", "seen nowhere"])
def test_noisy_reviews_of_low_work_stay_near_their_centre_when_no_reviewer_is_measured_biased(reviewers):
    estimate = aggregate(_noisy_class_around(reviewers), "reliability", scale=(0, 25))["low"]
    assert 5.0 <= estimate.score <= 7.5
    assert abs(estimate.score - 6.0) <= 1.96 * estimate.std


def test_noisy_reviews_of_low_work_move_up_when_the_low_reviewer_is_measured_harsh():
    fair = aggregate(_noisy_class_around((1, 2, 3)), "reliability", scale=(0, 25))["low"].score
    harsh = aggregate(_noisy_class_around((1, 2, 3), harsh_by=5.0), "reliability", scale=(0, 25))["low"].score
    assert harsh > fair + 0.5


# 95% intervals that cover: on a class drawn as the benchmark's shifted permutations are (biases sd 0.9, noise
# precision Gamma(2) with a typical sd of 0.7, whole points), 93-97% of true scores lie within 1.96 std.

def _drawn_class(seed: int, students: int = 300, k: int = 4) -> tuple[list[PeerScore], np.ndarray]:
    rng = np.random.default_rng(seed)
    true = np.clip(rng.normal(6.2, 1.6, students), 0, 10)
    bias = rng.normal(0, 0.9, students)
    noise = 10 / np.sqrt(rng.gamma(2.0, 100.0, students))
    order = rng.permutation(students)
    triples = [(int(order[i]), int(order[(i + shift) % students]), 0.0) for i in range(students)
               for shift in range(1, k + 1)]
    given = [(work, reviewer, float(np.clip(np.rint(true[work] + bias[reviewer] + rng.normal(0, noise[reviewer])),
                                            0, 10))) for work, reviewer, _ in triples]
    return reviews(*given), true


@pytest.mark.parametrize("k", [3, 4, 5])
def test_reliabilitys_95_percent_intervals_cover_93_to_97_percent_of_true_scores_whatever_the_reviews_each(k):
    # No calibration at all. With three reviews each the intervals once covered 99.6%, with five 90.7%: a held-out
    # review's leverage was overstated (most with few reviews) while the biases' joint error was understated (most
    # with many).
    covered = []
    for seed in range(4):
        scores, true = _drawn_class(seed, k=k)
        estimates = aggregate(scores, "reliability", scale=SCALE)
        covered += [abs(estimates[work].score - true[work]) <= 1.96 * estimates[work].std for work in estimates]
    assert 0.93 <= np.mean(covered) <= 0.97


# The parts of the uncertainty, on hand-made numbers.

def test_a_reviews_leverage_counts_its_score_and_its_reviewers_bias_fitted_together():
    # Shares a = 1/3 of the score and c = 1/6 of the bias: (a + c - 2ac) / (1 - ac) = (7/18) / (17/18), not a + c = 1/2.
    leverage = aggregation._joint_leverage(np.array([1 / 3, 0.25, 1.0]), np.array([1 / 6, 0.25, 0.3]))
    assert leverage == pytest.approx([7 / 17, 0.4, 1.0], abs=1e-12)


def test_a_held_out_review_is_judged_by_its_reviewers_other_reviews():
    # Rate 3 after 4 reviews on a prior of shape 1; the review put 2 into it (1 into the rate): without it the rate is
    # 2 and the shape 1 + 3/2, so its noise variance is 2 / 1.5, a Student-t of 5 degrees of freedom. A review that
    # put nothing in keeps the rate: 3 / 1.5.
    noise = aggregation._held_out_noise(contribution=np.array([2.0, 0.0]), rate=np.array([3.0, 3.0]),
                                        shape=np.array([1.0, 1.0]), reviews=np.array([4.0, 4.0]),
                                        least=np.array([0.1, 0.1]))
    assert noise.variance == pytest.approx([4 / 3, 2.0], abs=1e-12)
    assert noise.dof == pytest.approx([5.0, 5.0], abs=1e-12)


def test_a_reviewer_with_no_other_review_is_judged_by_a_prior_of_finite_spread():
    noise = aggregation._held_out_noise(contribution=np.array([0.5]), rate=np.array([1.0]), shape=np.array([1.0]),
                                        reviews=np.array([1.0]), least=np.array([0.2]))
    assert (noise.variance.tolist(), noise.dof.tolist()) == ([pytest.approx(0.75 / 0.25)], [2.5])


def test_a_student_ts_squared_median_sits_below_a_normals():
    # t with 5 degrees of freedom: upper quartile 0.726687, variance 5/3, so 0.726687^2 * 3/5 = 0.316850.
    medians = aggregation._median_of_squared_t(np.array([5.0, 1e9]))
    assert medians == pytest.approx([0.316850, aggregation.CHI2_1_MEDIAN], abs=1e-5)


def test_the_exact_variance_counts_the_bias_fitted_with_the_score_and_noise_beyond_the_weights():
    # One work, one reviewer, precision 1, both priors 1: H = [[2, 1], [1, 2]], so Var(score) = (H^-1)_00 = 2/3; noise
    # twice what the weight assumed adds (H^-1 X')_0^2 * 1 * (2 - 1) = (1/3)^2.
    model = aggregation._LinearModel(np.array([0]), np.array([0]), precision=np.array([1.0]),
                                     noise_factor=np.array([2.0]), score_prior=np.array([1.0]),
                                     bias_prior=np.array([1.0]), is_known=np.array([False]))
    assert aggregation._exact_score_variance(model) == pytest.approx([2 / 3 + 1 / 9], abs=1e-12)


def test_the_exact_variance_learns_a_bias_from_staff_graded_work_and_gives_that_work_none():
    # The reviewer also marked staff-graded work: the bias's precision is 1 + 1 + 1, so H = [[2, 1], [1, 3]] and
    # Var(score) = 3/5.
    model = aggregation._LinearModel(np.array([0, 1]), np.array([0, 0]), precision=np.array([1.0]),
                                     noise_factor=np.array([1.0]), score_prior=np.array([1.0, 1.0]),
                                     bias_prior=np.array([1.0]), is_known=np.array([False, True]))
    assert aggregation._exact_score_variance(model) == pytest.approx([0.6, 0.0], abs=1e-12)


def test_a_class_too_large_for_the_exact_variance_keeps_the_mean_field_one(monkeypatch):
    # The mean-field form leaves out how the three reviewers' biases err together, so its stds are smaller.
    exact = aggregate(reviews(*PINNED), "reliability", scale=SCALE)
    monkeypatch.setattr(aggregation, "EXACT_VARIANCE_LIMIT", 5)  # 3 works + 3 reviewers
    mean_field = aggregate(reviews(*PINNED), "reliability", scale=SCALE)
    assert {work: estimate.std for work, estimate in mean_field.items()} == {
        "a": pytest.approx(0.681083573249, abs=1e-9), "b": pytest.approx(0.833093837917, abs=1e-9),
        "c": pytest.approx(0.695987379020, abs=1e-9)}
    assert all(exact[work].std > mean_field[work].std for work in exact)
    monkeypatch.setattr(aggregation, "EXACT_VARIANCE_LIMIT", 6)
    assert aggregate(reviews(*PINNED), "reliability", scale=SCALE) == exact


# Calibration's signed error.

def test_a_reviewer_lenient_in_calibration_has_their_scores_corrected_down():
    # Two works of equal scores, each by one reviewer; only calibration tells the two reviewers apart.
    scores = reviews(*PINNED, ("lone1", "p", 8), ("lone2", "q", 8))
    plain = aggregate(scores, "reliability", scale=SCALE)
    assert plain["lone1"].score == pytest.approx(plain["lone2"].score, abs=0.05)
    errors = {"p": CalibrationError(0.0, 3), "q": CalibrationError(2.0, 3)}
    told = aggregate(scores, "reliability", scale=SCALE, calibration_error=errors)
    assert told["lone2"].score < told["lone1"].score - 0.5
    explanation = explain(scores, "reliability", scale=SCALE, calibration_error=errors)["lone2"]
    assert explanation.parts[0].correction < -0.5
    assert explanation.score == told["lone2"].score


def test_calibration_over_no_examples_changes_nothing():
    errors = {"y": CalibrationError(3.0, 0)}
    assert close(aggregate(reviews(*PINNED), scale=SCALE, calibration_error=errors),
                 aggregate(reviews(*PINNED), scale=SCALE), 1e-12)


@pytest.mark.parametrize("error", [CalibrationError(math.nan, 3), CalibrationError(1.0, -1)])
def test_a_calibration_error_that_is_not_a_mean_over_examples_is_refused(error):
    with pytest.raises(ValueError, match="calibration error"):
        aggregate(reviews(*PINNED), scale=SCALE, calibration_error={"x": error})


# Staff grades.

@pytest.mark.parametrize(("peers_below_staff", "widened"), [(2.0, True), (0.0, False)])
@pytest.mark.parametrize("method", ["mean", "median", "trimmed_mean", "calibrated"])
def test_staff_grades_that_show_peers_all_off_together_widen_the_uncertainty(method, peers_below_staff, widened):
    # Five graded works whose three reviews agree, all `peers_below_staff` under the staff grade; one ungraded work
    # reviewed 4, 6, 8. Pooled review variance: 8 over 12 degrees of freedom.
    graded = {f"k{index}": 5.0 + index for index in range(5)}
    scores = reviews(*((work, reviewer, grade - peers_below_staff) for work, grade in graded.items() for reviewer in "xyz"),
                     *(("fresh", reviewer, score) for reviewer, score in zip("xyz", (4.0, 6.0, 8.0), strict=True)))
    penalty = math.pi / 2 if method == "median" else 1.0
    graded_variance = penalty * (4 * 2 / 3) / 6 / 3
    fresh_variance = penalty * (4 * 2 / 3 + 2 * 4) / 6 / 3
    # What the graded works' estimates miss by beyond their own variance, pulled halfway to 0 (5 grades, 5 pseudo).
    gap = max(0.0, peers_below_staff**2 - graded_variance) * 5 / 10
    estimate = aggregate(scores, method, scale=SCALE, known=graded)["fresh"]
    assert estimate.std == pytest.approx(math.sqrt(fresh_variance + gap))
    assert (estimate.std > math.sqrt(fresh_variance) + 0.5) is widened


def test_staff_grades_teach_the_shift_all_peers_share_even_to_reviewers_who_scored_none():
    # Ten graded works, each scored 1 point low by its own reviewer; three more by reviewers who never met staff work.
    graded = {f"k{index}": 4.0 + index / 3 for index in range(10)}
    anchored = [(work, f"r{index}", score - 1) for index, (work, score) in enumerate(graded.items())]
    fresh = [(f"f{work}", f"s{reviewer}", 5.0 + work - 1) for work in range(3) for reviewer in range(3)]
    scores = reviews(*anchored, *fresh)
    shifted = aggregate(scores, "reliability", scale=SCALE, known=graded)
    unshifted = aggregate(scores, "reliability", scale=SCALE)
    for work in range(3):
        assert shifted[f"f{work}"].score > unshifted[f"f{work}"].score + 0.3
        assert shifted[f"f{work}"].score < 5.0 + work + 0.1


def test_one_staff_grade_moves_the_shift_less_than_many():
    fresh = [(f"f{work}", f"s{reviewer}", 5.0 + work - 1) for work in range(3) for reviewer in range(3)]
    def lift(count):
        graded = {f"k{index}": 6.0 for index in range(count)}
        scores = reviews(*((work, f"r{index}", 5.0) for index, work in enumerate(graded)), *fresh)
        return (aggregate(scores, "reliability", scale=SCALE, known=graded)["f0"].score
                - aggregate(scores, "reliability", scale=SCALE)["f0"].score)
    assert 0 < lift(1) < lift(10)


# Scores by rubric criterion.

def by_criterion(*rows: tuple[object, object, object, float], weights: dict | None = None) -> list[PeerScore]:
    weights = weights or {}
    return [PeerScore(work, reviewer, score, criterion=criterion, weight=weights.get(criterion, 1.0))
            for work, reviewer, criterion, score in rows]


@pytest.mark.parametrize("method", METHODS)
def test_one_named_criterion_scores_as_scores_without_criteria(method):
    named = by_criterion(*((work, reviewer, "quality", score) for work, reviewer, score in PINNED))
    plain = aggregate(reviews(*PINNED), method, scale=SCALE)
    assert close(aggregate(named, method, scale=SCALE), plain, 1e-12)
    assert aggregate(named, method, scale=SCALE).sweeps == plain.sweeps


def test_criteria_are_estimated_apart_and_combined_by_their_weights():
    rows = [("work", reviewer, "argument", score) for reviewer, score in (("x", 4), ("y", 6))]
    rows += [("work", reviewer, "style", score) for reviewer, score in (("x", 9), ("y", 7), ("z", 8))]
    estimate = aggregate(by_criterion(*rows, weights={"argument": 3.0, "style": 1.0}), "mean", scale=SCALE)["work"]
    assert estimate.score == pytest.approx((3 * 5 + 1 * 8) / 4)
    # Each criterion's standard error, weighted: sqrt((3 * 1)^2 + (1 * 1 / sqrt(3))^2) / 4.
    assert estimate.std == pytest.approx(math.sqrt(9 + 1 / 3) / 4)


def test_a_criterion_of_weight_zero_does_not_count_and_one_without_reviews_of_a_work_is_left_out_for_it():
    rows = [("a", "x", "argument", 4.0), ("a", "x", "style", 9.0), ("a", "x", "extra", 0.0), ("b", "x", "style", 6.0)]
    estimates = aggregate(by_criterion(*rows, weights={"extra": 0.0}), "mean", scale=SCALE)
    assert estimates["a"].score == pytest.approx(6.5)
    assert estimates["b"].score == pytest.approx(6.0)


def test_a_reviewer_lenient_on_one_criterion_only_is_corrected_on_that_criterion():
    # Eight works, three reviewers each; "soft" adds 3 points on style and nothing on argument.
    rows = []
    for work in range(8):
        for reviewer in ("a", "b", "soft"):
            rows.append((work, reviewer, "argument", 3.0 + work % 4))
            rows.append((work, reviewer, "style", 3.0 + work % 4 + (3 if reviewer == "soft" else 0)))
    apart = aggregate(by_criterion(*rows), "reliability", scale=SCALE)
    together = aggregate(by_criterion(*((w, r, "all", s) for w, r, _, s in rows)), "reliability", scale=SCALE)
    for work in range(8):
        assert abs(apart[work].score - (3.0 + work % 4)) < abs(together[work].score - (3.0 + work % 4))
        assert apart[work].score == pytest.approx(3.0 + work % 4, abs=0.5)


@pytest.mark.parametrize(("rows", "weights", "problem"), [
    ([("a", "x", "argument", 4.0), ("a", "y", None, 5.0)], {}, "every peer score names its criterion"),
    ([("a", "x", "argument", 4.0)], {"argument": -1.0}, "weight of 0 or more"),
    ([("a", "x", "argument", 4.0)], {"argument": math.inf}, "weight of 0 or more"),
    ([("a", "x", "argument", 4.0)], {"argument": 0.0}, "at least one criterion"),
])
def test_criteria_with_missing_names_or_impossible_weights_are_refused(rows, weights, problem):
    with pytest.raises(ValueError, match=problem):
        aggregate(by_criterion(*rows, weights=weights), "mean", scale=SCALE)


def test_a_criterion_whose_scores_disagree_on_its_weight_is_refused():
    scores = [PeerScore("a", "x", 4.0, criterion="argument", weight=1.0),
              PeerScore("b", "x", 4.0, criterion="argument", weight=2.0)]
    with pytest.raises(ValueError, match="the same on all its scores"):
        aggregate(scores, "mean", scale=SCALE)


def test_explaining_scores_by_criterion_is_refused():
    with pytest.raises(ValueError, match="explains totals"):
        explain(by_criterion(("a", "x", "argument", 4.0)), "mean", scale=SCALE)


# Staff grades.

@pytest.mark.parametrize("method", METHODS)
def test_known_scores_are_returned_exactly_with_no_uncertainty(method):
    scores = reviews(("marked", "x", 2.0), ("marked", "y", 9.0), ("other", "x", 5.0))
    estimates = aggregate(scores, method, scale=SCALE, known={"marked": 6.5, "unreviewed": 3.25})
    assert estimates["marked"] == Estimate(6.5, 0.0)
    assert estimates["unreviewed"] == Estimate(3.25, 0.0)
    assert set(estimates) == {"marked", "unreviewed", "other"}


def test_known_scores_anchor_the_bias_of_the_reviewers_who_scored_them():
    # The lenient reviewer gave each staff-graded submission 2 points too many, so their 8 is worth about 6.
    staff = {"k1": 4.0, "k2": 5.0, "k3": 6.0, "k4": 5.5}
    scores = reviews(*((work, "lenient", score + 2) for work, score in staff.items()), ("fresh", "lenient", 8.0))
    anchored = aggregate(scores, "reliability", scale=SCALE, known=staff)["fresh"].score
    unanchored = aggregate(scores, "reliability", scale=SCALE)["fresh"].score
    assert anchored == pytest.approx(6.0, abs=0.3)
    assert unanchored > 7.0


def test_estimates_and_known_scores_are_clipped_to_the_scale():
    scores = reviews(("a", "x", 10.0), ("a", "y", 10.0))
    for method in METHODS:
        estimates = aggregate(scores, method, scale=SCALE, known={"b": 12.0})
        assert estimates["b"].score == 10.0
        assert 0.0 <= estimates["a"].score <= 10.0


# Inputs.

def test_no_scores_give_no_estimates():
    for method in METHODS:
        assert aggregate([], method, scale=SCALE) == {}


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown aggregation method 'mode'"):
        aggregate(one_submission(5), "mode", scale=SCALE)


@pytest.mark.parametrize("scale", [(10.0, 0.0), (5.0, 5.0), (0.0, math.inf)])
def test_a_scale_must_run_upwards_between_finite_bounds(scale):
    with pytest.raises(ValueError, match="scale"):
        aggregate(one_submission(5), scale=scale)


def test_a_score_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError, match="finite"):
        aggregate(one_submission(5, math.nan), scale=SCALE)


def test_an_accuracy_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="accuracy"):
        aggregate(one_submission(5), scale=SCALE, reviewer_accuracy={"reviewer 0": 1.5})


# Properties.

@st.composite
def cohorts(draw):
    submissions = draw(st.integers(1, 8))
    reviewers = draw(st.integers(1, 6))
    triples = draw(st.lists(
        st.tuples(st.integers(0, submissions - 1), st.integers(0, reviewers - 1), st.floats(0, 10)),
        min_size=1, max_size=30,
    ))
    accuracy = draw(st.dictionaries(st.integers(0, reviewers - 1), st.floats(0, 1), max_size=reviewers))
    known = draw(st.dictionaries(st.integers(0, submissions + 1), st.floats(0, 10), max_size=3))
    return reviews(*triples), accuracy, known


@PROPERTY
@given(cohorts(), st.randoms(use_true_random=False))
def test_the_order_of_the_scores_changes_nothing(cohort, random):
    scores, accuracy, known = cohort
    shuffled = random.sample(scores, len(scores))
    for method in METHODS:
        first = aggregate(scores, method, scale=SCALE, reviewer_accuracy=accuracy, known=known)
        again = aggregate(shuffled, method, scale=SCALE, reviewer_accuracy=accuracy, known=known)
        assert close(first, again), method


@PROPERTY
@given(cohorts())
def test_renaming_the_reviewers_changes_nothing(cohort):
    scores, accuracy, known = cohort
    renamed = [PeerScore(score.submission, ("person", -score.reviewer), score.score) for score in scores]
    renamed_accuracy = {("person", -reviewer): value for reviewer, value in accuracy.items()}
    for method in METHODS:
        first = aggregate(scores, method, scale=SCALE, reviewer_accuracy=accuracy, known=known)
        again = aggregate(renamed, method, scale=SCALE, reviewer_accuracy=renamed_accuracy, known=known)
        assert close(first, again), method


@PROPERTY
@given(cohorts())
def test_estimates_lie_on_the_scale_and_repeat_exactly(cohort):
    scores, accuracy, known = cohort
    for method in METHODS:
        estimates = aggregate(scores, method, scale=SCALE, reviewer_accuracy=accuracy, known=known)
        assert set(estimates) == {score.submission for score in scores} | set(known)
        assert all(0 <= estimate.score <= 10 and 0 <= estimate.std <= 10 for estimate in estimates.values())
        assert aggregate(scores, method, scale=SCALE, reviewer_accuracy=accuracy, known=known) == estimates


@PROPERTY
@given(
    submissions=st.integers(10, 16),
    offsets=st.lists(st.integers(1, 9), min_size=5, max_size=5, unique=True),
    seed=st.integers(0, 2**32 - 1),
    bias=st.floats(10, 30).flatmap(lambda size: st.sampled_from([size, -size])),
)
def test_one_reviewers_constant_bias_barely_moves_reliability_but_moves_the_mean(submissions, offsets, seed, bias):
    # Each student reviews five others (a circulant design, like the allocation's) on a 0..100 scale with noise sd 2.
    rng = np.random.default_rng(seed)
    true = rng.uniform(30, 70, submissions)
    honest = [
        (work, (work + offset) % submissions, float(true[work] + rng.normal(0, 2)))
        for work in range(submissions) for offset in offsets
    ]
    biased = [(work, reviewer, score + bias if reviewer == 0 else score) for work, reviewer, score in honest]
    moved = {}
    for method in ("mean", "reliability"):
        before = aggregate(reviews(*honest), method, scale=(0, 100))
        after = aggregate(reviews(*biased), method, scale=(0, 100))
        moved[method] = max(abs(after[work].score - before[work].score) for work in before)
    assert moved["mean"] == pytest.approx(abs(bias) / 5)
    assert moved["reliability"] < 0.1 * abs(bias)


# Explaining a score: its parts add up to exactly what `aggregate` returns.

def _shares(explanation) -> list[float]:
    return [part.share for part in explanation.parts]


def test_the_mean_is_explained_as_equal_shares_without_corrections():
    explained = explain(one_submission(9.5, 10, 9.75), "mean", scale=SCALE)["work"]
    assert _shares(explained) == pytest.approx([1 / 3] * 3)
    assert [part.correction for part in explained.parts] == [0.0, 0.0, 0.0]
    assert (explained.cohort_share, explained.cohort_mean, explained.known) == (0.0, 0.0, False)
    assert explained.score == pytest.approx(9.75) and explained.unclipped == pytest.approx(9.75)


def test_the_median_is_explained_as_the_middle_review_or_half_of_each_middle_pair():
    assert _shares(explain(one_submission(3, 9, 5), "median", scale=SCALE)["work"]) == [0.0, 0.0, 1.0]
    assert _shares(explain(one_submission(3, 9, 5, 7), "median", scale=SCALE)["work"]) == [0.0, 0.0, 0.5, 0.5]


def test_the_trimmed_mean_is_explained_without_the_highest_and_lowest_of_four_or_more():
    assert _shares(explain(one_submission(3, 9, 5, 7), "trimmed_mean", scale=SCALE)["work"]) == [0, 0, 0.5, 0.5]
    assert _shares(explain(one_submission(3, 9, 5), "trimmed_mean", scale=SCALE)["work"]) == pytest.approx([1 / 3] * 3)


def test_calibrated_shares_follow_the_accuracies_with_the_default_and_the_floor():
    accuracy = {"reviewer 0": 0.9, "reviewer 1": 0.0}  # reviewer 2 never calibrated: 0.5
    explained = explain(one_submission(8, 2, 6), "calibrated", scale=SCALE, reviewer_accuracy=accuracy)["work"]
    assert _shares(explained) == pytest.approx([0.9 / 1.45, 0.05 / 1.45, 0.5 / 1.45])
    assert explained.score == pytest.approx((0.9 * 8 + 0.05 * 2 + 0.5 * 6) / 1.45)


def test_reliability_corrects_a_lenient_reviewer_down_and_a_harsh_one_up():
    triples = []
    for index, truth in enumerate([2.0, 4.0, 5.0, 6.0, 8.0]):
        triples += [(f"w{index}", "lenient", truth + 1.5), (f"w{index}", "harsh", truth - 1.5),
                    (f"w{index}", "fair", truth)]
    explained = explain(reviews(*triples), scale=SCALE)["w2"]
    corrections = {part.reviewer: part.correction for part in explained.parts}
    assert corrections["lenient"] < -1.0 and corrections["harsh"] > 1.0 and abs(corrections["fair"]) < 0.2
    # Centred: the corrections of equally lenient and harsh reviewers cancel, leaving the fair score.
    assert corrections["lenient"] + corrections["harsh"] == pytest.approx(0.0, abs=0.05)
    assert explained.score == pytest.approx(5.0, abs=0.05)


def test_a_unanimously_high_score_is_pulled_towards_the_class_and_the_explanation_shows_by_how_much():
    # The case students found unexplained: high reviews and a grade below them, from the pull towards the class.
    triples = [("top", "r1", 9.5), ("top", "r2", 10.0), ("top", "r3", 9.75)]
    for index, score in enumerate([6.0, 5.0, 6.5, 4.5, 5.5]):
        triples += [(f"w{index}", "r1", score), (f"w{index}", "r2", score + 0.5), (f"w{index}", "r3", score - 0.5)]
    explained = explain(reviews(*triples), scale=SCALE)["top"]
    # Below what its reviews alone give, as the model corrects them (a full mark reads as "at least 10").
    reviews_alone = math.fsum(part.share * (part.score + part.correction) for part in explained.parts) / math.fsum(
        _shares(explained))
    assert explained.score < reviews_alone - 0.01
    assert 0 < explained.cohort_share < 0.5 and explained.cohort_mean < 9.5
    assert math.fsum(_shares(explained)) + explained.cohort_share == pytest.approx(1.0)
    assert explained.unclipped == pytest.approx(explained.score, abs=1e-12)


def test_a_known_score_is_explained_as_set_by_staff():
    explained = explain(one_submission(2, 3), scale=SCALE, known={"work": 7.0})["work"]
    assert explained.known and explained.score == 7.0 and explained.unclipped == 7.0


def test_an_explanation_of_a_clipped_score_keeps_the_parts_and_the_clipped_score():
    explained = explain(reviews(("w", "r", 12.0)), "mean", scale=SCALE)["w"]
    assert explained.score == 10.0 and explained.unclipped == pytest.approx(12.0)


def test_explaining_refuses_an_unknown_method_and_explains_nothing_without_scores():
    with pytest.raises(ValueError, match="unknown aggregation method"):
        explain(one_submission(5), "mode", scale=SCALE)
    assert explain([], scale=SCALE) == {}


@PROPERTY
@given(cohorts())
def test_every_explanation_adds_up_to_the_aggregated_score(cohort):
    scores, accuracy, known = cohort
    for method in METHODS:
        estimates = aggregate(scores, method, scale=SCALE, reviewer_accuracy=accuracy, known=known)
        explained = explain(scores, method, scale=SCALE, reviewer_accuracy=accuracy, known=known)
        assert explained.keys() == estimates.keys()
        for submission, explanation in explained.items():
            assert explanation.score == estimates[submission].score
            unclipped = min(SCALE[1], max(SCALE[0], explanation.unclipped))
            assert unclipped == pytest.approx(explanation.score, abs=1e-9)
            if not explanation.known and explanation.parts:
                assert math.fsum(_shares(explanation)) + explanation.cohort_share == pytest.approx(1.0)


def test_a_full_mark_reads_as_at_least_the_top_of_the_scale():
    # Two of three reviewers gave the most the scale allows: the work may deserve that or more; a hair below the top
    # says the reviewers saw it there, and the score follows them much less far up.
    def top_work(mark: float) -> float:
        triples = [*PINNED, ("top", "x", mark), ("top", "y", mark), ("top", "z", 9.0)]
        return aggregate(reviews(*triples), "reliability", scale=SCALE)["top"].score

    assert top_work(10.0) > top_work(9.99) + 0.3
    explained = explain(reviews(*PINNED, ("top", "x", 10.0), ("top", "y", 10.0), ("top", "z", 9.0)),
                        scale=SCALE)["top"]
    # The reading beyond the top shows as part of the correction, and the parts still add up to the score.
    assert explained.parts[0].correction > 0.5
    assert explained.unclipped == pytest.approx(explained.score, abs=1e-12)


def test_a_zero_reads_as_at_most_the_bottom_of_the_scale():
    def bottom_work(mark: float) -> float:
        triples = [*PINNED, ("low", "x", mark), ("low", "y", mark), ("low", "z", 1.0)]
        return aggregate(reviews(*triples), "reliability", scale=SCALE)["low"].score

    assert bottom_work(0.0) < bottom_work(0.01) - 0.3


def _counting_fits(monkeypatch) -> list[int]:
    fits: list[int] = []
    real = aggregation._reliability_fit

    def counted(inputs):
        fits.append(1)
        return real(inputs)

    monkeypatch.setattr(aggregation, "_reliability_fit", counted)
    return fits


def test_scores_and_their_explanations_come_from_one_fit_of_the_model(monkeypatch):
    scores = reviews(*PINNED, ("top", "x", 10.0), ("top", "y", 10.0), ("top", "z", 9.0))
    fits = _counting_fits(monkeypatch)

    estimates, explanations = aggregation.explained_estimates(scores, scale=SCALE, known={"a": 7.5})

    assert len(fits) == 1
    assert estimates == aggregate(scores, scale=SCALE, known={"a": 7.5})
    for work, explained in explanations.items():
        assert explained.score == estimates[work].score
        assert explained.unclipped == pytest.approx(explained.score, abs=1e-12) or explained.score == 10.0
