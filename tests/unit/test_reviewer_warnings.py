"""Reviewer warnings: flat, one-sided and reciprocal scoring, each on both sides of its threshold, and honest
reviewers of a ceiling-heavy class left alone."""

import pytest

from assessment.aggregation import PeerScore, explain
from assessment.reviewer_warnings import (
    FLAT,
    ONE_SIDED,
    RECIPROCAL,
    WARNING_KINDS,
    Exchange,
    JudgedReview,
    judged_reviews,
    reviewer_warnings,
)
from assessment.score_explanation import ReviewLine, ScoreExplanation, from_stored, to_stored

WIDTH = 10.0  # a 0-10 scale: a tenth of it is 1 point, fifteen hundredths 1.5


def _reviews(reviewer, pairs):
    """JudgedReviews of `reviewer` from (score, consensus) pairs, one submission each."""
    return [JudgedReview(f"{reviewer}-{n}", reviewer, score, consensus) for n, (score, consensus) in enumerate(pairs)]


def _warn(judged, authors=None):
    return reviewer_warnings(judged, authors or {}, scale_width=WIDTH)


# --- flat scoring ------------------------------------------------------------------------------------------------


def test_a_reviewer_giving_one_score_to_work_the_consensus_spreads_widely_is_flat():
    # Consensus 4, 6, 8: sd 2 points, over the tenth of the scale; their scores do not move at all.
    found = _warn(_reviews("flat", [(7.0, 4.0), (7.0, 6.0), (7.0, 8.0)])).flat

    assert [(w.reviewer, w.reviews, w.spread, w.consensus_spread) for w in found] == [("flat", 3, 0.0, 2.0)]


def test_scores_that_vary_a_quarter_as_much_as_the_consensus_are_flat_and_a_little_more_are_not():
    # Consensus sd 2; scores 6.5, 7, 7.5 have sd 0.5 (exactly a quarter); 6.4, 7, 7.6 have sd 0.6.
    assert _warn(_reviews("quarter", [(6.5, 4.0), (7.0, 6.0), (7.5, 8.0)])).flat
    assert not _warn(_reviews("more", [(6.4, 4.0), (7.0, 6.0), (7.6, 8.0)])).flat


def test_identical_scores_are_not_flat_when_the_consensus_of_that_work_hardly_varies():
    # Consensus 9, 9.5, 10 has sd 0.5, under a tenth of the scale: identical marks are what honest reviewers give.
    assert not _warn(_reviews("alike", [(10.0, 9.0), (10.0, 9.5), (10.0, 10.0)])).flat
    # Consensus 8.5, 9.5, 10.5 -> sd 1 point exactly reaches the tenth: flat again.
    assert _warn(_reviews("edge", [(10.0, 8.5), (10.0, 9.5), (10.0, 10.5)])).flat


def test_two_reviews_are_too_few_to_call_anyone_flat_or_one_sided():
    found = _warn(_reviews("two", [(7.0, 2.0), (7.0, 4.0)]))

    assert not found.flat and not found.one_sided


# --- one-sided scoring -------------------------------------------------------------------------------------------


def test_a_reviewer_above_the_consensus_every_time_by_more_than_fifteen_hundredths_of_the_scale_is_lenient():
    found = _warn(_reviews("lenient", [(8.0, 6.0), (9.0, 7.5), (6.0, 4.4)])).one_sided

    assert len(found) == 1 and found[0].lenient and found[0].same_side == 3
    assert found[0].difference == pytest.approx(1.7)


def test_a_reviewer_exactly_fifteen_hundredths_below_the_consensus_on_average_is_not_yet_harsh():
    assert not _warn(_reviews("edge", [(5.0, 6.5), (5.0, 6.5), (5.0, 6.5)])).one_sided
    harsh = _warn(_reviews("harsh", [(5.0, 6.6), (5.0, 6.6), (5.0, 6.6)])).one_sided
    assert len(harsh) == 1 and not harsh[0].lenient and harsh[0].difference == pytest.approx(-1.6)


def test_a_large_average_from_reviews_on_both_sides_is_not_one_sided():
    # Four of five above (80%) is one-sided; three of five (60%) is not, however large the average.
    assert _warn(_reviews("mostly", [(9.0, 6.0), (9.0, 6.0), (9.0, 6.0), (9.0, 6.0), (5.0, 6.0)])).one_sided
    assert not _warn(_reviews("mixed", [(10.0, 4.0), (10.0, 4.0), (10.0, 4.0), (5.0, 6.0), (5.0, 6.0)])).one_sided


# --- reciprocal high marks ---------------------------------------------------------------------------------------


def _exchange(giver, receiver, score, consensus):
    return JudgedReview(f"work of {receiver}", giver, score, consensus)


