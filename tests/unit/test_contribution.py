"""WebPA contribution factors and individual grades: the published worked examples, the method's invariants, and both
sides of every limit."""

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.contribution import (
    FactorPolicy,
    FixedFactor,
    Override,
    Penalty,
    check_ratings,
    contribution_factors,
    individual_grades,
    non_raters,
)
from assessment.errors import InvalidInput


def _matrix(rows):
    """Ratings from {rater: {ratee: rating}}."""
    return {(rater, ratee): rating for rater, row in rows.items() for ratee, rating in row.items()}


# --- worked examples ---------------------------------------------------------------------------------------------

# WebPA's own worked example (webpaproject.lboro.ac.uk, "A worked example of the scoring algorithm"): five members
# rate everyone including themselves; Elaine rates nobody, so the four raters' shares are scaled by 5/4.
WEBPA_EXAMPLE = _matrix({
    "Alice": {"Alice": 4, "Bob": 4, "Claire": 3, "David": 2, "Elaine": 1},
    "Bob": {"Alice": 3, "Bob": 5, "Claire": 3, "David": 2, "Elaine": 0},
    "Claire": {"Alice": 4, "Bob": 4, "Claire": 4, "David": 4, "Elaine": 4},
    "David": {"Alice": 3, "Bob": 5, "Claire": 4, "David": 3, "Elaine": 1},
})
WEBPA_MEMBERS = ["Alice", "Bob", "Claire", "David", "Elaine"]


def test_the_webpa_worked_example_gives_the_published_factors():
    factors = contribution_factors(WEBPA_EXAMPLE, WEBPA_MEMBERS, include_self=True)

    def exact(*shares):
        return float(sum(shares, Fraction(0)) * Fraction(5, 4))

    F = Fraction
    assert factors == pytest.approx({
        "Alice": exact(F(4, 14), F(3, 13), F(4, 20), F(3, 16)),
        "Bob": exact(F(4, 14), F(5, 13), F(4, 20), F(5, 16)),
        "Claire": exact(F(3, 14), F(3, 13), F(4, 20), F(4, 16)),
        "David": exact(F(2, 14), F(2, 13), F(4, 20), F(3, 16)),
        "Elaine": exact(F(1, 14), F(0, 13), F(4, 20), F(1, 16)),
    }, rel=1e-12)
    # The figures as the example rounds them.
    assert {name: round(f, 2) for name, f in factors.items()} == {
        "Alice": 1.13, "Bob": 1.48, "Claire": 1.12, "David": 0.86, "Elaine": 0.42}


def test_without_self_ratings_each_member_gets_the_mean_of_what_the_others_gave_them_relative_to_an_equal_share():
    ratings = _matrix({"A": {"A": 5, "B": 4, "C": 2}, "B": {"A": 3, "C": 3}, "C": {"A": 4, "B": 0}})

    factors = contribution_factors(ratings, ["A", "B", "C"])

    # A gets 3/6*2 = 1 from B and 4/4*2 = 2 from C; B gets 4/6*2 from A and 0 from C; C gets 2/6*2 and 1.
    assert factors == pytest.approx({"A": 1.5, "B": 2 / 3, "C": 5 / 6}, rel=1e-12)


def test_counting_self_ratings_changes_the_factors_by_the_shares_members_gave_themselves():
    ratings = _matrix({"A": {"A": 4, "B": 2}, "B": {"A": 3, "B": 3}})

    assert contribution_factors(ratings, ["A", "B"], include_self=True) == pytest.approx(
        {"A": (4 / 6 * 2 + 3 / 6 * 2) / 2, "B": (2 / 6 * 2 + 1) / 2}, rel=1e-12)


def test_a_team_of_two_not_counting_self_ratings_always_shares_equally():
    # Each rates only the other: a share of 1 of one member is an equal split, whatever the number.
    ratings = _matrix({"A": {"A": 5, "B": 1}, "B": {"A": 5, "B": 5}})

    assert contribution_factors(ratings, ["A", "B"]) == {"A": 1.0, "B": 1.0}


