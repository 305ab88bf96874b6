"""Benchmark of the coverage report for large classes in the middle of reviewing: the report (time, SQL statements),
its SQL alone as the reference measured in the same run, and the coverage page that shows it."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/coverage.py`

from flask import render_template
from sqlalchemy import insert, text, update

from assessment.models import Assignment, Course, Extension, Review, ReviewKind, ReviewStatus
from assessment.personal_dates import Step
from assessment.review_coverage import coverage_report
from benchmarks.dashboard import SqlClock
from config.settings import Settings
from lti_tool import migrate
from lti_tool.app import create_app
from lti_tool.database import EXTENSION, db, dispose_database
from lti_tool.forms import ActionForm
from tests.support.cohort import CRITERION, create_cohort
from tests.support.services import sqlite_url, throwaway_postgres_database, uses_postgres

K = 3


def _class_half_way(session, students: int, now: datetime, extended_every: int = 0):
    """Reviewing opened 2 days ago and closes in 2; students did 0 to K reviews, some hold one under way. No
    submission has all K yet: the page lists every one, its worst case. Every `extended_every`-th student (none for 0)
    reviews, and has their work reviewed, until a day or two after the class."""
    cohort = create_cohort(session, students, reviews_per_submission=K, reviews_per_student=K, now=now)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        review_opens=now - timedelta(days=2), review_due=now + timedelta(days=2), phase_override=None))
    rows = []
    for index, reviewer in enumerate(cohort.student_ids):
        for step in range(index % (K + 1)):  # 0 to K reviews each: coverage uneven, as mid-way it is
            held = step == index % (K + 1) - 1 and index % 5 == 0
            rows.append({"assignment_id": cohort.assignment_id,
                         "submission_id": cohort.submission_ids[(index + step + 1) % students],
                         "reviewer_id": reviewer, "kind": ReviewKind.PEER,
                         "status": ReviewStatus.ASSIGNED if held else ReviewStatus.SUBMITTED,
                         "assigned_at": now - timedelta(hours=3), "submitted_at": None if held else now,
                         "lease_expires_at": now + timedelta(hours=5) if held else None,
                         "selections": {CRITERION: 2.0}, "comments": {}, "score": 5.0, "beyond_quota": False})
    session.execute(insert(Review), rows)
    if extended_every:
        session.execute(insert(Extension), [
            {"assignment_id": cohort.assignment_id, "person_id": person, "step": Step.REVIEW,
             "extra_minutes": (24 + index % 24) * 60, "from_lms": False, "reason": "Accommodation", "granted_at": now}
            for index, person in enumerate(cohort.student_ids) if index % extended_every == 0])
    session.commit()
    return cohort


def measure(students: int, repeat: int, extended_every: int = 10) -> dict[str, object]:
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(throwaway_postgres_database()) if uses_postgres() else sqlite_url(directory)
        migrate.upgrade(url)
        app = create_app(Settings.from_env({"PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(directory),
                                            "DATABASE_URL": url, "SECRET_KEY": "benchmark-" * 4}))
        engine = app.extensions[EXTENSION].kw["bind"]
        with app.test_request_context("/links/1/coverage"):
            session = db()
            now = datetime.now(UTC)
            cohort = _class_half_way(session, students, now, extended_every)
            if uses_postgres():
                session.execute(text("ANALYZE"))
                session.commit()
            assignment = session.get(Assignment, cohort.assignment_id)
            report_seconds, sql_seconds, page_seconds, statements = [], [], [], 0
            report = None
            for _ in range(repeat):
                with SqlClock(engine) as clock:
                    started = time.perf_counter()
                    report = coverage_report(session, assignment, now)
                    report_seconds.append(time.perf_counter() - started)
                sql_seconds.append(clock.seconds)
                statements = clock.statements
                view = SimpleNamespace(link=SimpleNamespace(id=1, display_title="Essay"), is_staff=True,
                                       course=session.get(Course, cohort.course_id), assignment=None)
                started = time.perf_counter()
                render_template("instructor/coverage.html", view=view, assignment=assignment, report=report,
                                form=ActionForm())
                page_seconds.append(time.perf_counter() - started + report_seconds[-1])
            assert report is not None
            short_later = report.short_at_deadline
            session.close()
        dispose_database(app)
    return {"bench": "coverage", "database": "postgresql" if uses_postgres() else "sqlite", "students": students,
            "report_seconds": round(min(report_seconds), 3), "reference_sql_seconds": round(min(sql_seconds), 3),
            "page_seconds": round(min(page_seconds), 3), "statements": statements,
            "short_now": len(report.short_now), "short_at_deadline": None if short_later is None else len(short_later),
            "expected_reviews": report.expected, "extended_every": extended_every,
            "still_open": len(report.still_open)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="the best of this many runs is reported")
    parser.add_argument("--extended-every", type=int, default=10,
                        help="every this many students has an extension (0: nobody)")
    arguments = parser.parse_args()
    for students in arguments.students:
        print(json.dumps(measure(students, arguments.repeat, arguments.extended_every)), flush=True)


if __name__ == "__main__":
    main()
