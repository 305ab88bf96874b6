"""Tasks log under the request id of the request that sent them, and each run ends with one line of its outcome."""

from __future__ import annotations

import logging
import time
from contextvars import Token
from typing import Any

from celery import Task, signals

from config.settings import Settings
from lti_tool.logging_setup import REQUEST_ID, TASK, configure_logging, log_event
from lti_tool.metrics import TASK_FAILURES, TASK_SECONDS
from workers.schedule import BEAT_SCHEDULE

# The message header that carries the request id from the web process to the worker.
HEADER = "peerlti_request_id"
SCHEDULED = frozenset(entry["task"] for entry in BEAT_SCHEDULE.values())
log = logging.getLogger("peerlti.tasks")

# What each running task set, to be undone when it ends: its context tokens and its start time, by task id.
_running: dict[str, tuple[Token[str | None], Token[tuple[str, str] | None], float]] = {}


def install(settings: Settings) -> None:
    """Connect the signals once per process; `dispatch_uid` makes a second Celery app's call a no-op."""

    def setup_logging(loglevel: int | str | None = None, **_: Any) -> None:
        # Connected, this replaces Celery's own logging set-up: the worker's lines look like the web's. The
        # command line's --loglevel wins over LOG_LEVEL.
        level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else loglevel
        configure_logging(settings.log_format, level or settings.log_level)

    signals.setup_logging.connect(setup_logging, weak=False, dispatch_uid="peerlti.setup_logging")
    signals.before_task_publish.connect(_stamp_request_id, weak=False, dispatch_uid="peerlti.stamp_request_id")
    signals.task_prerun.connect(_started, weak=False, dispatch_uid="peerlti.task_started")
    signals.task_postrun.connect(_finished, weak=False, dispatch_uid="peerlti.task_finished")


def _stamp_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = REQUEST_ID.get()
    if headers is not None and request_id is not None:
        headers[HEADER] = request_id


def _started(task_id: str, task: Task, **_: Any) -> None:
    # An eager task runs inside its request and keeps that request's id; a worker's reads it from the message.
    request_id = getattr(task.request, HEADER, None) or REQUEST_ID.get()
    _running[task_id] = (REQUEST_ID.set(request_id), TASK.set((task.name, task_id)), time.perf_counter())


def _finished(task_id: str, task: Task, retval: Any = None, state: str | None = None, **_: Any) -> None:
    running = _running.pop(task_id, None)
    duration_ms = round((time.perf_counter() - running[2]) * 1000, 1) if running else None
    scheduled = task.name in SCHEDULED
    fields: dict[str, Any] = {"state": state, "duration_ms": duration_ms}
    if scheduled and isinstance(retval, int):
        fields["count"] = retval  # the scheduled jobs answer how many rows they handled or queued
    log_event(log, "scheduled.run" if scheduled else "task.finished",
              logging.WARNING if state == "FAILURE" else logging.INFO, **fields)
    if running is not None:
        TASK_SECONDS.labels(task.name, state or "UNKNOWN").observe(time.perf_counter() - running[2])
    if state == "FAILURE":
        TASK_FAILURES.labels(task.name).inc()
    if running is not None:
        try:
            TASK.reset(running[1])
            REQUEST_ID.reset(running[0])
        except ValueError:  # ended in another context than it started (an eager task inside a task): just clear
            TASK.set(None)
            REQUEST_ID.set(None)
