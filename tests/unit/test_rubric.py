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


# Limits on both sides, and every problem reported at once.

def test_a_rubric_of_100_criteria_is_allowed_and_one_of_101_is_refused():
    assert Rubric(tuple(levels_criterion(f"c{index}") for index in range(100))).problems() == {}
    problems = Rubric(tuple(levels_criterion(f"c{index}") for index in range(101))).problems()
    assert problems == {"criteria": "A rubric can have at most 100 criteria."}


def test_too_many_criteria_of_zero_weight_are_told_the_limit_first():
    problems = Rubric(tuple(levels_criterion(f"c{index}", weight=0) for index in range(101))).problems()
    assert problems == {"criteria": "A rubric can have at most 100 criteria."}


def test_a_criterion_of_20_levels_is_allowed_and_one_of_21_is_refused():
    def levels(count):
        return tuple(Level(points, f"Level {points}") for points in range(count))

    assert Rubric((levels_criterion(levels=levels(20)),)).problems() == {}
    assert Rubric((levels_criterion(levels=levels(2)),)).problems() == {}
    problems = Rubric((levels_criterion(levels=levels(21)),)).problems()
    assert problems == {"criteria.0.levels": "Give criterion 1 at most 20 levels."}


def test_a_weight_of_0_or_1000_is_allowed():
    assert Rubric((levels_criterion(weight=1000), range_criterion(weight=0))).problems() == {}


@pytest.mark.parametrize("weight", [True, "2"])
def test_a_weight_that_is_not_a_number_is_refused(weight):
    problems = Rubric((levels_criterion(weight=weight), range_criterion())).problems()
    assert problems == {"criteria.0.weight": "The weight of criterion 1 must be a number from 0 to 1,000."}


def test_a_level_worth_0_points_is_allowed_and_boolean_points_are_refused():
    assert Rubric((levels_criterion(levels=(Level(0, "None"), Level(0.5, "Half"))),)).problems() == {}
    problems = Rubric((levels_criterion(levels=(Level(True, "Yes"), Level(2, "Good"))),)).problems()
    assert problems == {"criteria.0.levels.0.points": "Level 1 of criterion 1 needs points of 0 or more."}


@pytest.mark.parametrize("score_range", [(0, 0.5), (9_999.5, 10_000), (0, 10_000)])
def test_a_range_from_0_up_to_10000_with_any_positive_width_is_allowed(score_range):
    assert Rubric((Criterion(key="c1", title="T", score_range=score_range),)).problems() == {}


@pytest.mark.parametrize("score_range", [(0, 1, 2), (True, 5), (0, "5")])
def test_a_range_that_is_not_two_numbers_is_refused_with_the_limits_named(score_range):
    problems = Rubric((Criterion(key="c1", title="T", score_range=score_range),)).problems()
    assert problems == {"criteria.0.score_range": "The range of criterion 1 needs a lowest and a highest score, "
                                                  "from 0 to 10,000, the highest above the lowest."}


def test_a_title_of_exactly_200_characters_counts_without_surrounding_spaces():
    assert Rubric((Criterion(key="c1", title=f"  {'x' * 200}  ", levels=THREE_LEVELS),)).problems() == {}
    problems = Rubric((Criterion(key="c1", title="x" * 201, levels=THREE_LEVELS),)).problems()
    assert problems == {"criteria.0.title": "Keep the title of criterion 1 under 200 characters."}


def test_a_key_of_spaces_is_missing_and_a_key_repeated_with_spaces_is_the_same_key():
    problems = Rubric((levels_criterion("c1"), levels_criterion("  "), levels_criterion(" c1 "))).problems()
    assert problems == {
        "criteria.1.key": "Criterion 2 needs a key.",
        "criteria.2.key": "Criterion 3 has the same key as criterion 1; each needs its own.",
    }


