"""Which work staff should grade first: own expected error plus what a staff grade teaches about the reviewers."""

import pytest

from assessment.reviewer_warnings import FLAT, ONE_SIDED, JudgedReview, reviewer_warnings
from assessment.score_explanation import ReviewLine, ScoreExplanation
from assessment.triage import grading_priorities


def _explanation(lines, *, staff=None):
    """Equal shares, no correction and no class pull unless a line says otherwise: (review, reviewer, score)."""
    parts = tuple(ReviewLine(review, reviewer, score, 0.0, 1 / len(lines)) for review, reviewer, score in lines)
    total = sum(line.contribution for line in parts)
    return ScoreExplanation("mean", parts, 0.0, 0.0, staff is not None, staff if staff is not None else total)


def test_work_whose_reviews_disagree_comes_before_work_whose_reviews_agree_at_the_same_std():
    explanations = {"agree": _explanation([(1, "a", 6.0), (2, "b", 6.0)]),
                    "disagree": _explanation([(3, "c", 2.0), (4, "d", 8.0)])}

    ranked = grading_priorities(explanations, {"agree": 1.0, "disagree": 1.0})

    assert [p.submission for p in ranked] == ["disagree", "agree"]
    # Sandwich variance: 2 * (1/2)^2 * 3^2 * 2 / 1 = 9, above the model's variance of 1; no reviewer reviews twice.
    assert ranked[0].own == pytest.approx(9.0) and ranked[0].gain == pytest.approx(9.0)
    assert ranked[1].own == pytest.approx(1.0) and ranked[1].informs == 0


def test_the_models_variance_counts_when_it_exceeds_the_reviews_disagreement():
    explanations = {"wide": _explanation([(1, "a", 6.0), (2, "b", 6.0)]),
                    "narrow": _explanation([(3, "c", 5.5), (4, "d", 6.5)])}

    ranked = grading_priorities(explanations, {"wide": 2.0, "narrow": 0.1})

    assert [(p.submission, p.own) for p in ranked] == [("wide", pytest.approx(4.0)), ("narrow", pytest.approx(0.25))]


def test_grading_work_of_reviewers_who_review_much_else_informs_that_work_too():
    # "hub" and "lone" have the same own error; hub's reviewer x also reviewed three other pieces, scattering by 2
    # points around them, so a staff grade on hub measures x's bias and helps those three.
    explanations = {"hub": _explanation([(1, "x", 4.0), (2, "y", 8.0)]),
                    "lone": _explanation([(3, "p", 4.0), (4, "q", 8.0)])}
    for n in range(3):
        explanations[f"other {n}"] = _explanation([(10 + 2 * n, "x", 7.0), (11 + 2 * n, f"z{n}", 3.0)])

    ranked = {p.submission: p for p in grading_priorities(explanations, {})}

    # x: residuals -2 (hub) and 2, 2, 2 -> variance 4 over m = 4 reviews; one exact measurement gains 4 / (4 * 5).
    # Each other piece gets x's share (1/2) squared of it: 3 * 0.2 * 0.25 = 0.15.
    assert ranked["hub"].own == ranked["lone"].own == pytest.approx(4.0)
    assert ranked["hub"].gain - ranked["hub"].own == pytest.approx(0.15)
    assert ranked["hub"].informs == 3 and ranked["lone"].informs == 0
    assert ranked["hub"].gain > ranked["lone"].gain


def test_a_warned_reviewers_other_work_counts_double():
    explanations = {"hub": _explanation([(1, "x", 4.0), (2, "y", 8.0)]),
                    "other": _explanation([(3, "x", 7.0), (4, "z", 3.0)])}

    plain = {p.submission: p.gain - p.own for p in grading_priorities(explanations, {})}
    warned = {p.submission: p.gain - p.own for p in grading_priorities(explanations, {}, warned={"x"})}

    assert warned["hub"] == pytest.approx(2 * plain["hub"]) and plain["hub"] > 0


