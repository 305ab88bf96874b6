"""Teammate warnings: free riders, overconfidence, manipulation, two camps and non-raters, each on both sides of its
threshold, with its evidence as a translatable message."""

import pytest

from assessment.errors import InvalidInput
from assessment.teammate_warnings import (
    MAX_CAMPS_TEAM,
    Camps,
    DidNotRate,
    FreeRider,
    Manipulation,
    Overconfident,
    TeammateWarnings,
    teammate_warnings,
)

FIVE = (1, 5)  # a five-point scale: a quarter of it is 1 point, half of it 2


def _matrix(rows):
    return {(rater, ratee): rating for rater, row in rows.items() for ratee, rating in row.items()}


def _even(members, rating=4, **rows):
    """Everyone rates every teammate `rating`, except the rows given."""
    return _matrix({rater: rows.get(rater, {m: rating for m in members if m != rater}) for rater in members})


def _warn(ratings, members, scale=FIVE):
    return teammate_warnings(ratings, members, scale=scale)


def test_an_even_team_raises_no_warning():
    members = ["A", "B", "C", "D"]
    ratings = {**_even(members), **{(m, m): 4 for m in members}}

    assert len(_warn(ratings, members)) == 0


# --- possible free rider -----------------------------------------------------------------------------------------


def test_a_member_everyone_else_rates_two_steps_below_the_rest_is_a_possible_free_rider():
    members = ["A", "B", "C", "F"]
    ratings = _even(members, A={"B": 4, "C": 4, "F": 2}, B={"A": 4, "C": 4, "F": 2}, C={"A": 4, "B": 4, "F": 2})

    found = _warn(ratings, members).free_riders

    # 2 against a mean of 10/3: 0.6 of an equal share from each of three teammates.
    assert found == [FreeRider("F", 3, pytest.approx(0.6), pytest.approx(0.6))]
    assert found[0].label == "possible free rider"
    assert found[0].evidence == ("each of the 3 teammates who rated them gave them less than an equal share: 0.6 of one "
                                 "on average, 0.6 at most")
    assert found[0].evidence.params == {"raters": 3, "highest": 0.6, "mean": 0.6}


def test_seven_tenths_of_an_equal_share_from_everyone_is_far_below_and_a_little_more_is_not():
    # 7 against 13: 7 over a mean of 10.
    at = _even(["A", "B", "F"], A={"B": 13, "F": 7}, B={"A": 13, "F": 7})
    above = _even(["A", "B", "F"], A={"B": 13, "F": 7.1}, B={"A": 13, "F": 7.1})

    assert [w.member for w in _warn(at, ["A", "B", "F"], scale=(0, 20)).free_riders] == ["F"]
    assert _warn(above, ["A", "B", "F"], scale=(0, 20)).free_riders == []


def test_free_riders_are_found_on_a_scale_from_zero_to_one():
    members = ["A", "B", "C", "F"]
    ratings = _even(members, 0.8, A={"B": 0.8, "C": 0.8, "F": 0.4}, B={"A": 0.8, "C": 0.8, "F": 0.4},
                    C={"A": 0.8, "B": 0.8, "F": 0.4})

    assert [w.member for w in _warn(ratings, members, scale=(0, 1)).free_riders] == ["F"]


def test_a_free_rider_is_below_an_equal_share_from_every_teammate_not_only_on_average():
    # B gives F a third of an equal share; A gives exactly an equal share, or a little less.
    even = _matrix({"A": {"B": 4, "F": 4}, "B": {"A": 5, "F": 1}})
    less = _matrix({"A": {"B": 4, "F": 3.9}, "B": {"A": 5, "F": 1}})

    assert _warn(even, ["A", "B", "F"]).free_riders == []
    assert [w.member for w in _warn(less, ["A", "B", "F"]).free_riders] == ["F"]


def test_one_teammate_who_rates_a_member_low_is_not_enough():
    one = _matrix({"A": {"B": 5, "F": 1}, "F": {"A": 4, "B": 4}})
    two = _matrix({"A": {"B": 5, "F": 1}, "B": {"A": 5, "F": 1}})

    assert _warn(one, ["A", "B", "F"]).free_riders == []
    assert [w.member for w in _warn(two, ["A", "B", "F"]).free_riders] == ["F"]


def test_a_member_one_teammate_rates_evenly_is_not_a_free_rider():
    members = ["A", "B", "C", "F"]
    ratings = _even(members, A={"B": 4, "C": 4, "F": 1}, B={"A": 4, "C": 4, "F": 1})

    assert _warn(ratings, members).free_riders == []


# --- overconfident -----------------------------------------------------------------------------------------------


