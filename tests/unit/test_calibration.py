"""Calibration: accuracy against the reference assessment, the comparison a student reads, and their progress."""

import pytest

from assessment.calibration import (
    CalibrationPolicy,
    CalibrationStatus,
    CriterionComparison,
    ExampleRecord,
    accuracy,
    calibration_status,
    compare,
    reaches,
)
from assessment.errors import InvalidInput
from assessment.rubric import Criterion, Level, Rubric

FOUR_LEVELS = (Level(0, "Missing"), Level(1, "Weak"), Level(2, "Good"), Level(4, "Excellent"))

# Thesis: levels 0..4 (span 4), weight 1. Evidence: range 0..10, weight 3. Style: range 5..10, weight 0.
RUBRIC = Rubric((
    Criterion(key="thesis", title="Thesis", levels=FOUR_LEVELS, weight=1.0),
    Criterion(key="evidence", title="Evidence", score_range=(0.0, 10.0), weight=3.0),
    Criterion(key="style", title="Style", score_range=(5.0, 10.0), weight=0.0),
))
REFERENCE = {"thesis": 2.0, "evidence": 8.0, "style": 7.0}


def test_the_reference_assessment_itself_scores_one():
    assert accuracy(RUBRIC, REFERENCE, REFERENCE) == 1.0


def test_accuracy_is_one_minus_the_weighted_mean_distance_as_a_fraction_of_each_span():
    # thesis |4 - 2| / 4 = 0.5 at weight 1; evidence |5 - 8| / 10 = 0.3 at weight 3: 1 - (0.5 + 0.9) / 4 = 0.65.
    selections = {"thesis": 4.0, "evidence": 5.0, "style": 7.0}
    assert accuracy(RUBRIC, selections, REFERENCE) == pytest.approx(0.65)


def test_a_criterion_of_zero_weight_does_not_count():
    far_off_in_style = {**REFERENCE, "style": 10.0}
    assert accuracy(RUBRIC, far_off_in_style, REFERENCE) == 1.0


def test_the_opposite_extreme_on_every_criterion_scores_zero():
    reference = {"thesis": 0.0, "evidence": 10.0, "style": 5.0}
    assert accuracy(RUBRIC, {"thesis": 4.0, "evidence": 0.0, "style": 10.0}, reference) == 0.0


def test_scores_beyond_a_criterion_span_never_take_accuracy_below_zero():
    assert accuracy(RUBRIC, {"thesis": 40.0, "evidence": -20.0, "style": 7.0}, REFERENCE) == 0.0


def test_a_criterion_whose_levels_all_score_the_same_counts_as_agreement():
    rubric = Rubric((
        Criterion(key="only", title="Only", levels=(Level(2, "Present"),)),
        Criterion(key="evidence", title="Evidence", score_range=(0.0, 10.0)),
    ))
    assert accuracy(rubric, {"only": 2.0, "evidence": 5.0}, {"only": 2.0, "evidence": 10.0}) == pytest.approx(0.75)


def test_a_missing_score_is_refused_with_the_criterion_named():
    with pytest.raises(InvalidInput) as raised:
        accuracy(RUBRIC, {"thesis": 2.0, "style": 7.0}, REFERENCE)
    assert raised.value.problems == {"evidence": "Choose a score for “Evidence”."}


def test_a_score_for_a_criterion_the_rubric_lacks_is_refused():
    with pytest.raises(InvalidInput) as raised:
        accuracy(RUBRIC, {**REFERENCE, "grammar": 1.0}, REFERENCE)
    assert set(raised.value.problems) == {"grammar"}


def test_a_reference_missing_a_criterion_is_refused():
    with pytest.raises(InvalidInput) as raised:
        accuracy(RUBRIC, REFERENCE, {"thesis": 2.0, "evidence": 8.0})
    assert raised.value.problems == {"reference.style": "The reference has no score for “Style”."}


