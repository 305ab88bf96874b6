"""Benchmark of the grading run and the release for large classes: seconds and SQL statements, beside the aggregation."""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/grading.py`

from sqlalchemy import Engine, event, func, select, text, update
from sqlalchemy.orm import Session

from assessment.aggregation import PeerScore, aggregate
from assessment.db import make_engine, make_session_factory
from assessment.grading_run import calibration_errors, release_grades, run_grading
from assessment.models import Assignment, CalibrationAttempt, CalibrationExample, Review, ReviewKind
from lti_tool import migrate
from tests.support.graded_class import reviewed_cohort
from tests.support.services import sqlite_url, throwaway_postgres_database, uses_postgres

CALIBRATION_EXAMPLES = 2  # calibration required: the run also reads every student's accuracy


class StatementCounter:
    """Counts what the database is sent: one per execute, one per executemany (however many rows it carries)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1

    @contextmanager
    def counting(self) -> Iterator[dict[str, int]]:
        figures = {"statements": 0}
        before = self.count
        yield figures
        figures["statements"] = self.count - before


def _timed(counter: StatementCounter, work: Callable[[], object]) -> tuple[float, int, object, float]:
    """Wall seconds, statements, the result, and this process's CPU seconds (on a shared machine the wall clock also
    counts other people's work; the CPU time does not, though it leaves out the database server's)."""
    gc.collect()
    with counter.counting() as figures:
        started, cpu = time.perf_counter(), time.process_time()
        result = work()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return seconds, figures["statements"], result, cpu


def _aggregation_alone(session: Session, assignment: Assignment) -> float:
    """The reference: the aggregation on the same scores and reviewer figures, read beforehand; CPU seconds."""
    scores = [PeerScore(submission, reviewer, score) for submission, reviewer, score in session.execute(
        select(Review.submission_id, Review.reviewer_id, Review.score)
        .where(Review.assignment_id == assignment.id, Review.kind == ReviewKind.PEER, Review.score.is_not(None)))]
    accuracy = dict(session.execute(
        select(CalibrationAttempt.student_id, func.avg(CalibrationAttempt.accuracy))
        .join(CalibrationExample, CalibrationExample.id == CalibrationAttempt.example_id)
        .where(CalibrationExample.assignment_id == assignment.id, CalibrationAttempt.number == 1)
        .group_by(CalibrationAttempt.student_id)).all())
    errors = calibration_errors(session, assignment)
    gc.collect()
    started = time.process_time()
    aggregate(scores, assignment.aggregation, scale=(0.0, assignment.points_possible), reviewer_accuracy=accuracy,
              calibration_error=errors)
    return time.process_time() - started


def _round(engine: Engine, counter: StatementCounter, students: int) -> dict[str, Any]:
    """One fresh class: graded, released, re-graded after every score moved and released again, then released once
    more with nothing changed."""
    now = datetime.now(UTC)
    session = make_session_factory(engine)()
    try:
        cohort = reviewed_cohort(session, students, now, calibration_examples=CALIBRATION_EXAMPLES)
        if engine.dialect.name == "postgresql":
            # A live database has planner statistics; rows inserted a moment ago have none until autovacuum.
            session.execute(text("ANALYZE"))
            session.commit()
        assignment = session.get(Assignment, cohort.assignment_id)
        assert assignment is not None
        reference = _aggregation_alone(session, assignment)
        session.commit()
        session.expunge_all()  # each step starts as a request does: nothing of the class in the session

        def step(work: Callable[[Session], object]) -> Callable[[], object]:
            def run() -> object:
                result = work(session)
                session.commit()
                session.expunge_all()
                return result
            return run

        grading = _timed(counter, step(lambda s: run_grading(s, cohort.assignment_id, now)))
        release = _timed(counter, step(lambda s: release_grades(s, cohort.assignment_id, now + timedelta(seconds=1))))
        # Every peer score moves, so that the second release posts every student again over a history of one each.
        session.execute(update(Review).where(Review.assignment_id == cohort.assignment_id)
                        .values(score=func.least(Review.score + 0.5, 10.0) if engine.dialect.name == "postgresql"
                                else func.min(Review.score + 0.5, 10.0)))
        session.commit()
        regrading = _timed(counter, step(lambda s: run_grading(s, cohort.assignment_id, now + timedelta(seconds=2))))
        second = _timed(counter, step(lambda s: release_grades(s, cohort.assignment_id, now + timedelta(seconds=3))))
        unchanged = _timed(counter, step(lambda s: release_grades(s, cohort.assignment_id, now + timedelta(seconds=4))))
        return {
            "reference_aggregation_cpu_seconds": reference,
            "grading": (grading[0], grading[1], len(grading[2]), grading[3]),  # type: ignore[arg-type]
            "release": (release[0], release[1], len(release[2]), release[3]),  # type: ignore[arg-type]
            "regrading": (regrading[0], regrading[1], len(regrading[2]), regrading[3]),  # type: ignore[arg-type]
            "second_release": (second[0], second[1], len(second[2]), second[3]),  # type: ignore[arg-type]
            "unchanged_release": (unchanged[0], unchanged[1], len(unchanged[2]), unchanged[3]),  # type: ignore[arg-type]
        }
    finally:
        session.close()


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    reference = [r["reference_aggregation_cpu_seconds"] for r in rounds]
    summary["reference_aggregation_cpu_seconds"] = {"min": round(min(reference), 3),
                                                    "median": round(statistics.median(reference), 3)}
    for name in ("grading", "release", "regrading", "second_release", "unchanged_release"):
        seconds, cpu = [r[name][0] for r in rounds], [r[name][3] for r in rounds]
        summary[name] = {"min_seconds": round(min(seconds), 3), "median_seconds": round(statistics.median(seconds), 3),
                         "min_cpu_seconds": round(min(cpu), 3), "median_cpu_seconds": round(statistics.median(cpu), 3),
                         "statements": max(r[name][1] for r in rounds), "rows": rounds[0][name][2]}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="rounds per class size, interleaved; min and median")
    arguments = parser.parse_args()
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        # PostgreSQL when DATABASE_URL names a server (a throwaway database on it), else an SQLite file.
        url = stack.enter_context(throwaway_postgres_database()) if uses_postgres() else sqlite_url(directory)
        migrate.upgrade(url)
        engine = make_engine(url)
        counter = StatementCounter(engine)
        rounds: dict[int, list[dict[str, Any]]] = {size: [] for size in arguments.students}
        for _ in range(arguments.repeat):
            for size in arguments.students:
                rounds[size].append(_round(engine, counter, size))
        engine.dispose()
    sizes = {size: _summary(found) for size, found in rounds.items()}
    result: dict[str, Any] = {"bench": "grading", "database": "postgresql" if uses_postgres() else "sqlite",
                              "repeat": arguments.repeat, "sizes": sizes}
    if len(arguments.students) >= 2:
        small, large = min(arguments.students), max(arguments.students)
        steps = ("grading", "release", "regrading", "second_release", "unchanged_release")
        result["ratio"] = {"class": large / small, **{
            name: round(sizes[large][name]["min_seconds"] / sizes[small][name]["min_seconds"], 2) for name in steps}}
        result["cpu_ratio"] = {"class": large / small, **{
            name: round(sizes[large][name]["min_cpu_seconds"] / sizes[small][name]["min_cpu_seconds"], 2)
            for name in steps}}
        # The target: the whole class graded and released in under 3 s.
        result["graded_and_released_seconds"] = {
            size: round(sizes[size]["grading"]["min_seconds"] + sizes[size]["release"]["min_seconds"], 3)
            for size in (small, large)}
        result["statements_constant"] = all(sizes[small][name]["statements"] == sizes[large][name]["statements"]
                                            for name in ("grading", "release", "second_release", "unchanged_release"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
