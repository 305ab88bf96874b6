"""Benchmark of aggregation accuracy: RMSE against true scores on synthetic cohorts of biased, noisy, careless reviewers."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/accuracy.py`

from assessment.aggregation import METHODS, PeerScore, aggregate
from assessment.allocation import allocate

STUDENTS = 2_000
REVIEWS_EACH = (3, 5)
SEEDS = 10
SCALE = (0.0, 10.0)
TRUE_MEAN, TRUE_SD = 6.5, 1.5
BIAS_SD = 1.0
NOISE_SHAPE = 2.0  # noise sd = 1 / sqrt(precision), precision ~ Gamma(shape 2, scale 1)
CARELESS_SHARE, CARELESS_SD = 0.2, 3.0
CALIBRATION_EXAMPLES = 3


@dataclass(frozen=True)
class Cohort:
    true_scores: np.ndarray  # per student's submission
    bias: np.ndarray  # per reviewer
    noise_sd: np.ndarray  # per reviewer

    def observe(self, true: np.ndarray, reviewers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """What the reviewers give the work: their bias and noise added, then rounded to whole points on the scale."""
        raw = true + self.bias[reviewers] + rng.normal(0.0, self.noise_sd[reviewers])
        return np.clip(np.rint(raw), *SCALE)


def true_scores(size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    return np.clip(rng.normal(TRUE_MEAN, TRUE_SD, size), *SCALE)


def cohort(rng: np.random.Generator) -> Cohort:
    noise_sd = 1 / np.sqrt(rng.gamma(NOISE_SHAPE, 1.0, STUDENTS))
    careless = rng.random(STUDENTS) < CARELESS_SHARE
    return Cohort(
        true_scores=true_scores(STUDENTS, rng),
        bias=rng.normal(0.0, BIAS_SD, STUDENTS),
        noise_sd=np.where(careless, CARELESS_SD, noise_sd),
    )


def calibration_accuracy(group: Cohort, rng: np.random.Generator) -> dict[int, float]:
    # Every student assesses the same few staff-graded examples, under the same model of bias and noise.
    examples = true_scores(CALIBRATION_EXAMPLES, rng)
    students = np.repeat(np.arange(STUDENTS), CALIBRATION_EXAMPLES)
    given = group.observe(np.tile(examples, STUDENTS), students, rng).reshape(STUDENTS, CALIBRATION_EXAMPLES)
    width = SCALE[1] - SCALE[0]
    accuracy = 1 - np.abs(given - examples).mean(axis=1) / width
    return dict(enumerate(accuracy.tolist()))


def rmse_by_method(k: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    group = cohort(rng)
    accuracy = calibration_accuracy(group, rng)
    pairs = np.array(allocate({student: student for student in range(STUDENTS)}, list(range(STUDENTS)), k, seed=seed))
    reviewers, submissions = pairs[:, 0], pairs[:, 1]
    given = group.observe(group.true_scores[submissions], reviewers, rng)
    scores = [
        PeerScore(submission, reviewer, score)
        for reviewer, submission, score in zip(reviewers.tolist(), submissions.tolist(), given.tolist(), strict=True)
    ]
    rmse = {}
    for method in METHODS:
        estimates = aggregate(scores, method, scale=SCALE, reviewer_accuracy=accuracy)
        estimated = np.array([estimates[student].score for student in range(STUDENTS)])
        rmse[method] = float(np.sqrt(np.mean((estimated - group.true_scores) ** 2)))
    return rmse


def main() -> None:
    for k in REVIEWS_EACH:
        runs = [rmse_by_method(k, seed) for seed in range(SEEDS)]
        baseline = float(np.mean([run["mean"] for run in runs]))
        for method in METHODS:
            values = np.array([run[method] for run in runs])
            print(json.dumps({
                "bench": "accuracy", "k": k, "method": method, "students": STUDENTS, "seeds": SEEDS,
                "rmse_mean": round(float(values.mean()), 4), "rmse_sd": round(float(values.std(ddof=1)), 4),
                "ratio_to_mean": round(float(values.mean()) / baseline, 4),
            }), flush=True)


if __name__ == "__main__":
    main()