def test_a_member_who_did_not_rate_is_left_out_of_the_mean_and_the_others_do_not_average_one():
    ratings = _matrix({"A": {"B": 4, "C": 2}, "B": {"A": 3, "C": 3}})

    factors = contribution_factors(ratings, ["A", "B", "C"])

    assert factors == pytest.approx({"A": 1.0, "B": 4 / 3, "C": (2 / 3 + 1) / 2}, rel=1e-12)
    assert non_raters(ratings, ["A", "B", "C"]) == ["C"]


def test_a_rater_who_gives_everyone_zero_splits_the_work_equally():
    with_zeros = _matrix({"A": {"B": 0, "C": 0}, "B": {"A": 4, "C": 2}, "C": {"A": 2, "B": 2}})
    with_equal = _matrix({"A": {"B": 3, "C": 3}, "B": {"A": 4, "C": 2}, "C": {"A": 2, "B": 2}})

    factors = contribution_factors(with_zeros, ["A", "B", "C"])

    assert factors == pytest.approx({"A": (4 / 3 + 1) / 2, "B": 1.0, "C": (1 + 2 / 3) / 2}, rel=1e-12)
    assert factors == contribution_factors(with_equal, ["A", "B", "C"])


def test_a_rater_who_gives_one_teammate_a_little_more_than_zero_gives_them_everything():
    # Just beside the all-zero rule: the smallest positive rating is the whole share.
    ratings = _matrix({"A": {"B": 5e-324, "C": 0}})

    assert contribution_factors(ratings, ["A", "B", "C"]) == {"A": 1.0, "B": 2.0, "C": 0.0}


def test_self_ratings_are_ignored_unless_counted():
    base = _matrix({"A": {"B": 4, "C": 2}, "B": {"A": 3, "C": 3}, "C": {"A": 4, "B": 4}})
    with_self = {**base, ("A", "A"): 5, ("C", "C"): 0}

    assert contribution_factors(with_self, ["A", "B", "C"]) == contribution_factors(base, ["A", "B", "C"])
    assert contribution_factors(with_self, ["A", "B", "C"], include_self=True) != contribution_factors(
        base, ["A", "B", "C"], include_self=True)


def test_a_member_who_rated_only_themselves_is_not_a_rater():
    ratings = _matrix({"A": {"A": 5}, "B": {"A": 2, "B": 4, "C": 2}, "C": {"A": 2, "B": 2, "C": 2}})

    counted = contribution_factors(ratings, ["A", "B", "C"], include_self=True)

    assert non_raters(ratings, ["A", "B", "C"]) == ["A"]
    assert counted == contribution_factors({k: v for k, v in ratings.items() if k[0] != "A"}, ["A", "B", "C"],
                                           include_self=True)


def test_a_member_nobody_rated_gets_an_equal_share():
    assert contribution_factors({}, ["A", "B"]) == {"A": 1.0, "B": 1.0}
    assert contribution_factors({("A", "B"): 3}, ["A", "B", "C"]) == {"A": 1.0, "B": 1.0, "C": 1.0}


def test_a_rater_who_skipped_a_teammate_is_normalised_over_those_they_rated():
    ratings = _matrix({"A": {"B": 4}, "B": {"A": 2, "C": 6}, "C": {"A": 3, "B": 3}})

    # A rated only B: a share of 1 times 1 member. C is rated by B only: 6/8*2.
    assert contribution_factors(ratings, ["A", "B", "C"]) == pytest.approx(
        {"A": (2 / 8 * 2 + 1) / 2, "B": (1 + 1) / 2, "C": 1.5}, rel=1e-12)


# --- invariants --------------------------------------------------------------------------------------------------

_rating = st.integers(0, 10).map(float) | st.floats(0, 100, allow_subnormal=False)


PROPERTY = settings(derandomize=True, deadline=None)