AUTHORS = {f"work of {person}": person for person in "ABCDEF"}


def test_two_students_who_gave_each_other_far_above_the_consensus_are_warned_about_together():
    judged = [_exchange("A", "B", 10.0, 7.0), _exchange("B", "A", 9.5, 6.0), _exchange("C", "A", 6.0, 7.5)]

    found = _warn(judged, AUTHORS).reciprocal

    assert len(found) == 1 and set(found[0].members) == {"A", "B"}
    assert set(found[0].exchanges) == {Exchange("A", "B", 10.0, 7.0), Exchange("B", "A", 9.5, 6.0)}


def test_high_marks_one_way_or_within_a_tenth_of_the_scale_are_not_reciprocal():
    one_way = [_exchange("A", "B", 10.0, 7.0), _exchange("B", "A", 6.0, 6.0)]
    just_within = [_exchange("A", "B", 8.0, 7.0), _exchange("B", "A", 10.0, 6.0)]  # 1 point: not beyond the tenth
    just_beyond = [_exchange("A", "B", 8.01, 7.0), _exchange("B", "A", 10.0, 6.0)]

    assert not _warn(one_way, AUTHORS).reciprocal
    assert not _warn(just_within, AUTHORS).reciprocal
    assert _warn(just_beyond, AUTHORS).reciprocal


def test_pairs_that_share_a_student_are_one_clique():
    judged = [_exchange("A", "B", 10.0, 7.0), _exchange("B", "A", 10.0, 7.0),
              _exchange("B", "C", 10.0, 7.0), _exchange("C", "B", 10.0, 7.0),
              _exchange("D", "E", 10.0, 7.0), _exchange("E", "D", 10.0, 7.0)]

    found = _warn(judged, AUTHORS).reciprocal

    assert sorted(sorted(clique.members) for clique in found) == [["A", "B", "C"], ["D", "E"]]
    assert _warn(judged, AUTHORS).reviewers == {"A", "B", "C", "D", "E"}


# --- the consensus each review is measured against ---------------------------------------------------------------


def _explanation(lines, *, class_share=0.0, class_mean=0.0, staff=None):
    parts = tuple(ReviewLine(n, reviewer, score, correction, share)
                  for n, (reviewer, score, correction, share) in enumerate(lines))
    total = sum(line.contribution for line in parts) + class_share * class_mean
    return ScoreExplanation("reliability", parts, class_mean, class_share, staff is not None,
                            staff if staff is not None else total)


def test_the_consensus_of_a_review_is_the_others_as_the_model_weighs_and_corrects_them_without_the_class_pull():
    explanation = _explanation([("A", 9.0, 0.0, 0.2), ("B", 6.0, 1.0, 0.4), ("C", 5.0, -1.0, 0.2)],
                               class_share=0.2, class_mean=5.0)

    judged = {r.reviewer: r.consensus for r in judged_reviews({"s": explanation}, scale=(0.0, WIDTH))}

    # Without A: B corrected to 7 (weight 0.4) and C corrected to 4 (weight 0.2) -> 6.
    assert judged["A"] == pytest.approx(6.0)
    assert judged["B"] == pytest.approx(6.5)  # (9 * 0.2 + 4 * 0.2) / 0.4


def test_a_staff_grade_is_the_consensus_and_a_lone_review_has_none():
    staff = _explanation([("A", 9.0, 0.0, 0.5), ("B", 8.0, 0.0, 0.5)], staff=6.0)
    alone = _explanation([("C", 7.0, 0.0, 0.9)], class_share=0.1, class_mean=5.0)

    judged = judged_reviews({"graded": staff, "alone": alone}, scale=(0.0, WIDTH))

    assert [(r.reviewer, r.consensus) for r in judged] == [("A", 6.0), ("B", 6.0)]


def test_the_middle_review_of_a_median_is_measured_against_the_other_two():
    median = _explanation([("A", 4.0, 0.0, 0.0), ("B", 6.0, 0.0, 1.0), ("C", 9.0, 0.0, 0.0)])

    judged = {r.reviewer: r.consensus for r in judged_reviews({"s": median}, scale=(0.0, WIDTH))}

    assert judged == {"A": 6.0, "B": 6.5, "C": 6.0}


# --- whole classes through the grading model ---------------------------------------------------------------------


def _class_warnings(scores, method="reliability"):
    explained = explain(scores, method, scale=(0.0, WIDTH))
    stored = {s: from_stored(to_stored(e, method, {p.reviewer: n for n, p in enumerate(e.parts)}))
              for s, e in explained.items()}
    authors = {score.submission: score.submission for score in scores}
    return reviewer_warnings(judged_reviews(stored, scale=(0.0, WIDTH)), authors, scale_width=WIDTH)


