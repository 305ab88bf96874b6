"""Handing work to the workers after a commit: best effort, since the scheduled sweeps send what was not handed over."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.result import AsyncResult
from flask import current_app

log = logging.getLogger(__name__)


def enqueue(task_name: str, *args: Any) -> AsyncResult | None:
    """Send a task; None when the broker is down or does not answer (the work is committed and waits for a sweep).

    With no broker (eager mode) the task runs right here and its errors are the caller's, as before."""
    celery: Celery = current_app.extensions["peerlti.celery"]
    task = celery.tasks[task_name]
    if celery.conf.task_always_eager:
        return task.delay(*args)
    try:
        return task.delay(*args)
    except Exception:  # any failure to publish: connection refused, a timeout, a broker error
        log.warning("could not hand %s%r to the workers; a scheduled sweep will", task_name, args, exc_info=True)
        return None
