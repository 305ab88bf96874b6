"""Use cases of checking handed-in files off the request: claiming a check, ending it as a version or a refusal,
the sweep of checks a worker lost, and what the author sees meanwhile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from assessment.anonymity import neutral_filename
from assessment.db import rows_changed
from assessment.errors import NotFound
from assessment.messages import N_, Message
from assessment.models import Assignment, FileCheck, FileCheckStatus, Submission, SubmissionVersion
from assessment.storage import FileStorage
from assessment.upload_check import CheckedFile, message_from_json, message_to_json

# A check started this many times without ending is refused: the file itself may be what brings workers down.
MAX_ATTEMPTS = 3
# A check nobody started this long after its upload lost its message to the workers (a broker down): sent again.
LOST_AFTER = timedelta(seconds=60)
QUARANTINE = "quarantine"


def claimed_name(filename: str) -> str:
    """What is kept of the student's file name for the check: its extension only."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    extension = base.rsplit(".", 1)[1] if "." in base.strip(".") else ""
    return f"upload.{extension}"[:64] if extension else "upload"


def quarantine_key() -> str:
    """A storage key for a file as uploaded: under a prefix no route serves, and named by nothing the student sent."""
    return f"{QUARANTINE}/{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Claim:
    check_id: int
    raw_key: str
    claimed_name: str
    file_types: tuple[str, ...]


def claim_check(session: Session, check_id: int, now: datetime, stale_after: timedelta) -> Claim | None:
    """Start on a check: None when it has ended, or another run started on it less than `stale_after` ago.

    A conditional update, so two runs of the same task (a redelivered message, a sweep) never both start it."""
    started = rows_changed(session, update(FileCheck).where(
        FileCheck.id == check_id, FileCheck.status == FileCheckStatus.CHECKING, FileCheck.raw_key.is_not(None),
        or_(FileCheck.claimed_at.is_(None), FileCheck.claimed_at <= now - stale_after),
    ).values(claimed_at=now, attempts=FileCheck.attempts + 1), synchronize_session=False)
    if not started:
        return None
    check = session.get(FileCheck, check_id, populate_existing=True)
    assert check is not None and check.raw_key is not None  # just updated under the same conditions
    return Claim(check.id, check.raw_key, check.claimed_name, tuple(check.file_types))


@dataclass(frozen=True)
class Ended:
    """A check that ended in this transaction, and the files to delete once it is committed (or, if not, rolled back)."""

    check: FileCheck
    raw_key: str | None  # the file as uploaded: delete after the commit
    written_key: str | None  # the anonymised file: delete if the commit fails


# How a handed-in file reaches reviewers and staff:
# 1. A hand-in with a file is a FileCheck, not a version: nothing serves a check's file, and the file as uploaded
#    lies under a quarantine key that no route reads.
# 2. Only a file that passed the check, in its anonymised form, becomes a version: downloads, the review queue and
#    every staff page see versions only, so a file still being checked or refused is never handed out or served.
# 3. The version takes the number given at upload, and the upload's time for lateness, however long the check took;
#    a refused hand-in leaves its number unused, so the version before it stays the latest (the one that counts).
# 4. A check ends once: a second run finding it ended changes nothing.
def finish_check(session: Session, check_id: int, outcome: CheckedFile | Message, storage: FileStorage,
                 now: datetime) -> Ended | None:
    """End a check with its outcome (the stripped file, or why it was refused); None when it had already ended."""
    check = session.scalars(select(FileCheck).where(FileCheck.id == check_id).with_for_update()
                            .execution_options(populate_existing=True)).one_or_none()
    if check is None or check.status is not FileCheckStatus.CHECKING:
        return None
    if not isinstance(outcome, CheckedFile):
        return _refused(check, outcome, now)
    taken = session.scalar(select(SubmissionVersion.id).where(SubmissionVersion.submission_id == check.submission_id,
                                                              SubmissionVersion.number == check.number))
    if taken is not None:
        # Only without row locks (SQLite): a text hand-in took this number in the instant after it was given.
        return _refused(check, N_(
            "A newer version was handed in at the same moment (perhaps from another tab), so this one was not "
            "saved. Check your latest version below and hand in again if it is not the one you meant."), now)
    submission = session.get(Submission, check.submission_id)
    assignment = session.get(Assignment, submission.assignment_id) if submission else None
    assert submission is not None and assignment is not None  # held by foreign keys
    written = f"assignments/{assignment.public_id}/{submission.pseudonym}/{uuid.uuid4().hex}.{outcome.extension}"
    version = SubmissionVersion(
        submission_id=submission.id, number=check.number, text_html=check.text_html, file_key=written,
        file_name=neutral_filename(submission.pseudonym, outcome.extension), file_kind=outcome.kind,
        file_size=len(outcome.data), submitted_at=check.submitted_at, is_late=check.is_late,
        late_penalty=check.late_penalty, handed_in_by_id=check.handed_in_by_id,
    )
    storage.save(written, outcome.data)
    session.add(version)
    try:
        session.flush()
    except BaseException:
        storage.delete(written)
        raise
    check.status, check.version_id, check.finished_at = FileCheckStatus.READY, version.id, now
    raw, check.raw_key = check.raw_key, None
    session.flush()
    return Ended(check, raw, written)