def test_a_score_that_is_not_a_number_is_refused():
    with pytest.raises(InvalidInput):
        accuracy(RUBRIC, {**REFERENCE, "thesis": float("nan")}, REFERENCE)


def test_the_comparison_goes_criterion_by_criterion_in_rubric_order_with_the_explanations():
    selections = {"style": 10.0, "evidence": 5.0, "thesis": 4.0}
    explanations = {"thesis": "The claim is clear but not arguable.", "evidence": "Two sources, one weak."}
    assert compare(RUBRIC, selections, REFERENCE, explanations) == [
        CriterionComparison("thesis", "Thesis", 4.0, 2.0, "The claim is clear but not arguable.", 0.5),
        CriterionComparison("evidence", "Evidence", 5.0, 8.0, "Two sources, one weak.", pytest.approx(0.3)),
        CriterionComparison("style", "Style", 10.0, 7.0, "", pytest.approx(0.6)),
    ]


def test_a_comparison_distance_stays_between_zero_and_one():
    comparison = compare(RUBRIC, {**REFERENCE, "evidence": 30.0}, REFERENCE, {})
    assert [item.distance for item in comparison] == [0.0, 1.0, 0.0]


# The calibration policy an instructor sets.

def test_a_sensible_policy_has_no_problems():
    assert CalibrationPolicy(examples_required=3, pass_accuracy=0.8, attempts=2).problems() == {}
    assert CalibrationPolicy(examples_required=0, pass_accuracy=1.0, attempts=1).problems() == {}


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        (CalibrationPolicy(examples_required=-1, pass_accuracy=0.8, attempts=2), "examples_required"),
        (CalibrationPolicy(examples_required=11, pass_accuracy=0.8, attempts=2), "examples_required"),
        (CalibrationPolicy(examples_required=3, pass_accuracy=0.0, attempts=2), "pass_accuracy"),
        (CalibrationPolicy(examples_required=3, pass_accuracy=1.01, attempts=2), "pass_accuracy"),
        (CalibrationPolicy(examples_required=3, pass_accuracy=float("nan"), attempts=2), "pass_accuracy"),
        (CalibrationPolicy(examples_required=3, pass_accuracy=0.8, attempts=0), "attempts"),
        (CalibrationPolicy(examples_required=3, pass_accuracy=0.8, attempts=True), "attempts"),
    ],
)
def test_a_policy_out_of_bounds_names_the_field_to_change(policy, field):
    assert set(policy.problems()) == {field}


# Where a student stands.

POLICY = CalibrationPolicy(examples_required=2, pass_accuracy=0.8, attempts=2)
EXAMPLES = [11, 12, 13]


def test_a_student_who_has_not_started_works_on_the_first_example():
    assert calibration_status(POLICY, EXAMPLES, []) == CalibrationStatus(
        done=False, passed=False, accuracy=None, next_example=11, attempts_left=2
    )


def test_passing_an_example_at_the_first_try_moves_on_to_the_next():
    status = calibration_status(POLICY, EXAMPLES, [ExampleRecord(11, (0.9,))])
    assert status == CalibrationStatus(done=False, passed=False, accuracy=0.9, next_example=12, attempts_left=2,
                                       settled=1, revealed=frozenset({11}))


def test_failing_an_example_leaves_another_try():
    status = calibration_status(POLICY, [11, 12], [ExampleRecord(11, (0.5,))])
    assert status == CalibrationStatus(done=False, passed=False, accuracy=0.5, next_example=11, attempts_left=1)


def test_failing_then_passing_every_requirement_is_done_and_passed_with_the_mean_first_accuracy():
    status = calibration_status(POLICY, [11, 12], [ExampleRecord(11, (0.5, 0.85)), ExampleRecord(12, (0.95,))])
    assert status == CalibrationStatus(done=True, passed=True, accuracy=pytest.approx(0.725), next_example=None,
                                       attempts_left=0, settled=2, revealed=frozenset({11, 12}))


