"""The grade outbox: claim a posting, send it through AGS, and record success, a retry or a permanent error."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from assessment.db import rows_changed
from assessment.errors import NotFound
from assessment.messages import N_
from assessment.models import (
    Assignment,
    GradePosting,
    Person,
    PostingStatus,
    ResourceLink,
    Submission,
    SubmissionVersion,
)
from lti_tool.advantage import AdvantageClient, AdvantageError
from lti_tool.lms_gradebooks import canvas_line_item_extension, canvas_score_extension, is_canvas
from workers.liveness import live_lock_keys, lock_key

log = logging.getLogger(__name__)

BACKOFF_CAP_SECONDS = 3600
MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between attempts (unless the platform says when, with Retry-After), how long a
    claimed posting may stay in flight before the sweep takes it back from a worker presumed dead, and how long
    before it takes it back from a worker known to be gone (see `sweep`)."""

    backoff_seconds: float = 5
    stuck_after: timedelta = timedelta(minutes=5)
    orphan_after: timedelta = timedelta(seconds=30)


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt: posted, to retry after `retry_in` seconds, failed for good, or nothing to do."""

    status: PostingStatus | None
    retry_in: float | None = None


def claim(session: Session, posting_id: int, now: datetime, claimant: str | None = None) -> bool:
    """Take the posting for this worker (named `claimant`, see workers/liveness.py); False when another worker has
    it or it is settled or not yet due."""
    claimed = rows_changed(
        session,
        update(GradePosting)
        .where(GradePosting.id == posting_id, GradePosting.status == PostingStatus.PENDING,
               GradePosting.next_attempt_at <= now)
        .values(status=PostingStatus.IN_FLIGHT, claimed_at=now, claimed_by=claimant,
                attempts=GradePosting.attempts + 1)
    )
    session.commit()
    return bool(claimed)


def post_one(session: Session, posting_id: int, client: AdvantageClient, now: datetime,
             policy: RetryPolicy = RetryPolicy(), *, claimant: str | None = None,
             launch_url: str | None = None) -> Outcome:
    """Post a claimed row; the outcome is committed before returning, so a crash after it re-posts nothing.

    `launch_url` is peerlti's LTI launch URL: with it, a Canvas gradebook learns where SpeedGrader opens each
    student's work (see lti_tool/lms_gradebooks.py)."""
    if not claim(session, posting_id, now, claimant):
        return Outcome(status=None)
    posting = session.get(GradePosting, posting_id)
    assert posting is not None
    try:
        canvas_launch_url = launch_url if launch_url and is_canvas(client.platform) else None
        lineitem = line_item_url(session, client, posting, canvas_launch_url)
        body = score_body(session, posting, canvas_launch_url)
    except AdvantageError as error:
        return _record_failure(session, posting, error, now, policy)
    # A retry may follow an attempt that reached the gradebook but whose answer was lost: look before posting,
    # since some platforms record an equal timestamp twice.
    if posting.attempts > 1 and _recorded(client, lineitem, body) is True:
        return _mark_posted(session, posting, now)
    try:
        client.post_score(lineitem, body)
    except AdvantageError as error:
        if _is_stale(error):
            recorded = _recorded(client, lineitem, body)
            # Unreadable results: trust the refusal only for a retry, whose earlier attempt may have landed.
            if recorded is True or (recorded is None and posting.attempts > 1):
                return _mark_posted(session, posting, now)
        return _record_failure(session, posting, error, now, policy)
    if not _still_ours(session, posting):
        return Outcome(status=None)
    posting.status, posting.posted_at, posting.last_status = PostingStatus.POSTED, now, 200
    posting.record_error("")
    session.commit()
    return Outcome(status=PostingStatus.POSTED)


def _still_ours(session: Session, posting: GradePosting) -> bool:
    """Whether this attempt may still record its outcome: no other attempt claimed the row since, and it is not
    settled. The sweep may have taken the row back (this worker looked gone, or was stuck); a later attempt's
    outcome then stands, and this late one is dropped rather than written over it."""
    attempt = posting.attempts  # as loaded right after this worker's claim
    session.refresh(posting, with_for_update=True)
    if posting.attempts == attempt and posting.status in (PostingStatus.IN_FLIGHT, PostingStatus.PENDING):
        return True
    session.rollback()
    log.warning("grade posting %s was taken over by a later attempt; this attempt's outcome is dropped", posting.id)
    return False


