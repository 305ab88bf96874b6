"""Celery tasks: thin, idempotent, taking ids; the work lives in assessment services and the outbox."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import Task, shared_task
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from assessment.db import utcnow
from assessment.errors import NotFound
from assessment.file_checks import claim_check, finish_check, sweep_checks
from assessment.grading import grading_owed_since
from assessment.grading_run import run_grading
from assessment.messages import Message
from assessment.models import Assignment, Course, GradePosting, GradingRun, PostingStatus, ResourceLink
from assessment.peer_review import reclaim_expired_leases
from assessment.phases import Phase
from assessment.reading import needs_reading_copy
from assessment.reading_copies import make_reading_copy as make_copy
from assessment.reminder_outbox import RetryPolicy, claim_due, outgoing, record_outcomes
from assessment.student_dates import extensions_ended
from assessment.upload_check import CheckedFile
from config.settings import Settings
from lti_tool.advantage import AdvantageError
from lti_tool.file_store import file_storage
from lti_tool.launch.replay import forget_expired_nonces
from lti_tool.lms_gradebooks import LAUNCH_PATH
from lti_tool.logging_setup import log_event
from lti_tool.metrics import GRADING_SECONDS, POSTING_FAILURES
from lti_tool.registry import Platform
from lti_tool.roster import apply_roster, refusal_cause
from workers import passback
from workers.isolation import run_isolated
from workers.locks import try_lock
from workers.reminder_mail import compose
from workers.runtime import advantage_client, libreoffice, mailer, presence, sessions
from workers.smtp import Mailer

log = logging.getLogger(__name__)


def _settings(task: Task) -> Settings:
    # The settings of the Celery app running the task (the web app's own when eager, the worker's otherwise).
    return task.app.conf.peerlti_settings


def _gone(what: str, row_id: int) -> None:
    # A row removed after its task was queued (an assignment deleted, a platform unregistered) leaves nothing to do;
    # failing would only fill the logs with tracebacks and, with late acknowledgement, nothing would be gained.
    log.info("%s %s no longer exists; nothing to do", what, row_id)


def _platform_of_assignment(session: Session, assignment_id: int) -> Platform | None:
    return session.scalar(
        select(Platform).join(Course, Course.platform_id == Platform.id)
        .join(Assignment, Assignment.course_id == Course.id).where(Assignment.id == assignment_id)
    )


def _busy(job: str) -> int:
    # The same job is running in another process (two beats, or a beat and staff): this run has nothing to add.
    log.info("%s is already running elsewhere; skipped", job)
    return 0


def _retry_policy(settings: Settings) -> passback.RetryPolicy:
    return passback.RetryPolicy(backoff_seconds=settings.passback_backoff_seconds,
                                stuck_after=timedelta(seconds=settings.passback_stuck_seconds),
                                orphan_after=timedelta(seconds=settings.passback_orphan_seconds))


@shared_task(name="peerlti.ping")
def ping(token: str) -> str:
    """Answer the token back: lets an administrator and the tests see a worker is consuming the queue."""
    return token


@shared_task(name="peerlti.post_grade", bind=True, acks_late=True)
def post_grade(self: Task, posting_id: int) -> str | None:
    """Post one outbox row; a retry is scheduled by the row itself, so a lost message costs only a sweep."""
    settings = _settings(self)
    with sessions(settings)() as session:
        posting = session.get(GradePosting, posting_id)
        platform = _platform_of_assignment(session, posting.assignment_id) if posting else None
        if posting is None or platform is None:
            _gone("grade posting", posting_id)
            return None
        client = advantage_client(session, platform, settings)
        # Eager runs post inside a web request, which is no worker to watch: their rows wait for the stuck delay.
        claimant = None if self.app.conf.task_always_eager else presence(settings).claimant()
        outcome = passback.post_one(session, posting_id, client, utcnow(), _retry_policy(settings), claimant=claimant,
                                    launch_url=settings.tool_base_url + LAUNCH_PATH)
        _log_posting(posting_id, posting.attempts, posting.last_status, outcome)
    if outcome.retry_in is not None and not self.app.conf.task_always_eager:
        self.apply_async(args=(posting_id,), countdown=outcome.retry_in)
    return outcome.status.value if outcome.status else None


@shared_task(name="peerlti.make_reading_copy", bind=True, acks_late=True)
def make_reading_copy(self: Task, version_id: int) -> str | None:
    """Make the PDF a version's DOCX or ODT is read as in the page; the copy's key, or None. Safe to repeat."""
    settings = _settings(self)
    with sessions(settings)() as session:
        # Readers opening the file while its copy is being made each send this task: one converts, the rest wait
        # for nothing and find the copy next time.
        if not try_lock(session, "make_reading_copy", version_id):
            _busy(f"reading copy of version {version_id}")
            return None
        return make_copy(session, version_id, file_storage(settings), libreoffice(settings))


def _log_posting(posting_id: int, attempts: int, last_status: int | None, outcome: passback.Outcome) -> None:
    if outcome.status is PostingStatus.POSTED:
        log_event(log, "grade.posted", posting_id=posting_id, attempts=attempts)
    elif outcome.status is not None:
        # Pending again (to retry) or failed for good: the platform's status says which failure it was.
        log_event(log, "grade.posting_failed", logging.WARNING, posting_id=posting_id, attempts=attempts,
                  status=last_status, outcome=outcome.status.value, retry_in=outcome.retry_in)
        POSTING_FAILURES.labels(str(last_status or 0), outcome.status.value).inc()


@shared_task(name="peerlti.sweep_grade_postings", bind=True)
def sweep_grade_postings(self: Task) -> int:
    """Re-enqueue postings that are due, including those a killed worker or a lost message left in flight."""
    settings = _settings(self)
    with sessions(settings)() as session:
        if not try_lock(session, "sweep_grade_postings"):
            return _busy("sweep_grade_postings")
        due = passback.sweep(session, utcnow(), _retry_policy(settings))
    poster = self.app.tasks["peerlti.post_grade"]
    for posting_id in due:
        poster.delay(posting_id)
    return len(due)


@shared_task(name="peerlti.sync_roster", bind=True, acks_late=True)
def sync_roster(self: Task, resource_link_id: int) -> dict[str, Any] | None:
    """Bring the course roster of a resource link from the LMS (NRPS), page by page, all or nothing.

    A refusal of the LMS is an answer, not a crash: {"refused": {"status", "retryable"}} tells the page what
    the LMS said (its own words stay in the log)."""
    settings = _settings(self)
    with sessions(settings)() as session:
        link = session.get(ResourceLink, resource_link_id)
        course = session.get(Course, link.course_id) if link else None
        platform = session.get(Platform, course.platform_id) if course else None
        if link is None or course is None or platform is None:
            _gone("resource link", resource_link_id)
            return None
        url = (link.nrps_claim or {}).get("context_memberships_url")
        if not url:
            return None
        if not try_lock(session, "sync_roster", course.id):
            return {"added": 0, "updated": 0, "busy": True}
        try:
            changes = apply_roster(session, course, advantage_client(session, platform, settings).members(url))
        except AdvantageError as error:
            session.rollback()  # pages already read are not kept: a roster is stored whole or not at all
            log_event(log, "roster.refused", logging.WARNING, resource_link_id=resource_link_id, status=error.status,
                      retryable=error.retryable, error=str(error))
            reason = error.message.params.get("reason") if isinstance(error.message, Message) else None
            outcome: dict[str, Any] = {"refused": {"status": error.status, "retryable": error.retryable,
                                                   "cause": refusal_cause(platform, error.status, reason)}}
        else:
            outcome = {"added": changes.added, "updated": changes.updated}
            log_event(log, "roster.synced", resource_link_id=resource_link_id, added=changes.added,
                      updated=changes.updated)
        link.last_roster_sync = outcome | {"at": utcnow().isoformat()}
        session.commit()
    return outcome


@shared_task(name="peerlti.sync_all_rosters", bind=True)
def sync_all_rosters(self: Task) -> int:
    """Queue a roster sync for every resource link that has the roster service."""
    settings = _settings(self)
    with sessions(settings)() as session:
        if not try_lock(session, "sync_all_rosters"):
            return _busy("sync_all_rosters")
        links = [link.id for link in session.scalars(select(ResourceLink)) if (link.nrps_claim or {}).get(
            "context_memberships_url")]
    syncer = self.app.tasks["peerlti.sync_roster"]
    for link_id in links:
        syncer.delay(link_id)
    return len(links)


@shared_task(name="peerlti.run_grading", bind=True, acks_late=True)
def run_grading_task(self: Task, assignment_id: int) -> int:
    """Compute an assignment's grades (idempotent: a second run recomputes the same grades)."""
    settings = _settings(self)
    with sessions(settings)() as session:
        if not try_lock(session, "run_grading", assignment_id):
            return _busy("run_grading")
        try:
            with GRADING_SECONDS.labels("schedule").time():
                grades = run_grading(session, assignment_id, utcnow())
        except NotFound:
            _gone("assignment", assignment_id)
            return 0
        session.commit()
        return len(grades)


