"""Benchmark of the review queue on PostgreSQL: latency of concurrent `request_review` calls, then its invariants."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/review_queue.py`

from sqlalchemy import create_engine, text, update
from sqlalchemy.orm import sessionmaker

from assessment.db import make_session_factory
from assessment.errors import NothingToReview
from assessment.models import Review, ReviewStatus
from assessment.peer_review import ReviewerContext, request_review
from lti_tool import migrate
from lti_tool import models as _models  # noqa: F401  (every table on the metadata)
from tests.support.cohort import Cohort, create_cohort, queue_violations
from tests.support.services import postgres_database

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"




class Students:
    """Students who still owe reviews and are not asking right now; a student asks from one thread at a time."""

    def __init__(self, ids: list[int], owed: int, requests: int, seed: int) -> None:
        self._waiting = list(ids)
        self._done = dict.fromkeys(ids, 0)
        self._owed = owed
        self._left = requests
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def take(self) -> int | None:
        with self._lock:
            if self._left == 0 or not self._waiting:
                return None
            self._left -= 1
            index = self._random.randrange(len(self._waiting))
            # Swap with the last to remove in constant time; the order of the waiting list does not matter.
            self._waiting[index], self._waiting[-1] = self._waiting[-1], self._waiting[index]
            return self._waiting.pop()

    def give_back(self, student: int, reviewed: bool) -> None:
        with self._lock:
            self._done[student] += reviewed
            if reviewed and self._done[student] < self._owed:
                self._waiting.append(student)


def reviewer(sessions: sessionmaker, cohort: Cohort, students: Students, think: float,
             seed: int) -> tuple[list[float], int]:
    """Ask for reviews for random students until the requests run out; returns each request's seconds."""
    timings: list[float] = []
    nothing = 0
    pause = random.Random(seed)
    with sessions() as session:
        session.connection()  # connecting is not part of a request
        session.commit()
        while (student := students.take()) is not None:
            if think:
                time.sleep(pause.uniform(0, 2 * think))  # spread out, so that reviewers do not ask in lockstep
            started = time.perf_counter()
            try:
                review = request_review(session, ReviewerContext(cohort.assignment_id, student, True), datetime.now(UTC))
                session.commit()
            except NothingToReview:
                session.rollback()
                nothing += 1
                students.give_back(student, reviewed=False)
                continue
            finally:
                timings.append(time.perf_counter() - started)
            # Handing the review in (not timed) lets the student ask for their next one, as in class.
            session.execute(update(Review).where(Review.id == review.id)
                            .values(status=ReviewStatus.SUBMITTED, submitted_at=datetime.now(UTC)))
            session.commit()
            students.give_back(student, reviewed=True)
    return timings, nothing


@dataclass(frozen=True)
class Share:
    """One process's part of the run: its own students (disjoint from the others') and its reviewer threads."""

    url: str
    cohort: Cohort
    options: argparse.Namespace
    index: int


def run_share(share: Share) -> tuple[list[float], int]:
    options, processes = share.options, share.options.processes
    threads = max(1, options.reviewers // processes + (share.index < options.reviewers % processes))
    engine = create_engine(share.url, pool_size=threads + 2, max_overflow=0)
    sessions = make_session_factory(engine)
    mine = share.cohort.student_ids[share.index::processes]
    students = Students(mine, options.k, options.requests // processes, seed=1 + share.index)
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(
                lambda seed: reviewer(sessions, share.cohort, students, options.think_ms / 1000, seed),
                range(share.index * 1000, share.index * 1000 + threads)))
    finally:
        engine.dispose()
    return [seconds for thread, _ in results for seconds in thread], sum(nothing for _, nothing in results)


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=50, help="concurrent threads, each with its own session")
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("-k", type=int, default=5, help="reviews per submission (and per student)")
    parser.add_argument("--processes", type=int, default=1,
                        help="processes sharing the reviewers, as web server worker processes would")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean pause of each reviewer before a request; 0 keeps every thread asking (saturation)")
    options = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    server = server if server.startswith(("postgres://", "postgresql")) else DEFAULT_SERVER

    with postgres_database(server, "peerlti_bench") as url:
        migrate.upgrade(url)
        engine = create_engine(url, pool_size=2, max_overflow=0)
        try:
            with make_session_factory(engine)() as session:
                cohort = create_cohort(session, options.students, reviews_per_submission=options.k,
                                       reviews_per_student=options.k)
                session.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would give a real class
                session.commit()
            shares = [Share(url, cohort, options, process) for process in range(options.processes)]
            started = time.perf_counter()
            if options.processes == 1:
                outcomes = [run_share(shares[0])]
            else:
                with ProcessPoolExecutor(max_workers=options.processes, mp_context=get_context("spawn")) as pool:
                    outcomes = list(pool.map(run_share, shares))
            elapsed = time.perf_counter() - started
            timings = sorted(seconds for share_timings, _ in outcomes for seconds in share_timings)
            results = [(None, nothing) for _, nothing in outcomes]
            with make_session_factory(engine)() as session:
                violations = queue_violations(session, cohort.assignment_id, options.k)
        finally:
            engine.dispose()

    milliseconds = [seconds * 1000 for seconds in timings]
    print(json.dumps({
        "bench": "review_queue", "database": "postgresql", "submissions": options.students,
        "reviewers": options.reviewers, "processes": options.processes, "requests": len(timings), "k": options.k,
        "think_ms": options.think_ms,
        "p50_ms": round(percentile(milliseconds, 0.50), 2), "p95_ms": round(percentile(milliseconds, 0.95), 2),
        "p99_ms": round(percentile(milliseconds, 0.99), 2), "max_ms": round(milliseconds[-1], 2),
        "throughput_per_s": round(len(timings) / elapsed, 1), "nothing_to_review": sum(n for _, n in results),
        "over_k": violations["over_k"], "self_reviews": violations["self_reviews"],
        "load_mismatches": violations["load_mismatches"], "duplicates": violations["duplicates"],
        "negative_loads": violations["negative_loads"],
    }), flush=True)


if __name__ == "__main__":
    main()
