"""Benchmark of triage: how much class RMSE falls when staff grade 5% of submissions chosen by the tool, at random, by
top std, or (as a bound) by the actual error."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/triage.py`

from assessment.aggregation import PeerScore, aggregate, explain
from assessment.allocation import allocate
from assessment.reviewer_warnings import judged_reviews, reviewer_warnings
from assessment.score_explanation import ScoreExplanation, from_stored, to_stored
from assessment.triage import grading_priorities

STUDENTS = 500
REVIEWS_EACH = 3
STAFF_SHARE = 0.05
SEEDS = 8
RANDOM_DRAWS = 20  # random choices per cohort, averaged: one draw is too noisy to compare with
SCALE = (0.0, 10.0)


@dataclass(frozen=True)
class Family:
    """A kind of class: how true scores and reviewers are drawn."""

    true_mean: float = 6.5
    true_sd: float = 1.5
    bias_sd: float = 1.0
    careless_share: float = 0.2  # reviewers whose noise sd is CARELESS_SD
    constant_share: float = 0.0  # reviewers who give every submission the same score
    colluding_pairs: float = 0.0  # share of students in pairs that give each other full marks


CARELESS_SD = 3.0
FAMILIES = {
    "typical": Family(),
    "constant_scores": Family(constant_share=0.2),
    "colluding_pairs": Family(colluding_pairs=0.2),
    "ceiling": Family(true_mean=9.0, true_sd=1.2),
    "small_bias": Family(bias_sd=0.3, careless_share=0.1),
}


@dataclass(frozen=True)
class Class:
    truth: np.ndarray
    scores: list[PeerScore[int, int]]


def draw(family: Family, seed: int) -> Class:
    rng = np.random.default_rng(seed)
    n = STUDENTS
    truth = np.clip(rng.normal(family.true_mean, family.true_sd, n), *SCALE)
    bias = rng.normal(0.0, family.bias_sd, n)
    noise = np.where(rng.random(n) < family.careless_share, CARELESS_SD, 1 / np.sqrt(rng.gamma(2.0, 1.0, n)))
    constant = rng.random(n) < family.constant_share
    constant_score = np.rint(rng.uniform(6, 9, n))
    pairs = _pairs(rng, n, family.colluding_pairs)
    pairs_of = {a: b for a, b in pairs} | {b: a for a, b in pairs}
    links = allocate({s: s for s in range(n)}, list(range(n)), REVIEWS_EACH, seed=seed)
    links = _with_partners(links, pairs_of)
    scores = []
    for reviewer, submission in links:
        if pairs_of.get(reviewer) == submission:
            value = SCALE[1]
        elif constant[reviewer]:
            value = constant_score[reviewer]
        else:
            value = np.clip(np.rint(truth[submission] + bias[reviewer] + rng.normal(0, noise[reviewer])), *SCALE)
        scores.append(PeerScore(submission, reviewer, float(value)))
    return Class(truth, scores)


def _pairs(rng: np.random.Generator, n: int, share: float) -> list[tuple[int, int]]:
    chosen = rng.permutation(n)[: int(share * n) // 2 * 2]
    return [(int(a), int(b)) for a, b in chosen.reshape(-1, 2)]


def _with_partners(links: list[tuple[int, int]], partner: dict[int, int]) -> list[tuple[int, int]]:
    """Each colluder also reviews their partner's work (one review more), so nobody's work loses a reviewer."""
    allocated = set(links)
    extra = [(reviewer, work) for reviewer, work in partner.items() if (reviewer, work) not in allocated]
    return links + extra


def rmse(group: Class, known: dict[int, float]) -> float:
    estimates = aggregate(group.scores, scale=SCALE, known=known)
    values = np.array([estimates[s].score for s in range(STUDENTS)])
    return float(np.sqrt(np.mean((values - group.truth) ** 2)))


def stored_explanations(group: Class) -> dict[int, ScoreExplanation]:
    explained = explain(group.scores, scale=SCALE)
    result = {}
    for submission, explanation in explained.items():
        stored = from_stored(to_stored(explanation, "reliability",
                                       {part.reviewer: index for index, part in enumerate(explanation.parts)}))
        assert stored is not None
        result[submission] = stored
    return result


Chooser = Callable[[Class, int, np.random.Generator], list[int]]


def by_tool(group: Class, count: int, rng: np.random.Generator) -> list[int]:
    explanations = stored_explanations(group)
    stds = {s: e.std for s, e in aggregate(group.scores, scale=SCALE).items()}
    warnings = reviewer_warnings(judged_reviews(explanations, scale=SCALE), {s: s for s in range(STUDENTS)},
                                 scale_width=SCALE[1] - SCALE[0])
    ranked = grading_priorities(explanations, stds, warned=warnings.reviewers)
    return [p.submission for p in ranked[:count]]


def by_std(group: Class, count: int, rng: np.random.Generator) -> list[int]:
    estimates = aggregate(group.scores, scale=SCALE)
    return sorted(range(STUDENTS), key=lambda s: -estimates[s].std)[:count]


def by_error(group: Class, count: int, rng: np.random.Generator) -> list[int]:
    estimates = aggregate(group.scores, scale=SCALE)
    return sorted(range(STUDENTS), key=lambda s: -abs(estimates[s].score - group.truth[s]))[:count]


def at_random(group: Class, count: int, rng: np.random.Generator) -> list[int]:
    return rng.choice(STUDENTS, count, replace=False).tolist()


def reduction(group: Class, chosen: list[int], before: float) -> float:
    return before - rmse(group, {s: float(group.truth[s]) for s in chosen})


def run(family_name: str, seed: int) -> dict[str, object]:
    group = draw(FAMILIES[family_name], seed)
    count = round(STAFF_SHARE * STUDENTS)
    before = rmse(group, {})
    rng = np.random.default_rng(seed + 10_000)
    random = float(np.mean([reduction(group, at_random(group, count, rng), before) for _ in range(RANDOM_DRAWS)]))
    return {"bench": "triage", "family": family_name, "seed": seed, "n": STUDENTS, "k": REVIEWS_EACH,
            "staff_graded": count, "rmse_before": round(before, 4),
            "reduction_random": round(random, 4),
            "reduction_top_std": round(reduction(group, by_std(group, count, rng), before), 4),
            "reduction_tool": round(reduction(group, by_tool(group, count, rng), before), 4),
            "reduction_oracle": round(reduction(group, by_error(group, count, rng), before), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--family", choices=sorted(FAMILIES), action="append")
    arguments = parser.parse_args()
    for family in arguments.family or list(FAMILIES):
        rows = [run(family, seed) for seed in range(arguments.seeds)]
        for row in rows:
            print(json.dumps(row))
        summary = {key: round(float(np.mean([row[key] for row in rows])), 4)  # type: ignore[call-overload]
                   for key in ("rmse_before", "reduction_random", "reduction_top_std", "reduction_tool",
                               "reduction_oracle")}
        tool, random = summary["reduction_tool"], summary["reduction_random"]
        print(json.dumps({"bench": "triage", "family": family, "seeds": arguments.seeds, **summary,
                          "tool_over_random": round(tool / random - 1, 3) if random else None}))


if __name__ == "__main__":
    main()
