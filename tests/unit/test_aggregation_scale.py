"""Aggregation on any scale: moving or stretching the scale moves or stretches every method's scores and stds alike."""

import pytest

from assessment.aggregation import METHODS, PeerScore, aggregate

# Four students, each reviewing the other three, on a 1..5 scale: "everyone reviews everyone".
ROUND_ROBIN = {
    ("ann", "bob"): 4.0, ("ann", "cy"): 3.0, ("ann", "dee"): 5.0,
    ("bob", "ann"): 2.0, ("bob", "cy"): 2.0, ("bob", "dee"): 3.0,
    ("cy", "ann"): 5.0, ("cy", "bob"): 4.0, ("cy", "dee"): 5.0,
    ("dee", "ann"): 3.0, ("dee", "bob"): 1.0, ("dee", "cy"): 2.0,
}
ONE_TO_FIVE = (1.0, 5.0)
# The same class scored criterion by criterion, with one criterion only: it must give what the totals give.
CRITERION = "argument"


def round_robin(transform=lambda score: score, *, criterion=None) -> list[PeerScore]:
    return [PeerScore(work, reviewer, transform(score), criterion=criterion)
            for (work, reviewer), score in ROUND_ROBIN.items()]


def pairs(estimates) -> dict[str, tuple[float, float]]:
    return {work: (estimate.score, estimate.std) for work, estimate in estimates.items()}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("by_criterion", [False, True])
@pytest.mark.parametrize("offset", [9.0, -9.0])  # to 10..14, and to -8..-4, a scale wholly below 0
def test_moving_the_scale_moves_every_score_and_keeps_every_std(method, by_criterion, offset):
    criterion = CRITERION if by_criterion else None
    base = aggregate(round_robin(criterion=criterion), method, scale=ONE_TO_FIVE)
    moved = aggregate(round_robin(lambda score: score + offset, criterion=criterion), method,
                      scale=(1.0 + offset, 5.0 + offset))
    assert base.keys() == moved.keys()
    for work in base:
        assert moved[work].score == pytest.approx(base[work].score + offset, abs=1e-6)
        assert moved[work].std == pytest.approx(base[work].std, abs=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_stretching_the_scale_stretches_every_score_and_std(method):
    base = aggregate(round_robin(), method, scale=ONE_TO_FIVE, known={"dee": 4.0})
    # 1..5 becomes 0..100: a point is 25 of the new ones.
    stretched = aggregate(round_robin(lambda score: (score - 1.0) * 25.0), method, scale=(0.0, 100.0),
                          known={"dee": 75.0})
    for work in base:
        assert stretched[work].score == pytest.approx((base[work].score - 1.0) * 25.0, abs=1e-4)
        assert stretched[work].std == pytest.approx(base[work].std * 25.0, abs=1e-4)
    assert stretched["dee"] == base["dee"].__class__(75.0, 0.0)


@pytest.mark.parametrize("method", METHODS)
def test_one_named_criterion_gives_what_the_totals_give(method):
    totals = aggregate(round_robin(), method, scale=ONE_TO_FIVE)
    by_criterion = aggregate(round_robin(criterion=CRITERION), method, scale=ONE_TO_FIVE)
    assert pairs(by_criterion) == {work: (pytest.approx(score, abs=1e-9), pytest.approx(std, abs=1e-9))
                                   for work, (score, std) in pairs(totals).items()}


# Pinned numbers: every student reviewed by the three others, on 1..5. The mean and median are hand-checked: the
# review variances are 1, 1/3, 1/3 and 1 (pooled 2/3); ann's, pulled towards the pool by 4 pseudo-reviews, is
# (4 * 2/3 + 2 * 1) / 6 = 7/9, so her std is sqrt(7/27) = 0.509175; the median's is sqrt(pi / 2) times the mean's.
# Reliability's are the model's own, pinned so that any change to it shows (last: reviewers whose reviews spread less
# than the work they reviewed count as noisier).
PINNED = {
    "mean": {"ann": (4.0, 0.509175), "bob": (2.333333, 0.430331), "cy": (4.666667, 0.430331),
             "dee": (2.0, 0.509175)},
    "median": {"ann": (4.0, 0.638156), "bob": (2.0, 0.539341), "cy": (5.0, 0.539341), "dee": (2.0, 0.638156)},
    "reliability": {"ann": (3.508560, 0.715288), "bob": (2.282728, 0.498200), "cy": (4.871184, 0.727160),
                    "dee": (2.377910, 0.679742)},
}


@pytest.mark.parametrize("method", ["mean", "median", "reliability"])
@pytest.mark.parametrize("by_criterion", [False, True])
def test_numbers_are_pinned_for_everyone_reviewing_everyone_on_a_scale_from_one(method, by_criterion):
    estimates = aggregate(round_robin(criterion=CRITERION if by_criterion else None), method, scale=ONE_TO_FIVE)
    assert pairs(estimates) == {work: (pytest.approx(score, abs=1e-3), pytest.approx(std, abs=1e-3))
                                for work, (score, std) in PINNED[method].items()}


def test_reliability_settles_on_the_round_robin_and_says_how_many_sweeps_it_took():
    estimates = aggregate(round_robin(), "reliability", scale=ONE_TO_FIVE)
    assert (estimates.sweeps, estimates.converged) == (24, True)