@st.composite
def teams(draw, everyone_rates=False):
    """A team and complete ratings from each of its raters (at least one); unless everyone rates, some may not."""
    size = draw(st.integers(2, 7))
    members = [f"m{i}" for i in range(size)]
    raters = members if everyone_rates else draw(st.lists(st.sampled_from(members), min_size=1, unique=True))
    ratings = {(r, m): draw(_rating) for r in raters for m in members}
    return members, ratings


@PROPERTY
@given(st.integers(1, 8), st.floats(0, 100, allow_subnormal=False), st.booleans())
def test_everyone_giving_everyone_the_same_rating_gives_factors_of_exactly_one(size, rating, include_self):
    members = list(range(size))
    ratings = {(r, m): rating for r in members for m in members}

    assert contribution_factors(ratings, members, include_self=include_self) == {m: 1.0 for m in members}


@PROPERTY
@given(teams(everyone_rates=True), st.booleans())
def test_factors_average_one_when_every_member_rated(team, include_self):
    members, ratings = team

    factors = contribution_factors(ratings, members, include_self=include_self)

    assert math.fsum(factors.values()) / len(members) == pytest.approx(1.0, rel=1e-9)


@PROPERTY
@given(teams(), st.floats(0.01, 100), st.booleans(), st.data())
def test_scaling_one_raters_ratings_changes_nothing(team, factor, include_self, data):
    members, ratings = team
    rater = data.draw(st.sampled_from(sorted({r for r, _ in ratings})))
    scaled = {(r, m): v * factor if r == rater else v for (r, m), v in ratings.items()}

    before = contribution_factors(ratings, members, include_self=include_self)
    after = contribution_factors(scaled, members, include_self=include_self)

    assert after == pytest.approx(before, rel=1e-9, abs=1e-12)


@PROPERTY
@given(teams(), st.booleans(), st.data())
def test_a_member_nobody_rated_above_anyone_cannot_have_the_highest_factor(team, include_self, data):
    members, ratings = team
    low = data.draw(st.sampled_from(members))
    # Every rater gives `low` no more than the least they give anyone else.
    for rater in {r for r, _ in ratings}:
        least = min(v for (r, m), v in ratings.items() if r == rater and m != low)
        ratings[rater, low] = min(ratings[rater, low], least)

    factors = contribution_factors(ratings, members, include_self=include_self)

    assert any(factors[m] >= factors[low] - 1e-9 for m in members if m != low)


# --- what is refused ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [1, 5, 1.0, 5.0, 3.5])
def test_ratings_at_both_ends_of_the_scale_are_accepted(rating):
    assert contribution_factors({("A", "B"): rating}, ["A", "B"], scale=(1, 5)) == {"A": 1.0, "B": 1.0}


@pytest.mark.parametrize("rating", [0.999, 5.001, 0, 6])
def test_ratings_just_outside_the_scale_are_refused(rating):
    with pytest.raises(InvalidInput) as refused:
        contribution_factors({("A", "B"): rating}, ["A", "B"], scale=(1, 5))

    assert refused.value.problems == {"ratings": f"Each rating is from 1 to 5; one is {rating:g}."}


def test_without_a_scale_a_rating_is_any_number_of_at_least_zero():
    assert contribution_factors({("A", "B"): 0, ("B", "A"): 1e300}, ["A", "B"]) == {"A": 1.0, "B": 1.0}
    with pytest.raises(InvalidInput) as refused:
        contribution_factors({("A", "B"): -0.001}, ["A", "B"])
    assert refused.value.message == "A rating cannot be below 0; one is -0.001."


@pytest.mark.parametrize("rating", [math.nan, math.inf, -math.inf, True, False, "4", None])
def test_a_rating_that_is_not_a_finite_number_is_refused(rating):
    with pytest.raises(InvalidInput) as refused:
        contribution_factors({("A", "B"): rating}, ["A", "B"])

    assert refused.value.problems == {"ratings": f"Each rating must be a number; one is {rating!r}."}
    assert refused.value.message.template == "Each rating must be a number; one is %(value)s."


