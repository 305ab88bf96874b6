"""The Celery application factory: a broker in production and CI, eager in-process tasks by default."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from celery import Celery, bootsteps

from config.settings import Settings
from lti_tool.sentry import init_sentry
from workers import metrics_server, task_logging
from workers.schedule import BEAT_SCHEDULE

log = logging.getLogger(__name__)


class SweepOnConnect(bootsteps.StartStopStep):
    """Each time a worker connects to the broker, at its start and after the broker restarted, it sends the
    outbox sweep: postings whose messages the restart lost, or that a killed worker held, go out within seconds
    instead of at the next beat (a minute later). Celery restarts the consumer's steps on every reconnection,
    while its `worker_ready` signal fires once, hence a step.

    Several workers starting at once send several sweeps: the sweep's lock runs one at a time, and an extra
    message for a posting is a no-op, since each attempt first claims its row."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, parent: Any) -> None:
        self._send(parent.app)
        # A worker restarted at once after a kill finds the dead one's postings too freshly claimed to take back:
        # a second sweep, once they may be, finishes them without waiting for the beat. A timer of the worker's sends
        # it, not a message with a countdown, which the worker would hold unacknowledged until then.
        settings: Settings = parent.app.conf.peerlti_settings
        parent.timer.call_after(settings.passback_orphan_seconds + 1, self._send, (parent.app,))

    @staticmethod
    def _send(app: Celery) -> None:
        try:
            app.send_task("peerlti.sweep_grade_postings")
        except Exception:  # the broker went away again: the consumer reconnects and this step runs once more
            log.warning("could not send the grade outbox sweep at connection; the scheduled sweep will", exc_info=True)


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or Settings.from_env()
    # A stopped or frozen broker must cost a request seconds, not minutes: work is enqueued after its commit, best
    # effort, and the sweeps send whatever a request could not hand over.
    broker_timeout = settings.celery_broker_timeout_seconds
    app = Celery("peerlti", include=["workers.tasks"])
    app.conf.update(
        broker_url=settings.celery_broker_url or "memory://",
        result_backend=settings.celery_result_backend,
        task_always_eager=settings.celery_eager,
        task_eager_propagates=True,
        # A task is acknowledged only when done, so a killed worker's task runs again elsewhere.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=broker_timeout,
        broker_transport_options={"socket_timeout": broker_timeout,
                                  "socket_connect_timeout": broker_timeout, "max_retries": 1},
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5},
        redis_socket_timeout=broker_timeout,
        redis_socket_connect_timeout=broker_timeout,
        timezone="UTC",
    )
    app.conf.peerlti_settings = settings
    app.conf.beat_schedule = BEAT_SCHEDULE
    app.steps["consumer"].add(SweepOnConnect)
    init_sentry(settings)
    metrics_server.install(settings)  # the pool's metrics on WORKER_METRICS_PORT, when set
    task_logging.install(settings)  # request ids into the tasks a request sends, and the workers' log format
    import workers.tasks  # noqa: F401  (registers the shared tasks on this app for callers that send them)

    return app


@cache
def _from_environment() -> Celery:
    return make_celery()


def __getattr__(name: str) -> Celery:
    # `celery -A workers.celery_app worker` asks this module for `app`: built on that first request, from the
    # environment, so importing the module connects to nothing and reads no settings.
    if name == "app":
        return _from_environment()
    raise AttributeError(name)