def _refused(check: FileCheck, reason: Message, now: datetime) -> Ended:
    check.status, check.refusal, check.finished_at = FileCheckStatus.REFUSED, message_to_json(reason), now
    raw, check.raw_key = check.raw_key, None
    return Ended(check, raw, None)


@dataclass(frozen=True)
class Sweep:
    due: list[int]  # checks to send to the workers again
    given_up: list[Ended]  # refused after MAX_ATTEMPTS starts: delete their raw files after the commit


def is_abandoned(check: FileCheck, now: datetime, stale_after: timedelta) -> bool:
    """Being checked, but by nobody: started `stale_after` ago without ending, or never started after LOST_AFTER."""
    if check.status is not FileCheckStatus.CHECKING:
        return False
    if check.claimed_at is None:
        return check.created_at <= now - LOST_AFTER
    return check.claimed_at <= now - stale_after


def sweep_checks(session: Session, now: datetime, stale_after: timedelta) -> Sweep:
    """Checks a killed worker left started, or whose message was lost, are sent again; after MAX_ATTEMPTS starts a
    check is refused instead, with a reason the author can act on."""
    stale = session.scalars(select(FileCheck).where(
        FileCheck.status == FileCheckStatus.CHECKING,
        or_(FileCheck.claimed_at <= now - stale_after,
            FileCheck.claimed_at.is_(None) & (FileCheck.created_at <= now - LOST_AFTER)),
    ).order_by(FileCheck.id).with_for_update(skip_locked=True)).all()
    due, given_up = [], []
    for check in stale:
        if check.attempts >= MAX_ATTEMPTS:
            given_up.append(_refused(check, N_(
                "This file could not be checked: the check stopped %(count)s times before it ended. Save the file "
                "again, or export it as PDF, and upload the new file; if this keeps happening, tell your "
                "instructor.", count=check.attempts), now))
        else:
            due.append(check.id)
    session.flush()
    return Sweep(due, given_up)


def checks_to_show(session: Session, submission: Submission | None) -> list[FileCheck]:
    """The author's hand-ins still being checked, and those refused since their latest version, newest first."""
    if submission is None:
        return []
    latest = submission.latest.number if submission.latest else 0
    return list(session.scalars(select(FileCheck).where(
        FileCheck.submission_id == submission.id,
        (FileCheck.status == FileCheckStatus.CHECKING)
        | ((FileCheck.status == FileCheckStatus.REFUSED) & (FileCheck.number > latest)),
    ).order_by(FileCheck.number.desc())))


def own_check(session: Session, check_id: int, assignment_id: int, author_id: int) -> FileCheck:
    """A check of the author's own hand-in: one answer for "missing" and "not yours", so ids cannot be probed."""
    check = session.get(FileCheck, check_id)
    if (check is None or check.submission.assignment_id != assignment_id
            or author_id not in (check.submission.author_id, check.handed_in_by_id)):
        raise NotFound(N_("That hand-in does not exist."))
    return check


def refusal_of(check: FileCheck) -> Message | None:
    return message_from_json(check.refusal) if check.refusal else None