def test_using_up_the_attempts_settles_a_requirement_done_but_not_passed():
    records = [ExampleRecord(11, (0.4, 0.6)), ExampleRecord(12, (0.9,))]
    status = calibration_status(POLICY, [11, 12], records)
    assert status == CalibrationStatus(done=True, passed=False, accuracy=pytest.approx(0.65), next_example=None,
                                       attempts_left=0, settled=2, revealed=frozenset({11, 12}))


def test_examples_beyond_those_tried_are_not_needed_once_every_requirement_is_settled():
    status = calibration_status(POLICY, EXAMPLES, [ExampleRecord(11, (1.0,)), ExampleRecord(12, (0.8,))])
    assert status.done and status.passed and status.accuracy == pytest.approx(0.9)


def test_tries_beyond_the_requirements_settle_nothing_more():
    records = [ExampleRecord(11, (1.0,)), ExampleRecord(12, (0.8,)), ExampleRecord(13, (0.0,))]
    status = calibration_status(POLICY, EXAMPLES, records)
    assert status.done and status.passed and status.settled == 2


def test_with_fewer_examples_than_required_only_the_existing_ones_count():
    policy = CalibrationPolicy(examples_required=3, pass_accuracy=0.8, attempts=1)
    status = calibration_status(policy, [11], [ExampleRecord(11, (0.85,))])
    assert status == CalibrationStatus(done=True, passed=True, accuracy=0.85, next_example=None, attempts_left=0,
                                       settled=1, revealed=frozenset({11}))


def test_without_a_calibration_step_every_student_is_done_and_passed():
    expected = CalibrationStatus(done=True, passed=True, accuracy=None, next_example=None, attempts_left=0)
    assert calibration_status(CalibrationPolicy(0, 0.8, 2), EXAMPLES, []) == expected
    assert calibration_status(POLICY, [], []) == expected


def test_an_invalid_policy_is_refused():
    with pytest.raises(InvalidInput):
        calibration_status(CalibrationPolicy(2, 0.0, 2), EXAMPLES, [])


def test_two_records_for_one_example_are_refused():
    with pytest.raises(ValueError, match="one record per example"):
        calibration_status(POLICY, EXAMPLES, [ExampleRecord(11, (0.5,)), ExampleRecord(11, (0.9,))])


# Two criteria scored 0..10 weighing 2 and 1: one point off the first and four off the second is exactly 80%,
# which floating point computes as 0.7999999999999999.
EXACTLY_EIGHTY = (Rubric((Criterion(key="a", title="A", score_range=(0.0, 10.0), weight=2.0),
                          Criterion(key="b", title="B", score_range=(0.0, 10.0), weight=1.0))),
                  {"a": 6.0, "b": 1.0}, {"a": 5.0, "b": 5.0})


def test_an_accuracy_exactly_at_the_pass_mark_passes_whatever_floating_point_makes_of_it():
    rubric, selections, reference = EXACTLY_EIGHTY
    at_the_mark = accuracy(rubric, selections, reference)
    assert at_the_mark == pytest.approx(0.8)

    status = calibration_status(POLICY, EXAMPLES, [ExampleRecord(11, (at_the_mark,)), ExampleRecord(12, (0.96,))])

    assert status.done and status.passed and status.accuracy == pytest.approx(0.88)


@pytest.mark.parametrize(("best", "passed"), [(0.8, True), (0.8 - 1e-12, True), (0.799, False), (0.7999, False)])
def test_only_float_noise_is_forgiven_below_the_pass_mark(best, passed):
    status = calibration_status(CalibrationPolicy(1, 0.8, 1), [11], [ExampleRecord(11, (best,))])

    assert status.done and status.passed is passed


# Calibration cannot be gamed: a retry uses another example while spares remain, the reference is shown only once
# it can no longer help on a later try, and the accuracy that weights reviews is each example's first attempt.


