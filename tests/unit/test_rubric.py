"""Rubrics: the rules an instructor's rubric must keep, and the score of a filled-in rubric."""

import json
import math

import pytest

from assessment.errors import InvalidInput
from assessment.rubric import CommentPrompt, Criterion, Level, Rubric

THREE_LEVELS = (Level(0, "Missing"), Level(1, "Partial"), Level(2, "Complete"))


def levels_criterion(key="c1", weight=1.0, levels=THREE_LEVELS, **extra) -> Criterion:
    return Criterion(key=key, title=f"Criterion {key}", weight=weight, levels=levels, **extra)


def range_criterion(key="c2", low=0.0, high=10.0, weight=1.0, **extra) -> Criterion:
    return Criterion(key=key, title=f"Criterion {key}", weight=weight, score_range=(low, high), **extra)


def test_a_well_formed_rubric_has_no_problems():
    rubric = Rubric((levels_criterion(), range_criterion()))
    assert rubric.problems() == {}
    rubric.validate()


def test_a_rubric_needs_at_least_one_criterion():
    assert Rubric(()).problems() == {"criteria": "Add at least one criterion."}


def test_validate_raises_invalid_input_carrying_every_problem():
    rubric = Rubric((Criterion(key="c1", title=" ", levels=THREE_LEVELS), Criterion(key="c1", title="B")))
    with pytest.raises(InvalidInput) as raised:
        rubric.validate()
    assert raised.value.problems == rubric.problems()
    assert set(raised.value.problems) == {"criteria.0.title", "criteria.1.key", "criteria.1"}


def test_problem_keys_count_from_zero_and_messages_from_one():
    rubric = Rubric((levels_criterion("a"), Criterion(key="b", title="", levels=THREE_LEVELS)))
    assert rubric.problems() == {"criteria.1.title": "Criterion 2 needs a title."}


def test_a_title_longer_than_200_characters_is_refused():
    rubric = Rubric((Criterion(key="c1", title="x" * 201, levels=THREE_LEVELS),))
    assert "under 200 characters" in rubric.problems()["criteria.0.title"]
    assert Rubric((Criterion(key="c1", title="x" * 200, levels=THREE_LEVELS),)).problems() == {}


def test_two_criteria_with_the_same_key_are_refused():
    problems = Rubric((levels_criterion("c1"), range_criterion("c1"))).problems()
    assert problems == {"criteria.1.key": "Criterion 2 has the same key as criterion 1; each needs its own."}


def test_an_empty_key_is_refused():
    assert "criteria.0.key" in Rubric((levels_criterion(""),)).problems()


@pytest.mark.parametrize("weight", [-1, 1000.5, math.inf, math.nan])
def test_a_weight_must_be_a_finite_number_from_0_to_1000(weight):
    problems = Rubric((levels_criterion(weight=weight), range_criterion())).problems()
    assert problems == {"criteria.0.weight": "The weight of criterion 1 must be a number from 0 to 1,000."}


def test_weights_cannot_all_be_zero():
    problems = Rubric((levels_criterion(weight=0), range_criterion(weight=0))).problems()
    assert problems == {"criteria": "At least one criterion needs a weight above zero."}


def test_a_criterion_needs_levels_or_a_range_but_not_both():
    neither = Criterion(key="c1", title="T")
    both = Criterion(key="c1", title="T", levels=THREE_LEVELS, score_range=(0, 1))
    for criterion in (neither, both):
        assert Rubric((criterion,)).problems() == {
            "criteria.0": "Give criterion 1 either scored levels or a range of points, not both or neither."
        }


def test_a_criterion_needs_at_least_two_levels():
    problems = Rubric((levels_criterion(levels=(Level(1, "Only"),)),)).problems()
    assert problems == {"criteria.0.levels": "Give criterion 1 at least two levels."}


def test_two_levels_with_the_same_points_are_refused():
    problems = Rubric((levels_criterion(levels=(Level(1, "A"), Level(1.0, "B"))),)).problems()
    assert problems == {"criteria.0.levels": "Two levels of criterion 1 are worth 1; give each level different points."}


@pytest.mark.parametrize("points", [-0.5, math.nan, math.inf])
def test_level_points_must_be_finite_and_not_negative(points):
    problems = Rubric((levels_criterion(levels=(Level(points, "Odd"), Level(2, "Good"))),)).problems()
    assert problems == {"criteria.0.levels.0.points": "Level 1 of criterion 1 needs points of 0 or more."}


def test_every_level_needs_a_descriptor():
    problems = Rubric((levels_criterion(levels=(Level(0, "None"), Level(1, "  "))),)).problems()
    assert problems == {"criteria.0.levels.1.descriptor": "Describe level 2 of criterion 1."}