# A ceiling-heavy class of twelve: most work deserves full marks, three pieces 9, one 8. Each student reviews the
# next three in the circle and scores what the work deserves, give or take the rounding to whole points of honest
# reviewers near the top. Many reviewers give 10, 10, 10.
CEILING = [10, 10, 10, 9, 10, 10, 10, 10, 9, 8, 10, 9]


@pytest.mark.parametrize("method", ["reliability", "mean", "median"])
def test_honest_reviewers_of_a_ceiling_heavy_class_are_not_warned_about(method):
    scores = [PeerScore(author, reviewer, float(min(10, CEILING[author] + (reviewer + author) % 2)))
              for reviewer in range(12) for author in ((reviewer + step) % 12 for step in (1, 2, 3))]
    assert sum(1 for s in scores if s.score == 10.0) > len(scores) / 2

    found = _class_warnings(scores, method)

    assert (found.flat, found.one_sided, found.reciprocal) == ([], [], [])


def test_in_a_varied_class_a_reviewer_who_gives_everyone_the_same_score_is_flat_and_a_colluding_pair_is_caught():
    deserved = [2, 9, 5, 8, 3, 6, 9, 4, 7, 5, 8, 3]
    scores = []
    for reviewer in range(12):
        for author in ((reviewer + step) % 12 for step in (1, 2, 3, 6)):
            given = 7.0 if reviewer == 0 else float(deserved[author])
            scores.append(PeerScore(author, reviewer, given))
    # Students 4 and 10 review each other (step 6) and give each other full marks.
    scores = [PeerScore(s.submission, s.reviewer, 10.0) if {s.reviewer, s.submission} == {4, 10} else s
              for s in scores]

    found = _class_warnings(scores)

    assert [w.reviewer for w in found.flat] == [0]
    assert [set(clique.members) for clique in found.reciprocal] == [{4, 10}]


# --- dismissed warnings ------------------------------------------------------------------------------------------


def _mixed_warnings():
    """A flat reviewer F, a lenient reviewer L (also flat) and the clique A, B, C."""
    flat = _reviews("F", [(5.0, 2.0), (5.0, 5.0), (5.0, 8.0)])
    lenient_and_flat = _reviews("L", [(9.0, 2.0), (9.0, 5.0), (9.0, 8.0)])
    clique = [_exchange("A", "B", 10.0, 7.0), _exchange("B", "A", 10.0, 7.0),
              _exchange("B", "C", 10.0, 7.0), _exchange("C", "B", 10.0, 7.0)]
    return _warn(flat + lenient_and_flat + clique, AUTHORS)


def test_a_dismissed_warning_leaves_the_open_ones_and_the_reviewers_warned_about():
    warnings = _mixed_warnings()
    assert {w.reviewer for w in warnings.flat} == {"F", "L"} and [w.reviewer for w in warnings.one_sided] == ["L"]

    still = warnings.open({("F", FLAT), ("L", ONE_SIDED)})

    assert [w.reviewer for w in still.flat] == ["L"] and still.one_sided == [] and len(still.reciprocal) == 1
    assert len(still) == 2 and still.reviewers == {"L", "A", "B", "C"}
    gone = warnings.dismissed({("F", FLAT), ("L", ONE_SIDED)})
    assert [w.reviewer for w in gone.flat] == ["F"] and [w.reviewer for w in gone.one_sided] == ["L"]
    assert gone.reciprocal == [] and len(gone) == 2


def test_a_dismissal_is_of_one_kind_of_warning_only():
    warnings = _mixed_warnings()

    still = warnings.open({("L", FLAT), ("F", RECIPROCAL), ("A", ONE_SIDED)})

    assert [w.reviewer for w in still.flat] == ["F"] and [w.reviewer for w in still.one_sided] == ["L"]
    assert len(still.reciprocal) == 1 and "L" in still.reviewers


def test_a_clique_is_dismissed_only_when_every_member_is_and_a_new_member_brings_it_back():
    warnings = _mixed_warnings()

    assert len(warnings.open({("A", RECIPROCAL), ("B", RECIPROCAL)}).reciprocal) == 1
    everyone = {("A", RECIPROCAL), ("B", RECIPROCAL), ("C", RECIPROCAL)}
    assert warnings.open(everyone).reciprocal == [] and warnings.open(everyone).reviewers == {"F", "L"}
    assert len(warnings.dismissed(everyone).reciprocal) == 1


def test_no_dismissal_leaves_every_warning_open():
    warnings = _mixed_warnings()

    assert warnings.open(frozenset()) == warnings and len(warnings.dismissed(frozenset())) == 0
    assert WARNING_KINDS == (ONE_SIDED, FLAT, RECIPROCAL)


