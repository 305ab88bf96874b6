"""How a peer score was reached, as a grade keeps it and as students and staff read it: review by review."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from assessment.aggregation import Explanation

# A correction smaller than this many points is not worth a sentence: it is shown as none.
NEGLIGIBLE_POINTS = 0.05


@dataclass(frozen=True)
class ReviewLine:
    review_id: int
    reviewer_id: int  # for staff only: never shown to the author
    score: float  # as the reviewer gave it
    correction: float  # points added for the reviewer's measured leniency (< 0) or strictness (> 0)
    share: float  # of the peer score, 0..1

    @property
    def corrected(self) -> float:
        return self.score + self.correction

    @property
    def contribution(self) -> float:
        return self.share * self.corrected

    @property
    def reviewer_gives_more(self) -> float:
        """How many points more than others this reviewer gives on average (negative: fewer)."""
        return -self.correction

    @property
    def corrected_for_bias(self) -> bool:
        return abs(self.correction) >= NEGLIGIBLE_POINTS


@dataclass(frozen=True)
class ScoreExplanation:
    """sum(line.contribution) + class_contribution = the peer score, before it is kept within the scale."""

    method: str
    lines: tuple[ReviewLine, ...]
    class_mean: float
    class_share: float
    set_by_staff: bool
    score: float  # the peer score as graded

    @property
    def measures_bias(self) -> bool:
        """Only the reliability method learns each reviewer's leniency; the others take scores as given."""
        return self.method == "reliability"

    @property
    def class_contribution(self) -> float:
        return self.class_share * self.class_mean

    @cached_property  # read several times per grade by the triage of a whole class
    def unclipped(self) -> float:
        return math.fsum([line.contribution for line in self.lines] + [self.class_contribution])

    @property
    def clipped(self) -> bool:
        """The parts add up beyond the scale, so the score was held at its end."""
        return not self.set_by_staff and abs(self.unclipped - self.score) >= NEGLIGIBLE_POINTS

    @property
    def counted(self) -> tuple[ReviewLine, ...]:
        return tuple(line for line in self.lines if line.share > 0)

    @property
    def not_counted(self) -> tuple[ReviewLine, ...]:
        """Reviews the method set aside (the outer ones of a median or a trimmed mean)."""
        return tuple(line for line in self.lines if line.share <= 0)


def to_stored(explanation: Explanation[Hashable], method: str, review_ids: Mapping[Hashable, int]) -> dict[str, Any]:
    """What a grade keeps of an aggregation's explanation; `review_ids` maps each reviewer to their review."""
    return {
        "method": method,
        "parts": [{"review": review_ids[part.reviewer], "reviewer": part.reviewer, "score": part.score,
                   "correction": part.correction, "share": part.share} for part in explanation.parts],
        "class_mean": explanation.cohort_mean,
        "class_share": explanation.cohort_share,
        "set_by_staff": explanation.known,
        "score": explanation.score,
    }


def from_stored(stored: Mapping[str, Any] | None) -> ScoreExplanation | None:
    """The explanation a grade kept; None for a grade computed before explanations were kept."""
    if not stored:
        return None
    lines = tuple(ReviewLine(int(part["review"]), int(part["reviewer"]), float(part["score"]),
                             float(part["correction"]), float(part["share"])) for part in stored["parts"])
    return ScoreExplanation(method=str(stored["method"]), lines=lines, class_mean=float(stored["class_mean"]),
                            class_share=float(stored["class_share"]), set_by_staff=bool(stored["set_by_staff"]),
                            score=float(stored["score"]))
