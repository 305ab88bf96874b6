"""Benchmark of aggregation accuracy: RMSE, 95% coverage and error ranking per method on every cohort family."""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/accuracy.py`

from assessment.aggregation import METHODS, CalibrationError, Estimate, PeerScore, aggregate
from benchmarks.cohorts import CALIBRATION_EXAMPLES, FAMILIES, Cohort, cohort

Z95 = 1.959964
PG1 = "pg1_gibbs"
BY_CRITERIA = "+criteria"  # the same method, the rubric's criteria modelled one by one


def pg1_gibbs(group: Cohort, sweeps: int, burn_in: int, seed: int) -> dict[int, Estimate]:
    """Piech et al. 2013's PG1 by Gibbs sampling, on scores as fractions of the scale, staff grades clamped:
    s_u ~ N(mu, 1/gamma), b_v ~ N(0, 1/eta), tau_v ~ Gamma(a, beta), z_uv ~ N(s_u + b_v, 1/tau_v), with weak
    conjugate hyperpriors on mu, gamma, eta and beta."""
    rng = np.random.default_rng(seed)
    low, high = group.scale
    width = high - low
    z = (group.total_given - low) / width
    u, v = group.submission, group.reviewer
    n_u, n_v = len(group.truth), int(v.max()) + 1
    known = np.zeros(n_u, dtype=bool)
    known[group.staff] = True
    known_z = (group.truth - low) / width
    per_v = np.bincount(v, minlength=n_v)
    with np.errstate(invalid="ignore"):
        s = np.nan_to_num(np.bincount(u, z, n_u) / np.bincount(u, minlength=n_u), nan=0.5)
    s = np.where(known, known_z, s)
    b, tau = np.zeros(n_v), np.full(n_v, 100.0)
    mu, gamma, eta, shape, beta = float(s.mean()), 40.0, 400.0, 2.0, 0.02
    total, squares, kept = np.zeros(n_u), np.zeros(n_u), 0
    for sweep in range(sweeps):
        precision = gamma + np.bincount(u, tau[v], n_u)
        mean = (gamma * mu + np.bincount(u, tau[v] * (z - b[v]), n_u)) / precision
        s = np.where(known, known_z, mean + rng.normal(size=n_u) / np.sqrt(precision))
        precision_b = eta + per_v * tau
        b = tau * np.bincount(v, z - s[u], n_v) / precision_b + rng.normal(size=n_v) / np.sqrt(precision_b)
        residual = z - s[u] - b[v]
        tau = rng.gamma(shape + per_v / 2, 1 / (beta + np.bincount(v, residual * residual, n_v) / 2))
        beta = rng.gamma(1 + n_v * shape, 1 / (0.01 + tau.sum()))
        mu = rng.normal(s.mean(), 1 / np.sqrt(gamma * n_u))
        gamma = rng.gamma(1 + n_u / 2, 1 / (0.01 + np.sum((s - mu) ** 2) / 2))
        eta = rng.gamma(1 + n_v / 2, 1 / (0.001 + np.sum(b * b) / 2))
        if sweep >= burn_in:
            total += s
            squares += s * s
            kept += 1
    mean = total / kept
    std = np.sqrt(np.maximum(squares / kept - mean * mean, 0.0))
    return {u_: Estimate(low + width * m, width * sd) for u_, (m, sd) in enumerate(zip(mean, std, strict=True))}


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged, as Spearman's correlation needs."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    average = (starts + ends - 1) / 2
    result = np.empty(len(values))
    result[order] = np.repeat(average, ends - starts)
    return result


def spearman(first: np.ndarray, second: np.ndarray) -> float:
    a, b = ranks(first), ranks(second)
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def figures(group: Cohort, estimates: dict[int, Estimate]) -> dict[str, float]:
    """RMSE, coverage of the 95% interval and Spearman(std, |error|) over the submissions staff did not grade."""
    peer_only = np.setdiff1d(np.arange(len(group.truth)), group.staff)
    score = np.array([estimates[int(s)].score for s in peer_only])
    std = np.array([estimates[int(s)].std for s in peer_only])
    error = np.abs(score - group.truth[peer_only])
    return {"rmse": float(np.sqrt(np.mean(error ** 2))), "coverage": float(np.mean(error <= Z95 * std)),
            "spearman": spearman(std, error)}


def run_family(family: str, seeds: range, students: int | None, sweeps: int, signed: bool,
               methods: tuple[str, ...] = (*METHODS, PG1)) -> list[dict[str, object]]:
    results: dict[str, list[dict[str, float]]] = {method: [] for method in methods}
    started = dict.fromkeys(results, 0.0)
    for seed in seeds:
        group = cohort(family, seed, students)
        scores = group.peer_scores()
        by_criterion = group.signed_error_by_criterion()
        errors = {reviewer: CalibrationError(error, CALIBRATION_EXAMPLES, by_criterion[reviewer])
                  for reviewer, error in group.signed_error().items()} if signed else None
        for method in (method for method in METHODS if method in methods):
            clock = time.perf_counter()
            estimates = aggregate(scores, method, scale=group.scale, reviewer_accuracy=group.accuracy,
                                  known=group.known(), calibration_error=errors)
            started[method] += time.perf_counter() - clock
            results[method].append(figures(group, estimates))
            if len(group.weights) > 1:
                clock = time.perf_counter()
                estimates = aggregate(group.criterion_scores(), method, scale=group.scale,
                                      reviewer_accuracy=group.accuracy, known=group.known(), calibration_error=errors)
                started[f"{method}{BY_CRITERIA}"] = started.get(f"{method}{BY_CRITERIA}", 0.0) + time.perf_counter() - clock
                results.setdefault(f"{method}{BY_CRITERIA}", []).append(figures(group, estimates))
        if PG1 in methods:
            clock = time.perf_counter()
            results[PG1].append(figures(group, pg1_gibbs(group, sweeps, sweeps // 3, seed)))
            started[PG1] += time.perf_counter() - clock
    lines = []
    for method, runs in results.items():
        line: dict[str, object] = {"bench": "accuracy", "family": family, "method": method, "seeds": len(seeds)}
        for key in ("rmse", "coverage", "spearman"):
            line[key] = round(float(np.mean([run[key] for run in runs])), 4)
        line["seconds"] = round(started[method] / len(seeds), 4)
        lines.append(line)
    return lines


def speed(reviews: int, criteria: int, runs: int) -> dict[str, object]:
    """Seconds for "reliability" on reviews * criteria scores, each naming its criterion (by default 100,000
    submissions, 5 reviews each, 5 criteria)."""
    rng = np.random.default_rng(7)
    submissions = reviews // 5
    offsets = np.array([1, 7, 31, 127, 509])
    submission = np.repeat(np.arange(submissions), 5)
    reviewer = (submission + np.tile(offsets, submissions)) % submissions
    truth = rng.normal(6.5, 1.5, submissions)
    bias = rng.normal(0, 1, submissions)
    given = np.clip(np.rint(truth[submission] + bias[reviewer] + rng.normal(0, 1, len(submission))), 0, 10)
    scores = [PeerScore(s, r, v, criterion=c, weight=1.0)
              for s, r, v, c in zip(np.repeat(submission, criteria).tolist(), np.repeat(reviewer, criteria).tolist(),
                                    np.repeat(given, criteria).tolist(), np.tile(np.arange(criteria), len(given)).tolist(),
                                    strict=True)]
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        clock = time.perf_counter()
        aggregate(scores, "reliability", scale=(0.0, 10.0))
        best = min(best, time.perf_counter() - clock)
    return {"bench": "accuracy_speed", "method": "reliability", "scores": len(scores), "criteria": criteria,
            "seconds": round(best, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer seeds and students: about a minute")
    parser.add_argument("--family", action="append", choices=sorted(FAMILIES), help="only these families")
    parser.add_argument("--no-signed-error", action="store_true",
                        help="withhold calibration's signed errors from the methods")
    parser.add_argument("--no-speed", action="store_true", help="skip the 500,000-score timing")
    parser.add_argument("--seeds", type=int, help="how many cohorts of each family (10; 3 with --quick)")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="the first cohort's seed: a model tuned on seeds 0-9 is checked on others")
    parser.add_argument("--method", action="append", choices=(*METHODS, PG1), help="only these methods")
    options = parser.parse_args()
    count, students, sweeps = (3, 200, 600) if options.quick else (10, None, 1500)
    seeds = range(options.first_seed, options.first_seed + (options.seeds or count))
    methods = tuple(options.method or (*METHODS, PG1))
    for family in options.family or FAMILIES:
        for line in run_family(family, seeds, students, sweeps, not options.no_signed_error, methods):
            print(json.dumps(line), flush=True)
    if not options.no_speed:
        print(json.dumps(speed(100_000, 5, 1 if options.quick else 3)), flush=True)


if __name__ == "__main__":
    main()