def test_a_self_rating_more_than_three_quarters_of_an_equal_share_above_the_teammates_view_is_overconfident():
    # A and B give M 3 against 5 (0.75 of an equal share); M gives A and B 4, so a self-rating of 6 is 1.5 of one.
    members = ["A", "B", "M"]
    base = _matrix({"A": {"B": 5, "M": 3}, "B": {"A": 5, "M": 3}, "M": {"A": 4, "B": 4}})

    at_edge = _warn({**base, ("M", "M"): 6}, members, scale=(0, 10)).overconfident
    over = _warn({**base, ("M", "M"): 6.01}, members, scale=(0, 10)).overconfident

    assert at_edge == []
    assert over == [Overconfident("M", 6.01 / 4, 0.75, 2)]
    assert over[0].evidence == ("rated themselves at 1.5 of an equal share; the 2 teammates who rated them gave 0.75 "
                                "on average")
    assert over[0].evidence.template == ("rated themselves at %(own)s of an equal share; the %(raters)s teammates who "
                                         "rated them gave %(others)s on average")


def test_overconfidence_is_found_on_a_scale_from_zero_to_one():
    # The ratings above divided by ten: the same shares.
    ratings = _matrix({"A": {"B": 0.5, "M": 0.3}, "B": {"A": 0.5, "M": 0.3}, "M": {"A": 0.4, "B": 0.4, "M": 0.601}})

    assert [w.member for w in _warn(ratings, ["A", "B", "M"], scale=(0, 1)).overconfident] == ["M"]


def test_a_free_rider_who_rates_themselves_highly_is_also_overconfident():
    members = ["A", "B", "F"]
    ratings = _matrix({"A": {"B": 5, "F": 1}, "B": {"A": 5, "F": 1}, "F": {"F": 5, "A": 4, "B": 4}})

    found = _warn(ratings, members)

    assert [w.member for w in found.free_riders] == ["F"] and [w.member for w in found.overconfident] == ["F"]


def test_a_rater_who_gave_every_teammate_zero_counts_as_an_equal_split():
    # M gets 1 (an equal split) from A and 1 of a mean of 2 from B: 0.75 on average; M's own view is 4 of a mean of 2.
    ratings = _matrix({"A": {"B": 0, "M": 0}, "B": {"A": 3, "M": 1}, "M": {"M": 4, "A": 2, "B": 2}})

    assert _warn(ratings, ["A", "B", "M"], scale=(0, 5)).overconfident == [Overconfident("M", 2.0, 0.75, 2)]


def test_a_member_who_gave_every_teammate_zero_has_no_share_to_be_overconfident_with():
    members = ["A", "B", "M"]
    ratings = _matrix({"A": {"B": 5, "M": 1}, "B": {"A": 5, "M": 1}, "M": {"M": 5, "A": 0, "B": 0}})

    found = _warn(ratings, members, scale=(0, 5))

    assert found.overconfident == [] and [w.member for w in found.manipulation] == ["M"]


def test_overconfidence_needs_a_self_rating_and_two_teammates_ratings():
    no_self = _even(["A", "B", "M"], A={"B": 4, "M": 1}, B={"A": 4, "M": 1})
    one_other = _matrix({"A": {"B": 4, "M": 1}, "M": {"M": 5, "A": 4, "B": 4}})

    assert _warn(no_self, ["A", "B", "M"]).overconfident == []
    assert _warn(one_other, ["A", "B", "M"]).overconfident == []


# --- possible manipulation ---------------------------------------------------------------------------------------


def test_rating_oneself_half_the_scale_above_every_teammate_is_possible_manipulation():
    members = ["A", "B", "M"]
    at = _warn({**_even(members), **_matrix({"M": {"M": 5, "A": 3, "B": 3}})}, members).manipulation
    under = _warn({**_even(members), **_matrix({"M": {"M": 5, "A": 3, "B": 3.01}})}, members).manipulation

    assert at == [Manipulation("M", 5.0, 3.0)]
    assert at[0].evidence == "rated themselves 5 and no teammate above 3"
    assert at[0].label == "possible manipulation"
    assert under == []


def test_low_ratings_of_everyone_without_a_high_self_rating_are_not_manipulation():
    members = ["A", "B", "M"]
    ratings = {**_even(members), **_matrix({"M": {"A": 1, "B": 1}})}

    assert _warn(ratings, members).manipulation == []


# --- two camps ---------------------------------------------------------------------------------------------------

PAIR_AND_TRIO = ["P1", "P2", "T1", "T2", "T3"]


def _camps_ratings(pair_to_trio=7):
    # The pair give each other 11 and the trio 7 (shares 1.375 and 0.875 of a mean of 8); the trio give each other 5
    # and the pair 3 (1.25 and 0.75 of a mean of 4): every rater's gap is exactly half an equal share.
    pair = {rater: {**{m: 11 for m in ("P1", "P2") if m != rater}, **{t: pair_to_trio for t in ("T1", "T2", "T3")}}
            for rater in ("P1", "P2")}
    trio = {rater: {**{m: 5 for m in ("T1", "T2", "T3") if m != rater}, "P1": 3, "P2": 3} for rater in ("T1", "T2", "T3")}
    return _matrix({**pair, **trio})


