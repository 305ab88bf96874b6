"""Use cases: each takes a Session and ids, calls the pure core, stores the result; callers commit."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from assessment.anonymity import pseudonym
from assessment.assignment_settings import AssignmentSettings, locked_changes, review_locks
from assessment.db import utcnow
from assessment.errors import (
    Conflict,
    InvalidInput,
    NotAllowed,
    NotFound,
    PhaseClosed,
    SettingsChanged,
    SettingsLocked,
)
from assessment.file_checks import claimed_name, quarantine_key
from assessment.messages import N_
from assessment.models import (
    Assignment,
    CourseRole,
    Enrollment,
    FileCheck,
    FileCheckStatus,
    Person,
    ResourceLink,
    Review,
    Submission,
    SubmissionVersion,
    Team,
    TeamMembership,
)
from assessment.phases import PHASE_NAMES, Phase
from assessment.reading import file_is_ready
from assessment.rich_text import clean_rich_text, render_markdown
from assessment.rubric import Criterion, Rubric
from assessment.storage import FileStorage
from assessment.student_dates import dates_of
from assessment.team_work import own_work
from assessment.write_rules import hand_in_lateness

# Phases from which the rubric is fixed, so every review of the assignment is made against the same rubric.
RUBRIC_LOCKED_PHASES = (Phase.REVIEW, Phase.GRADING, Phase.RELEASED)
TEAM_SETTING_LOCKED: str = N_("Work has been handed in, so the assignment can no longer switch between individual and "
                              "team work.")
TEAM_REVIEWS_LOCKED: str = N_("Reviewing has started, so who writes the reviews (each member, or one review per "
                              "team) can no longer change: reviews were handed out and are graded that way.")
SETTINGS_CHANGED: str = N_("These settings were saved in another tab or by someone else since you opened this page, "
                           "so yours were not saved. The form still holds what you typed: check it against the "
                           "settings as they are now and save again to keep it.")
MAX_TEXT_CHARACTERS = 200_000
# Control characters other than tab and newline: invisible, and some break XML exports or terminals. A carriage
# return goes too, so the newlines browsers send as CR LF are stored as one newline.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def sanitise_html(html: str, tool_origin: str = "") -> str:
    """Keep the formatting people write; drop scripts, handlers, images that load, and links into the tool
    (all relative ones, those with a tab token, and, when `tool_origin` is given, those on its host)."""
    return clean_rich_text(html, tool_origin).strip()


def plain_text(text: str | None, max_characters: int) -> str:
    """Plain text (comments, reasons, explanations) as typed: never HTML-encoded here, since templates escape it
    when they show it; only control characters and the surrounding whitespace are removed, and the length capped."""
    return _CONTROL_CHARACTERS.sub("", (text or "").replace("\r\n", "\n")).strip()[:max_characters]


# --- assignments -------------------------------------------------------------------------------------------------


def create_assignment(
    session: Session, course_id: int, settings: AssignmentSettings, *, resource_link_id: int | None = None
) -> Assignment:
    settings.validate()
    assignment = Assignment(course_id=course_id, public_id=secrets.token_hex(12), resource_link_id=resource_link_id)
    assignment.apply(_sanitised(settings))
    # A new activity waits in setup, whatever its dates say, until staff open it: students must not hand in work
    # before the rubric and the dates are what the instructor wants (see write_rules, rule 0).
    assignment.phase_override = Phase.SETUP
    session.add(assignment)
    session.flush()
    return assignment


def update_settings(session: Session, assignment_id: int, settings: AssignmentSettings, now: datetime,
                    seen: str | None = None) -> Assignment:
    """Save new settings; once reviewing has started, SettingsLocked refuses changes the reviews depend on.

    `seen` is the fingerprint of the settings the form was filled from: when they were saved elsewhere since and
    this save would change them, SettingsChanged refuses it rather than silently undo the other save."""
    settings.validate()
    assignment = get_assignment(session, assignment_id, for_update=seen is not None)
    if seen is not None and seen != assignment.settings.fingerprint() and \
            _sanitised(settings) != assignment.settings:  # the same form sent twice changes nothing: no conflict
        raise SettingsChanged(SETTINGS_CHANGED)
    if reviewing_started(session, assignment, now):
        refused = locked_changes(assignment.settings, settings)
        if refused:
            raise SettingsLocked(refused)
    if settings.team_assignment != assignment.team_assignment and _has_work(session, assignment):
        raise SettingsLocked({"team_assignment": TEAM_SETTING_LOCKED})
    if (settings.team_assignment and settings.reviews_by_team) != bool(assignment.reviews_by_team) and \
            reviewing_started(session, assignment, now):
        raise SettingsLocked({"reviews_by_team": TEAM_REVIEWS_LOCKED})
    assignment.apply(_sanitised(settings))
    session.flush()
    return assignment


def set_phase(session: Session, assignment_id: int, phase: Phase | None) -> Assignment:
    """Move the assignment to a phase by hand, or give control back to the dates with None."""
    assignment = get_assignment(session, assignment_id)
    assignment.phase_override = phase
    session.flush()
    return assignment


def reviewing_started(session: Session, assignment: Assignment, now: datetime) -> bool:
    """In the review phase or later (by the dates or by hand), or with reviews already handed out: moving the phase
    back by hand does not undo what reviewers and authors were promised."""
    if assignment.phase_at(now) in RUBRIC_LOCKED_PHASES:
        return True
    return session.scalar(select(exists().where(Review.assignment_id == assignment.id))) or False


def settings_locks(session: Session, assignment: Assignment, now: datetime) -> dict[str, str]:
    """Each setting locked now (by its form field's name), with why; empty before reviewing starts."""
    locks = review_locks(assignment.settings) if reviewing_started(session, assignment, now) else {}
    if _has_work(session, assignment):
        locks["team_assignment"] = TEAM_SETTING_LOCKED
    if "reviews_per_student" in locks:  # reviewing has started
        locks["reviews_by_team"] = TEAM_REVIEWS_LOCKED
    return locks


@dataclass(frozen=True)
class Placement:
    """What a launch of a resource link opens, and what changed on the way."""

    assignment: Assignment | None
    replaced: Assignment | None = None  # opened by the link until this launch followed a newer pick
    waiting: Assignment | None = None  # a newer pick not followed, since the current activity has students' work


# Which assignment a launch of a resource link opens. The launch of a link made by the content picker names its
# assignment in a custom parameter; some platforms keep the link (and its id) when the instructor picks again, and
# send the new name on the same link.
# 1. Only an unplaced assignment of the link's course is ever attached: a copied link must not capture another
#    course's work, nor take an activity another link opens.
# 2. A link without an assignment takes the one named.
# 3. A link whose assignment has no handed-in work follows the newer pick: the earlier activity is detached and
#    kept, and staff are told which activity the link now opens.
# 4. A link whose assignment has handed-in work keeps it: nothing students did is hidden by a launch. The pick
#    waits on the link (whoever's launch brought it) and staff are asked on their pages, with or without a new
#    launch, until they open it (switch_assignment) or keep the current activity (keep_assignment).
# 5. A pick staff chose not to open is not asked about again, though every launch from the LMS carries it.
def place_assignment(session: Session, resource_link: ResourceLink, public_id: str | None) -> Placement:
    placed = assignment_for_link(session, resource_link.id)
    candidate = placeable_assignment(session, resource_link, public_id)
    if candidate is None:
        return Placement(placed)
    if placed is None:
        return Placement(_attach(session, resource_link, candidate))
    if _has_work(session, placed):
        if candidate.public_id == resource_link.declined_pick:
            return Placement(placed)
        resource_link.waiting_pick = candidate.public_id
        return Placement(placed, waiting=candidate)
    return Placement(_attach(session, resource_link, candidate, replacing=placed), replaced=placed)


def switch_assignment(session: Session, resource_link: ResourceLink, public_id: str) -> Placement:
    """Staff chose to open a newer pick at the link (rule 4 asked them): the earlier activity is detached and kept."""
    candidate = placeable_assignment(session, resource_link, public_id)
    if candidate is None:
        raise NotAllowed(N_("That activity can no longer be opened here: it is already open at another link or "
                            "belongs to another course. Pick the content again in the LMS if you still want it."))
    placed = assignment_for_link(session, resource_link.id)
    return Placement(_attach(session, resource_link, candidate, replacing=placed), replaced=placed)


def keep_assignment(session: Session, resource_link: ResourceLink, public_id: str) -> Assignment:
    """Staff chose to keep the activity the link opens rather than the newer pick they were asked about (rule 5)."""
    placed = assignment_for_link(session, resource_link.id)
    if placed is None or not public_id or public_id != resource_link.waiting_pick:
        raise NotAllowed(N_("There is no newer pick waiting at this link; nothing was changed."))
    resource_link.waiting_pick, resource_link.declined_pick = None, public_id
    session.flush()
    return placed


def waiting_pick(session: Session, resource_link: ResourceLink) -> Assignment | None:
    """The newer pick staff are asked about (rule 4), while this link may still open it."""
    return placeable_assignment(session, resource_link, resource_link.waiting_pick)


def placeable_assignment(session: Session, resource_link: ResourceLink, public_id: str | None) -> Assignment | None:
    """The assignment named, when rule 1 lets this link open it."""
    if not public_id:
        return None
    candidate = session.scalars(select(Assignment).where(Assignment.public_id == public_id)).one_or_none()
    if candidate is None or candidate.course_id != resource_link.course_id or candidate.resource_link_id is not None:
        return None
    return candidate


def _attach(session: Session, resource_link: ResourceLink, candidate: Assignment, *,
            replacing: Assignment | None = None) -> Assignment:
    resource_link.waiting_pick = None  # followed: nothing is left to ask
    if replacing is not None:
        replacing.resource_link_id = None
        session.flush()  # the link opens one assignment at a time (a unique column): free it first
    candidate.resource_link_id = resource_link.id
    session.flush()
    return candidate


def _has_work(session: Session, assignment: Assignment) -> bool:
    return session.scalar(select(exists().where(Submission.assignment_id == assignment.id))) or False


def assignment_for_link(session: Session, resource_link_id: int) -> Assignment | None:
    return session.scalars(select(Assignment).where(Assignment.resource_link_id == resource_link_id)).one_or_none()


def get_assignment(session: Session, assignment_id: int, for_update: bool = False) -> Assignment:
    # Locked, it is read again: the copy the request already holds may predate a save committed meanwhile.
    assignment = session.get(Assignment, assignment_id, with_for_update=for_update or None,
                             populate_existing=for_update or None)
    if assignment is None:
        raise NotFound(N_("This assignment no longer exists."))
    return assignment


def _sanitised(settings: AssignmentSettings) -> AssignmentSettings:
    if settings.instructions_markdown.strip():
        # Markdown is the source; the HTML students see is rendered from it, by the same cleaning rules.
        return replace(settings, instructions_html=render_markdown(settings.instructions_markdown, ""))
    return replace(settings, instructions_html=sanitise_html(settings.instructions_html), instructions_markdown="")


# --- rubric ------------------------------------------------------------------------------------------------------


def save_rubric(session: Session, assignment_id: int, rubric: Rubric, now: datetime) -> Assignment:
    assignment = get_assignment(session, assignment_id)
    _ensure_rubric_editable(assignment, now)
    rubric.validate()
    assignment.rubric_document = rubric.to_dict()
    session.flush()
    return assignment


def save_rubric_criteria(session: Session, assignment_id: int, criteria: list[Criterion], now: datetime) -> Assignment:
    """Save criteria after an edit, reorder or delete; deleting the last one leaves the assignment without a rubric."""
    if criteria:
        return save_rubric(session, assignment_id, Rubric(criteria=tuple(criteria)), now)
    assignment = get_assignment(session, assignment_id)
    _ensure_rubric_editable(assignment, now)
    assignment.rubric_document = None
    session.flush()
    return assignment


def copy_rubric(session: Session, assignment_id: int, source_assignment_id: int, now: datetime) -> Assignment:
    target, source = get_assignment(session, assignment_id), get_assignment(session, source_assignment_id)
    if source.course_id != target.course_id:
        raise NotAllowed(N_("Rubrics can be copied only from assignments of the same course."))
    if source.rubric is None:
        raise InvalidInput({"source": N_("“%(title)s” has no rubric to copy yet.", title=source.title)})
    return save_rubric(session, assignment_id, source.rubric, now)


def rubric_lock_reason(assignment: Assignment, now: datetime) -> str | None:
    phase = assignment.phase_at(now)
    if phase in RUBRIC_LOCKED_PHASES:
        return N_(
            "The rubric is locked because the assignment is in its %(phase)s phase: "
            "every review must use the same rubric. Move the assignment back to an earlier phase to edit it.",
            phase=PHASE_NAMES[phase],
        )
    return None


def _ensure_rubric_editable(assignment: Assignment, now: datetime) -> None:
    reason = rubric_lock_reason(assignment, now)
    if reason:
        raise PhaseClosed(reason)


def rubrics_in_course(session: Session, course_id: int, except_assignment_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment)
            .where(
                Assignment.course_id == course_id,
                Assignment.id != except_assignment_id,
                Assignment.rubric_document.is_not(None),
            )
            .order_by(Assignment.created_at)
        )
    )