@shared_task(name="peerlti.grade_due_assignments", bind=True)
def grade_due_assignments(self: Task) -> int:
    """Grade every assignment not graded since grading was last owed: at its review deadline, under flexible grading
    once its days have passed (work short of reviews is graded then, flagged for staff), and when an extension ends."""
    settings = _settings(self)
    now = utcnow()
    with sessions(settings)() as session:
        # Held until the grading is handed over (done, when eager): a second beat's run then finds nothing due.
        if not try_lock(session, "grade_due_assignments"):
            return _busy("grade_due_assignments")
        candidates = session.execute(
            # The last run, not the last grade: a run that wrote none (every student waiting on an extension) ran.
            select(Assignment.id, Assignment.review_due, Assignment.flexible_grading_days, GradingRun.ran_at)
            .outerjoin(GradingRun, GradingRun.assignment_id == Assignment.id)
            .where(Assignment.review_due <= now)
            # An activity still in setup was never opened: grading it would give every student a grade for nothing.
            .where(or_(Assignment.phase_override.is_(None), Assignment.phase_override != Phase.SETUP))
        ).all()
        # A student's grade that waited for their extension is owed once it ends, as the class's was at the deadline.
        ended = extensions_ended(session, [row.id for row in candidates], now)
        due = []
        for assignment_id, review_due, flexible_days, last_graded in candidates:
            owed_since = max((moment for moment in (grading_owed_since(review_due, flexible_days, now),
                                                    ended.get(assignment_id)) if moment is not None), default=None)
            if owed_since is not None and (last_graded is None or last_graded < owed_since):
                due.append(assignment_id)
        grader = self.app.tasks["peerlti.run_grading"]
        for assignment_id in due:
            grader.delay(assignment_id)
    return len(due)


