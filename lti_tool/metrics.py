"""The Prometheus metrics the web processes and the workers record; shared by gunicorn's processes in multiprocess mode."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from assessment.models import GradePosting

# Under gunicorn (config/gunicorn.py sets the directory) each process writes its values to files there. Read at import,
# as prometheus_client itself does: a later change of the environment changes neither.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
if MULTIPROCESS:  # a process started without gunicorn's set-up (a worker, a command) writes there too
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

# Labels are bounded sets only (route rules, class names, states, HTTP statuses): never a path, an id or a person.
REQUEST_SECONDS = Histogram(
    "peerlti_request_duration_seconds", "Time to answer a request, by route rule, method and status",
    ["route", "method", "status"],
)
LAUNCHES = Counter("peerlti_launches_total", "LTI launches accepted, by message type", ["message_type"])
LAUNCH_REFUSALS = Counter("peerlti_launch_refusals_total", "Logins and launches refused, by reason", ["reason"])
REVIEW_QUEUE = Counter("peerlti_review_queue_requests_total", "Requests for work to review, by outcome", ["outcome"])
POSTING_FAILURES = Counter(
    "peerlti_grade_posting_failures_total", "Grade postings the LMS refused or did not answer, by HTTP status "
    "(0: no answer) and outcome (retry or failed)", ["status", "outcome"],
)
TASK_SECONDS = Histogram(
    "peerlti_task_duration_seconds", "Time a Celery task ran, by task and state", ["task", "state"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
TASK_FAILURES = Counter("peerlti_task_failures_total", "Celery tasks that raised, by task", ["task"])
GRADING_SECONDS = Histogram(
    "peerlti_grading_run_duration_seconds", "Time to compute one assignment's grades, by who asked (staff, schedule)",
    ["trigger"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)



def clear_values(directory: Path) -> None:
    """Empty the multiprocess directory at start: files of an earlier run would be summed with this one's."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


class OutboxCollector(Collector):
    """The grade outbox's rows by state and the age of the oldest in each, read on each scrape by one grouped query."""

    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._now = now

    def collect(self) -> Iterator[Metric]:
        rows = GaugeMetricFamily("peerlti_outbox_rows", "Grade postings in the outbox, by state", labels=["state"])
        age = GaugeMetricFamily("peerlti_outbox_oldest_age_seconds",
                                "Age of the oldest grade posting in each state", labels=["state"])
        with self._sessions() as session:
            query = select(GradePosting.status, func.count(), func.min(GradePosting.timestamp)).group_by(
                GradePosting.status)
            found = {status: (count, oldest) for status, count, oldest in session.execute(query)}
        now = self._now()
        for status, (count, oldest) in sorted(found.items()):
            rows.add_metric([status.value], count)
            if oldest.tzinfo is None:  # SQLite gives back the UTC time it stored without its zone
                oldest = oldest.replace(tzinfo=UTC)
            age.add_metric([status.value], max(0.0, (now - oldest).total_seconds()))
        yield rows
        yield age


def exposition(extra: Collector) -> bytes:
    """The text a scrape reads: every process's values (summed from the directory under gunicorn), then `extra`."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY  # one process: its own registry holds everything
    return generate_latest(registry) + generate_latest(_only(extra))


def _only(collector: Collector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