# --- submissions -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    data: bytes | BinaryIO  # a stream is stored from its position, in chunks


@dataclass(frozen=True)
class HandIn:
    """What a student hands in: text, a file, or both, as the assignment allows."""

    assignment_id: int
    author_id: int
    text_html: str = ""
    file: UploadedFile | None = None


@dataclass(frozen=True)
class SubmissionDeps:
    storage: FileStorage
    pseudonym_secret: str
    tool_origin: str = ""  # links to it are dropped from handed-in text


def submit(session: Session, hand_in: HandIn, now: datetime, deps: SubmissionDeps) -> SubmissionVersion | FileCheck:
    """Store a new version of the student's text at once; a hand-in with a file waits for its check (a FileCheck).

    The file is stored as uploaded under a quarantine key and checked off the request (assessment.file_checks): it
    becomes a version, anonymised, only if it passes. Concurrent hand-ins (two tabs, a double click) and a phase
    moved by staff meanwhile are settled by locks:
    1. The assignment row is read again under a share lock, so its phase is checked in this transaction and a staff
       move waits for hand-ins under way, while hand-ins after it see the new phase (none is accepted after it).
    2. The author's submission row is created or found, then locked, before the next number is read (over versions
       and hand-ins still being checked): parallel hand-ins are numbered one after the other, each its own.
    3. Each upload gets a storage key of its own, so no row points at another request's file; a request that fails
       deletes its own file only (`discard_upload`).
    """
    assignment = _locked_for_hand_in(session, hand_in.assignment_id)
    _ensure_student_of(session, hand_in.author_id, assignment.course_id)
    team = _team_handing_in(session, assignment, hand_in.author_id)
    # A team's work follows the late policy as one: its lateness is the hand-in's, whichever member hands in.
    lateness = hand_in_lateness(assignment, now, dates_of(session, assignment, hand_in.author_id))
    text_html, file = _checked_content(assignment, hand_in, deps.tool_origin)
    submission = _locked_submission(session, assignment, hand_in.author_id, deps.pseudonym_secret, team)
    number = max(
        session.scalar(select(func.max(SubmissionVersion.number))
                       .where(SubmissionVersion.submission_id == submission.id)) or 0,
        session.scalar(select(func.max(FileCheck.number)).where(FileCheck.submission_id == submission.id)) or 0,
    ) + 1
    handed_in: SubmissionVersion | FileCheck
    if file is None:
        handed_in = SubmissionVersion(
            submission_id=submission.id, number=number, text_html=text_html, submitted_at=now,
            is_late=lateness.is_late, late_penalty=lateness.penalty, handed_in_by_id=hand_in.author_id,
        )
    else:
        raw_key = quarantine_key()
        handed_in = FileCheck(
            submission_id=submission.id, number=number, text_html=text_html, claimed_name=claimed_name(file.filename),
            file_types=list(assignment.file_types), raw_key=raw_key, submitted_at=now,
            is_late=lateness.is_late, late_penalty=lateness.penalty, status=FileCheckStatus.CHECKING, attempts=0,
            handed_in_by_id=hand_in.author_id,
        )
        # Written before the row is committed: a failed commit leaves at most this request's file, never a row
        # without its file.
        deps.storage.save_stream(raw_key, io.BytesIO(file.data) if isinstance(file.data, bytes) else file.data)
    session.add(handed_in)
    try:
        session.flush()
    except IntegrityError as error:
        # Only where row locks are absent (SQLite): another hand-in took this number first.
        discard_upload(handed_in, deps.storage)
        raise newer_version_conflict() from error
    if isinstance(handed_in, FileCheck) and session.scalar(select(exists().where(
            SubmissionVersion.submission_id == submission.id, SubmissionVersion.number == number))):
        # The same race, won by a text hand-in: its version holds the number this file would take when it passes.
        discard_upload(handed_in, deps.storage)
        raise newer_version_conflict()
    return handed_in