@pytest.mark.parametrize("score_range", [(5, 5), (6, 5), (-1, 5), (0, 10_001), (0, math.inf), (math.nan, 1)])
def test_a_range_needs_a_low_below_its_high_within_0_and_10000(score_range):
    problems = Rubric((Criterion(key="c1", title="T", score_range=score_range),)).problems()
    assert list(problems) == ["criteria.0.score_range"]
    assert "the highest above the lowest" in problems["criteria.0.score_range"]


def test_a_range_up_to_10000_is_allowed():
    assert Rubric((range_criterion(low=0, high=10_000),)).problems() == {}


@pytest.mark.parametrize("min_length", [-1, 5001])
def test_the_shortest_comment_asked_for_is_0_to_5000_characters(min_length):
    criterion = levels_criterion(comment=CommentPrompt("Why?", min_length=min_length))
    assert list(Rubric((criterion,)).problems()) == ["criteria.0.comment"]


def test_low_and_high_follow_the_points_whatever_the_order_of_the_levels():
    criterion = levels_criterion(levels=(Level(3, "Good"), Level(0, "None"), Level(1, "Some")))
    assert (criterion.low, criterion.high, criterion.is_range) == (0, 3, False)
    assert (range_criterion(low=2, high=8).low, range_criterion(low=2, high=8).high) == (2, 8)
    assert range_criterion().is_range


def test_a_levels_criterion_scores_its_level_as_a_fraction_of_the_points():
    rubric = Rubric((levels_criterion(),))
    assert rubric.score({"c1": 2}, 10) == 10
    assert rubric.score({"c1": 1}, 10) == 5
    assert rubric.score({"c1": 0}, 10) == 0


def test_a_range_criterion_scores_proportionally():
    rubric = Rubric((range_criterion(low=2, high=12),))
    assert rubric.score({"c2": 2}, 100) == 0
    assert rubric.score({"c2": 7}, 100) == 50
    assert rubric.score({"c2": 9.5}, 100) == pytest.approx(75)


def test_weights_decide_how_much_each_criterion_counts():
    rubric = Rubric((levels_criterion("a", weight=3), range_criterion("b", weight=1)))
    # a at full marks (fraction 1, weight 3), b at zero: three quarters of the points.
    assert rubric.score({"a": 2, "b": 0}, 20) == pytest.approx(15)
    assert rubric.score({"a": 0, "b": 10}, 20) == pytest.approx(5)


def test_fractional_weights_and_points_score_exactly():
    levels = (Level(0.5, "Low"), Level(1.5, "Mid"), Level(2.5, "High"))
    rubric = Rubric((levels_criterion("a", weight=0.25, levels=levels), range_criterion("b", weight=0.75, high=4)))
    assert rubric.score({"a": 1.5, "b": 1}, 1) == pytest.approx(0.25 * 0.5 + 0.75 * 0.25)


def test_a_zero_weight_criterion_is_asked_but_does_not_count():
    rubric = Rubric((levels_criterion("a", weight=0), range_criterion("b", weight=2)))
    assert rubric.score({"a": 0, "b": 10}, 50) == 50
    assert rubric.score({"a": 2, "b": 5}, 50) == 25
    with pytest.raises(InvalidInput) as raised:
        rubric.score({"b": 5}, 50)
    assert raised.value.problems == {"a": "Choose a score for “Criterion a”."}


def test_a_selection_that_is_nearly_a_level_counts_as_that_level():
    levels = (Level(0.1, "Low"), Level(0.3, "High"))
    rubric = Rubric((levels_criterion(levels=levels),))
    assert rubric.score({"c1": 0.1 + 0.2}, 10) == 10


def test_a_missing_criterion_is_refused():
    rubric = Rubric((levels_criterion("a"), range_criterion("b")))
    with pytest.raises(InvalidInput) as raised:
        rubric.score({"a": 1}, 10)
    assert raised.value.problems == {"b": "Choose a score for “Criterion b”."}
    assert raised.value.message == "Choose a score for “Criterion b”."


def test_an_unknown_criterion_key_is_refused():
    rubric = Rubric((levels_criterion("a"),))
    with pytest.raises(InvalidInput) as raised:
        rubric.score({"a": 1, "zz": 1}, 10)
    assert list(raised.value.problems) == ["zz"]
    assert "reload the page" in raised.value.problems["zz"]


def test_a_value_that_is_not_one_of_the_levels_is_refused():
    rubric = Rubric((levels_criterion(levels=(Level(2, "Good"), Level(0, "None"), Level(1, "Some"))),))
    with pytest.raises(InvalidInput) as raised:
        rubric.score({"c1": 1.5}, 10)
    assert raised.value.problems == {"c1": "The score for “Criterion c1” must be one of its levels: 0, 1, 2."}


