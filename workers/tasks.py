"""Celery tasks: thin, idempotent, taking ids; the work lives in assessment services and the outbox."""

from __future__ import annotations

from datetime import timedelta

from celery import Task, shared_task

from assessment.db import utcnow
from assessment.models import Assignment, Course, GradePosting
from config.settings import Settings
from lti_tool.registry import Platform
from workers import passback
from workers.runtime import advantage_client, sessions


def _settings(task: Task) -> Settings:
    # The settings of the Celery app running the task (the web app's own when eager, the worker's otherwise).
    return task.app.conf.peerlti_settings


def _retry_policy(settings: Settings) -> passback.RetryPolicy:
    return passback.RetryPolicy(backoff_seconds=settings.passback_backoff_seconds,
                                stuck_after=timedelta(seconds=settings.passback_stuck_seconds))


@shared_task(name="peerlti.ping")
def ping(token: str) -> str:
    """Answer the token back: lets an administrator and the tests see a worker is consuming the queue."""
    return token


@shared_task(name="peerlti.post_grade", bind=True, acks_late=True)
def post_grade(self: Task, posting_id: int) -> str | None:
    """Post one outbox row; a retry is scheduled by the row itself, so a lost message costs only a sweep."""
    settings = _settings(self)
    with sessions(settings.database_url)() as session:
        posting = session.get(GradePosting, posting_id)
        if posting is None:
            return None
        assignment = session.get(Assignment, posting.assignment_id)
        course = session.get(Course, assignment.course_id)
        platform = session.get(Platform, course.platform_id)
        client = advantage_client(session, platform, settings)
        outcome = passback.post_one(session, posting_id, client, utcnow(), _retry_policy(settings))
    if outcome.retry_in is not None and not self.app.conf.task_always_eager:
        self.apply_async(args=[posting_id], countdown=outcome.retry_in)
    return outcome.status.value if outcome.status else None


@shared_task(name="peerlti.sweep_grade_postings", bind=True)
def sweep_grade_postings(self: Task) -> int:
    """Re-enqueue postings that are due, including those a killed worker or a lost message left in flight."""
    settings = _settings(self)
    with sessions(settings.database_url)() as session:
        due = passback.sweep(session, utcnow(), _retry_policy(settings))
    poster = self.app.tasks["peerlti.post_grade"]
    for posting_id in due:
        poster.delay(posting_id)
    return len(due)