def test_a_key_repeated_three_times_names_the_first_criterion_that_has_it():
    problems = Rubric((levels_criterion("x"), levels_criterion("y"), levels_criterion("x"), levels_criterion("x")))
    assert problems.problems() == {
        "criteria.2.key": "Criterion 3 has the same key as criterion 1; each needs its own.",
        "criteria.3.key": "Criterion 4 has the same key as criterion 1; each needs its own.",
    }


def test_the_default_comment_prompt_is_valid():
    assert Rubric((levels_criterion(comment=CommentPrompt("Why?")),)).problems() == {}


@pytest.mark.parametrize("min_length", [0, 1, 5000])
def test_a_shortest_comment_from_0_to_5000_characters_is_allowed(min_length):
    assert Rubric((levels_criterion(comment=CommentPrompt("Why?", min_length=min_length)),)).problems() == {}


@pytest.mark.parametrize("min_length", [-1, 5001, 2.5, True, math.nan])
def test_a_shortest_comment_that_is_not_a_whole_number_from_0_to_5000_is_refused(min_length):
    problems = Rubric((levels_criterion(comment=CommentPrompt("Why?", min_length=min_length)),)).problems()
    assert problems == {"criteria.0.comment": "The shortest comment for criterion 1 must be from 0 to 5,000 characters."}


def test_every_problem_of_every_criterion_is_reported_at_once():
    rubric = Rubric((
        Criterion(key="", title="", weight=-1, levels=(Level(1, "Only"),), comment=CommentPrompt("?", min_length=-1)),
        Criterion(key="b", title="B", levels=(Level(-1, " "), Level(-1, "Same"), Level(2, "Good"))),
        Criterion(key="c", title="C", score_range=(3, 1)),
    ))
    assert rubric.problems() == {
        "criteria.0.key": "Criterion 1 needs a key.",
        "criteria.0.title": "Criterion 1 needs a title.",
        "criteria.0.weight": "The weight of criterion 1 must be a number from 0 to 1,000.",
        "criteria.0.levels": "Give criterion 1 at least two levels.",
        "criteria.0.comment": "The shortest comment for criterion 1 must be from 0 to 5,000 characters.",
        "criteria.1.levels.0.points": "Level 1 of criterion 2 needs points of 0 or more.",
        "criteria.1.levels.0.descriptor": "Describe level 1 of criterion 2.",
        "criteria.1.levels.1.points": "Level 2 of criterion 2 needs points of 0 or more.",
        "criteria.2.score_range": "The range of criterion 3 needs a lowest and a highest score, "
                                  "from 0 to 10,000, the highest above the lowest.",
    }


def test_two_levels_worth_the_same_are_refused_after_a_first_pair_is_fine():
    levels = (Level(0, "A"), Level(1, "B"), Level(2, "C"), Level(2.0, "D"))
    assert Rubric((levels_criterion(levels=levels),)).problems() == {
        "criteria.0.levels": "Two levels of criterion 1 are worth 2; give each level different points."
    }


def test_one_weighted_criterion_is_enough_and_a_rubric_of_zero_weights_plus_a_bad_one_names_the_bad_one():
    assert Rubric((levels_criterion("a", weight=0), levels_criterion("b", weight=0.5))).problems() == {}
    problems = Rubric((levels_criterion("a", weight=0), levels_criterion("b", weight=math.nan))).problems()
    assert problems == {"criteria.1.weight": "The weight of criterion 2 must be a number from 0 to 1,000."}


def test_every_missing_or_invalid_score_is_reported_at_once():
    rubric = Rubric((levels_criterion("a"), range_criterion("b"), levels_criterion("c"), range_criterion("d")))
    with pytest.raises(InvalidInput) as raised:
        rubric.score({"b": 11, "zz": 1, "y": 2}, 10)
    assert raised.value.problems == {
        "zz": "This rubric has no such criterion; reload the page to get the current rubric.",
        "y": "This rubric has no such criterion; reload the page to get the current rubric.",
        "a": "Choose a score for “Criterion a”.",
        "b": "The score for “Criterion b” must be between 0 and 10.",
        "c": "Choose a score for “Criterion c”.",
        "d": "Choose a score for “Criterion d”.",
    }
    assert raised.value.message == "Some of what was entered needs correcting."


