"""Benchmark of reminder runs for a large class: one run at each of an activity's three deadlines (hand-in,
calibration, reviews), every student owing the step, with the SQL statements each run sends.

Each run claims, writes and hands every e-mail to a mail server: by default one that takes them in memory (the run's
own cost), with --smtp a real aiosmtpd server on localhost (adds the SMTP conversation, one message at a time)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/reminders.py`

from sqlalchemy import event, insert, text

from assessment.assignment_settings import AllocationMode, Anonymity, SubmissionKinds
from assessment.db import make_engine, make_session_factory
from assessment.models import (
    Assignment,
    CalibrationExample,
    Course,
    CourseRole,
    Enrollment,
    Person,
    Submission,
    SubmissionVersion,
)
from config.settings import Settings
from lti_tool import migrate
from lti_tool.registry import Platform
from tests.support.services import sqlite_url, throwaway_postgres_database, uses_postgres
from workers.smtp import Mailer, Outcome
from workers.tasks import deliver_reminders


class MemoryMailer(Mailer):
    """Takes every message at once, as a relay on the same machine would at best."""

    def __init__(self) -> None:
        self.taken = 0

    def send_all(self, messages: list[tuple[int, bytes, str]]) -> Outcome:  # type: ignore[override]
        self.taken += len(messages)
        return Outcome(sent=[reminder_id for reminder_id, _m, _r in messages])

    def close(self) -> None:
        pass


def _class(session, students: int, now: datetime) -> tuple[int, dict[str, datetime]]:
    tag = uuid.uuid4().hex[:12]
    platform = session.scalar(insert(Platform).returning(Platform.id).values(
        name=f"Bench {tag}", issuer=f"https://lms-{tag}.example", client_id=tag,
        auth_login_url="https://lms.example/auth", auth_token_url="https://lms.example/token",  # noqa: S106
        key_set_url="https://lms.example/jwks"))
    course = session.scalar(insert(Course).returning(Course.id).values(platform_id=platform, context_id=tag,
                                                                       title="Big class"))
    people = list(session.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True), [
        {"platform_id": platform, "subject": f"s{index}", "name": f"Student {index}",
         "email": f"s{index}@uni.example", "locale": "hi" if index % 3 == 0 else "en"} for index in range(students)]))
    session.execute(insert(Enrollment), [{"person_id": person, "course_id": course, "role": CourseRole.STUDENT,
                                          "lti_roles": []} for person in people])
    day = timedelta(days=1)
    dates = {"submission_opens": now - 2 * day, "submission_due": now + day,
             "calibration_opens": now + day, "calibration_due": now + 2 * day,
             "review_opens": now + 2 * day, "review_due": now + 3 * day, "results_release": now + 4 * day}
    assignment = session.scalar(insert(Assignment).returning(Assignment.id).values(
        public_id=tag, course_id=course, title="Essay", timezone="Asia/Kolkata", **dates,
        reviews_per_submission=3, reviews_per_student=3, anonymity=Anonymity.DOUBLE_BLIND,
        aggregation="median", points_possible=10.0, submission_kinds=SubmissionKinds.TEXT, file_types=[],
        allocation_mode=AllocationMode.QUEUE, reviewers_need_submission=True, lease_hours=24,
        calibration_examples_required=1, reminder_hours=[48, 6]))
    session.add(CalibrationExample(assignment_id=assignment, title="Example", reference={"q": 1.0}))
    session.commit()
    return assignment, dates


def _hand_in_all(session, assignment: int, now: datetime) -> None:
    people = list(session.scalars(text("SELECT person_id FROM enrollments")))
    submissions = list(session.scalars(insert(Submission).returning(Submission.id, sort_by_parameter_order=True), [
        {"assignment_id": assignment, "author_id": person, "pseudonym": f"P{person}", "review_load": 0}
        for person in people]))
    session.execute(insert(SubmissionVersion), [{"submission_id": submission, "number": 1, "text_html": "<p>x</p>",
                                                 "submitted_at": now} for submission in submissions])
    session.commit()


def measure(students: int, smtp: bool) -> list[dict[str, object]]:
    results = []
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(throwaway_postgres_database()) if uses_postgres() else sqlite_url(directory)
        migrate.upgrade(url)
        env = {"PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(directory), "DATABASE_URL": url,
               "SECRET_KEY": "benchmark-" * 4, "SMTP_URL": "smtp://127.0.0.1:25"}
        received: list = []
        if smtp:
            from tests.support.mail_server import smtp_server

            smtp_url, inbox = stack.enter_context(smtp_server())
            env["SMTP_URL"] = smtp_url
            received = inbox.messages
        settings = Settings.from_env(env)
        engine = make_engine(settings.database_url)
        stack.callback(engine.dispose)
        factory = make_session_factory(engine)
        now = datetime.now(UTC)
        with factory() as session:
            assignment, dates = _class(session, students, now)
            if uses_postgres():
                session.execute(text("ANALYZE"))
                session.commit()
        statements = [0]
        event.listen(engine, "before_cursor_execute", lambda *_args: statements.__setitem__(0, statements[0] + 1))
        for step, due in (("submission", "submission_due"), ("calibration", "calibration_due"),
                          ("review", "review_due")):
            if step == "calibration":
                with factory() as session:
                    _hand_in_all(session, assignment, now)
            at = dates[due] - timedelta(hours=5)  # within the 6-hour reminder of this deadline
            sender = Mailer(settings.mail) if smtp else MemoryMailer()  # type: ignore[arg-type]
            statements[0] = 0
            started, cpu = time.perf_counter(), time.process_time()
            outcome = deliver_reminders(settings, factory, sender, at)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
            sender.close()
            results.append({"bench": "reminders", "database": engine.dialect.name, "students": students,
                            "deadline": step, "sent": outcome["sent"], "failed": outcome["failed"],
                            "smtp": smtp, "seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds, 3),
                            "statements": statements[0], "received": len(received) if smtp else None})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--smtp", action="store_true", help="send through a real aiosmtpd server on localhost")
    args = parser.parse_args()
    for result in measure(args.students, args.smtp):
        print(json.dumps(result))


if __name__ == "__main__":
    main()