def test_work_graded_by_staff_is_not_offered_but_still_measures_its_reviewers():
    explanations = {"graded": _explanation([(1, "x", 9.0), (2, "y", 5.0)], staff=5.0),
                    "open": _explanation([(3, "x", 6.0), (4, "z", 6.0)]),
                    "next": _explanation([(5, "x", 6.0), (6, "w", 6.0)])}

    ranked = {p.submission: p for p in grading_priorities(explanations, {})}

    assert set(ranked) == {"open", "next"}
    # x: residuals 4 (against the staff grade), 0, 0 -> variance 16/3 over 3 reviews; gain 16/3 / 12 = 4/9.
    assert ranked["open"].gain - ranked["open"].own == pytest.approx(4 / 9 * 0.25)


def test_a_dismissed_warning_no_longer_makes_its_reviewers_other_work_count_double():
    explanations = {"hub": _explanation([(1, "x", 4.0), (2, "y", 8.0)]),
                    "other": _explanation([(3, "x", 7.0), (4, "z", 3.0)])}
    # x gives 9 to work the consensus puts at 2, 5 and 8: flat and lenient.
    warnings = reviewer_warnings([JudgedReview(n, "x", 9.0, consensus) for n, consensus in enumerate((2.0, 5.0, 8.0))],
                                 {}, scale_width=10.0)
    assert warnings.reviewers == {"x"} and len(warnings) == 2

    def spill(dismissed):
        warned = warnings.open(dismissed).reviewers
        return {p.submission: p.gain - p.own for p in grading_priorities(explanations, {}, warned=warned)}

    plain = {p.submission: p.gain - p.own for p in grading_priorities(explanations, {})}
    assert spill(frozenset())["hub"] == pytest.approx(2 * plain["hub"]) and plain["hub"] > 0
    assert spill({("x", FLAT)})["hub"] == pytest.approx(2 * plain["hub"])  # still warned as lenient
    assert spill({("x", FLAT), ("x", ONE_SIDED)}) == pytest.approx(plain)


def test_the_disagreement_of_three_reviews_is_scaled_by_three_halves():
    explanations = {"three": _explanation([(1, "a", 3.0), (2, "b", 6.0), (3, "c", 9.0)])}

    ranked = grading_priorities(explanations, {})

    # Around 6: (1/3)^2 * (9 + 0 + 9) = 2, times 3 / 2.
    assert ranked[0].own == pytest.approx(3.0)


def test_reviews_the_method_set_aside_do_not_count_in_the_disagreement():
    parts = (ReviewLine(1, "a", 4.0, 0.0, 0.5), ReviewLine(2, "b", 8.0, 0.0, 0.5), ReviewLine(3, "c", 10.0, 0.0, 0.0))
    explanations = {"median": ScoreExplanation("median", parts, 0.0, 0.0, False, 6.0)}

    # Two counted reviews, 2 points either side: 2 * (1/2)^2 * 4 * 2 / 1 = 4 (with the third, 3 / 2 instead of 2).
    assert grading_priorities(explanations, {})[0].own == pytest.approx(4.0)


def test_a_single_review_without_a_known_std_has_no_own_error_to_remove():
    explanations = {"single": _explanation([(1, "a", 7.0)])}

    ranked = grading_priorities(explanations, {})

    assert ranked[0].own == 0.0 and ranked[0].gain == 0.0


def test_equal_gains_are_ranked_by_the_submissions_id():
    explanations = {"b": _explanation([(1, "x", 5.0)]), "a": _explanation([(2, "y", 5.0)])}

    assert [p.submission for p in grading_priorities(explanations, {"b": 1.0, "a": 1.0})] == ["a", "b"]


def test_a_reviewers_residuals_on_open_work_are_measured_from_the_score_before_it_was_held_within_the_scale():
    # "held": 12 and 10 give 11, held at 10 on a 0-10 scale; x is 1 above the unclipped 11, not 2 above 10.
    held = ScoreExplanation("mean", (ReviewLine(1, "x", 12.0, 0.0, 0.5), ReviewLine(2, "y", 10.0, 0.0, 0.5)),
                            0.0, 0.0, False, 10.0)
    explanations = {"held": held, "open": _explanation([(3, "x", 6.0), (4, "z", 6.0)])}

    ranked = {p.submission: p for p in grading_priorities(explanations, {})}

    # x: residuals 1 and 0 -> variance 1/2 over 2 reviews, a gain of 1/12, times x's share of "held" squared.
    assert ranked["open"].gain - ranked["open"].own == pytest.approx(1 / 12 * 0.25)
