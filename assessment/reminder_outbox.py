"""The reminder outbox: which e-mails are due, claimed once each before sending, and what became of them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assessment.db import rows_changed
from assessment.models import (
    Assignment,
    Course,
    CourseRole,
    Enrollment,
    Person,
    Reminder,
    ReminderStatus,
    ResourceLink,
    display_name,
)
from assessment.phases import Phase
from assessment.progress import StudentRow, open_flags, student_rows, summarise
from assessment.reminders import Owing, deadlines, due_reminders
from assessment.review_coverage import coverage_report
from assessment.student_dates import dates_by_student

SUMMARY_KIND = "summary"
# Staff hear about an activity from when work may be handed in until a week after results are out (late triage).
SUMMARY_AFTER_RELEASE = timedelta(days=7)
MAX_ATTEMPTS = 5
# A row claimed this long ago and still "sending" belongs to a run that died mid-way: it may have been sent, so it is
# marked failed for staff to see, never sent again.
STALE_SENDING = timedelta(hours=1)
INTERRUPTED = "The sending was interrupted; the message may not have arrived."
PAST_DEADLINE = "Not sent: the deadline passed before the mail server accepted it."
# Rows are inserted and read in batches of this many: statements grow with the class only by one per batch.
BATCH = 1000


@dataclass(frozen=True)
class RetryPolicy:
    backoff_seconds: int = 60
    max_attempts: int = MAX_ATTEMPTS


@dataclass(frozen=True)
class Claimed:
    """What a run claimed to send, and who it could not write to."""

    ids: list[int]
    no_address: int
    given_up: int  # rows another run left half-sent, or retries whose deadline passed


@dataclass(frozen=True)
class Outgoing:
    """Everything one e-mail says, read in one query with the rows claimed."""

    reminder_id: int
    kind: str
    hours: int
    deadline: datetime | None
    email: str
    name: str
    locale: str | None
    assignment_title: str
    timezone: str
    course_title: str
    lms_url: str | None
    details: Mapping[str, Any] | None


@dataclass(frozen=True)
class Failure:
    reminder_id: int
    error: str
    retryable: bool  # False: the server may have taken the message, or refuses it for good


def _active(now: datetime):
    # Open to students (not held in setup), and not long past its results.
    return and_(Assignment.submission_opens <= now, Assignment.results_release > now - SUMMARY_AFTER_RELEASE,
                or_(Assignment.phase_override.is_(None), Assignment.phase_override != Phase.SETUP))


def claim_due(session: Session, now: datetime, *, summaries: bool = True) -> Claimed:
    """Claim every reminder and summary due now, and the retries whose time has come; the caller commits BEFORE
    sending, so a row claimed here is sent at most once whatever happens to this run.

    1. A reminder is due while a deadline is near (assessment.reminders) and the student still owes its step.
    2. A student who turned reminders off for the course gets none; one without an address gets a row marked so,
       counted for staff.
    3. Staff get one summary a day per activity (the day in the activity's time zone), when they have an address.
    4. The unique row (person, assignment, kind, hours, day) is the claim: a second beat, a retried task or a
       later run inserts nothing for it."""
    given_up = _give_up(session, now)
    rows: list[dict[str, Any]] = []
    for assignment in session.scalars(select(Assignment).where(_active(now)).order_by(Assignment.id)):
        rows.extend(_due_rows(session, assignment, now, summaries=summaries))
    ids, no_address = [], 0
    for start in range(0, len(rows), BATCH):
        for reminder_id, status in session.execute(
            _insert_ignoring_claimed(session).returning(Reminder.id, Reminder.status), rows[start:start + BATCH]
        ):
            if status is ReminderStatus.SENDING:
                ids.append(reminder_id)
            else:
                no_address += 1
    ids.extend(session.scalars(
        update(Reminder).where(Reminder.status == ReminderStatus.RETRY, Reminder.next_attempt_at <= now)
        .values(status=ReminderStatus.SENDING, claimed_at=now).returning(Reminder.id)
    ))
    return Claimed(sorted(ids), no_address, given_up)


def _give_up(session: Session, now: datetime) -> int:
    interrupted = rows_changed(session, update(Reminder).where(
        Reminder.status == ReminderStatus.SENDING, Reminder.claimed_at < now - STALE_SENDING
    ).values(status=ReminderStatus.FAILED, last_error=INTERRUPTED))
    too_late = rows_changed(session, update(Reminder).where(
        Reminder.status == ReminderStatus.RETRY, Reminder.deadline <= now
    ).values(status=ReminderStatus.FAILED, last_error=PAST_DEADLINE))
    return interrupted + too_late


def _insert_ignoring_claimed(session: Session) -> postgresql.Insert | sqlite.Insert:
    # Both dialects spell "insert unless the unique row exists" the same way, each from its own module.
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(Reminder).on_conflict_do_nothing()
    return sqlite.insert(Reminder).on_conflict_do_nothing()


def _due_rows(session: Session, assignment: Assignment, now: datetime, *, summaries: bool) -> list[dict[str, Any]]:
    calibrates = assignment.calibration_examples_required > 0
    steps = deadlines(assignment.timeline, calibrates)
    hours = tuple(assignment.reminder_hours or ())
    # Extended students are reminded before their own deadlines, not the class's; without reminder hours nobody is.
    own_steps = {person: deadlines(dates.timeline, calibrates)
                 for person, dates in dates_by_student(session, assignment).items()} if hours else {}
    student_due = any(any(due_reminders(each, hours, now, Owing(False, False, True)))
                      for each in (steps, *own_steps.values()))
    if not student_due and not summaries:
        return []
    rows = student_rows(session, assignment, now)
    found: list[dict[str, Any]] = []
    if student_due:
        off = set(session.scalars(select(Enrollment.person_id).where(
            Enrollment.course_id == assignment.course_id, Enrollment.reminders_off.is_(True))))
        for row in rows:
            if row.person_id in off:
                continue
            for reminder in due_reminders(own_steps.get(row.person_id, steps), hours, now, owing(row)):
                found.append(_row(assignment.id, row.person_id, reminder.kind.value, reminder.hours, "",
                                  reminder.due, row.email, now))
    if summaries:
        found.extend(_summary_rows(session, assignment, rows, now))
    return found


def owing(row: StudentRow) -> Owing:
    return Owing(handed_in=row.handed_in, calibrated=row.calibrated, owes_reviews=row.owes_reviews)


def _summary_rows(session: Session, assignment: Assignment, rows: list[StudentRow], now: datetime
                  ) -> list[dict[str, Any]]:
    staff = session.execute(
        select(Person.id, Person.email).join(Enrollment, Enrollment.person_id == Person.id)
        .where(Enrollment.course_id == assignment.course_id, Enrollment.role == CourseRole.STAFF)
    ).all()
    if not staff:
        return []
    day = now.astimezone(ZoneInfo(assignment.timezone)).date().isoformat()
    counts = summary_counts(rows, assignment, len(open_flags(session, assignment.id)))
    counts["undelivered"] = session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.assignment_id == assignment.id, Reminder.kind != SUMMARY_KIND,
        Reminder.status.in_((ReminderStatus.FAILED, ReminderStatus.NO_ADDRESS)))) or 0
    counts["unreviewed"] = unreviewed_names(session, assignment, now)
    # Staff without an address are left out, not counted: the summary is for them, and they see the page.
    return [_row(assignment.id, person_id, SUMMARY_KIND, 0, day, None, email, now) | {"details": counts}
            for person_id, email in staff if email]


def unreviewed_names(session: Session, assignment: Assignment, now: datetime) -> list[str]:
    """Once reviewing is over, the work it left with no review at all, by its author's (or team's) name, as the
    dashboard names it: staff are told which, not only how many. Two statements whatever the class's size."""
    if assignment.phase_at(now) not in (Phase.GRADING, Phase.RELEASED):
        return []
    report = coverage_report(session, assignment, now)
    return [work.name for work in report.unreviewed] if report.deadline_passed else []


