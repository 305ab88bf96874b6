"""Which submissions staff should grade first: those whose staff grade is expected to lower the class's error most."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from assessment.score_explanation import ScoreExplanation

# The expected gain of a staff grade on submission s, in squared points, is approximated by two parts:
# 1. Its own error, which the staff grade removes: the larger of the model's variance and the disagreement of its
#    de-biased reviews around the estimate (the sandwich variance sum_i share_i^2 (corrected_i - estimate)^2, scaled
#    by n / (n - 1)). The model's std alone ranks errors poorly; the reviews' disagreement ranks them better.
# 2. What it teaches about its reviewers: a known grade measures each reviewer's bias once more, exactly. Over m
#    reviews with residual variance v, the bias is known to about v / m; one more exact measurement brings that to
#    v / (m + 1), a gain of v / (m (m + 1)), which reaches each other submission t of that reviewer weighted by the
#    reviewer's share of t squared.
# Reviewers under a warning count double in part 2: their other scores are the ones most worth checking.
WARNED_FACTOR = 2.0


SubmissionId = TypeVar("SubmissionId", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Priority(Generic[SubmissionId]):
    submission: SubmissionId
    gain: float  # expected fall of the class's summed squared error, in squared points
    own: float  # of which the submission's own expected squared error
    informs: int  # other submissions whose reviewers it helps to measure


def grading_priorities(explanations: Mapping[SubmissionId, ScoreExplanation], stds: Mapping[SubmissionId, float], *,
                       warned: frozenset[Hashable] | set[Hashable] = frozenset()) -> list[Priority[SubmissionId]]:
    """Every submission not yet graded by staff, the most worth grading first."""
    open_work = {s: e for s, e in explanations.items() if not e.set_by_staff}
    residuals: dict[Hashable, list[float]] = defaultdict(list)
    shares: dict[Hashable, list[tuple[SubmissionId, float]]] = defaultdict(list)
    for submission, explanation in explanations.items():
        estimate = explanation.score if explanation.set_by_staff else explanation.unclipped
        for line in explanation.lines:
            residuals[line.reviewer_id].append(line.corrected - estimate)
            if submission in open_work:
                shares[line.reviewer_id].append((submission, line.share))
    teaches: dict[Hashable, float] = {}
    for reviewer, found in residuals.items():
        m = len(found)
        variance = math.fsum(r * r for r in found) / m
        teaches[reviewer] = variance / (m * (m + 1)) * (WARNED_FACTOR if reviewer in warned else 1.0)
    priorities = []
    for submission, explanation in open_work.items():
        own = max(stds.get(submission, 0.0) ** 2, _disagreement(explanation))
        spill, informed = 0.0, set[SubmissionId]()
        for line in explanation.lines:
            for other, share in shares[line.reviewer_id]:
                if other != submission:
                    spill += teaches[line.reviewer_id] * share * share
                    informed.add(other)
        priorities.append(Priority(submission, own + spill, own, len(informed)))
    priorities.sort(key=lambda p: (-p.gain, str(p.submission)))
    return priorities


def _disagreement(explanation: ScoreExplanation) -> float:
    """The sandwich variance of the weighted combination: how far its de-biased reviews scatter around it."""
    lines = [line for line in explanation.lines if line.share > 0]
    if len(lines) < 2:
        return 0.0
    estimate = explanation.unclipped
    total = math.fsum(line.share ** 2 * (line.corrected - estimate) ** 2 for line in lines)
    return total * len(lines) / (len(lines) - 1)