def _is_stale(error: AdvantageError) -> bool:
    """The platform says it already has a score at least as new (400 naming the timestamp, or 409 Conflict)."""
    return error.status == 409 or (error.status == 400 and "timestamp" in str(error).lower())


def _recorded(client: AdvantageClient, lineitem: str, body: dict[str, object]) -> bool | None:
    """Whether the gradebook already holds this score (None when the platform does not let peerlti read it)."""
    try:
        result = client.result_of(lineitem, str(body["userId"]))
    except AdvantageError:
        return None
    if result is None:
        return False
    given, maximum = body.get("scoreGiven"), body["scoreMaximum"]
    score, out_of = result.get("resultScore"), result.get("resultMaximum") or maximum
    if given is None or score is None:
        return given is None and score is None
    try:
        # Platforms may scale a score to their column's maximum: compare proportions, within rounding.
        return abs(float(score) / float(out_of) - float(given) / float(maximum)) < 1e-4  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return False


def _mark_posted(session: Session, posting: GradePosting, now: datetime) -> Outcome:
    if not _still_ours(session, posting):
        return Outcome(status=None)
    posting.status, posting.posted_at, posting.last_status = PostingStatus.POSTED, now, 200
    posting.record_error(N_("Recorded by an earlier attempt whose answer was lost."))
    session.commit()
    return Outcome(status=PostingStatus.POSTED)


def line_item_url(session: Session, client: AdvantageClient, posting: GradePosting,
                  canvas_launch_url: str | None = None) -> str:
    """The gradebook column of the posting's activity: one per resource link, ever.

    1. The line item the launch's AGS claim names (the LMS made it, or deep linking asked for it) wins.
    2. Otherwise the column peerlti created once for the link and stored.
    3. Otherwise create it, under the link's row lock, so that workers posting at once create one column, not one
       each; the others wait and then read the stored address. No request is made per score for any of this."""
    assignment = session.get(Assignment, posting.assignment_id)
    assert assignment is not None
    link = session.get(ResourceLink, assignment.resource_link_id) if assignment.resource_link_id else None
    claim_data = (link.ags_claim if link else None) or {}
    if claim_data.get("lineitem"):
        return claim_data["lineitem"]
    if link is not None and link.line_item_url:
        return link.line_item_url
    if link is None or not claim_data.get("lineitems"):
        raise AdvantageError(N_("The LMS gave this activity no gradebook service (AGS); grades cannot be sent."),
                             status=None, retryable=False)
    # An UPDATE rather than SELECT ... FOR UPDATE: it also takes SQLite's write lock before anything is read.
    session.execute(update(ResourceLink).where(ResourceLink.id == link.id).values(id=ResourceLink.id))
    stored = session.scalar(select(ResourceLink.line_item_url).where(ResourceLink.id == link.id))
    if stored:
        session.commit()  # another worker created it while this one waited for the lock
        return stored
    try:
        # Find before create, once per link: adopts a column made before peerlti kept its address.
        item = client.find_or_create_line_item(claim_data["lineitems"], {
            "label": assignment.title, "scoreMaximum": assignment.points_possible,
            "resourceId": assignment.public_id, "tag": "peerlti", "resourceLinkId": link.resource_link_id,
            **(canvas_line_item_extension(canvas_launch_url) if canvas_launch_url else {}),
        })
    except AdvantageError:
        session.rollback()
        raise
    if not item.get("id"):
        session.rollback()
        raise AdvantageError(N_("The LMS created no gradebook column for this activity."), status=None,
                             retryable=True)
    session.execute(update(ResourceLink).where(ResourceLink.id == link.id).values(line_item_url=item["id"]))
    session.commit()
    return str(item["id"])


