"""Benchmark of teammate ratings: how well factors and warnings separate simulated free riders from honest members,
how often honest teams raise each warning, and how long a class of teams takes."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/teams.py`

from assessment.contribution import contribution_factors
from assessment.teammate_warnings import teammate_warnings

SCALE = (1, 5)
LENIENCY_SD = 0.5  # raters' own leniency, in scale points
NOISE_SD = 0.6  # how far one rating strays from the rater's view
SELF_FAVOUR = 0.4  # points honest members add to their own rating
FREE_RIDER_SHARE = 0.2  # teams with one member who contributes little


def simulate(teams: int, size: int, seed: int) -> dict[str, object]:
    """Ratings on a 1-5 scale: 4 for an ordinary contribution, 2 for a free rider, moved by leniency and noise."""
    rng = np.random.default_rng(seed)
    counts = {"honest": 0, "free_riders": 0, "rider_flagged": 0, "honest_flagged": 0, "honest_overconfident": 0,
              "honest_teams_with_camps": 0, "honest_teams": 0}
    rider_factors, honest_factors = [], []
    seconds = 0.0
    for _ in range(teams):
        members = list(range(size))
        rider = int(rng.integers(size)) if rng.random() < FREE_RIDER_SHARE else None
        view = {m: 2.0 if m == rider else 4.0 for m in members}
        ratings = {}
        for rater in members:
            leniency = rng.normal(0, LENIENCY_SD)
            for ratee in members:
                value = view[ratee] + leniency + rng.normal(0, NOISE_SD) + (SELF_FAVOUR if rater == ratee else 0)
                ratings[rater, ratee] = float(np.clip(np.rint(value), *SCALE))
        started = time.perf_counter()
        factors = contribution_factors(ratings, members, scale=SCALE)
        warnings = teammate_warnings(ratings, members, scale=SCALE)
        seconds += time.perf_counter() - started
        flagged = {w.member for w in warnings.free_riders}
        overconfident = {w.member for w in warnings.overconfident}
        for member in members:
            if member == rider:
                counts["free_riders"] += 1
                counts["rider_flagged"] += member in flagged
                rider_factors.append(factors[member])
            else:
                counts["honest"] += 1
                counts["honest_flagged"] += member in flagged
                honest_factors.append(factors[member])
                counts["honest_overconfident"] += member in overconfident
        if rider is None:
            counts["honest_teams"] += 1
            counts["honest_teams_with_camps"] += bool(warnings.camps)
    return {
        "bench": "teams", "teams": teams, "size": size, "seed": seed,
        "free_rider_detected": round(counts["rider_flagged"] / max(counts["free_riders"], 1), 3),
        "honest_flagged_free_rider": round(counts["honest_flagged"] / counts["honest"], 4),
        "honest_flagged_overconfident": round(counts["honest_overconfident"] / counts["honest"], 4),
        "honest_teams_flagged_camps": round(counts["honest_teams_with_camps"] / max(counts["honest_teams"], 1), 4),
        "mean_factor_free_rider": round(float(np.mean(rider_factors)), 3) if rider_factors else None,
        "mean_factor_honest": round(float(np.mean(honest_factors)), 3),
        "seconds": round(seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for size in (3, 4, 5, 6):
        print(json.dumps(simulate(args.teams, size, args.seed)))


if __name__ == "__main__":
    main()