@pytest.mark.parametrize("pair", [("A", "Z"), ("Z", "A"), ("Z", "Z")])
def test_a_rating_given_or_received_outside_the_team_is_refused(pair):
    with pytest.raises(InvalidInput) as refused:
        contribution_factors({("A", "B"): 3, pair: 3}, ["A", "B"])

    assert refused.value.problems == {"ratings": "Members rate only members of their own team."}


@pytest.mark.parametrize("members", [[], ["A", "A"]])
def test_a_team_is_at_least_one_member_each_listed_once(members):
    with pytest.raises(ValueError) as refused:
        check_ratings({}, members)

    assert str(refused.value) == "a team lists each of its members once, and has at least one"


@pytest.mark.parametrize("scale", [(-1, 5), (5, 5), (5, 1), (0, math.nan), (math.nan, 5), (True, 5)])
def test_a_scale_runs_from_at_least_zero_to_a_higher_number(scale):
    with pytest.raises(ValueError, match="rating scale"):
        check_ratings({}, ["A"], scale)


def test_a_scale_from_zero_is_accepted():
    check_ratings({("A", "A"): 0}, ["A"], (0, 1))


# --- individual grades -------------------------------------------------------------------------------------------

# WebPA's weighting example, with its factors as it rounds them: a team grade of 60, a star, an average member and one
# who did very little.
STAR_AVERAGE_SLACKER = {"star": 1.67, "average": 1.0, "slacker": 0.33}


def _grades(factors, team_grade=60.0, **policy_and_options):
    options = {key: policy_and_options.pop(key) for key in ("non_raters", "overrides") if key in policy_and_options}
    return individual_grades(team_grade, factors, FactorPolicy(**policy_and_options), **options)


def test_full_weighting_multiplies_the_team_grade_by_the_factor_and_cuts_it_at_the_points_possible():
    grades = _grades(STAR_AVERAGE_SLACKER, points_possible=100)

    # 1.67 x 60 = 100.2, cut to 100.
    assert {m: g.grade for m, g in grades.items()} == pytest.approx({"star": 100.0, "average": 60.0, "slacker": 19.8})
    assert grades["star"].applied == 1.67
    assert not any("moves" in line for line in grades["star"].explanation)
    assert "A grade cannot be more than the 100 points possible." in grades["star"].explanation


def test_half_weighting_moves_half_the_grade():
    grades = _grades(STAR_AVERAGE_SLACKER, weight=0.5)

    assert {m: g.grade for m, g in grades.items()} == pytest.approx({"star": 80.1, "average": 60.0, "slacker": 39.9})
    assert ("The factor moves 50% of the grade, so the team's grade is multiplied by 1.335."
            in grades["star"].explanation)


def test_zero_weighting_gives_everyone_the_team_grade():
    grades = _grades(STAR_AVERAGE_SLACKER, weight=0)

    assert {m: g.grade for m, g in grades.items()} == {"star": 60.0, "average": 60.0, "slacker": 60.0}


@pytest.mark.parametrize("weight", [0, 1, 0.0, 1.0])
def test_weights_at_both_ends_are_accepted(weight):
    assert _grades({"a": 1.0}, weight=weight)["a"].grade == 60.0


@pytest.mark.parametrize("weight", [-0.001, 1.001, math.nan, True])
def test_weights_outside_zero_to_one_are_refused(weight):
    with pytest.raises(InvalidInput) as refused:
        _grades({"a": 1.0}, weight=weight)

    assert refused.value.problems == {
        "weight": "The share of the grade the contribution factor moves is a percentage from 0 to 100."}


def test_a_factor_above_the_cap_counts_as_the_cap_and_one_at_or_below_it_as_it_is():
    grades = _grades({"over": 1.5, "at": 1.2, "under": 1.1}, cap=1.2)

    assert {m: g.applied for m, g in grades.items()} == pytest.approx({"over": 1.2, "at": 1.2, "under": 1.1})
    assert grades["over"].factor == 1.5
    assert "Factors are capped at 1.2, so 1.2 is used." in grades["over"].explanation
    assert not any("capped" in line for line in grades["at"].explanation)