def test_a_failed_attempt_is_retried_on_a_spare_example_and_the_failed_one_is_revealed():
    status = calibration_status(POLICY, EXAMPLES, [ExampleRecord(11, (0.5,))])
    assert (status.next_example, status.attempts_left) == (12, 1)
    assert status.revealed == frozenset({11})


def test_without_a_spare_example_the_retry_is_the_same_example_and_its_reference_stays_hidden():
    status = calibration_status(POLICY, [11, 12], [ExampleRecord(11, (0.5,))])
    assert (status.next_example, status.attempts_left) == (11, 1)
    assert status.revealed == frozenset()


def test_the_last_spare_is_kept_for_a_later_required_example():
    # Two required, three written: the first failure takes the one spare, so a failure on the second requirement
    # has none left and retries the same example, its reference still hidden.
    records = [ExampleRecord(11, (0.5,)), ExampleRecord(12, (0.9,)), ExampleRecord(13, (0.4,))]
    status = calibration_status(POLICY, EXAMPLES, records)
    assert (status.next_example, status.attempts_left, status.settled) == (13, 1, 1)
    assert status.revealed == frozenset({11, 12})


def test_an_example_passed_or_out_of_attempts_is_revealed():
    passed = calibration_status(POLICY, EXAMPLES, [ExampleRecord(11, (0.8,))])
    assert passed.revealed == frozenset({11}) and passed.next_example == 12
    used_up = calibration_status(POLICY, [11, 12], [ExampleRecord(11, (0.5, 0.6))])
    assert used_up.revealed == frozenset({11}) and used_up.next_example == 12 and used_up.settled == 1


def test_an_attempt_just_below_the_pass_mark_fails_and_one_at_it_passes():
    assert calibration_status(POLICY, [11, 12], [ExampleRecord(11, (0.79,))]).next_example == 11
    assert calibration_status(POLICY, [11, 12], [ExampleRecord(11, (0.8,))]).next_example == 12


def test_the_accuracy_that_weights_reviews_is_the_mean_of_first_attempts_not_the_best():
    # Copying a revealed reference on a retry cannot raise it: 0.16 then 1.0 on the same example counts 0.16.
    status = calibration_status(POLICY, [11, 12], [ExampleRecord(11, (0.16, 1.0)), ExampleRecord(12, (0.9,))])
    assert status.accuracy == pytest.approx((0.16 + 0.9) / 2)
    assert status.done and status.passed


def test_a_retry_on_a_spare_counts_its_own_first_attempt():
    records = [ExampleRecord(11, (0.5,)), ExampleRecord(12, (0.9,)), ExampleRecord(13, (0.7,))]
    assert calibration_status(POLICY, EXAMPLES, records).accuracy == pytest.approx((0.5 + 0.9 + 0.7) / 3)


def test_passing_on_the_spare_settles_the_requirement_and_the_next_one_takes_a_fresh_example():
    status = calibration_status(POLICY, [11, 12, 13, 14], [ExampleRecord(11, (0.5,)), ExampleRecord(12, (0.9,))])
    assert (status.settled, status.next_example, status.attempts_left) == (1, 13, 2)
    assert not status.done


def test_failing_every_try_on_spares_settles_the_requirement_not_passed():
    records = [ExampleRecord(11, (0.5,)), ExampleRecord(12, (0.6,)), ExampleRecord(13, (0.9,))]
    status = calibration_status(POLICY, [11, 12, 13, 14], records)
    assert status.done and not status.passed and status.settled == 2
    assert status.revealed == frozenset({11, 12, 13})


# Limits on both sides, the messages, and a rubric of one criterion.

ONE_CRITERION = Rubric((Criterion(key="only", title="Only", score_range=(0.0, 10.0)),))


def test_with_a_single_criterion_of_weight_one_accuracy_is_one_minus_the_distance():
    assert accuracy(ONE_CRITERION, {"only": 5.0}, {"only": 10.0}) == 0.5
    assert accuracy(ONE_CRITERION, {"only": 9.0}, {"only": 10.0}) == pytest.approx(0.9)


