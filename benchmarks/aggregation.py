"""Benchmark of aggregation speed: every method on 100,000 submissions with 5 reviews each, best of 3 runs."""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/aggregation.py`

from assessment.aggregation import METHODS, PeerScore, aggregate

SUBMISSIONS = 100_000
REVIEWS_EACH = 5
RUNS = 3
SCALE = (0.0, 10.0)
SEED = 2024


def cohort() -> tuple[list[PeerScore], dict[int, float]]:
    # Student i reviews the submissions of students i + offset for five fixed offsets: everyone reviews five and is
    # reviewed five times, like the allocation's circulant design, without timing the allocation itself.
    rng = np.random.default_rng(SEED)
    true = np.clip(rng.normal(6.5, 1.5, SUBMISSIONS), *SCALE)
    bias = rng.normal(0.0, 1.0, SUBMISSIONS)
    offsets = np.array([1, 7, 31, 127, 509])[:REVIEWS_EACH]
    submissions = np.repeat(np.arange(SUBMISSIONS), REVIEWS_EACH)
    reviewers = (submissions + np.tile(offsets, SUBMISSIONS)) % SUBMISSIONS
    given = np.clip(np.rint(true[submissions] + bias[reviewers] + rng.normal(0.0, 1.0, len(submissions))), *SCALE)
    scores = [
        PeerScore(submission, reviewer, score)
        for submission, reviewer, score in zip(submissions.tolist(), reviewers.tolist(), given.tolist(), strict=True)
    ]
    accuracy = dict(enumerate(np.clip(1 - np.abs(bias) / 10, 0, 1).tolist()))
    return scores, accuracy


def main() -> None:
    scores, accuracy = cohort()
    for method in METHODS:
        best = float("inf")
        for _ in range(RUNS):
            gc.collect()
            started = time.perf_counter()
            estimates = aggregate(scores, method, scale=SCALE, reviewer_accuracy=accuracy)
            best = min(best, time.perf_counter() - started)
            del estimates
        print(json.dumps({
            "bench": "aggregation", "method": method, "submissions": SUBMISSIONS, "reviews_each": REVIEWS_EACH,
            "seconds": round(best, 4),
        }), flush=True)


if __name__ == "__main__":
    main()