def test_a_team_where_everyone_favours_their_own_group_by_half_an_equal_share_splits_into_two_camps():
    found = _warn(_camps_ratings(), PAIR_AND_TRIO, scale=(0, 20)).camps

    assert found == [Camps((("P1", "P2"), ("T1", "T2", "T3")), (2 * 1.375 + 6 * 1.25) / 8, (6 * 0.875 + 6 * 0.75) / 12, 0.5)]
    assert found[0].evidence == ("everyone rates their own group at least 0.5 of an equal share above the other: "
                                 "1.28 on average within the groups, 0.81 across them")


def test_a_team_of_four_can_split_into_two_pairs():
    members = ["A", "B", "C", "D"]
    ratings = _matrix({"A": {"B": 5, "C": 1, "D": 1}, "B": {"A": 5, "C": 1, "D": 1},
                       "C": {"D": 5, "A": 1, "B": 1}, "D": {"C": 5, "A": 1, "B": 1}})

    assert [c.groups for c in _warn(ratings, members).camps] == [(("A", "B"), ("C", "D"))]


def test_the_first_member_may_be_in_the_larger_camp():
    members = ["T1", "T2", "T3", "P1", "P2"]
    ratings = _camps_ratings()

    assert [c.groups for c in _warn(ratings, members, scale=(0, 20)).camps] == [(("T1", "T2", "T3"), ("P1", "P2"))]


def test_a_rater_who_rated_only_their_own_camp_is_passed_over_and_the_others_still_decide():
    ratings = {key: value for key, value in _camps_ratings().items() if not (key[0] == "P1" and key[1].startswith("T"))}

    found = _warn(ratings, PAIR_AND_TRIO, scale=(0, 20)).camps

    assert [c.groups for c in found] == [(("P1", "P2"), ("T1", "T2", "T3"))]


def test_of_equally_clear_splits_the_one_around_the_first_members_smallest_group_is_reported():
    # Three pairs who rate only their partner highly: each pair against the other four is an equally clear split.
    members = ["A", "B", "C", "D", "E", "F"]
    partner = {"A": "B", "B": "A", "C": "D", "D": "C", "E": "F", "F": "E"}
    ratings = {(r, m): 5 if partner[r] == m else 1 for r in members for m in members if r != m}

    assert [c.groups for c in _warn(ratings, members).camps] == [(("A", "B"), ("C", "D", "E", "F"))]


def test_a_gap_a_little_under_half_an_equal_share_is_not_two_camps():
    assert _warn(_camps_ratings(pair_to_trio=7.01), PAIR_AND_TRIO, scale=(0, 20)).camps == []


def test_a_group_others_rate_low_while_it_rates_evenly_is_not_two_camps():
    members = ["A", "B", "C", "D"]
    ratings = _even(members, A={"B": 5, "C": 1, "D": 1}, B={"A": 5, "C": 1, "D": 1})

    assert _warn(ratings, members).camps == []


def test_teams_of_three_have_no_camps():
    members = ["A", "B", "C"]
    ratings = _matrix({"A": {"B": 5, "C": 1}, "B": {"A": 5, "C": 1}, "C": {"A": 1, "B": 1}})

    assert _warn(ratings, members).camps == []


def _two_halves(size):
    members = [f"m{i}" for i in range(size)]
    half = set(members[: size // 2])
    return members, {(r, m): 5 if (r in half) == (m in half) else 1 for r in members for m in members if r != m}


def test_teams_up_to_the_largest_searched_are_searched_for_camps():
    members, ratings = _two_halves(MAX_CAMPS_TEAM)
    assert [c.groups for c in _warn(ratings, members).camps] == [(tuple(members[:6]), tuple(members[6:]))]

    members, ratings = _two_halves(MAX_CAMPS_TEAM + 1)
    assert _warn(ratings, members).camps == []


# --- did not rate ------------------------------------------------------------------------------------------------


def test_a_member_who_rated_no_teammate_is_listed_even_with_a_self_rating():
    members = ["A", "B", "C", "Q"]
    ratings = {**_even(["A", "B", "C"]), ("A", "Q"): 4, ("Q", "Q"): 5}

    found = _warn(ratings, members).did_not_rate

    assert found == [DidNotRate("Q", 3)]
    assert found[0].evidence == "rated none of their 3 teammates"
    assert found[0].label == "did not rate"


def test_the_number_of_warnings_counts_every_kind():
    warnings = TeammateWarnings([FreeRider("a", 2, 0.5, 0.5)], [Overconfident("b", 5, 2, 2)] * 2,
                                [Manipulation("c", 5, 1)] * 3, [Camps((("a",), ("b",)), 1.5, 0.5, 1.0)] * 4,
                                [DidNotRate("d", 3)] * 5)

    assert len(warnings) == 15


def test_in_a_team_of_two_a_member_who_did_not_rate_is_listed():
    assert _warn({("A", "B"): 4}, ["A", "B"]).did_not_rate == [DidNotRate("B", 1)]


def test_a_team_of_one_has_nobody_to_rate():
    assert len(_warn({}, ["A"])) == 0


# --- input -------------------------------------------------------------------------------------------------------


def test_ratings_out_of_the_scale_are_refused():
    with pytest.raises(InvalidInput):
        _warn({("A", "B"): 6}, ["A", "B"])