def summary_counts(rows: list[StudentRow], assignment: Assignment, flag_count: int) -> dict[str, Any]:
    """Triage and coverage in three figures: submissions short of their reviews, flagged reviews waiting, and grades
    needing attention."""
    progress = summarise(rows, assignment, flag_count)
    return {"short_of_reviews": progress.handed_in - progress.fully_reviewed, "flagged_reviews": progress.open_flags,
            "grades_needing_attention": progress.in_doubt, "submissions": progress.handed_in}


def _row(assignment_id: int, person_id: int, kind: str, hours: int, period: str, deadline: datetime | None,
         email: str | None, now: datetime) -> dict[str, Any]:
    return {"assignment_id": assignment_id, "person_id": person_id, "kind": kind, "hours": hours, "period": period,
            "deadline": deadline, "status": ReminderStatus.SENDING if email else ReminderStatus.NO_ADDRESS,
            "attempts": 0, "next_attempt_at": None, "claimed_at": now, "sent_at": None, "last_error": "",
            "details": None}


def outgoing(session: Session, ids: Collection[int]) -> list[Outgoing]:
    """The claimed rows with what their e-mails say, in one query per batch."""
    found: list[Outgoing] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        for row in session.execute(
            select(Reminder.id, Reminder.kind, Reminder.hours, Reminder.deadline, Reminder.details, Person.email,
                   Person.name, Person.given_name, Person.family_name, Person.locale, Assignment.title,
                   Assignment.timezone, Course.title.label("course_title"), Course.label, ResourceLink.lms_url)
            .join(Person, Person.id == Reminder.person_id).join(Assignment, Assignment.id == Reminder.assignment_id)
            .join(Course, Course.id == Assignment.course_id)
            .outerjoin(ResourceLink, ResourceLink.id == Assignment.resource_link_id)
            .where(Reminder.id.in_(ordered[start:start + BATCH]), Reminder.status == ReminderStatus.SENDING)
            .order_by(Reminder.id)
        ):
            found.append(Outgoing(
                reminder_id=row.id, kind=row.kind, hours=row.hours, deadline=row.deadline, email=row.email or "",
                name=display_name(row), locale=row.locale, assignment_title=row.title, timezone=row.timezone,
                course_title=row.course_title or row.label or "", lms_url=row.lms_url, details=row.details,
            ))
    return found