@shared_task(name="peerlti.reclaim_expired_leases", bind=True)
def reclaim_leases(self: Task) -> int:
    """Give submissions whose review leases ran out back to the review pool, for every assignment."""
    settings = _settings(self)
    with sessions(settings)() as session:
        if not try_lock(session, "reclaim_expired_leases"):
            return _busy("reclaim_expired_leases")
        reclaimed = reclaim_expired_leases(session, utcnow())
        session.commit()
    return reclaimed


@shared_task(name="peerlti.check_file", bind=True, acks_late=True)
def check_file(self: Task, check_id: int) -> str | None:
    """Check and strip one handed-in file in a child process under limits, then end its check (idempotent: a check
    already ended or started by a live run is left alone). With eager tasks the same child runs, in the web process."""
    settings = _settings(self)
    limits = settings.file_checks
    storage = file_storage(settings)
    with sessions(settings)() as session:
        claim = claim_check(session, check_id, utcnow(), timedelta(seconds=limits.stale_seconds))
        session.commit()
    if claim is None:
        return None
    try:
        # A local file fed to the child in chunks: from S3 it is fetched into a temporary file first.
        with storage.local_copy(claim.raw_key) as raw:
            run = run_isolated(raw, claim.claimed_name, claim.file_types, limits)
    except Exception:
        # The child could not even be started (no process left, a broken install): the sweep tries again later.
        log.exception("file check %s could not run; the sweep will try again", check_id)
        return None
    outcome = run.outcome if isinstance(run.outcome, CheckedFile) else run.outcome.message
    log.info("file check %s: %s in %.2f s, child peak %d MB", check_id,
             "passed" if isinstance(outcome, CheckedFile) else "refused", run.seconds, run.peak_memory_bytes >> 20)
    with sessions(settings)() as session:
        ended = finish_check(session, check_id, outcome, storage, utcnow())
        if ended is None:
            return None
        try:
            session.commit()
        except BaseException:
            if ended.written_key:
                storage.delete(ended.written_key)
            raise
        status = ended.check.status.value
        version = ended.check.version
        reading_copy_for = version.id if version is not None and needs_reading_copy(version) else None
    if ended.raw_key:
        storage.delete(ended.raw_key)
    if reading_copy_for is not None and libreoffice(settings).available:
        # Made ahead, so reviewers read the DOCX or ODT at once. Best effort: the reader orders it again if missing,
        # so a broker that cannot take it now loses nothing.
        try:
            self.app.tasks["peerlti.make_reading_copy"].delay(reading_copy_for)
        except Exception:
            log.warning("reading copy of version %s not sent; the reader will order it", reading_copy_for,
                        exc_info=True)
    return status