@pytest.mark.parametrize("value", [math.nan, math.inf, "3", None, True])
def test_a_value_that_is_not_a_number_is_refused_by_name(value):
    with pytest.raises(InvalidInput) as raised:
        Rubric((range_criterion(),)).score({"c2": value}, 10)
    assert raised.value.problems == {"c2": "Choose a score for “Criterion c2”."}


def test_the_ends_of_a_range_are_allowed_scores():
    rubric = Rubric((range_criterion(low=2, high=6),))
    assert rubric.score({"c2": 2}, 10) == 0
    assert rubric.score({"c2": 6}, 10) == 10
    assert rubric.score({"c2": 3}, 10) == 2.5


def test_the_levels_of_a_refused_score_are_listed_from_lowest_with_fractions_kept():
    rubric = Rubric((levels_criterion(levels=(Level(2.5, "Good"), Level(0, "None"), Level(10, "Top"))),))
    with pytest.raises(InvalidInput) as raised:
        rubric.score({"c1": 1}, 10)
    assert raised.value.problems == {"c1": "The score for “Criterion c1” must be one of its levels: 0, 2.5, 10."}


def test_a_selection_further_than_the_tolerance_from_a_level_is_refused():
    rubric = Rubric((levels_criterion(levels=(Level(0, "None"), Level(1, "Some"))),))
    assert rubric.score({"c1": 1 + 1e-10}, 10) == 10
    assert rubric.score({"c1": 1 - 1e-10}, 10) == 10
    with pytest.raises(InvalidInput):
        rubric.score({"c1": 1 + 1e-8}, 10)


def test_points_possible_of_zero_gives_zero_and_infinite_or_nan_points_are_refused():
    rubric = Rubric((range_criterion(),))
    assert rubric.score({"c2": 10}, 0) == 0
    for points in (math.inf, math.nan, -0.01):
        with pytest.raises(ValueError, match="points_possible must be a finite number >= 0"):
            rubric.score({"c2": 10}, points)


def test_a_criterion_whose_levels_all_score_alike_counts_in_full():
    criterion = Criterion(key="c1", title="T", score_range=(5.0, 5.0))
    assert criterion.fraction(5.0) == 1.0
    assert (Criterion(key="c1", title="T").low, Criterion(key="c1", title="T").high) == (0.0, 0.0)


def test_every_comment_problem_is_reported_after_a_criterion_without_a_prompt():
    rubric = Rubric((
        levels_criterion("a"),
        levels_criterion("b", comment=CommentPrompt("Why?", required=True)),
        levels_criterion("c", comment=CommentPrompt("How?", min_length=10)),
        levels_criterion("d", comment=CommentPrompt("What?")),
    ))
    problems = rubric.check_comments({"a": "  ", "c": "too short", "d": "x" * 20_001})
    assert problems == {
        "b": "Write a comment for “Criterion b”.",
        "c": "The comment for “Criterion c” needs at least 10 characters; it has 9.",
        "d": "The comment for “Criterion d” is longer than 20,000 characters; shorten it.",
    }


def test_comments_of_exactly_the_shortest_and_the_longest_length_are_allowed():
    rubric = Rubric((levels_criterion(comment=CommentPrompt("Why?", min_length=10)),))
    assert rubric.check_comments({"c1": "x" * 10}) == {}
    assert rubric.check_comments({"c1": "x" * 20_000}) == {}


def test_a_comment_on_an_unknown_criterion_asks_to_reload():
    rubric = Rubric((levels_criterion("a", comment=CommentPrompt("Why?")),))
    assert rubric.check_comments({"zz": "Hello"}) == {
        "zz": "This rubric has no such criterion; reload the page to get the current rubric."
    }