def newer_version_conflict() -> Conflict:
    """What a hand-in that lost a race is told; nothing of it was kept."""
    return Conflict(N_(
        "A newer version was handed in at the same moment (perhaps from another tab), so this one was not saved. "
        "Check your latest version below and hand in again if it is not the one you meant."))


def discard_upload(handed_in: SubmissionVersion | FileCheck, storage: FileStorage) -> None:
    """Delete the file a hand-in wrote when its transaction fails: its key is its own, so no other version loses it."""
    key = handed_in.raw_key if isinstance(handed_in, FileCheck) else handed_in.file_key
    if key is not None:
        storage.delete(key)


def _locked_for_hand_in(session: Session, assignment_id: int) -> Assignment:
    # FOR SHARE conflicts with the UPDATE that moves the phase; populate_existing replaces what the session read
    # earlier in the request with the row as it is now.
    assignment = session.scalars(
        select(Assignment).where(Assignment.id == assignment_id).with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if assignment is None:
        raise NotFound(N_("This assignment no longer exists."))
    return assignment


def _team_handing_in(session: Session, assignment: Assignment, person_id: int) -> Team | None:
    """The team a member hands in for, in a team assignment (None otherwise); a student in no team cannot."""
    if not assignment.team_assignment:
        return None
    team = session.scalars(select(Team).join(TeamMembership, TeamMembership.team_id == Team.id).where(
        TeamMembership.assignment_id == assignment.id, TeamMembership.person_id == person_id,
        TeamMembership.until.is_(None))).one_or_none()
    if team is None:
        raise NotAllowed(N_("This is a team assignment and you are not in a team yet: ask your instructor to place "
                            "you in one, then hand in your team's work."))
    return team


def _locked_submission(session: Session, assignment: Assignment, author_id: int, secret: str,
                       team: Team | None = None) -> Submission:
    """The author's (or their team's) submission row, created if missing (two first hand-ins at once create one),
    locked FOR UPDATE."""
    whose = Submission.team_id == team.id if team is not None else Submission.author_id == author_id
    query = (select(Submission).where(Submission.assignment_id == assignment.id, whose)
             .with_for_update().execution_options(populate_existing=True))
    submission = session.scalars(query).one_or_none()
    if submission is not None:
        return submission
    # INSERT ... ON CONFLICT DO NOTHING: a concurrent first hand-in's row wins, and is found and locked below. (A
    # savepoint would do on PostgreSQL, but the SQLite driver commits when it releases one.)
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # A team's work is known to reviewers by the team's anonymous code, never by the member who handed it in.
    session.execute(dialect_insert(Submission).values(
        assignment_id=assignment.id, author_id=author_id, review_load=0, created_at=utcnow(),
        team_id=team.id if team is not None else None,
        pseudonym=team.code if team is not None else pseudonym(secret, f"assignment:{assignment.public_id}", author_id),
    ).on_conflict_do_nothing())
    submission = session.scalars(query).one_or_none()
    if submission is None:
        raise newer_version_conflict()
    return submission


def _checked_content(assignment: Assignment, hand_in: HandIn, tool_origin: str) -> tuple[str, UploadedFile | None]:
    kinds = assignment.submission_kinds
    text_html = sanitise_html(hand_in.text_html, tool_origin)
    problems: dict[str, str] = {}
    if text_html and not kinds.allows_text:
        problems["text"] = N_("This assignment accepts files only.")
    if hand_in.file is not None and not kinds.allows_files:
        problems["file"] = N_("This assignment accepts text only.")
    if len(text_html) > MAX_TEXT_CHARACTERS:
        problems["text"] = N_(
            "The text is longer than %(max)s characters; attach it as a file instead.", max=MAX_TEXT_CHARACTERS
        )
    if not text_html and hand_in.file is None:
        problems["text"] = N_("Write your answer or attach a file before submitting.")
    if problems:
        raise InvalidInput(problems)
    return text_html, hand_in.file


def _ensure_student_of(session: Session, person_id: int, course_id: int) -> None:
    role = session.scalar(
        select(Enrollment.role).where(Enrollment.person_id == person_id, Enrollment.course_id == course_id)
    )
    if role is None:
        raise NotAllowed(N_("You are not enrolled in this assignment's course."))
    if role is not CourseRole.STUDENT:
        raise NotAllowed(N_("Course staff do not hand in work; launch as a student to try the student view."))


def own_submission(session: Session, assignment_id: int, author_id: int) -> Submission | None:
    """The student's submission: their own, or in a team assignment their team's (every member sees it)."""
    return session.scalars(
        select(Submission)
        .options(selectinload(Submission.versions))
        .where(Submission.assignment_id == assignment_id, own_work(assignment_id, author_id))
    ).one_or_none()



@dataclass(frozen=True)
class Viewer:
    person_id: int
    is_staff: bool


def version_file(session: Session, assignment_id: int, version_id: int, viewer: Viewer) -> SubmissionVersion:
    """A file of this assignment the viewer may download: their own, or any when they are its course staff."""
    version = session.get(SubmissionVersion, version_id)
    # One answer for "missing" and "not yours", so ids cannot be probed.
    if (
        version is None
        or not file_is_ready(version)
        or version.submission.assignment_id != assignment_id
        or (not viewer.is_staff and own_submission(session, assignment_id, viewer.person_id) != version.submission)
    ):
        raise NotFound(N_("That file does not exist."))
    return version


# --- roster ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    person: Person
    submission: Submission | None

    @property
    def latest(self) -> SubmissionVersion | None:
        return self.submission.latest if self.submission else None


def roster(session: Session, assignment_id: int) -> list[RosterRow]:
    """Every student of the course with their submission, if any; students who never launched are not known yet."""
    assignment = get_assignment(session, assignment_id)
    students = session.scalars(
        select(Person)
        .join(Enrollment, Enrollment.person_id == Person.id)
        .where(Enrollment.course_id == assignment.course_id, Enrollment.role == CourseRole.STUDENT)
        .order_by(Person.family_name, Person.given_name, Person.name, Person.id)
    ).all()
    submissions = {
        submission.author_id: submission
        for submission in session.scalars(
            select(Submission).options(selectinload(Submission.versions)).where(Submission.assignment_id == assignment_id)
        )
    }
    return [RosterRow(person=student, submission=submissions.get(student.id)) for student in students]


def student_work(session: Session, assignment_id: int, person_id: int) -> RosterRow:
    """One student of the course with their submission and every version of it, for course staff to read."""
    assignment = get_assignment(session, assignment_id)
    student = session.scalars(
        select(Person).join(Enrollment, Enrollment.person_id == Person.id)
        .where(Person.id == person_id, Enrollment.course_id == assignment.course_id,
               Enrollment.role == CourseRole.STUDENT)
    ).one_or_none()
    if student is None:
        raise NotFound(N_("That student is not in this course."))
    # A member of a team reads as their team's work, with who handed in each version.
    submission = session.scalars(
        select(Submission).options(selectinload(Submission.versions).joinedload(SubmissionVersion.handed_in_by))
        .where(Submission.assignment_id == assignment_id, own_work(assignment_id, person_id))
    ).one_or_none()
    return RosterRow(person=student, submission=submission)