@pytest.mark.parametrize("cap", [1, 1.0, 3])
def test_a_cap_of_one_or_more_is_accepted(cap):
    assert _grades({"a": 2.0}, cap=cap)["a"].applied == min(2.0, cap)


@pytest.mark.parametrize("cap", [0.999, math.inf, math.nan, True])
def test_a_cap_below_one_or_not_finite_is_refused(cap):
    with pytest.raises(InvalidInput) as refused:
        _grades({"a": 1.0}, cap=cap)

    assert refused.value.problems == {"cap": "The cap on the contribution factor is a number of at least 1."}


def test_a_non_rater_loses_the_penalty_share_of_their_grade_and_raters_do_not():
    grades = _grades({"quiet": 0.8, "rater": 1.2}, non_raters=["quiet"], non_rater=Penalty(0.25))

    assert grades["quiet"].grade == pytest.approx(60 * 0.8 * 0.75)
    assert grades["rater"].grade == pytest.approx(60 * 1.2)
    assert "You did not rate your teammates, so your grade is reduced by 25%." in grades["quiet"].explanation
    assert not any("did not rate" in line for line in grades["rater"].explanation)


@pytest.mark.parametrize(("share", "grade"), [(0, 60.0), (1, 0.0)])
def test_penalties_at_both_ends_are_accepted(share, grade):
    assert _grades({"a": 1.0}, non_raters=["a"], non_rater=Penalty(share))["a"].grade == grade


@pytest.mark.parametrize("share", [-0.01, 1.01, math.nan])
def test_a_penalty_outside_zero_to_one_is_refused(share):
    with pytest.raises(InvalidInput) as refused:
        _grades({"a": 1.0}, non_rater=Penalty(share))

    assert refused.value.problems == {"non_rater": "The penalty for not rating teammates is a percentage from 0 to 100."}


def test_a_non_rater_with_a_fixed_factor_gets_it_weighted_and_uncapped():
    grades = _grades({"quiet": 1.8, "rater": 1.8}, non_raters=["quiet"], non_rater=FixedFactor(0.5), weight=0.5, cap=1.5)

    assert grades["quiet"].applied == pytest.approx(0.75)
    assert grades["rater"].applied == pytest.approx(1.25)
    assert "You did not rate your teammates, so a factor of 0.5 is used instead." in grades["quiet"].explanation


@pytest.mark.parametrize(("factor", "accepted"), [(0, True), (2.5, True), (-0.01, False), (math.inf, False)])
def test_a_fixed_factor_is_a_finite_number_of_at_least_zero(factor, accepted):
    if accepted:
        assert _grades({"a": 1.0}, non_raters=["a"], non_rater=FixedFactor(factor))["a"].applied == factor
    else:
        with pytest.raises(InvalidInput) as refused:
            _grades({"a": 1.0}, non_rater=FixedFactor(factor))
        assert refused.value.problems == {
            "non_rater": "The factor for members who did not rate is a number of at least 0."}


def test_a_staff_override_replaces_cap_weight_and_penalty_and_shows_its_reason():
    override = Override(0.4, "  Did not attend any meeting. ")
    grades = _grades({"a": 2.0, "b": 1.0}, weight=0.5, cap=1.5, non_raters=["a"], non_rater=Penalty(0.5),
                     overrides={"a": override})

    assert grades["a"].applied == 0.4 and grades["a"].grade == pytest.approx(24.0)
    assert "Staff set your factor to 0.4: Did not attend any meeting." in grades["a"].explanation
    assert grades["b"].grade == 60.0


NO_REASON = {"reason": "Say why the factor is overridden; the member sees the reason."}
NOT_A_FACTOR = {"override": "An overriding factor is a number of at least 0."}


@pytest.mark.parametrize(("override", "problems"), [(Override(0.5, " "), NO_REASON), (Override(-0.1, "x"), NOT_A_FACTOR),
                                                    (Override(math.nan, "x"), NOT_A_FACTOR)])