@pytest.mark.parametrize("value", [-0.1, 10.5])
def test_a_value_outside_the_range_is_refused(value):
    rubric = Rubric((range_criterion(),))
    with pytest.raises(InvalidInput) as raised:
        rubric.score({"c2": value}, 10)
    assert raised.value.problems == {"c2": "The score for “Criterion c2” must be between 0 and 10."}


@pytest.mark.parametrize("value", [math.nan, math.inf, "3", None, True])
def test_a_value_that_is_not_a_number_is_refused(value):
    with pytest.raises(InvalidInput):
        Rubric((range_criterion(),)).score({"c2": value}, 10)


def test_an_invalid_rubric_cannot_score():
    with pytest.raises(InvalidInput) as raised:
        Rubric((levels_criterion(weight=0),)).score({"c1": 1}, 10)
    assert "criteria" in raised.value.problems


def test_negative_points_possible_is_a_programming_error():
    with pytest.raises(ValueError, match="points_possible"):
        Rubric((levels_criterion(),)).score({"c1": 1}, -1)


def test_a_required_comment_must_be_written():
    rubric = Rubric((levels_criterion(comment=CommentPrompt("What works?", required=True)),))
    assert rubric.check_comments({}) == {"c1": "Write a comment for “Criterion c1”."}
    assert rubric.check_comments({"c1": "   "}) == {"c1": "Write a comment for “Criterion c1”."}
    assert rubric.check_comments({"c1": "The argument is clear."}) == {}


def test_a_comment_shorter_than_asked_is_refused_counting_without_surrounding_spaces():
    rubric = Rubric((levels_criterion(comment=CommentPrompt("Why?", min_length=10)),))
    assert rubric.check_comments({"c1": "  long enough  "}) == {}
    assert rubric.check_comments({"c1": "  short  "}) == {
        "c1": "The comment for “Criterion c1” needs at least 10 characters; it has 5."
    }


def test_an_optional_comment_may_be_left_empty_even_with_a_minimum_length():
    rubric = Rubric((levels_criterion(comment=CommentPrompt("Anything else?", min_length=20)),))
    assert rubric.check_comments({"c1": ""}) == {}
    assert rubric.check_comments({}) == {}


def test_comments_on_unknown_criteria_or_criteria_without_a_prompt_are_refused():
    rubric = Rubric((levels_criterion("a"), levels_criterion("b", comment=CommentPrompt("Why?"))))
    problems = rubric.check_comments({"a": "Nice", "zz": "Hello", "b": "Fine"})
    assert set(problems) == {"a", "zz"}
    assert problems["a"] == "“Criterion a” does not take a comment."


def test_a_very_long_comment_is_refused():
    rubric = Rubric((levels_criterion(comment=CommentPrompt("Why?")),))
    assert "shorten it" in rubric.check_comments({"c1": "x" * 20_001})["c1"]


def full_rubric() -> Rubric:
    return Rubric((
        Criterion(
            key="c1", title="Argument", description="Is the claim supported?", weight=2.5,
            levels=(Level(2, "Strong"), Level(0, "Absent"), Level(1.5, "Some")),
            comment=CommentPrompt("What would make it stronger?", required=True, min_length=15),
        ),
        Criterion(key="c2", title="Style", score_range=(0.0, 5.0)),
    ))


def test_a_rubric_survives_a_json_round_trip_unchanged():
    rubric = full_rubric()
    document = json.loads(json.dumps(rubric.to_dict()))
    assert Rubric.from_dict(document) == rubric


def test_the_rubric_document_is_versioned():
    assert full_rubric().to_dict()["version"] == 1
    with pytest.raises(InvalidInput, match="unknown format"):
        Rubric.from_dict({"version": 99, "criteria": []})


def test_reading_a_document_does_not_apply_the_rules_so_drafts_can_be_loaded():
    draft = Rubric.from_dict({"criteria": [{"key": "c1", "title": ""}]})
    assert draft.criteria[0].levels == () and draft.criteria[0].weight == 1.0
    assert draft.problems()


@pytest.mark.parametrize("document", [
    None,
    {"criteria": "many"},
    {"criteria": [42]},
    {"criteria": [{"title": "No key"}]},
    {"criteria": [{"key": "c1", "title": "T", "weight": "heavy"}]},
    {"criteria": [{"key": "c1", "title": "T", "levels": [{"points": 1}]}]},
    {"criteria": [{"key": "c1", "title": "T", "score_range": [1]}]},
])
def test_a_malformed_document_is_refused_as_invalid_input(document):
    with pytest.raises(InvalidInput, match="could not be read"):
        Rubric.from_dict(document)