class _SameText:
    """An id whose text is the same as every other's: only its hash tells the order of a pair."""

    def __init__(self, number):
        self.number = number

    def __eq__(self, other):
        return isinstance(other, _SameText) and other.number == self.number

    def __hash__(self):
        return self.number

    def __str__(self):
        return "student"


@pytest.mark.parametrize(("first", "second"), [("A", "B"), ("ann", "bob"), (4, 10), (_SameText(1), _SameText(2))])
def test_a_reciprocal_pair_is_reported_once_with_each_direction_once(first, second):
    authors = {"work of first": first, "work of second": second}
    judged = [JudgedReview("work of second", first, 10.0, 7.0), JudgedReview("work of first", second, 9.5, 6.0)]

    found = _warn(judged, authors).reciprocal

    assert len(found) == 1 and len(found[0].members) == 2 and set(found[0].members) == {first, second}
    assert len(found[0].exchanges) == 2
    assert set(found[0].exchanges) == {Exchange(first, second, 10.0, 7.0), Exchange(second, first, 9.5, 6.0)}


def test_others_carrying_at_most_a_billionth_of_the_score_count_alike():
    # The others' shares add up to exactly 1e-9: their plain mean, 6.5, not their weighted one, 7.75.
    at_limit = _explanation([("A", 4.0, 0.0, 0.25e-9), ("B", 6.0, 0.0, 1.0 - 1e-9), ("C", 9.0, 0.0, 0.75e-9)])

    judged = {r.reviewer: r.consensus for r in judged_reviews({"s": at_limit}, scale=(0.0, WIDTH))}

    assert judged["B"] == pytest.approx(6.5)


def test_flat_reviewers_are_listed_flattest_first_then_the_most_varied_consensus_first():
    judged = (_reviews("P", [(4.6, 3.0), (5.0, 5.0), (5.4, 7.0)])     # sd 0.4 against 2: a fifth
              + _reviews("Q", [(4.5, 0.0), (5.0, 5.0), (5.5, 10.0)])  # sd 0.5 against 5: a tenth
              + _reviews("R", [(5.0, 3.0), (5.0, 5.0), (5.0, 7.0)])   # no spread against 2
              + _reviews("S", [(5.0, 1.0), (5.0, 5.0), (5.0, 9.0)]))  # no spread against 4

    found = _warn(judged)

    assert [(w.reviewer, w.spread, w.consensus_spread) for w in found.flat] == [
        ("S", 0.0, 4.0), ("R", 0.0, 2.0), ("Q", pytest.approx(0.5), 5.0), ("P", pytest.approx(0.4), 2.0)]
    assert found.one_sided == []


def test_one_sided_reviewers_are_listed_furthest_from_the_consensus_first():
    judged = _reviews("lenient", [(8.0, 6.0)] * 3) + _reviews("harsh", [(3.0, 6.0)] * 3)

    assert [(w.reviewer, w.difference) for w in _warn(judged).one_sided] == [("harsh", -3.0), ("lenient", 2.0)]


def test_a_review_at_the_consensus_is_on_neither_side():
    # 3 + 3 + 0 + 1 = 1.75 above on average, but only three of four reviews above: 75%, not the 80% needed.
    found = _warn(_reviews("three", [(9.0, 6.0), (9.0, 6.0), (6.0, 6.0), (7.0, 6.0)]))
    assert found.one_sided == []


def test_a_review_a_little_above_the_consensus_is_on_the_lenient_side():
    # 2.5, 2.5 and 0.5 above: every review on the side of the 1.83 average.
    found = _warn(_reviews("all", [(8.5, 6.0), (8.5, 6.0), (6.5, 6.0)])).one_sided
    assert [(w.reviewer, w.reviews, w.same_side) for w in found] == [("all", 3, 3)]


def test_a_reviewer_with_too_few_reviews_does_not_stop_the_others_being_checked():
    judged = _reviews("few", [(7.0, 2.0), (7.0, 4.0)]) + _reviews("flat", [(7.0, 4.0), (7.0, 6.0), (7.0, 8.0)])

    assert [w.reviewer for w in _warn(judged).flat] == ["flat"]


def test_cliques_are_listed_by_their_largest_excess_over_the_consensus_first():
    judged = [_exchange("A", "B", 10.0, 7.0), _exchange("B", "A", 9.5, 6.0),   # 3 and 3.5 above
              _exchange("C", "D", 8.0, 3.0), _exchange("D", "C", 5.0, 3.0)]    # 5 and 2 above

    assert [set(clique.members) for clique in _warn(judged, AUTHORS).reciprocal] == [{"C", "D"}, {"A", "B"}]
