"""A kept score explanation: the parts add up to the peer score, and each correction reads as the reviewer's bias."""

import pytest

from assessment.aggregation import PeerScore, explain
from assessment.score_explanation import ReviewLine, from_stored, to_stored

SCALE = (0.0, 100.0)


def test_a_stored_explanation_reads_back_with_parts_that_add_up_to_the_score():
    scores = [PeerScore("work", reviewer, score) for reviewer, score in ((1, 95.0), (2, 100.0), (3, 97.5))]
    scores += [PeerScore(f"other {n}", reviewer, 60.0 + n) for n in range(4) for reviewer in (1, 2, 3)]
    explained = explain(scores, "reliability", scale=SCALE)["work"]

    kept = from_stored(to_stored(explained, "reliability", {1: 11, 2: 12, 3: 13}))

    assert kept is not None and kept.method == "reliability"
    assert [line.review_id for line in kept.lines] == [11, 12, 13]
    assert [line.score for line in kept.lines] == [95.0, 100.0, 97.5]
    assert kept.unclipped == pytest.approx(kept.score, abs=1e-9) and not kept.clipped
    assert sum(line.share for line in kept.lines) + kept.class_share == pytest.approx(1.0)


def test_a_correction_reads_as_how_many_points_more_the_reviewer_gives_than_others():
    lenient = ReviewLine(review_id=1, reviewer_id=7, score=95.0, correction=-6.0, share=0.5)
    assert lenient.reviewer_gives_more == 6.0 and lenient.corrected == 89.0 and lenient.contribution == 44.5
    assert lenient.corrected_for_bias
    harsh = ReviewLine(review_id=2, reviewer_id=8, score=40.0, correction=2.5, share=0.25)
    assert harsh.reviewer_gives_more == -2.5 and harsh.corrected == 42.5


def test_a_correction_below_a_twentieth_of_a_point_is_no_correction():
    assert not ReviewLine(1, 7, 90.0, -0.049, 1.0).corrected_for_bias
    assert ReviewLine(1, 7, 90.0, 0.05, 1.0).corrected_for_bias


def test_the_example_students_could_not_explain_adds_up():
    # 95, 100 and 97.5 gave 90.5: lenient reviewers corrected down and a pull towards a class mean of 65.
    stored = {"method": "reliability", "set_by_staff": False, "class_mean": 65.0, "class_share": 0.1,
              "parts": [{"review": 1, "reviewer": 4, "score": 95.0, "correction": -6.0, "share": 0.3},
                        {"review": 2, "reviewer": 5, "score": 100.0, "correction": -4.0, "share": 0.3},
                        {"review": 3, "reviewer": 6, "score": 97.5, "correction": -2.5, "share": 0.3}],
              "score": 90.5}
    kept = from_stored(stored)
    assert kept.unclipped == pytest.approx(0.3 * 89 + 0.3 * 96 + 0.3 * 95 + 6.5)
    assert kept.unclipped == pytest.approx(90.5) and not kept.clipped


def test_a_median_sets_outer_reviews_aside_and_says_so():
    scores = [PeerScore("work", reviewer, score) for reviewer, score in ((1, 30.0), (2, 70.0), (3, 90.0))]
    kept = from_stored(to_stored(explain(scores, "median", scale=SCALE)["work"], "median", {1: 1, 2: 2, 3: 3}))
    assert [line.review_id for line in kept.counted] == [2]
    assert [line.review_id for line in kept.not_counted] == [1, 3]


def test_a_staff_score_stands_alone_and_an_old_grade_has_no_explanation():
    scores = [PeerScore("work", 1, 30.0)]
    kept = from_stored(to_stored(explain(scores, "mean", scale=SCALE, known={"work": 80.0})["work"], "mean", {1: 1}))
    assert kept.set_by_staff and kept.score == 80.0 and not kept.clipped
    assert from_stored(None) is None and from_stored({}) is None


def test_a_score_held_at_the_end_of_the_scale_is_marked_clipped():
    scores = [PeerScore("work", 1, 130.0)]
    kept = from_stored(to_stored(explain(scores, "mean", scale=SCALE)["work"], "mean", {1: 1}))
    assert kept.score == 100.0 and kept.unclipped == 130.0 and kept.clipped


def test_only_the_reliability_method_measures_reviewers_leniency():
    scores = [PeerScore("work", 1, 30.0), PeerScore("work", 2, 50.0)]
    for method, measures in (("reliability", True), ("mean", False), ("calibrated", False), ("median", False)):
        kept = from_stored(to_stored(explain(scores, method, scale=SCALE)["work"], method, {1: 1, 2: 2}))
        assert kept.measures_bias is measures


def stored(**changes) -> dict:
    return {"method": "mean", "set_by_staff": False, "class_mean": 50.0, "class_share": 0.0,
            "parts": [{"review": 1, "reviewer": 4, "score": 60.0, "correction": 0.0, "share": 1.0}], "score": 60.0,
            **changes}


def test_an_explanation_is_kept_with_every_part_named():
    scores = [PeerScore("work", 1, 30.0), PeerScore("work", 2, 50.0)]
    kept = to_stored(explain(scores, "mean", scale=SCALE)["work"], "mean", {1: 11, 2: 12})
    assert kept == {
        "method": "mean",
        "parts": [{"review": 11, "reviewer": 1, "score": 30.0, "correction": 0.0, "share": 0.5},
                  {"review": 12, "reviewer": 2, "score": 50.0, "correction": 0.0, "share": 0.5}],
        "class_mean": kept["class_mean"], "class_share": 0.0, "set_by_staff": False, "score": 40.0,
    }


def test_a_kept_explanation_reads_back_field_by_field():
    kept = from_stored(stored(class_mean=55.5, class_share=0.25, score=58.875, set_by_staff=0,
                              parts=[{"review": "3", "reviewer": "9", "score": "61", "correction": -1, "share": "0.75"}]))
    assert kept.lines == (ReviewLine(review_id=3, reviewer_id=9, score=61.0, correction=-1.0, share=0.75),)
    assert (kept.method, kept.class_mean, kept.class_share, kept.set_by_staff, kept.score) == (
        "mean", 55.5, 0.25, False, 58.875)
    assert kept.class_contribution == pytest.approx(13.875)
    assert kept.unclipped == pytest.approx(0.75 * 60 + 13.875)


def test_a_score_a_twentieth_of_a_point_from_its_parts_is_clipped_and_closer_is_not():
    nothing = [{"review": 1, "reviewer": 4, "score": 0.0, "correction": 0.0, "share": 1.0}]
    assert from_stored(stored(parts=nothing, score=0.05)).clipped
    assert from_stored(stored(score=59.9)).clipped
    assert not from_stored(stored(parts=nothing, score=0.0499)).clipped
    assert not from_stored(stored(score=70.0, set_by_staff=True)).clipped


def test_a_review_of_zero_share_is_set_aside_and_any_positive_share_counts():
    kept = from_stored(stored(parts=[{"review": 1, "reviewer": 4, "score": 60.0, "correction": 0.0, "share": 0.0},
                                     {"review": 2, "reviewer": 5, "score": 60.0, "correction": 0.0, "share": 1e-9}]))
    assert [line.review_id for line in kept.counted] == [2]
    assert [line.review_id for line in kept.not_counted] == [1]


def test_a_correction_of_exactly_a_twentieth_of_a_point_either_way_counts():
    assert ReviewLine(1, 7, 90.0, -0.05, 1.0).corrected_for_bias
    assert not ReviewLine(1, 7, 90.0, 0.0499, 1.0).corrected_for_bias
