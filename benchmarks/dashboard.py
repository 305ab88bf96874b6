"""Benchmark of the staff dashboard for large graded classes: the whole page (time, bytes, SQL statements), the SQL
alone as its reference, and the reviews export that holds every reviewer's data."""

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

from sqlalchemy import event, text

from assessment.models import Assignment, Course
from assessment.progress import review_records
from config.settings import Settings
from lti_tool import migrate
from lti_tool.app import create_app
from lti_tool.database import EXTENSION, db, dispose_database
from lti_tool.views import dashboard as pages
from tests.support.graded_class import graded_cohort
from tests.support.services import sqlite_url, throwaway_postgres_database, uses_postgres


def _seconds(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _cpu_and_wall(work) -> tuple[float, float, object]:
    # CPU time as well: on a shared machine the wall time also counts the waits for a core.
    cpu = time.process_time()
    wall, result = _seconds(work)
    return time.process_time() - cpu, wall, result


class SqlClock:
    """Counts the statements an engine sends and the time the database takes to answer them: the page's SQL floor."""

    def __init__(self, engine) -> None:
        self.engine, self.statements, self.seconds, self._started = engine, 0, 0.0, 0.0

    def __enter__(self) -> SqlClock:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, *_args) -> None:
        self.statements += 1
        self._started = time.perf_counter()

    def _after(self, *_args) -> None:
        self.seconds += time.perf_counter() - self._started


def measure(students: int, repeat: int) -> dict[str, object]:
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        # PostgreSQL when DATABASE_URL names a server (a throwaway database on it), else an SQLite file.
        url = stack.enter_context(throwaway_postgres_database()) if uses_postgres() else sqlite_url(directory)
        migrate.upgrade(url)
        app = create_app(Settings.from_env({"PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(directory),
                                            "DATABASE_URL": url, "SECRET_KEY": "benchmark-" * 4}))
        engine = app.extensions[EXTENSION].kw["bind"]
        with app.test_request_context("/links/1?sort=grade&dir=desc"):
            session = db()
            cohort = graded_cohort(session, students, datetime.now(UTC))
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
            page, cpu, sql, statements, size = [], [], [], 0, 0
            for _ in range(repeat):
                with SqlClock(engine) as clock:
                    processor, seconds, html = _cpu_and_wall(lambda: pages.render(view, context))
                page.append(seconds)
                cpu.append(processor)
                sql.append(clock.seconds)
                statements, size = clock.statements, len(html.encode())
            export, _ = _seconds(lambda: sum(1 for _ in review_records(session, assignment.id)))
            session.close()
        dispose_database(app)
    return {"bench": "dashboard", "database": "postgresql" if uses_postgres() else "sqlite", "students": students,
            "page_seconds": round(min(page), 3), "page_cpu_seconds": round(min(cpu), 3),
            "reference_sql_seconds": round(min(sql), 3), "statements": statements, "page_bytes": size,
            "reviews_export_seconds": round(export, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="the best of this many runs is reported")
    arguments = parser.parse_args()
    for students in arguments.students:
        print(json.dumps(measure(students, arguments.repeat)), flush=True)


if __name__ == "__main__":
    main()