def test_a_document_keeps_every_field_of_a_criterion():
    document = full_rubric().to_dict()
    assert document["criteria"][0] == {
        "key": "c1", "title": "Argument", "description": "Is the claim supported?", "weight": 2.5,
        "levels": [{"points": 2, "descriptor": "Strong"}, {"points": 0, "descriptor": "Absent"},
                   {"points": 1.5, "descriptor": "Some"}],
        "score_range": None,
        "comment": {"prompt": "What would make it stronger?", "required": True, "min_length": 15},
    }
    assert document["criteria"][1]["score_range"] == [0.0, 5.0]
    assert document["criteria"][1]["comment"] is None


def test_a_document_without_optional_fields_reads_with_their_defaults():
    rubric = Rubric.from_dict({"version": 1, "criteria": [
        {"key": "a", "title": "A", "score_range": [0, 4], "comment": {}},
        {"key": "b", "title": "B", "description": None, "levels": None},
    ]})
    assert rubric.criteria[0] == Criterion(key="a", title="A", score_range=(0.0, 4.0), comment=CommentPrompt(""))
    assert rubric.criteria[1] == Criterion(key="b", title="B")
    assert Rubric.from_dict({"criteria": []}) == Rubric(())


@pytest.mark.parametrize(("document", "message"), [
    (None, "The rubric could not be read; it is not a rubric document."),
    ({"version": "1", "criteria": []}, "This rubric was saved in an unknown format (version '1')."),
    ({}, "The rubric could not be read; it has no list of criteria."),
    ({"criteria": [{"key": "a", "title": "A"}, 42]}, "Criterion 2 could not be read."),
    ({"criteria": [{"key": "a", "title": "A", "levels": [{"points": True, "descriptor": "Yes"}]}]},
     "Criterion 1 could not be read."),
    ({"criteria": [{"key": "a", "title": "A", "comment": "Why?"}]}, "Criterion 1 could not be read."),
])
def test_a_malformed_document_says_what_could_not_be_read(document, message):
    with pytest.raises(InvalidInput) as raised:
        Rubric.from_dict(document)
    assert raised.value.message == message


def test_the_tolerance_for_a_level_is_absolute_even_for_large_points():
    rubric = Rubric((levels_criterion(levels=(Level(0, "None"), Level(5000, "All"))),))
    assert rubric.score({"c1": 5000 + 1e-10}, 10) == 10
    with pytest.raises(InvalidInput):
        rubric.score({"c1": 5000 + 1e-6}, 10)


def test_a_level_whose_points_are_not_a_number_is_unreadable_and_says_why():
    with pytest.raises(InvalidInput) as raised:
        Rubric.from_dict({"criteria": [{"key": "a", "title": "A", "levels": [{"points": "1", "descriptor": "One"}]}]})
    assert str(raised.value.__cause__) == "expected a number, got '1'"


def test_an_unreadable_criterion_is_named_by_its_position():
    for document in ({"criteria": [{"key": "a", "title": "A"}, 42]},
                     {"criteria": [{"key": "a", "title": "A"}, {"title": "No key"}]}):
        with pytest.raises(InvalidInput) as raised:
            Rubric.from_dict(document)
        assert raised.value.problems == {"criteria.1": "Criterion 2 could not be read."}


@pytest.mark.parametrize(("document", "message"), [
    (None, "The rubric could not be read; it is not a rubric document."),
    ({"version": 2, "criteria": []}, "This rubric was saved in an unknown format (version 2)."),
    ({"criteria": None}, "The rubric could not be read; it has no list of criteria."),
])
def test_a_document_that_is_not_a_rubric_puts_its_problem_on_the_criteria(document, message):
    with pytest.raises(InvalidInput) as raised:
        Rubric.from_dict(document)
    assert raised.value.problems == {"criteria": message}


def test_points_possible_given_as_a_tick_box_are_refused_and_one_point_is_scored():
    rubric = Rubric((range_criterion(),))
    assert rubric.score({"c2": 10}, 1) == 1
    for points in (True, False):
        with pytest.raises(ValueError, match=f"points_possible must be a finite number >= 0, not {points}"):
            rubric.score({"c2": 10}, points)
