"""Reviewer warnings for staff: flat scoring, one-sided scoring and reciprocal high marks, each with its evidence."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from assessment.score_explanation import ScoreExplanation

# The warnings never change a grade: they tell staff where to look, with the numbers that raised them.
# 1. Flat: a reviewer with at least MIN_REVIEWS reviews whose scores vary less than FLAT_SHARE of how much the
#    consensus of the same submissions varies, when that consensus varies by at least MARGIN_SHARE of the scale.
#    Comparing with the consensus of their own submissions, not with zero, spares honest reviewers of work the
#    class rightly scores alike (a ceiling-heavy class gives many identical full marks).
# 2. One-sided: a reviewer with at least MIN_REVIEWS reviews, on average more than ONE_SIDED_SHARE of the scale above
#    (lenient) or below (harsh) the consensus, on the same side in at least SAME_SIDE_SHARE of their reviews.
# 3. Reciprocal: two students who reviewed each other's work and each gave more than MARGIN_SHARE of the scale
#    above the consensus; pairs sharing a student are reported together as one clique.
# The consensus of a review is a staff grade of the submission when there is one, otherwise the other reviews of it
# as the grading model weighs and corrects them: an inflated score cannot raise the consensus it is measured against.
MIN_REVIEWS = 3
FLAT_SHARE = 0.25
MARGIN_SHARE = 0.1
# Wider than MARGIN_SHARE: honest reviewers' own leniency and noise put one in eight of them a tenth of the scale
# from the consensus over three reviews in simulated classes (bias sd 0.5, noise sd 0.8 on 0-10), one in thirty
# beyond this.
ONE_SIDED_SHARE = 0.15
SAME_SIDE_SHARE = 0.8

# The kinds of warning staff can dismiss, one reviewer at a time (a reciprocal clique: each member).
ONE_SIDED, FLAT, RECIPROCAL = "one_sided", "flat", "reciprocal"
WARNING_KINDS = (ONE_SIDED, FLAT, RECIPROCAL)
Dismissed = Collection[tuple[Hashable, str]]  # (reviewer, kind) pairs staff dismissed


SubmissionId = TypeVar("SubmissionId", bound=Hashable)


@dataclass(frozen=True, slots=True)
class JudgedReview:
    """A review set against the consensus of the others on the same submission, in points."""

    submission: Hashable
    reviewer: Hashable
    score: float
    consensus: float

    @property
    def difference(self) -> float:
        return self.score - self.consensus


@dataclass(frozen=True, slots=True)
class FlatScoring:
    reviewer: Hashable
    reviews: int
    spread: float  # sd of the scores they gave
    consensus_spread: float  # sd of the consensus of the submissions they reviewed


@dataclass(frozen=True, slots=True)
class OneSidedScoring:
    reviewer: Hashable
    reviews: int
    same_side: int  # reviews on the side of the average difference
    difference: float  # mean of score - consensus: > 0 lenient, < 0 harsh

    @property
    def lenient(self) -> bool:
        return self.difference > 0


@dataclass(frozen=True, slots=True)
class Exchange:
    """One direction of a reciprocal pair: what `giver` gave the work of `receiver`, against the consensus."""

    giver: Hashable
    receiver: Hashable
    score: float
    consensus: float


@dataclass(frozen=True, slots=True)
class ReciprocalMarks:
    members: tuple[Hashable, ...]
    exchanges: tuple[Exchange, ...]


@dataclass(frozen=True)
class ReviewerWarnings:
    flat: list[FlatScoring]
    one_sided: list[OneSidedScoring]
    reciprocal: list[ReciprocalMarks]

    @property
    def reviewers(self) -> set[Hashable]:
        """Everyone some warning names."""
        named: set[Hashable] = {w.reviewer for w in self.flat} | {w.reviewer for w in self.one_sided}
        for clique in self.reciprocal:
            named.update(clique.members)
        return named

    def __len__(self) -> int:
        return len(self.flat) + len(self.one_sided) + len(self.reciprocal)

    def open(self, dismissed: Dismissed) -> ReviewerWarnings:
        """The warnings staff have not dismissed: those the advice counts and the work to grade first weighs."""
        return self._split(dismissed, keep_dismissed=False)

    def dismissed(self, dismissed: Dismissed) -> ReviewerWarnings:
        """The warnings staff dismissed; a clique only while every member is dismissed, so a new member shows it."""
        return self._split(dismissed, keep_dismissed=True)

    def _split(self, dismissed: Dismissed, *, keep_dismissed: bool) -> ReviewerWarnings:
        gone = set(dismissed)
        return ReviewerWarnings(
            [w for w in self.flat if ((w.reviewer, FLAT) in gone) == keep_dismissed],
            [w for w in self.one_sided if ((w.reviewer, ONE_SIDED) in gone) == keep_dismissed],
            [clique for clique in self.reciprocal
             if all((member, RECIPROCAL) in gone for member in clique.members) == keep_dismissed])


def judged_reviews(explanations: Mapping[SubmissionId, ScoreExplanation], *,
                   scale: tuple[float, float]) -> list[JudgedReview]:
    """Each explained review with the consensus of the others on its submission; reviews alone on their submission
    (with no staff grade either) have no consensus to compare with and are left out."""
    low, high = scale
    judged = []
    for submission, explanation in explanations.items():
        for line in explanation.lines:
            consensus = _without(explanation, line.review_id)
            if consensus is not None:
                judged.append(JudgedReview(submission, line.reviewer_id, line.score, min(max(consensus, low), high)))
    return judged


def _without(explanation: ScoreExplanation, review_id: int) -> float | None:
    """The other reviews of the submission as the model weighs and corrects them (a staff grade when there is one).

    The pull towards the class's mean is left out: it would make a reviewer of strong work look lenient and a
    reviewer of weak work harsh, whatever they gave."""
    if explanation.set_by_staff:
        return explanation.score
    others = [line for line in explanation.lines if line.review_id != review_id]
    if not others:
        return None
    weight = math.fsum(line.share for line in others)
    if weight <= 1e-9:  # the review carried the whole score (the middle one of a median): the others count alike
        return statistics.fmean(line.corrected for line in others)
    return math.fsum(line.contribution for line in others) / weight


def reviewer_warnings(judged: Iterable[JudgedReview], authors: Mapping[Any, Hashable], *,
                      scale_width: float) -> ReviewerWarnings:
    """The warnings of rules 1-3 above; `authors` maps each submission to the student who wrote it."""
    margin = MARGIN_SHARE * scale_width
    by_reviewer: dict[Hashable, list[JudgedReview]] = defaultdict(list)
    for review in judged:
        by_reviewer[review.reviewer].append(review)
    flat, one_sided = [], []
    for reviewer, reviews in by_reviewer.items():
        if len(reviews) < MIN_REVIEWS:
            continue
        consensus_spread = _sd([r.consensus for r in reviews])
        spread = _sd([r.score for r in reviews])
        if consensus_spread >= margin and spread <= FLAT_SHARE * consensus_spread:
            flat.append(FlatScoring(reviewer, len(reviews), spread, consensus_spread))
        difference = statistics.fmean(r.difference for r in reviews)
        same_side = sum(r.difference * difference > 0 for r in reviews)
        if abs(difference) > ONE_SIDED_SHARE * scale_width and same_side >= math.ceil(SAME_SIDE_SHARE * len(reviews) - 1e-9):
            one_sided.append(OneSidedScoring(reviewer, len(reviews), same_side, difference))
    flat.sort(key=lambda w: (w.spread / w.consensus_spread, -w.consensus_spread))
    one_sided.sort(key=lambda w: -abs(w.difference))
    return ReviewerWarnings(flat, one_sided, _reciprocal(by_reviewer, authors, margin))


def _sd(values: list[float]) -> float:
    """The sample sd in floats (statistics.stdev computes exactly, with fractions: too slow for a page of a class)."""
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((value - mean) ** 2 for value in values) / (len(values) - 1))


def _reciprocal(by_reviewer: Mapping[Hashable, list[JudgedReview]], authors: Mapping[Any, Hashable],
                margin: float) -> list[ReciprocalMarks]:
    high: dict[tuple[Hashable, Hashable], JudgedReview] = {}
    for reviewer, reviews in by_reviewer.items():
        for review in reviews:
            author = authors.get(review.submission)
            if author is not None and author != reviewer and review.difference > margin:
                high[reviewer, author] = review
    pairs = [(giver, receiver) for giver, receiver in high if (receiver, giver) in high and _order(giver, receiver)]
    # Pairs that share a student form one clique: union-find over the students of the pairs.
    parent: dict[Hashable, Hashable] = {}

    def root(person: Hashable) -> Hashable:
        while parent.setdefault(person, person) != person:
            person = parent[person]
        return person

    for giver, receiver in pairs:
        parent[root(giver)] = root(receiver)
    cliques: dict[Hashable, list[tuple[Hashable, Hashable]]] = defaultdict(list)
    for giver, receiver in pairs:
        cliques[root(giver)].append((giver, receiver))
    found = []
    for clique_pairs in cliques.values():
        exchanges = [Exchange(giver, receiver, high[giver, receiver].score, high[giver, receiver].consensus)
                     for pair in clique_pairs for giver, receiver in (pair, pair[::-1])]
        members = tuple(dict.fromkeys(person for pair in clique_pairs for person in pair))
        found.append(ReciprocalMarks(members, tuple(exchanges)))
    found.sort(key=lambda clique: -max(e.score - e.consensus for e in clique.exchanges))
    return found


def _order(first: Hashable, second: Hashable) -> bool:
    """One direction of each pair, whatever the ids' type: by their text, then by their hash for equal texts."""
    return (str(first), hash(first)) < (str(second), hash(second))
