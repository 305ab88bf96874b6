"""Teammate evaluation settings: their limits, their stored document, and how one rater's scores sum up."""

from __future__ import annotations

import math

import pytest

from assessment.contribution import FactorPolicy, FixedFactor, Penalty
from assessment.errors import InvalidInput
from assessment.teammate_evaluation import (
    MAX_CRITERIA,
    RatingCriterion,
    TeammateEvaluation,
    pair_totals,
)


def test_the_defaults_rate_four_criteria_from_1_to_5_and_are_valid():
    evaluation = TeammateEvaluation()
    assert [criterion.key for criterion in evaluation.criteria] == ["contribution", "reliability", "communication",
                                                                   "ideas"]
    assert (evaluation.low, evaluation.high, evaluation.include_self) == (1, 5, False)
    assert evaluation.problems() == {}


@pytest.mark.parametrize("policy", [
    FactorPolicy(),
    FactorPolicy(weight=0.5, cap=1.25, non_rater=Penalty(0.1)),
    FactorPolicy(weight=0.0, non_rater=FixedFactor(0.8)),
])
def test_the_document_reads_back_as_the_same_settings(policy):
    evaluation = TeammateEvaluation(criteria=(RatingCriterion("effort", "Effort"),), low=0, high=10,
                                    include_self=True, policy=FactorPolicy(weight=policy.weight, cap=policy.cap,
                                                                           non_rater=policy.non_rater,
                                                                           points_possible=20.0))
    assert TeammateEvaluation.from_document(evaluation.to_document(), 20.0) == evaluation


@pytest.mark.parametrize("count, valid", [(1, True), (MAX_CRITERIA, True), (MAX_CRITERIA + 1, False)])
def test_between_one_and_ten_criteria(count, valid):
    criteria = tuple(RatingCriterion(f"c{n}", f"Criterion {n}") for n in range(count))
    assert ("criteria" not in TeammateEvaluation(criteria=criteria).problems()) is valid


def test_no_criteria_is_refused():
    assert "criteria" in TeammateEvaluation(criteria=()).problems()


@pytest.mark.parametrize("criteria", [
    (RatingCriterion("a", "A"), RatingCriterion("a", "B")),
    (RatingCriterion(" ", "A"),),
    (RatingCriterion("a", " "),),
    (RatingCriterion("a", "x" * 201),),
])
def test_criteria_need_their_own_key_and_a_name(criteria):
    assert "criteria" in TeammateEvaluation(criteria=criteria).problems()


def test_a_name_of_200_characters_is_accepted():
    assert TeammateEvaluation(criteria=(RatingCriterion("a", "x" * 200),)).problems() == {}


@pytest.mark.parametrize("low, high, valid", [
    (0, 1, True), (0, 10, True), (1, 5, True), (-1, 5, False), (5, 5, False), (6, 5, False), (0, 11, False),
    (0.5, 5, False), (True, 5, False), (1, math.inf, False), (1, math.nan, False),
])
def test_the_scale_runs_between_whole_numbers_from_0_to_10(low, high, valid):
    assert ("scale" not in TeammateEvaluation(low=low, high=high).problems()) is valid


def test_the_policys_problems_are_the_settings_problems():
    with pytest.raises(InvalidInput) as refused:
        TeammateEvaluation(policy=FactorPolicy(weight=1.5)).validate()
    assert set(refused.value.problems) == {"weight"}


@pytest.mark.parametrize("scores, needed", [
    ({"a": 2, "b": 4}, False), ({"a": 1, "b": 3}, True), ({"a": 3, "b": 5}, True),
])
def test_an_extreme_rating_needs_a_comment(scores, needed):
    evaluation = TeammateEvaluation(criteria=(RatingCriterion("a", "A"), RatingCriterion("b", "B")))
    assert evaluation.needs_comment(scores) is needed


def test_score_problems_name_each_missing_or_bad_criterion():
    evaluation = TeammateEvaluation(criteria=(RatingCriterion("a", "A"), RatingCriterion("b", "B"),
                                              RatingCriterion("c", "C")))
    assert evaluation.score_problems({"a": 1, "b": 5, "c": 3}) == {}
    problems = evaluation.score_problems({"a": 0, "b": 2.5, "x": 3})
    assert set(problems) == {"a", "b", "c", "criteria"}
    assert evaluation.score_problems({"a": 6, "b": True, "c": math.nan}).keys() == {"a", "b", "c"}


def test_pair_totals_sum_the_criteria_and_keep_self_ratings():
    evaluation = TeammateEvaluation(criteria=(RatingCriterion("a", "A"), RatingCriterion("b", "B")))
    rows = [(1, 2, {"a": 4, "b": 5}), (1, 1, {"a": 5, "b": 5}), (2, 1, {"a": 1, "b": 2})]
    assert pair_totals(evaluation, rows) == {(1, 2): 9.0, (1, 1): 10.0, (2, 1): 3.0}



def test_a_document_without_the_optional_settings_reads_as_the_defaults():
    document = {"criteria": [{"key": "effort", "label": "Effort"}], "low": 1, "high": 5}

    evaluation = TeammateEvaluation.from_document(document)

    assert evaluation == TeammateEvaluation(criteria=(RatingCriterion("effort", "Effort"),), low=1, high=5,
                                            include_self=False, policy=FactorPolicy())
    assert evaluation.policy == FactorPolicy(weight=1.0, cap=None, non_rater=Penalty(0.0), points_possible=None)
    assert TeammateEvaluation.from_document({**document, "non_rater": {}}).policy.non_rater == Penalty(0.0)


def test_each_settings_problem_is_told_in_words():
    criteria = (RatingCriterion("a", "A"), RatingCriterion("a", "B"))
    assert TeammateEvaluation(criteria=()).problems() == {
        "criteria": "Teammates rate each other on between 1 and 10 criteria."}
    assert TeammateEvaluation(criteria=criteria).problems() == {"criteria": "Each criterion needs its own name."}
    assert TeammateEvaluation(criteria=(RatingCriterion("a", "x" * 201),)).problems() == {
        "criteria": "Each criterion needs a name of at most 200 characters."}
    assert TeammateEvaluation(low=0, high=11).problems() == {
        "scale": "Ratings run from a whole number of at least 0 to a higher one of at most 10."}


def test_each_score_problem_is_told_in_words_with_the_scale():
    evaluation = TeammateEvaluation(criteria=(RatingCriterion("a", "A"), RatingCriterion("b", "B"),
                                              RatingCriterion("c", "C")), low=2, high=7)

    problems = evaluation.score_problems({"a": 1, "b": 8, "x": 3})

    assert problems == {"a": "A rating is a whole number from 2 to 7.", "b": "A rating is a whole number from 2 to 7.",
                        "c": "Rate this teammate on every criterion.", "criteria": "Rate only on the criteria listed."}
    assert problems["a"].params == {"low": 2, "high": 7}
    assert problems["c"].template == "Rate this teammate on every criterion."
    assert problems["criteria"].template == "Rate only on the criteria listed."