def test_an_override_needs_a_reason_and_a_factor_of_at_least_zero(override, problems):
    with pytest.raises(InvalidInput) as refused:
        _grades({"a": 1.0}, overrides={"a": override})

    assert refused.value.problems == problems


def test_an_override_of_zero_is_accepted():
    assert _grades({"a": 1.0}, overrides={"a": Override(0, "x")})["a"].grade == 0.0


def test_an_override_for_someone_outside_the_team_is_refused():
    with pytest.raises(InvalidInput) as refused:
        _grades({"a": 1.0}, overrides={"z": Override(1.0, "x")})

    assert refused.value.problems == {"override": "Only a member of the team can have their factor overridden."}


def test_a_grade_exactly_at_the_points_possible_is_not_cut():
    grade = _grades({"a": 1.25}, team_grade=80, points_possible=100)["a"]

    assert grade.grade == 100.0 and not any("cannot be more" in line for line in grade.explanation)


@pytest.mark.parametrize("points", [0, -1, math.inf, math.nan])
def test_points_possible_must_be_a_positive_finite_number(points):
    with pytest.raises(InvalidInput) as refused:
        _grades({"a": 1.0}, points_possible=points)

    assert refused.value.problems == {"points_possible": "Points possible must be more than 0."}


def test_points_possible_below_one_are_accepted():
    assert _grades({"a": 1.0}, team_grade=0.5, points_possible=0.5)["a"].grade == 0.5


@pytest.mark.parametrize(("factors", "options", "error"), [
    ({"a": 1.0}, {"team_grade": -1}, "a team grade is a number of at least 0, not -1"),
    ({"a": 1.0}, {"team_grade": math.nan}, "a team grade is a number of at least 0, not nan"),
    ({"a": -0.5}, {}, "contribution factors are numbers of at least 0"),
    ({"a": 1.0}, {"non_raters": ["b"]}, "every non-rater must have a factor"),
])
def test_impossible_factors_or_team_grades_are_programming_errors(factors, options, error):
    with pytest.raises(ValueError) as refused:
        _grades(factors, **options)

    assert str(refused.value) == error


def test_the_explanation_gives_the_members_own_numbers_and_names_nobody():
    ratings = _matrix({"Alice": {"Bob": 2, "Claire": 4}, "Bob": {"Alice": 3, "Claire": 3},
                       "Claire": {"Alice": 5, "Bob": 1}})
    factors = contribution_factors(ratings, ["Alice", "Bob", "Claire"])

    explanation = _grades(factors, weight=0.5)["Bob"].explanation

    assert explanation == (
        "Your teammates' ratings give you a contribution factor of 0.5; 1 is an equal share of the work.",
        "The factor moves 50% of the grade, so the team's grade is multiplied by 0.75.",
        "Your grade is 45; the team's grade is 60.")
    assert not any(name in line for line in explanation for name in ("Alice", "Claire"))
    assert explanation[0].template.startswith("Your teammates' ratings give you a contribution factor of %(factor)s")


def test_the_explanation_rounds_factors_to_hundredths_shares_to_tenths_of_a_percent_and_grades_to_hundredths():
    grade = _grades({"a": 5 / 6}, team_grade=60.1234, weight=1 / 3, non_raters=["a"], non_rater=Penalty(0.12345))["a"]

    assert grade.grade == pytest.approx(60.1234 * (1 - 1 / 18) * (1 - 0.12345))
    assert grade.explanation == (
        "Your teammates' ratings give you a contribution factor of 0.83; 1 is an equal share of the work.",
        "The factor moves 33.3% of the grade, so the team's grade is multiplied by 0.944.",
        "You did not rate your teammates, so your grade is reduced by 12.3%.",
        "Your grade is 49.77; the team's grade is 60.12.")


def test_no_penalty_is_mentioned_when_it_is_zero():
    explanation = _grades({"a": 1.0}, non_raters=["a"], non_rater=Penalty(0))["a"].explanation

    assert not any("did not rate" in line for line in explanation)