def test_a_rubric_where_nothing_counts_leaves_nothing_to_disagree_on():
    nothing = Rubric((Criterion(key="only", title="Only", score_range=(0.0, 10.0), weight=0.0),))
    assert accuracy(nothing, {"only": 0.0}, {"only": 10.0}) == 1.0


def test_a_distance_beyond_the_span_counts_as_the_whole_span():
    comparison = compare(ONE_CRITERION, {"only": 15.0}, {"only": 0.0}, {})
    assert comparison[0].distance == 1.0
    assert accuracy(ONE_CRITERION, {"only": 15.0}, {"only": 0.0}) == 0.0


def test_every_missing_or_unknown_score_of_both_sides_is_named_at_once():
    with pytest.raises(InvalidInput) as raised:
        accuracy(RUBRIC, {"thesis": True, "extra": 1.0}, {"thesis": 1.0, "evidence": float("inf")})
    assert raised.value.problems == {
        "extra": "This rubric has no such criterion; reload the page to get the current rubric.",
        "thesis": "Choose a score for “Thesis”.",
        "evidence": "Choose a score for “Evidence”.",
        "style": "Choose a score for “Style”.",
        "reference.evidence": "The reference has no score for “Evidence”.",
        "reference.style": "The reference has no score for “Style”.",
    }


def test_a_comparison_without_an_explanation_shows_none():
    comparison = compare(ONE_CRITERION, {"only": 4}, {"only": 6}, {"other": "Not this one."})
    assert comparison == [CriterionComparison(key="only", title="Only", yours=4.0, reference=6.0, explanation="",
                                              distance=0.2)]
    assert isinstance(comparison[0].yours, float) and isinstance(comparison[0].reference, float)


@pytest.mark.parametrize(
    "policy",
    [
        CalibrationPolicy(examples_required=10, pass_accuracy=0.01, attempts=10),
        CalibrationPolicy(examples_required=0, pass_accuracy=1, attempts=1),
    ],
)
def test_a_policy_at_its_limits_has_no_problems(policy):
    assert policy.problems() == {}


EXAMPLES_MESSAGE = "The number of calibration examples must be a whole number from 0 to 10."
PASS_MESSAGE = "The accuracy needed to pass must be above 0% and at most 100%."
ATTEMPTS_MESSAGE = "The number of attempts at each example must be a whole number from 1 to 10."


@pytest.mark.parametrize(
    ("policy", "problems"),
    [
        (CalibrationPolicy(11, 0.8, 2), {"examples_required": EXAMPLES_MESSAGE}),
        (CalibrationPolicy(2.0, 0.8, 2), {"examples_required": EXAMPLES_MESSAGE}),
        (CalibrationPolicy(True, 0.8, 2), {"examples_required": EXAMPLES_MESSAGE}),
        (CalibrationPolicy(2, float("inf"), 2), {"pass_accuracy": PASS_MESSAGE}),
        (CalibrationPolicy(2, True, 2), {"pass_accuracy": PASS_MESSAGE}),
        (CalibrationPolicy(2, "0.8", 2), {"pass_accuracy": PASS_MESSAGE}),
        (CalibrationPolicy(2, -0.5, 2), {"pass_accuracy": PASS_MESSAGE}),
        (CalibrationPolicy(2, 0.8, 11), {"attempts": ATTEMPTS_MESSAGE}),
        (CalibrationPolicy(2, 0.8, 1.5), {"attempts": ATTEMPTS_MESSAGE}),
        (CalibrationPolicy(-1, 0, 0), {"examples_required": EXAMPLES_MESSAGE, "pass_accuracy": PASS_MESSAGE,
                                       "attempts": ATTEMPTS_MESSAGE}),
    ],
)
def test_a_policy_out_of_bounds_says_what_to_change_for_each_field(policy, problems):
    assert policy.problems() == problems
    with pytest.raises(InvalidInput) as raised:
        policy.validate()
    assert raised.value.problems == problems