def score_body(session: Session, posting: GradePosting, canvas_launch_url: str | None = None) -> dict[str, object]:
    """The AGS score; for Canvas (`canvas_launch_url` given) with the submission SpeedGrader opens, when the student
    handed work in (a submission without work would show them as having submitted in Canvas)."""
    person = session.get(Person, posting.person_id)
    assert person is not None
    body: dict[str, object] = {
        "userId": person.subject,
        "scoreMaximum": posting.score_maximum,
        "activityProgress": posting.activity_progress,
        "gradingProgress": posting.grading_progress,
        "timestamp": posting.timestamp.isoformat(timespec="milliseconds"),
        "comment": posting.comment,
    }
    if posting.score_given is not None:
        body["scoreGiven"] = posting.score_given
    if canvas_launch_url:
        submitted_at = session.scalar(
            select(func.max(SubmissionVersion.submitted_at)).join(Submission)
            .where(Submission.assignment_id == posting.assignment_id, Submission.author_id == posting.person_id))
        if submitted_at is not None:
            body.update(canvas_score_extension(canvas_launch_url, person.subject, _aware(submitted_at)))
    return body


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for UTC columns.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _record_failure(session: Session, posting: GradePosting, error: AdvantageError, now: datetime,
                    policy: RetryPolicy) -> Outcome:
    if not _still_ours(session, posting):
        return Outcome(status=None)
    # Kept as the message and its parameters, so that staff read it in their language (see GradePosting).
    posting.last_status = error.status
    posting.record_error(error.message)
    if error.retryable and posting.attempts < MAX_ATTEMPTS:
        backoff = min(BACKOFF_CAP_SECONDS, policy.backoff_seconds * 2 ** (posting.attempts - 1))
        wait = max(error.retry_after or 0.0, backoff)
        posting.status, posting.claimed_at, posting.claimed_by = PostingStatus.PENDING, None, None
        posting.next_attempt_at = now + timedelta(seconds=wait)
        session.commit()
        return Outcome(status=PostingStatus.PENDING, retry_in=wait)
    posting.status = PostingStatus.FAILED
    session.commit()
    return Outcome(status=PostingStatus.FAILED)


def sweep(session: Session, now: datetime, policy: RetryPolicy = RetryPolicy()) -> list[int]:
    """Free postings stuck in flight (a killed worker, a lost message) and list every posting now due.

    1. A posting in flight longer than `stuck_after` is freed, whoever holds it: the worker is presumed dead.
    2. A posting whose worker is known to be gone (its liveness lock is released, workers/liveness.py) is freed
       once `orphan_after` has passed since its claim, long before `stuck_after`. The wait covers a live worker
       whose liveness connection alone broke: by then its calls to the LMS, each bounded by a timeout, are over,
       and the next attempt reads the gradebook back before posting (see `post_one`).
    3. Either way the next attempt is a retry: it posts only if the gradebook does not hold the score yet."""
    freed = GradePosting.claimed_at < now - policy.stuck_after
    gone = _gone_claimants(session)
    if gone:
        freed = or_(freed, and_(GradePosting.claimed_by.in_(gone), GradePosting.claimed_at < now - policy.orphan_after))
    session.execute(
        update(GradePosting)
        .where(GradePosting.status == PostingStatus.IN_FLIGHT, freed)
        .values(status=PostingStatus.PENDING, claimed_at=None, claimed_by=None, next_attempt_at=now)
    )
    session.commit()
    return list(session.scalars(select(GradePosting.id).where(
        GradePosting.status == PostingStatus.PENDING,
        or_(GradePosting.next_attempt_at <= now, GradePosting.next_attempt_at.is_(None)),
    ).order_by(GradePosting.id)))


def _gone_claimants(session: Session) -> list[str]:
    # The claimants are read before the locks: a worker takes its lock before it claims, so a claimant read here
    # that is alive still shows its lock below.
    claimants = set(session.scalars(select(GradePosting.claimed_by).distinct().where(
        GradePosting.status == PostingStatus.IN_FLIGHT, GradePosting.claimed_by.is_not(None))))
    alive = live_lock_keys(session) if claimants else None
    if alive is None:
        return []
    return sorted(claimant for claimant in claimants if claimant is not None and lock_key(claimant) not in alive)


def retry_failed(session: Session, assignment_id: int, posting_id: int, now: datetime) -> GradePosting:
    """Staff ask for another try of a posting that failed for good (after fixing the cause in the LMS)."""
    posting = session.get(GradePosting, posting_id)
    if posting is None or posting.assignment_id != assignment_id or posting.status is not PostingStatus.FAILED:
        raise NotFound(N_("That grade is not waiting for a retry."))
    posting.status, posting.next_attempt_at, posting.attempts = PostingStatus.PENDING, now, 0
    session.flush()
    return posting
