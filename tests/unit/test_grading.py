"""Grades: the grade for reviewing, the final composition, staff overrides and what needs a person's attention."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.grading import (
    FEWER_REVIEWS,
    GradeBreakdown,
    GradeInputs,
    Override,
    ReviewerAccuracy,
    disagreement_limit,
    final_grade,
    flexible_grading_open,
    grading_owed_since,
    holds_grade,
    needs_attention,
    review_spread,
    reviewing_grade,
    still_in_doubt,
    uncertainty_limit,
    with_override,
)
from assessment.student_progress import GradeFacts, explain_grade

RANGES = {"argument": (0.0, 10.0), "style": (0.0, 4.0)}
WEIGHTS = {"argument": 3.0, "style": 1.0}
CONSENSUS = {"essay": {"argument": 6.0, "style": 2.0}, "poem": {"argument": 8.0, "style": 4.0}}


def review(reviewer: str, submission: str, argument: float, style: float) -> ReviewerAccuracy:
    return ReviewerAccuracy(reviewer, submission, {"argument": argument, "style": style})


def grade(*reviews: ReviewerAccuracy, strictness: float = 5.0) -> dict:
    return reviewing_grade(list(reviews), CONSENSUS, RANGES, WEIGHTS, strictness=strictness)


def inputs(**changes) -> GradeInputs:
    values = {
        "submission_score": 0.8, "points_possible": 100.0, "submission_weight": 60.0, "reviewing_quality": 0.9,
        "calibration_accuracy": None, "reviews_done": 3, "reviews_required": 3, "late_penalty": 0.0,
    }
    return GradeInputs(**{**values, **changes})


# Grade for reviewing.

def test_a_review_equal_to_the_consensus_earns_full_marks():
    assert grade(review("ana", "essay", 6, 2)) == {"ana": 1.0}


def test_the_distance_is_the_weighted_mean_of_each_criterions_gap_over_its_range():
    # argument 2 of 10 off (0.2, weight 3), style 1 of 4 off (0.25, weight 1): d = (0.6 + 0.25) / 4 = 0.2125.
    assert grade(review("ana", "essay", 8, 1)) == {"ana": pytest.approx(1 - 0.2125)}


@pytest.mark.parametrize("strictness", [1.0, 3.0, 5.0, 7.0, 9.0])
def test_stricter_grading_takes_more_off_for_the_same_distance(strictness):
    expected = 1 - 0.2125 * strictness / 5  # 0.9575 when lax, 0.6175 when strict
    assert grade(review("ana", "essay", 8, 1), strictness=strictness) == {"ana": pytest.approx(expected)}


def test_a_review_far_from_the_consensus_gets_zero_never_less():
    assert grade(review("ana", "essay", 0, 4), strictness=9.0) == {"ana": 0.0}


def test_a_reviewers_grade_is_the_mean_over_their_reviews():
    grades = grade(review("ana", "essay", 6, 2), review("ana", "poem", 8, 0), review("ben", "poem", 8, 4))
    # ana's poem review is all of style's range off: d = 1 / 4.
    assert grades == {"ana": pytest.approx((1.0 + 0.75) / 2), "ben": 1.0}


def test_reviews_of_work_without_a_consensus_do_not_count():
    assert grade(review("ana", "essay", 6, 2), review("ana", "novel", 0, 0), review("ben", "novel", 1, 1)) == {"ana": 1.0}


def test_a_criterion_of_zero_weight_or_zero_range_cannot_cost_anything():
    reviews = [review("ana", "essay", 6, 0)]
    assert reviewing_grade(reviews, CONSENSUS, RANGES, {"argument": 1.0, "style": 0.0}) == {"ana": 1.0}
    assert reviewing_grade(reviews, CONSENSUS, {**RANGES, "style": (2.0, 2.0)}, WEIGHTS) == {"ana": 1.0}


@pytest.mark.parametrize("strictness", [0.0, -3.0, float("nan")])
def test_strictness_must_be_positive(strictness):
    with pytest.raises(ValueError, match="strictness"):
        grade(review("ana", "essay", 6, 2), strictness=strictness)


def test_a_review_missing_a_weighted_criterion_is_refused():
    with pytest.raises(ValueError, match="'style'"):
        reviewing_grade([ReviewerAccuracy("ana", "essay", {"argument": 6.0})], CONSENSUS, RANGES, WEIGHTS)


# Final grade.

def test_the_final_grade_adds_the_submission_share_and_the_reviewing_share():
    assert final_grade(inputs()) == GradeBreakdown(
        submission_points=pytest.approx(48.0), reviewing_points=pytest.approx(36.0), late_deduction=0.0, total=84.0
    )


def test_reviewing_credit_grows_with_the_share_of_required_reviews_done_up_to_all_of_them():
    assert final_grade(inputs(reviews_done=1)).reviewing_points == pytest.approx(40 * 0.9 / 3)
    assert final_grade(inputs(reviews_done=0)).reviewing_points == 0.0
    assert final_grade(inputs(reviews_done=7)).reviewing_points == pytest.approx(36.0)


def test_reviewing_quality_falls_back_to_calibration_accuracy_then_to_full_credit():
    assert final_grade(inputs(reviewing_quality=None, calibration_accuracy=0.5)).reviewing_points == pytest.approx(20.0)
    assert final_grade(inputs(reviewing_quality=None)).reviewing_points == pytest.approx(40.0)
    assert final_grade(inputs(reviewing_quality=0.25, calibration_accuracy=0.5)).reviewing_points == pytest.approx(10.0)


def test_with_no_reviews_required_the_reviewing_share_depends_only_on_quality():
    assert final_grade(inputs(reviews_done=0, reviews_required=0)).reviewing_points == pytest.approx(36.0)


def test_work_without_a_score_earns_only_the_reviewing_share():
    breakdown = final_grade(inputs(submission_score=None))
    assert (breakdown.submission_points, breakdown.total) == (0.0, 36.0)


def test_the_late_penalty_takes_from_the_submission_share_only():
    breakdown = final_grade(inputs(late_penalty=0.25))
    assert breakdown.late_deduction == pytest.approx(12.0)
    assert breakdown.reviewing_points == pytest.approx(36.0)
    assert breakdown.total == 72.0


def test_the_total_is_rounded_to_two_decimals_and_stays_within_the_points_possible():
    assert final_grade(inputs(points_possible=7.0, submission_score=1 / 3)).total == round(7 * 0.6 / 3 + 7 * 0.4 * 0.9, 2)
    perfect = final_grade(inputs(submission_score=1.0, reviewing_quality=1.0, reviews_done=9))
    assert perfect.total == 100.0
    assert final_grade(inputs(submission_score=0.0, reviewing_quality=0.0)).total == 0.0


def test_an_all_submission_weighting_leaves_nothing_for_reviewing():
    breakdown = final_grade(inputs(submission_weight=100.0, reviews_done=0))
    assert (breakdown.reviewing_points, breakdown.total) == (0.0, 80.0)


@pytest.mark.parametrize("changes", [
    {"submission_score": 8.0}, {"reviewing_quality": -0.1}, {"late_penalty": 1.5}, {"submission_weight": 120.0},
    {"points_possible": -1.0}, {"reviews_done": -1}, {"reviews_required": 2.5}, {"calibration_accuracy": float("nan")},
])
def test_inputs_out_of_their_ranges_are_refused(changes):
    with pytest.raises(ValueError):
        final_grade(inputs(**changes))


# Overrides.

def test_a_staff_override_wins_over_the_computed_grade():
    override = Override(total=91.5, by="Dr Reyes", reason="regraded after appeal", at=datetime(2026, 4, 2, tzinfo=UTC))
    assert with_override(final_grade(inputs()), override) == 91.5


def test_without_an_override_the_computed_total_stands():
    assert with_override(final_grade(inputs()), None) == 84.0


# Needing attention.

def test_a_confident_fully_reviewed_unflagged_grade_needs_no_attention():
    assert needs_attention(0.5, 3, 3, 0, scale_width=10.0) == []


def test_every_reason_for_attention_is_listed():
    assert needs_attention(1.2, 1, 3, 2, scale_width=10.0, spread=3.0, spread_limit=2.0) == [
        "wide uncertainty", "wide disagreement", "too few reviews", "open flag"]


def test_uncertainty_is_wide_above_a_tenth_of_the_scale():
    assert needs_attention(1.0, 3, 3, 0, scale_width=10.0) == []
    assert needs_attention(1.01, 3, 3, 0, scale_width=10.0) == ["wide uncertainty"]
    assert needs_attention(float("nan"), 3, 3, 0, scale_width=10.0) == ["wide uncertainty"]


def test_an_estimate_much_less_certain_than_its_classmates_needs_attention_though_under_a_tenth_of_the_scale():
    # The class's median std is 0.4 of 10: 1.5 times it, 0.6, is the limit (above a twentieth of the scale, 0.5).
    limit = uncertainty_limit([0.3, 0.4, 0.4, 0.5, 0.9], scale_width=10.0)
    assert limit == pytest.approx(0.6)
    assert needs_attention(0.6, 3, 3, 0, scale_width=10.0, std_limit=limit) == []
    assert needs_attention(0.61, 3, 3, 0, scale_width=10.0, std_limit=limit) == ["wide uncertainty"]


def test_the_uncertainty_limit_is_never_below_a_twentieth_nor_above_a_tenth_of_the_scale():
    assert uncertainty_limit([0.1, 0.2, 0.2], scale_width=10.0) == pytest.approx(0.5)
    assert uncertainty_limit([0.9, 1.0, 1.2], scale_width=10.0) == pytest.approx(1.0)
    assert uncertainty_limit([], scale_width=20.0) == pytest.approx(2.0)
    assert uncertainty_limit([float("nan"), 0.6], scale_width=10.0) == pytest.approx(0.9)


def test_without_a_class_limit_uncertainty_is_wide_above_a_tenth_of_the_scale():
    assert needs_attention(1.0, 3, 3, 0, scale_width=10.0, std_limit=None) == []
    assert needs_attention(1.01, 3, 3, 0, scale_width=10.0, std_limit=None) == ["wide uncertainty"]


# What a student reads adds up: every part is in hundredths and the total is their sum.

def _hundredths(value: float) -> Decimal:
    exact = Decimal(repr(value))
    assert exact == exact.quantize(Decimal("0.01")), f"{value!r} is not a whole number of hundredths"
    return exact


fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
random_grades = st.builds(
    GradeInputs,
    submission_score=st.none() | fractions,
    points_possible=st.sampled_from([1.0, 7.0, 10.0, 33.0, 50.0, 100.0]) | st.floats(0.5, 1000.0),
    submission_weight=st.floats(0.0, 100.0),
    reviewing_quality=st.none() | fractions,
    calibration_accuracy=st.none() | fractions,
    reviews_done=st.integers(0, 6),
    reviews_required=st.integers(0, 5),
    late_penalty=fractions,
)


@settings(max_examples=500, deadline=None)
@given(random_grades)
def test_the_total_is_exactly_the_sum_of_its_rounded_parts(grade_inputs):
    breakdown = final_grade(grade_inputs)

    work, late, reviewing = (_hundredths(part) for part in (
        breakdown.submission_points, breakdown.late_deduction, breakdown.reviewing_points))
    assert _hundredths(breakdown.total) == work - late + reviewing
    assert 0 <= late <= work and reviewing >= 0
    assert 0 <= breakdown.total <= round(grade_inputs.points_possible, 2)


def test_parts_that_each_round_up_do_not_carry_the_total_past_the_points_possible():
    # 12.345 and 87.655 both round up; their rounded sum would be 100.01 of 100.
    assert (round(12.345, 2), round(87.655, 2)) == (12.35, 87.66)
    breakdown = final_grade(inputs(submission_score=1.0, submission_weight=12.345, reviewing_quality=1.0))

    assert breakdown.total == 100.0
    assert (breakdown.submission_points, breakdown.reviewing_points) == (12.35, 87.65)


@settings(max_examples=300, deadline=None)
@given(random_grades, st.none() | st.integers(0, 100_000))
def test_the_explained_grade_adds_up_to_the_total_shown_with_or_without_a_staff_override(grade_inputs, hundredths):
    breakdown = final_grade(grade_inputs)
    override = None if hundredths is None else min(hundredths / 100, round(grade_inputs.points_possible, 2))

    explained = explain_grade(GradeFacts(
        points_possible=grade_inputs.points_possible, submission_weight=grade_inputs.submission_weight,
        peer_score=None, reviews_received=0, submission_points=breakdown.submission_points,
        reviewing_points=breakdown.reviewing_points, late_deduction=breakdown.late_deduction,
        computed_total=breakdown.total, released_total=breakdown.total if override is None else override))

    shown = (_hundredths(explained.submission_points) - _hundredths(explained.late_deduction)
             + _hundredths(explained.reviewing_points) + _hundredths(explained.adjustment))
    assert shown == _hundredths(explained.final)
    assert (explained.adjustment == 0) == (override is None or override == breakdown.total)


# Wide disagreement, relative to the class; what a staff assessment or an override settles.

def test_reviews_far_apart_compared_with_the_class_are_a_wide_disagreement():
    spread = review_spread([100.0, 75.8, 45.8])
    assert spread == pytest.approx(27.1517, abs=1e-4)
    limit = disagreement_limit([4.0, 6.0, 8.0, 30.0], scale_width=100.0)  # median 7 -> twice it
    assert limit == pytest.approx(14.0)
    assert needs_attention(2.0, 3, 3, 0, scale_width=100.0, spread=spread, spread_limit=limit) == ["wide disagreement"]


def test_disagreement_is_wide_only_above_the_limit():
    assert needs_attention(2.0, 3, 3, 0, scale_width=100.0, spread=14.0, spread_limit=14.0) == []
    assert needs_attention(2.0, 3, 3, 0, scale_width=100.0, spread=14.01, spread_limit=14.0) == ["wide disagreement"]


def test_the_disagreement_limit_is_never_below_a_tenth_of_the_scale():
    assert disagreement_limit([1.0, 2.0, 3.0], scale_width=100.0) == 10.0
    assert disagreement_limit([], scale_width=20.0) == 2.0
    assert disagreement_limit([6.0], scale_width=100.0) == 12.0


def test_a_single_review_has_no_spread():
    assert review_spread([70.0]) == 0.0
    assert review_spread([]) == 0.0
    assert review_spread([60.0, 80.0]) == pytest.approx(14.1421, abs=1e-4)


def test_a_staff_assessment_settles_every_doubt_about_the_score_but_not_an_open_flag():
    assert needs_attention(9.0, 1, 3, 1, scale_width=10.0, spread=5.0, spread_limit=1.0,
                           staff_assessed=True) == ["open flag"]
    assert needs_attention(9.0, 1, 3, 0, scale_width=10.0, staff_assessed=True) == []


def test_an_override_settles_the_grade_but_an_open_flag_still_waits_for_an_answer():
    doubts = ("wide uncertainty", "too few reviews", "open flag")
    assert still_in_doubt(doubts, open_flags=0, overridden=True) == []
    assert still_in_doubt(doubts, open_flags=1, overridden=True) == ["open flag"]


def test_the_flags_counted_now_replace_those_counted_when_grading_ran():
    assert still_in_doubt(("too few reviews", "open flag"), open_flags=0, overridden=False) == ["too few reviews"]
    assert still_in_doubt(("too few reviews",), open_flags=2, overridden=False) == ["too few reviews", "open flag"]
    assert still_in_doubt((), open_flags=0, overridden=False) == []


# Limits on both sides, and refusals of what is not a number in range, with the reason.

@pytest.mark.parametrize("strictness", [float("inf"), True, "5"])
def test_a_strictness_that_is_not_a_finite_number_is_refused(strictness):
    with pytest.raises(ValueError) as raised:
        grade(review("ana", "essay", 6, 2), strictness=strictness)
    assert str(raised.value) == (
        f"strictness is a positive number such as one of (1.0, 3.0, 5.0, 7.0, 9.0), not {strictness!r}")


def test_the_laxest_strictness_takes_a_fifth_as_much_off_as_the_middle_one():
    far = review("ana", "essay", 4, 2)  # 2 of 10 off the argument, weighing 3 of 4: distance 0.15
    assert grade(far, strictness=1.0)["ana"] == pytest.approx(1 - 0.15 / 5)
    assert grade(far, strictness=5.0)["ana"] == pytest.approx(0.85)
    assert grade(far, strictness=0.01)["ana"] == pytest.approx(1 - 0.15 * 0.01 / 5)


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf"), True])
def test_a_criterion_weight_that_is_not_a_number_of_at_least_0_is_refused(weight):
    with pytest.raises(ValueError) as raised:
        reviewing_grade([review("ana", "essay", 6, 2)], CONSENSUS, RANGES, {"argument": weight, "style": 1.0})
    assert str(raised.value) == "criterion weights must be numbers of at least 0"


def test_a_weight_of_zero_is_allowed_and_only_zero_weights_make_every_review_perfect():
    assert reviewing_grade([review("ana", "essay", 0, 0)], CONSENSUS, RANGES, {"argument": 0.0, "style": 0.0}) == {
        "ana": 1.0}
    assert reviewing_grade([review("ana", "essay", 0, 2)], CONSENSUS, RANGES, {"argument": 1.0, "style": 0.0}) == {
        "ana": pytest.approx(0.4)}


def test_a_weighted_criterion_without_a_range_is_refused_by_name():
    with pytest.raises(ValueError) as raised:
        reviewing_grade([review("ana", "essay", 6, 2)], CONSENSUS, RANGES, {**WEIGHTS, "depth": 1.0})
    assert str(raised.value) == "criterion 'depth' has a weight but no range"


def test_a_consensus_missing_a_weighted_criterion_is_refused_by_name():
    consensus = {"essay": {"argument": 6.0}}
    with pytest.raises(ValueError) as raised:
        reviewing_grade([review("ana", "essay", 6, 2)], consensus, RANGES, WEIGHTS)
    assert str(raised.value) == "criterion 'style' is missing from a review or from its consensus"


def test_a_gap_beyond_a_criterions_range_costs_at_most_the_whole_range():
    assert grade(review("ana", "essay", 30, 2), strictness=1.0) == {"ana": pytest.approx(1 - 0.75 / 5)}


def test_a_review_exactly_at_the_strictest_distance_gets_zero():
    # A distance of 0.5 at strictness 10 takes everything off; a little less leaves a little.
    ranges = {"argument": (0.0, 10.0)}
    assert reviewing_grade([ReviewerAccuracy("ana", "s", {"argument": 5.0})], {"s": {"argument": 0.0}}, ranges,
                           {"argument": 1.0}, strictness=10.0) == {"ana": 0.0}
    assert reviewing_grade([ReviewerAccuracy("ana", "s", {"argument": 4.0})], {"s": {"argument": 0.0}}, ranges,
                           {"argument": 1.0}, strictness=10.0) == {"ana": pytest.approx(0.2)}


@pytest.mark.parametrize(("changes", "message"), [
    ({"submission_score": True}, "submission_score is a fraction from 0 to 1, not True"),
    ({"submission_score": float("inf")}, "submission_score is a fraction from 0 to 1, not inf"),
    ({"submission_score": 1.01}, "submission_score is a fraction from 0 to 1, not 1.01"),
    ({"reviewing_quality": float("nan")}, "reviewing_quality is a fraction from 0 to 1, not nan"),
    ({"calibration_accuracy": -0.01}, "calibration_accuracy is a fraction from 0 to 1, not -0.01"),
    ({"late_penalty": True}, "late_penalty is a fraction from 0 to 1, not True"),
    ({"points_possible": float("inf")}, "points_possible must be a number of at least 0, not inf"),
    ({"points_possible": True}, "points_possible must be a number of at least 0, not True"),
    ({"submission_weight": float("nan")}, "submission_weight is a percentage from 0 to 100, not nan"),
    ({"submission_weight": -1}, "submission_weight is a percentage from 0 to 100, not -1"),
    ({"reviews_done": True}, "reviews_done must be a whole number of at least 0, not True"),
    ({"reviews_done": 1.0}, "reviews_done must be a whole number of at least 0, not 1.0"),
    ({"reviews_required": -1}, "reviews_required must be a whole number of at least 0, not -1"),
])
def test_grade_inputs_out_of_range_are_refused_naming_the_input_and_the_value(changes, message):
    with pytest.raises(ValueError) as raised:
        final_grade(inputs(**changes))
    assert str(raised.value) == message


def test_grade_inputs_at_their_limits_are_allowed():
    assert final_grade(inputs(points_possible=0.0)).total == 0.0
    assert final_grade(inputs(submission_weight=0.0, submission_score=1.0)).total == 90.0
    assert final_grade(inputs(submission_score=1.0, reviewing_quality=0.0, calibration_accuracy=1.0)).total == 60.0
    assert final_grade(inputs(late_penalty=1.0, reviewing_quality=1.0)).total == 40.0
    assert final_grade(inputs(reviews_done=0, reviews_required=0, reviewing_quality=1.0)).total == 88.0


def test_a_total_one_hundredth_over_the_points_possible_is_taken_back_from_reviewing():
    # 0.6 * 1.005 rounds up to 0.60 and 0.4 * 1.005 to 0.40: 1.00 exactly; on 0.5 points the parts 0.3 + 0.2 sum right.
    breakdown = final_grade(inputs(points_possible=0.01, submission_score=1.0, reviewing_quality=1.0,
                                   submission_weight=50.0))
    assert breakdown.total <= 0.01
    assert breakdown.total == round(breakdown.submission_points - breakdown.late_deduction
                                    + breakdown.reviewing_points, 2)


def test_a_criterion_whose_range_is_one_point_wide_still_counts():
    reviews = [ReviewerAccuracy("ana", "s", {"pass": 0.0})]
    assert reviewing_grade(reviews, {"s": {"pass": 1.0}}, {"pass": (0.0, 1.0)}, {"pass": 1.0}, strictness=5.0) == {
        "ana": 0.0}
    halfway = [ReviewerAccuracy("ana", "s", {"pass": 0.5})]
    assert reviewing_grade(halfway, {"s": {"pass": 1.0}}, {"pass": (0.0, 0.5)}, {"pass": 1.0}) == {"ana": 0.0}


def test_a_review_without_a_consensus_does_not_stop_the_reviews_after_it_from_counting():
    assert grade(review("ana", "unknown", 0, 0), review("ana", "essay", 6, 2), review("bo", "poem", 8, 4)) == {
        "ana": 1.0, "bo": 1.0}


def test_without_a_measured_spread_no_limit_makes_a_disagreement():
    assert needs_attention(0.1, 3, 3, 0, scale_width=10.0, spread_limit=0.5) == []
    assert needs_attention(0.1, 3, 3, 0, scale_width=10.0, spread=0.5, spread_limit=0.5) == []
    assert needs_attention(0.1, 3, 3, 0, scale_width=10.0, spread=0.51, spread_limit=0.5) == ["wide disagreement"]


# Bonus reviews.


def test_bonus_points_add_to_the_reviewing_part():
    # Reviewing share 40 points; quality 0.5 earns 20; two bonus reviews at 1.5 points each add 3.
    assert final_grade(inputs(reviewing_quality=0.5, bonus_points=3.0)).reviewing_points == 23.0
    assert final_grade(inputs(reviewing_quality=0.5)).reviewing_points == 20.0


def test_bonus_points_never_pass_the_reviewing_share():
    # Quality 0.9 earns 36 of 40: a bonus of 3.9 reaches 39.9, of 4 exactly 40, of 4.1 still 40.
    assert final_grade(inputs(bonus_points=3.9)).reviewing_points == 39.9
    assert final_grade(inputs(bonus_points=4.0)).reviewing_points == 40.0
    assert final_grade(inputs(bonus_points=4.1)).reviewing_points == 40.0
    assert final_grade(inputs(bonus_points=4.1)).total == 88.0


def test_negative_bonus_points_are_refused():
    with pytest.raises(ValueError, match="bonus_points"):
        final_grade(inputs(bonus_points=-1.0))


# Flexible grading.


def test_flexible_grading_turns_too_few_reviews_into_a_doubt_that_does_not_hold_the_grade():
    strict = needs_attention(0.1, 2, 3, 0, scale_width=10.0)
    flexible = needs_attention(0.1, 2, 3, 0, scale_width=10.0, flexible=True)

    assert strict == ["too few reviews"] and flexible == [FEWER_REVIEWS]
    assert holds_grade(strict) is True and holds_grade(flexible) is False
    assert holds_grade([FEWER_REVIEWS, "wide uncertainty"]) is True


def test_flexible_grading_never_grades_work_with_no_review():
    assert needs_attention(0.1, 0, 3, 0, scale_width=10.0, flexible=True) == ["too few reviews"]
    assert needs_attention(0.1, 1, 3, 0, scale_width=10.0, flexible=True) == [FEWER_REVIEWS]
    assert needs_attention(0.1, 3, 3, 0, scale_width=10.0, flexible=True) == []


def test_grading_turns_flexible_exactly_the_set_days_after_the_review_deadline():
    due = datetime(2026, 3, 1, 12, tzinfo=UTC)

    assert flexible_grading_open(due, 2, due + timedelta(days=2) - timedelta(seconds=1)) is False
    assert flexible_grading_open(due, 2, due + timedelta(days=2)) is True
    assert flexible_grading_open(due, 0, due) is True
    assert flexible_grading_open(due, None, due + timedelta(days=365)) is False


def test_without_a_measure_of_quality_half_the_required_reviews_earn_half_the_reviewing_share():
    breakdown = final_grade(inputs(reviewing_quality=None, reviews_done=1, reviews_required=2))
    assert (breakdown.reviewing_points, breakdown.total) == (20.0, 68.0)


@pytest.mark.parametrize("weight", [100.0, 0.0])
def test_a_submission_weight_of_0_or_100_percent_is_allowed(weight):
    assert final_grade(inputs(submission_weight=weight, submission_score=1.0, reviewing_quality=1.0)).total == 100.0


@pytest.mark.parametrize("weight", [100.5, -0.5])
def test_a_submission_weight_just_outside_0_to_100_percent_is_refused_with_its_value(weight):
    with pytest.raises(ValueError, match=rf"^submission_weight is a percentage from 0 to 100, not {weight}$"):
        final_grade(inputs(submission_weight=weight))


def test_the_late_deduction_is_kept_to_the_hundredth_not_rounded_to_whole_points():
    breakdown = final_grade(inputs(late_penalty=0.1))
    assert (breakdown.late_deduction, breakdown.total) == (4.8, 79.2)


def test_grading_is_owed_from_the_review_deadline_and_again_when_flexible_grading_opens():
    due = datetime(2026, 3, 10, 12, tzinfo=UTC)
    second = timedelta(seconds=1)

    assert grading_owed_since(due, 2, due - second) is None
    assert grading_owed_since(due, 2, due) == due
    assert grading_owed_since(due, 2, due + timedelta(days=2) - second) == due
    assert grading_owed_since(due, 2, due + timedelta(days=2)) == due + timedelta(days=2)
    assert grading_owed_since(due, None, due + timedelta(days=30)) == due