@shared_task(name="peerlti.sweep_file_checks", bind=True)
def sweep_file_checks(self: Task) -> int:
    """Send again the checks a killed worker or a lost message left "being checked"; give up on those tried too often."""
    settings = _settings(self)
    storage = file_storage(settings)
    with sessions(settings)() as session:
        if not try_lock(session, "sweep_file_checks"):
            return _busy("sweep_file_checks")
        swept = sweep_checks(session, utcnow(), timedelta(seconds=settings.file_checks.stale_seconds))
        session.commit()
    for ended in swept.given_up:
        if ended.raw_key:
            storage.delete(ended.raw_key)
    checker = self.app.tasks["peerlti.check_file"]
    for check_id in swept.due:
        checker.delay(check_id)
    return len(swept.due)


@shared_task(name="peerlti.forget_expired_nonces", bind=True)
def forget_expired_launch_nonces(self: Task) -> int:
    """Delete the consumed nonces of id_tokens that have expired; how many went. Safe to repeat or run twice."""
    settings = _settings(self)
    with sessions(settings)() as session:
        removed = forget_expired_nonces(session, utcnow())
        session.commit()
    return removed


# Sent, then marked, this many at a time: a run that dies mid-way leaves at most this many "not known to have arrived".
REMINDER_BATCH = 500


@shared_task(name="peerlti.send_reminders", bind=True)
def send_reminders(self: Task) -> dict[str, int]:
    """Claim the reminders and summaries due now (committed first: each is sent at most once), then send them.

    Without SMTP_URL nothing is claimed: students read their reminders on their home page."""
    settings = _settings(self)
    if settings.mail is None:
        return {"sent": 0, "failed": 0, "no_address": 0}
    sender = mailer(settings)
    try:
        return deliver_reminders(settings, sessions(settings), sender, utcnow())
    finally:
        sender.close()


def deliver_reminders(settings: Settings, factory: sessionmaker[Session], sender: Mailer, now: datetime
                      ) -> dict[str, int]:
    """One run of reminders at `now`: claim, commit, then send batch by batch, recording each batch's outcome."""
    assert settings.mail is not None
    with factory() as session:
        if not try_lock(session, "send_reminders"):
            _busy("send_reminders")
            return {"sent": 0, "failed": 0, "no_address": 0, "busy": 1}
        claimed = claim_due(session, now)
        session.commit()
    sent = failed = 0
    for start in range(0, len(claimed.ids), REMINDER_BATCH):
        with factory() as session:
            batch = outgoing(session, claimed.ids[start:start + REMINDER_BATCH])
            messages = [(item.reminder_id, compose(item, settings.mail, settings.tool_base_url), item.email)
                        for item in batch]
            outcome = sender.send_all(messages)
            record_outcomes(session, outcome.sent, outcome.failures, utcnow(), RetryPolicy())
            session.commit()
        sent += len(outcome.sent)
        failed += len(outcome.failures)
        for failure in outcome.failures:
            # The server's answer stays on the row for staff: it may name the recipient, which logs never do.
            log_event(log, "reminder.failed", logging.WARNING, reminder_id=failure.reminder_id,
                      retryable=failure.retryable)
    log_event(log, "reminders.sent", sent=sent, failed=failed, no_address=claimed.no_address,
              given_up=claimed.given_up)
    return {"sent": sent, "failed": failed, "no_address": claimed.no_address}