def record_outcomes(session: Session, sent: Sequence[int], failures: Iterable[Failure], now: datetime,
                    policy: RetryPolicy) -> None:
    """Mark what the mail server took, and schedule or give up what it did not; the caller commits."""
    if sent:
        session.execute(update(Reminder).where(Reminder.id.in_(sent))
                        .values(status=ReminderStatus.SENT, sent_at=now, last_error=""))
    for failure in failures:
        reminder = session.get(Reminder, failure.reminder_id)
        if reminder is None:
            continue
        reminder.attempts += 1
        reminder.last_error = failure.error[:2000]
        if failure.retryable and reminder.attempts < policy.max_attempts:
            reminder.status = ReminderStatus.RETRY
            reminder.next_attempt_at = now + timedelta(seconds=policy.backoff_seconds * 2 ** (reminder.attempts - 1))
        else:
            reminder.status = ReminderStatus.FAILED


@dataclass(frozen=True)
class Delivery:
    """How an activity's reminders fared, for its staff: e-mails sent, waiting to retry, and not delivered."""

    sent: int
    waiting: int
    failed: int
    no_address: int
    last_error: str


def delivery(session: Session, assignment_id: int) -> Delivery:
    counts = dict(session.execute(
        select(Reminder.status, func.count()).where(Reminder.assignment_id == assignment_id,
                                                    Reminder.kind != SUMMARY_KIND)
        .group_by(Reminder.status)).all())
    last_error = session.scalar(
        select(Reminder.last_error).where(Reminder.assignment_id == assignment_id, Reminder.last_error != "")
        .order_by(Reminder.id.desc()).limit(1)) or ""
    return Delivery(sent=counts.get(ReminderStatus.SENT, 0),
                    waiting=counts.get(ReminderStatus.RETRY, 0) + counts.get(ReminderStatus.SENDING, 0),
                    failed=counts.get(ReminderStatus.FAILED, 0), no_address=counts.get(ReminderStatus.NO_ADDRESS, 0),
                    last_error=last_error)


def set_reminders_off(session: Session, person_id: int, course_id: int, off: bool) -> None:
    """A student's choice of reminder e-mails for one course; the caller commits."""
    session.execute(update(Enrollment).where(Enrollment.person_id == person_id, Enrollment.course_id == course_id)
                    .values(reminders_off=off))


def reminders_off(session: Session, person_id: int, course_id: int) -> bool:
    return bool(session.scalar(select(Enrollment.reminders_off).where(Enrollment.person_id == person_id,
                                                                      Enrollment.course_id == course_id)))