def test_example_ids_listed_twice_are_refused():
    with pytest.raises(ValueError) as raised:
        calibration_status(POLICY, [11, 11], [])
    assert str(raised.value) == "example_ids must not repeat an example"


def test_a_record_without_attempts_counts_as_not_started():
    status = calibration_status(POLICY, EXAMPLES, [ExampleRecord(11, ())])
    assert status == CalibrationStatus(done=False, passed=False, accuracy=None, next_example=11, attempts_left=2)


@pytest.mark.parametrize(("tries", "passed"), [((0.5, 0.8), True), ((0.5, 0.8 - 1e-12), True), ((0.5, 0.79), False)])
def test_a_best_attempt_exactly_at_the_pass_mark_on_the_last_try_passes(tries, passed):
    status = calibration_status(CalibrationPolicy(1, 0.8, 2), [11], [ExampleRecord(11, tries)])
    assert status == CalibrationStatus(done=True, passed=passed, accuracy=0.5, next_example=None, attempts_left=0,
                                       settled=1, revealed=frozenset({11}))


def test_a_pass_at_the_mark_counts_towards_passing_only_once_per_requirement():
    # Two required: one passed at the mark, the other failed on every try: done, not passed.
    policy = CalibrationPolicy(2, 0.8, 2)
    status = calibration_status(policy, [11, 12], [ExampleRecord(11, (0.8,)), ExampleRecord(12, (0.1, 0.2))])
    assert (status.done, status.passed, status.settled) == (True, False, 2)


def test_three_attempts_allowed_leave_two_after_one_failure_and_one_after_two():
    policy = CalibrationPolicy(1, 0.8, 3)
    assert calibration_status(policy, [11], [ExampleRecord(11, (0.1,))]).attempts_left == 2
    after_two = calibration_status(policy, [11], [ExampleRecord(11, (0.1, 0.2))])
    assert (after_two.attempts_left, after_two.next_example, after_two.done) == (1, 11, False)


def test_with_exactly_one_spare_the_retry_takes_it():
    status = calibration_status(CalibrationPolicy(1, 0.8, 2), [11, 12], [ExampleRecord(11, (0.5,))])
    assert (status.next_example, status.revealed) == (12, frozenset({11}))


def test_a_reached_mark_is_the_mark_less_only_the_tolerance():
    assert reaches(0.8, 0.8) and reaches(0.8 - 1e-9, 0.8) and reaches(0.81, 0.8)
    assert not reaches(0.8 - 2e-9, 0.8)


def test_accuracy_never_exceeds_one_even_for_a_rubric_with_a_negative_weight():
    # Rubric.validate refuses such a rubric; accuracy still keeps within 0..1 for one read before validation.
    odd = Rubric((Criterion(key="a", title="A", score_range=(0.0, 10.0), weight=2.0),
                  Criterion(key="b", title="B", score_range=(0.0, 10.0), weight=-1.0)))
    assert accuracy(odd, {"a": 5.0, "b": 10.0}, {"a": 5.0, "b": 0.0}) == 1.0


def test_tries_after_the_last_requirement_is_settled_are_not_counted():
    status = calibration_status(CalibrationPolicy(1, 0.8, 2), [11, 12], [ExampleRecord(11, (0.9,)),
                                                                         ExampleRecord(12, (0.1, 0.2))])
    assert (status.done, status.passed, status.settled) == (True, True, 1)


def test_a_failure_on_a_later_requirement_takes_the_spare_left_for_it():
    status = calibration_status(CalibrationPolicy(2, 0.8, 2), [11, 12, 13], [ExampleRecord(11, (0.9,)),
                                                                             ExampleRecord(12, (0.5,))])
    assert (status.settled, status.next_example, status.attempts_left) == (1, 13, 1)
