"""Benchmark of the review queue on PostgreSQL: concurrent `request_review` beside a raw-SQL claim (the floor)."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/review_queue.py`

import psycopg
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import sessionmaker

from assessment.db import make_session_factory
from assessment.errors import NothingToReview
from assessment.peer_review import ReviewerContext, request_review
from lti_tool import migrate
from lti_tool import models as _models  # noqa: F401  (every table on the metadata)
from tests.support.cohort import Cohort, create_cohort, queue_violations
from tests.support.services import postgres_database

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TOOLS = ("peerlti", "floor")

# The floor: the least any SKIP LOCKED queue sends for a claim, three statements and a commit on a bare psycopg
# connection, with no checks of phase, role, quota or held leases. Same eligibility and order as the queue's rule 7-8.
FLOOR_PICK = """
SELECT s.id FROM submissions s
WHERE s.assignment_id = %(assignment)s AND s.author_id <> %(reviewer)s AND s.review_load < %(k)s
  AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.submission_id = s.id AND r.reviewer_id = %(reviewer)s
                  AND r.kind = 'peer')
  AND EXISTS (SELECT 1 FROM submission_versions v WHERE v.submission_id = s.id)
ORDER BY s.review_load, s.created_at, s.id LIMIT 1 FOR UPDATE OF s SKIP LOCKED"""
FLOOR_CLAIM = "UPDATE submissions SET review_load = review_load + 1 WHERE id = %(submission)s"
FLOOR_INSERT = """
INSERT INTO reviews (assignment_id, submission_id, submission_version_id, reviewer_id, kind, status, assigned_at,
                     lease_expires_at, beyond_quota, selections, comments, helpfulness_comment, updated_at, version)
VALUES (%(assignment)s, %(submission)s,
        (SELECT max(v.id) FROM submission_versions v WHERE v.submission_id = %(submission)s),
        %(reviewer)s, 'peer', 'assigned', now(), now() + interval '24 hours', false, '{}', '{}', '', now(), 1)
RETURNING id"""
FLOOR_HAND_IN = "UPDATE reviews SET status = 'submitted', submitted_at = now() WHERE id = %(review)s"
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


def peerlti_reviewer(url: str, cohort: Cohort, students: Students, think: float, seed: int,
                     sessions: sessionmaker) -> tuple[list[float], int]:
    """Ask for reviews for random students until the requests run out; returns each request's seconds."""
    timings: list[float] = []
    nothing = 0
    pause = random.Random(seed)
    # Each reviewer holds one connection, as the floor's do: the session begins and commits its transactions on it.
    with sessions.kw["bind"].connect() as connection, sessions(bind=connection) as session:
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
            # Handing the review in (not timed) lets the student ask for their next one, as in class. It is the
            # floor's statement on the driver, so that the untimed work of both tools weighs the same on the others.
            session.connection().exec_driver_sql(FLOOR_HAND_IN, {"review": review.id})
            session.commit()
            students.give_back(student, reviewed=True)
    return timings, nothing


def floor_reviewer(url: str, cohort: Cohort, students: Students, think: float, seed: int,
                   sessions: sessionmaker) -> tuple[list[float], int]:
    """The same reviewers claiming with the floor's three statements on their own psycopg connection."""
    timings: list[float] = []
    nothing = 0
    pause = random.Random(seed)
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as connection:
        while (student := students.take()) is not None:
            if think:
                time.sleep(pause.uniform(0, 2 * think))
            started = time.perf_counter()
            values = {"assignment": cohort.assignment_id, "reviewer": student, "k": cohort.reviews_per_submission}
            with connection.cursor() as cursor:
                picked = cursor.execute(FLOOR_PICK, values).fetchone()
                if picked is None:
                    connection.rollback()
                    timings.append(time.perf_counter() - started)
                    nothing += 1
                    students.give_back(student, reviewed=False)
                    continue
                values["submission"] = picked[0]
                cursor.execute(FLOOR_CLAIM, values)
                review = cursor.execute(FLOOR_INSERT, values).fetchone()
                connection.commit()
                timings.append(time.perf_counter() - started)
                assert review is not None
                cursor.execute(FLOOR_HAND_IN, {"review": review[0]})
                connection.commit()
            students.give_back(student, reviewed=True)
    return timings, nothing


REVIEWERS: dict[str, Callable[..., tuple[list[float], int]]] = {"peerlti": peerlti_reviewer, "floor": floor_reviewer}


