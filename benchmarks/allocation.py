"""Benchmark of reviewer allocation: time for growing classes, checked for exact counts, no self-review and balance."""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/allocation.py`

from assessment.allocation import allocate

K = 5
RUNS = 3
GROUP_SIZE = 4

Forbidden = Callable[[int, int], bool] | None
Result = TypeVar("Result")


def best_of_runs(work: Callable[[int], Result]) -> tuple[float, Result]:
    best = float("inf")
    for run in range(RUNS):
        gc.collect()  # each run starts from the same heap; an earlier run's garbage is not charged to it
        started = time.perf_counter()
        result = work(run)
        best = min(best, time.perf_counter() - started)
        if run < RUNS - 1:
            del result  # nor is its memory kept alive through the next run
    return best, result


def is_valid(pairs: list[tuple[int, int]], authors: dict[int, int], reviewers: list[int], forbidden: Forbidden,
             teams: dict[int, int] | None = None) -> bool:
    per_submission = Counter(submission for _, submission in pairs)
    loads = Counter(reviewer for reviewer, _ in pairs)
    loads.update(dict.fromkeys(reviewers, 0))
    return (
        len(set(pairs)) == len(pairs)
        and all(per_submission[submission] == K for submission in authors)
        and all(reviewer != authors[submission] for reviewer, submission in pairs)
        and (forbidden is None or not any(forbidden(reviewer, submission) for reviewer, submission in pairs))
        and (teams is None or not any(teams[reviewer] == teams[authors[submission]] for reviewer, submission in pairs))
        and max(loads.values()) - min(loads.values()) <= 1
    )


def run(n: int, mode: str) -> float:
    authors = {submission: submission for submission in range(n)}  # submission i is person i's
    reviewers = list(range(n))
    forbidden: Forbidden = None
    teams: dict[int, int] | None = None
    if mode == "extra_reviewers":
        reviewers += list(range(n, n + n // 10))
    elif mode == "forbidden_groups":
        def forbidden(reviewer: int, submission: int) -> bool:
            return reviewer // GROUP_SIZE == authors[submission] // GROUP_SIZE
    elif mode == "teams":
        # Teams of four, and one student in ten never submits but still reviews: a team course as it really runs.
        teams = {person: person // GROUP_SIZE for person in reviewers}
        authors = {submission: person for submission, person in authors.items() if person % 10 != 3}
    seconds, pairs = best_of_runs(
        lambda seed: allocate(authors, reviewers, K, seed=seed, forbidden=forbidden, teams=teams))
    result = {"bench": "allocation", "n": n, "k": K, "seconds": round(seconds, 4), "mode": mode,
              "valid": is_valid(pairs, authors, reviewers, forbidden, teams)}
    print(json.dumps(result), flush=True)
    return seconds


def tuple_floor(n: int) -> float:
    # Only building the n*k result tuples, a random reviewer beside each submission: the part of any allocation
    # that the contract's list of pairs fixes. Its own growth from 10k to 100k is the floor of the scaling ratio.
    people = list(range(n))
    reviewers = [people[index] for index in random.Random(n).choices(range(n), k=n * K)]
    submissions = [submission for submission in people for _ in range(K)]
    seconds, _ = best_of_runs(lambda _run: list(zip(reviewers, submissions, strict=True)))
    return seconds


def main() -> None:
    seconds = {(n, "authors"): run(n, "authors") for n in (1_000, 10_000, 100_000)}
    for mode in ("extra_reviewers", "teams", "forbidden_groups"):
        for n in (10_000, 100_000):
            seconds[n, mode] = run(n, mode)
    print(json.dumps({
        "bench": "allocation_scaling",
        "ratio_100k_over_10k": {
            mode: round(seconds[100_000, mode] / seconds[10_000, mode], 2)
            for mode in ("authors", "extra_reviewers", "teams", "forbidden_groups")
        },
        "target_ratio": 12,
        "tuple_building_ratio_100k_over_10k": round(tuple_floor(100_000) / tuple_floor(10_000), 2),
    }))


if __name__ == "__main__":
    main()
