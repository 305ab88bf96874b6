"""Benchmark of grade passback: real Celery workers on Redis posting 10,000 scores to the sandbox AGS, against a
naive single loop that fetches an access token for every score."""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/passback.py`

import redis
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from assessment.assignment_settings import default_settings
from assessment.db import make_engine, make_session_factory, utcnow
from assessment.models import Course as CourseRow
from assessment.models import GradePosting, Person, PostingStatus, ResourceLink
from assessment.services import create_assignment
from config.settings import Settings
from lti_tool import migrate
from lti_tool import models as _models  # noqa: F401  (every table on the metadata)
from lti_tool.advantage import AdvantageClient, ToolCredentials
from lti_tool.key_vault import KeyVault, bind_vault, current_signing_key
from lti_tool.registry import Platform
from sandbox.course import DEMO_COURSE, LEARNER, Course
from sandbox.course import Person as LmsPerson
from sandbox.runtime import EXTENSION_KEY
from sandbox.store import GradebookStore
from tests.support.faults import install_faults
from tests.support.lms import RunningLMS, launch_as, start_lms
from tests.support.services import postgres_database
from workers import passback
from workers.celery_app import make_celery

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "benchmark-secret-key-that-is-long-enough-0123456789"  # noqa: S105 - a throwaway instance


# --- a sandbox able to take 10,000 learners ----------------------------------------------------------------------

@dataclass(frozen=True)
class LargeCourse(Course):
    """The demo course with many more learners, found by id in constant time (the demo scans its six)."""

    index: dict[str, LmsPerson] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def person(self, user_id: str) -> LmsPerson | None:
        return self.index.get(user_id)


class MemoryGradebookStore(GradebookStore):
    """The sandbox's store without its JSON file: rewriting every score to disk would make this a file benchmark."""

    def _save(self) -> None:
        pass


def enlarge_sandbox(lms: RunningLMS, learners: list[str]) -> None:
    app = lms.sandbox.app
    sandbox = app.extensions[EXTENSION_KEY]
    people = DEMO_COURSE.people + tuple(
        LmsPerson(user_id, "Learner", user_id, f"{user_id}@example.edu", (LEARNER,)) for user_id in learners)
    course = LargeCourse(**{name: getattr(DEMO_COURSE, name) for name in ("id", "label", "title", "resource_links")},
                         people=people, index={person.user_id: person for person in people})
    store = MemoryGradebookStore(Path(lms.sandbox_config.instance_path),
                                 [link.id for link in DEMO_COURSE.resource_links])
    app.extensions[EXTENSION_KEY] = replace(sandbox, fixed_course=course, store=store)


# --- the database, the broker and the workers --------------------------------------------------------------------



@contextmanager
def worker_processes(count: int, concurrency: int, env: dict[str, str], directory: Path) -> Iterator[None]:
    running = []
    try:
        for number in range(count):
            log = (directory / f"worker-{number}.log").open("wb")
            running.append((subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool", "threads",
                 "--concurrency", str(concurrency), "--loglevel", "WARNING", "--without-heartbeat",
                 "--without-gossip", "--without-mingle", "--hostname", f"bench{number}-{uuid.uuid4().hex[:6]}@%h"],
                env=os.environ | env, stdout=log, stderr=subprocess.STDOUT), log))
        yield
    finally:
        for process, _ in running:
            process.terminate()
        for process, log in running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def wait_for_workers(settings: Settings, count: int, timeout: float = 60) -> None:
    celery = make_celery(settings)
    deadline = time.monotonic() + timeout
    try:
        while len(celery.control.ping(timeout=0.5)) < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start; see their logs")
    finally:
        celery.close()


# --- the grades --------------------------------------------------------------------------------------------------

def assignment_at_demo_link(session: Session) -> tuple[int, int]:
    """The assignment at the demo link (provisioned by a real launch, with the sandbox's AGS claim) and its platform."""
    link = session.scalars(select(ResourceLink).where(ResourceLink.resource_link_id == "sandbox-link-1")).one()
    course = session.get(CourseRow, link.course_id)
    assert course is not None
    assignment = create_assignment(session, course.id, default_settings("Essay", utcnow()), resource_link_id=link.id)
    session.commit()
    return assignment.id, course.platform_id


def outbox(session: Session, assignment_id: int, platform_id: int, learners: list[str], release: str,
           now: datetime) -> list[int]:
    """One pending posting per learner, ids in order."""
    known = dict(session.execute(select(Person.subject, Person.id).where(Person.platform_id == platform_id)).all())
    missing = [{"platform_id": platform_id, "subject": user_id, "name": user_id}
               for user_id in learners if user_id not in known]
    if missing:
        known |= dict(session.execute(insert(Person).returning(Person.subject, Person.id), missing).all())
    ids = list(session.scalars(insert(GradePosting).returning(GradePosting.id, sort_by_parameter_order=True), [
        {"assignment_id": assignment_id, "person_id": known[user_id], "release_id": release,
         "score_given": float(index % 101), "score_maximum": 100.0, "grading_progress": "FullyGraded",
         "comment": "", "timestamp": now, "status": PostingStatus.PENDING, "next_attempt_at": now}
        for index, user_id in enumerate(learners)]))
    session.commit()
    return ids


def count_settled(session: Session, release: str) -> dict[PostingStatus, int]:
    rows = session.execute(select(GradePosting.status, func.count()).where(GradePosting.release_id == release)
                           .group_by(GradePosting.status)).all()
    session.rollback()
    return dict(rows)


class NeverCache:
    """A token cache that forgets everything: the naive client fetches a token for every score."""

    def get(self, key: str) -> str | None:
        return None

    def put(self, key: str, token: str, ttl_seconds: int) -> None:
        pass

    def lock(self, key: str) -> AbstractContextManager[object]:
        return nullcontext()  # for a client that single-flights token fetches: there is nothing to share here


def naive(session: Session, settings: Settings, posting_ids: list[int]) -> float:
    platform = session.scalars(select(Platform)).one()
    key = current_signing_key(session)
    assert key is not None
    client = AdvantageClient(ToolCredentials(platform, key), NeverCache(), timeout=settings.http_timeout_seconds)
    started = time.perf_counter()
    for posting_id in posting_ids:
        outcome = passback.post_one(session, posting_id, client, utcnow())
        assert outcome.status is PostingStatus.POSTED, outcome
    return time.perf_counter() - started


def run(args: argparse.Namespace, database_url: str, directory: Path) -> list[dict[str, object]]:
    broker = args.broker
    os.environ["CELERY_BROKER_URL"] = os.environ["CELERY_RESULT_BACKEND"] = broker  # Celery prefers these
    redis.Redis.from_url(broker).flushdb()
    env = {"PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(directory / "tool"), "DATABASE_URL": database_url,
           "SECRET_KEY": SECRET, "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker,
           "HTTP_TIMEOUT_SECONDS": "10", "PASSBACK_BACKOFF_SECONDS": "1", "PASSBACK_STUCK_SECONDS": "60"}
    learners = [f"learner-{number:05d}" for number in range(1, args.grades + 1)]
    engine = make_engine(database_url)
    stack_engine = engine.dispose
    sessions = make_session_factory(engine)
    bind_vault(sessions, KeyVault(SECRET))
    with ExitStack() as stack, sessions() as session:
        lms = start_lms(session, lambda url: Settings.from_env(env | {"TOOL_BASE_URL": url}), directory / "sandbox")
        stack.callback(lms.stop)
        enlarge_sandbox(lms, learners)
        counter = install_faults(lms)
        assert launch_as(lms, "student-1").status_code == 200
        settings = Settings.from_env(env)
        results: list[dict[str, object]] = []

        assignment_id, platform_id = assignment_at_demo_link(session)
        naive_ids = outbox(session, assignment_id, platform_id, learners[: args.naive_grades], "naive", datetime.now(UTC))
        naive_seconds = naive(session, settings, naive_ids)
        naive_rate = len(naive_ids) / naive_seconds
        results.append({"bench": "passback_naive", "grades": len(naive_ids), "seconds": round(naive_seconds, 3),
                        "scores_per_second": round(naive_rate, 1), "token_requests": sum(counter.token_requests.values())})

        ids = outbox(session, assignment_id, platform_id, learners, "bench", datetime.now(UTC))
        counter.token_requests.clear()
        stack.enter_context(worker_processes(args.workers, args.concurrency, env, directory))
        wait_for_workers(settings, args.workers)
        celery = make_celery(settings)
        stack.callback(celery.close)
        started = time.perf_counter()
        poster = celery.tasks["peerlti.post_grade"]
        with celery.producer_or_acquire() as producer:
            for posting_id in ids:
                poster.apply_async(args=[posting_id], producer=producer, ignore_result=True)
        deadline = started + args.timeout
        while (settled := count_settled(session, "bench")).get(PostingStatus.POSTED, 0) + settled.get(
                PostingStatus.FAILED, 0) < len(ids):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"not every grade was posted within {args.timeout} s: {settled}")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        retries = session.scalar(select(func.sum(GradePosting.attempts) - func.count())
                                 .where(GradePosting.release_id == "bench"))
        session.rollback()
        rate = len(ids) / seconds
        scores = lms.sandbox.app.app.extensions[EXTENSION_KEY].store.score_history("1")
        once = sum(len(scores.get(user_id, [])) == (2 if user_id in learners[: args.naive_grades] else 1)
                   for user_id in learners)
        results.append({"bench": "passback", "grades": len(ids), "seconds": round(seconds, 3),
                        "scores_per_second": round(rate, 1), "token_requests": sum(counter.token_requests.values()),
                        "workers": f"{args.workers}x{args.concurrency} threads",
                        "posted": settled.get(PostingStatus.POSTED, 0), "failed": settled.get(PostingStatus.FAILED, 0),
                        "retries": retries, "recorded_exactly_once": once})
        results.append({"bench": "passback_speedup", "ratio": round(rate / naive_rate, 2)})
    stack_engine()
    redis.Redis.from_url(broker).flushdb()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grades", type=int, default=10_000)
    parser.add_argument("--naive-grades", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--broker", default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
                        help="a Redis database of its own: it is flushed before and after")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access line per score is noise here
    with tempfile.TemporaryDirectory(prefix="peerlti-passback-") as temp, \
            postgres_database(os.environ.get("DATABASE_URL", DEFAULT_SERVER), "peerlti_bench") as database_url:
        migrate.upgrade(database_url)
        for result in run(args, database_url, Path(temp)):
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