@dataclass(frozen=True)
class Share:
    """One process's part of the run: its own students (disjoint from the others') and its reviewer threads."""

    url: str
    cohort: Cohort
    options: argparse.Namespace
    index: int
    tool: str


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
                lambda seed: REVIEWERS[share.tool](share.url, share.cohort, students, options.think_ms / 1000, seed,
                                                   sessions),
                range(share.index * 1000, share.index * 1000 + threads)))
    finally:
        engine.dispose()
    return [seconds for thread, _ in results for seconds in thread], sum(nothing for _, nothing in results)


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run(url: str, engine, options: argparse.Namespace, tool: str) -> dict[str, object]:
    """One tool on a fresh class of its own: the timings of its requests, then the queue's invariants."""
    with make_session_factory(engine)() as session:
        cohort = create_cohort(session, options.students, reviews_per_submission=options.k,
                               reviews_per_student=options.k)
        session.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would give a real class
        session.commit()
    shares = [Share(url, cohort, options, process, tool) for process in range(options.processes)]
    started = time.perf_counter()
    if options.processes == 1:
        outcomes = [run_share(shares[0])]
    else:
        with ProcessPoolExecutor(max_workers=options.processes, mp_context=get_context("spawn")) as pool:
            outcomes = list(pool.map(run_share, shares))
    elapsed = time.perf_counter() - started
    milliseconds = sorted(seconds * 1000 for share_timings, _ in outcomes for seconds in share_timings)
    with make_session_factory(engine)() as session:
        violations = queue_violations(session, cohort.assignment_id, options.k)
    return {
        "tool": tool, "requests": len(milliseconds),
        "p50_ms": round(percentile(milliseconds, 0.50), 2), "p95_ms": round(percentile(milliseconds, 0.95), 2),
        "p99_ms": round(percentile(milliseconds, 0.99), 2), "max_ms": round(milliseconds[-1], 2),
        "throughput_per_s": round(len(milliseconds) / elapsed, 1),
        "nothing_to_review": sum(nothing for _, nothing in outcomes),
        "violations": sum(violations.values()), **violations,
    }


def summary(rounds: list[dict[str, dict[str, object]]]) -> dict[str, object]:
    """Min and median over the rounds of each tool's p95 and throughput, and peerlti's ratios to the floor."""
    figures: dict[str, object] = {}
    for tool in TOOLS:
        for figure in ("p50_ms", "p95_ms", "throughput_per_s"):
            values = [float(r[tool][figure]) for r in rounds]  # type: ignore[arg-type]
            figures[f"{tool}_{figure}_min"] = round(min(values), 2)
            figures[f"{tool}_{figure}_median"] = round(statistics.median(values), 2)
    # Ratios within each round (both tools measured minutes apart on the same machine), then their median.
    p95 = [float(r["peerlti"]["p95_ms"]) / float(r["floor"]["p95_ms"]) for r in rounds]  # type: ignore[arg-type]
    rate = [float(r["peerlti"]["throughput_per_s"]) / float(r["floor"]["throughput_per_s"])  # type: ignore[arg-type]
            for r in rounds]
    figures["p95_ratio_median"] = round(statistics.median(p95), 2)
    figures["p95_ratio_best"] = round(min(p95), 2)
    figures["throughput_ratio_median"] = round(statistics.median(rate), 2)
    figures["throughput_ratio_best"] = round(max(rate), 2)
    figures["violations"] = sum(int(r[tool]["violations"]) for r in rounds for tool in TOOLS)  # type: ignore[call-overload]
    return figures


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
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both tools, their order alternating")
    options = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    server = server if server.startswith(("postgres://", "postgresql")) else DEFAULT_SERVER

    rounds: list[dict[str, dict[str, object]]] = []
    with postgres_database(server, "peerlti_bench") as url:
        migrate.upgrade(url)
        engine = create_engine(url, pool_size=2, max_overflow=0)
        try:
            for number in range(options.rounds):
                result = {}
                # Alternating which goes first spreads the drift of a shared machine over both tools.
                for tool in TOOLS if number % 2 == 0 else TOOLS[::-1]:
                    result[tool] = run(url, engine, options, tool)
                    print(json.dumps({"bench": "review_queue", "round": number + 1} | result[tool]), flush=True)
                rounds.append(result)
        finally:
            engine.dispose()

    print(json.dumps({
        "bench": "review_queue", "database": "postgresql", "submissions": options.students,
        "reviewers": options.reviewers, "processes": options.processes, "requests": options.requests, "k": options.k,
        "think_ms": options.think_ms, "rounds": options.rounds,
    } | summary(rounds)), flush=True)


if __name__ == "__main__":
    main()
