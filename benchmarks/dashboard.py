"""Benchmark of the staff dashboard: its figures, the rendered page and the CSV exports for a large graded class."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/dashboard.py`

from sqlalchemy import text

from assessment.models import Assignment, Course
from assessment.progress import dashboard
from config.settings import Settings
from lti_tool import migrate
from lti_tool.app import create_app
from lti_tool.database import db, dispose_database
from lti_tool.views import dashboard as pages
from tests.support.graded_class import graded_cohort
from tests.support.services import sqlite_url, throwaway_postgres_database, uses_postgres


def _seconds(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="the best of this many runs is reported")
    arguments = parser.parse_args()
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        # PostgreSQL when DATABASE_URL names a server (a throwaway database on it), else an SQLite file.
        url = stack.enter_context(throwaway_postgres_database()) if uses_postgres() else sqlite_url(directory)
        migrate.upgrade(url)
        app = create_app(Settings.from_env({"PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(directory),
                                            "DATABASE_URL": url, "SECRET_KEY": "benchmark-" * 4}))
        with app.test_request_context("/links/1?sort=grade&dir=desc"):
            session = db()
            cohort = graded_cohort(session, arguments.students, datetime.now(UTC))
            if uses_postgres():
                # A live database has planner statistics; rows inserted a moment ago have none until autovacuum.
                session.execute(text("ANALYZE"))
                session.commit()
            assignment = session.get(Assignment, cohort.assignment_id)
            # The page needs only what a launch would have told it; no LMS is involved here.
            link = SimpleNamespace(id=1, display_title="Essay", ags_claim={}, nrps_claim={})
            view = SimpleNamespace(link=link, course=session.get(Course, cohort.course_id), is_staff=True,
                                   assignment=assignment, require_assignment=lambda: assignment)
            context = {"view": view, "can_post_grades": True, "has_line_item": True, "has_roster": True}
            figures, page, size = [], [], 0
            for _ in range(arguments.repeat):
                figures.append(_seconds(lambda: dashboard(session, assignment, datetime.now(UTC)))[0])
                seconds, html = _seconds(lambda: pages.render(view, context))
                page.append(seconds)
                size = len(html)
            session.close()
        dispose_database(app)
    print(json.dumps({"bench": "dashboard", "database": "postgresql" if uses_postgres() else "sqlite",
                      "students": arguments.students, "figures_seconds": round(min(figures), 3),
                      "page_seconds": round(min(page), 3), "page_bytes": size}))


if __name__ == "__main__":
    main()
