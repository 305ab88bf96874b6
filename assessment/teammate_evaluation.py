"""What an instructor sets for teammates' ratings of each other, and how a member's ratings of one teammate sum up."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from assessment.contribution import FactorPolicy, FixedFactor, Penalty
from assessment.errors import InvalidInput
from assessment.messages import N_

MAX_CRITERIA = 10
MAX_SCALE = 10
COMMENT_LIMIT = 2_000


@dataclass(frozen=True)
class RatingCriterion:
    key: str  # stable across edits: ratings are stored under it
    label: str


DEFAULT_CRITERIA = (
    RatingCriterion("contribution", N_("Contribution to the work")),
    RatingCriterion("reliability", N_("Reliability")),
    RatingCriterion("communication", N_("Communication")),
    RatingCriterion("ideas", N_("Quality of ideas")),
)


@dataclass(frozen=True)
class TeammateEvaluation:
    """Teammates rate each other on `criteria` from `low` to `high`; the ratings move each member's grade by `policy`.

    A rating at `low` or `high` needs a comment: an extreme is what staff most need to understand."""

    criteria: tuple[RatingCriterion, ...] = DEFAULT_CRITERIA
    low: int = 1
    high: int = 5
    include_self: bool = False  # members also rate themselves, and their self-rating counts in their factor
    policy: FactorPolicy = field(default_factory=FactorPolicy)

    def problems(self) -> dict[str, str]:
        problems = dict(self.policy.problems())
        keys = [criterion.key for criterion in self.criteria]
        if not 1 <= len(self.criteria) <= MAX_CRITERIA:
            problems["criteria"] = N_("Teammates rate each other on between 1 and %(max)s criteria.", max=MAX_CRITERIA)
        elif len(set(keys)) != len(keys) or not all(key.strip() for key in keys):
            problems["criteria"] = N_("Each criterion needs its own name.")
        elif not all(criterion.label.strip() and len(criterion.label) <= 200 for criterion in self.criteria):
            problems["criteria"] = N_("Each criterion needs a name of at most 200 characters.")
        if not (_whole(self.low) and _whole(self.high) and 0 <= self.low < self.high <= MAX_SCALE):
            problems["scale"] = N_("Ratings run from a whole number of at least 0 to a higher one of at most %(max)s.",
                                   max=MAX_SCALE)
        return problems

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidInput(problems)

    def to_document(self) -> dict[str, Any]:
        non_rater: dict[str, float] = (
            {"penalty": self.policy.non_rater.share} if isinstance(self.policy.non_rater, Penalty)
            else {"factor": self.policy.non_rater.factor}
        )
        return {
            "criteria": [{"key": criterion.key, "label": criterion.label} for criterion in self.criteria],
            "low": self.low,
            "high": self.high,
            "include_self": self.include_self,
            "weight": self.policy.weight,
            "cap": self.policy.cap,
            "non_rater": non_rater,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any], points_possible: float | None = None) -> TeammateEvaluation:
        non_rater_document = document.get("non_rater") or {}
        non_rater: Penalty | FixedFactor = (
            FixedFactor(float(non_rater_document["factor"])) if "factor" in non_rater_document
            else Penalty(float(non_rater_document.get("penalty", 0.0)))
        )
        cap = document.get("cap")
        return cls(
            criteria=tuple(RatingCriterion(item["key"], item["label"]) for item in document["criteria"]),
            low=int(document["low"]),
            high=int(document["high"]),
            include_self=bool(document.get("include_self", False)),
            policy=FactorPolicy(weight=float(document.get("weight", 1.0)), cap=None if cap is None else float(cap),
                                non_rater=non_rater, points_possible=points_possible),
        )

    def needs_comment(self, scores: Mapping[str, float]) -> bool:
        """Whether a rater's scores of one teammate include an extreme, which must be explained."""
        return any(score in (self.low, self.high) for score in scores.values())

    def score_problems(self, scores: Mapping[str, object]) -> dict[str, str]:
        """What is wrong with one rater's scores of one teammate: every criterion, each a whole number on the scale."""
        problems: dict[str, str] = {}
        for criterion in self.criteria:
            score = scores.get(criterion.key)
            if score is None:
                problems[criterion.key] = N_("Rate this teammate on every criterion.")
            elif not (_whole(score) and self.low <= score <= self.high):
                problems[criterion.key] = N_("A rating is a whole number from %(low)s to %(high)s.",
                                             low=self.low, high=self.high)
        unknown = scores.keys() - {criterion.key for criterion in self.criteria}
        if unknown:
            problems["criteria"] = N_("Rate only on the criteria listed.")
        return problems

    def pair_total(self, scores: Mapping[str, float]) -> float:
        """One rater's rating of one teammate, as the WebPA method takes it: the sum over the criteria rated."""
        return math.fsum(float(scores[criterion.key]) for criterion in self.criteria if criterion.key in scores)


def pair_totals(evaluation: TeammateEvaluation,
                ratings: Sequence[tuple[int, int, Mapping[str, float]]]) -> dict[tuple[int, int], float]:
    """(rater, ratee) -> total, from (rater, ratee, scores) rows. Self-ratings are kept: the warnings read them even
    where the factors leave them out (contribution_factors' include_self)."""
    return {(rater, ratee): evaluation.pair_total(scores) for rater, ratee, scores in ratings}


def _whole(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
        and float(value).is_integer()
