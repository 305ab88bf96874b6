"""Use cases of extensions: staff give, replace or withdraw a student's or a team's extra time, one by one or from a
CSV file, and the LMS's own date for a student is kept."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from assessment.csv_input import csv_rows
from assessment.errors import InvalidInput, NotFound
from assessment.messages import N_
from assessment.models import Assignment, CourseRole, Enrollment, Extension, Person, Team
from assessment.personal_dates import STEP_NAMES, Grant, Step, grant_problems
from assessment.services import plain_text

MAX_REASON_CHARACTERS = 500
MAX_CSV_LINES = 5_000
CSV_COLUMNS = ("student", "step", "extra_hours", "until", "reason")


@dataclass(frozen=True)
class ExtensionRequest:
    """One extension as staff ask for it: for a student or a team, extra time or a date, and why."""

    assignment_id: int
    step: Step
    reason: str
    person_id: int | None = None
    team_id: int | None = None
    extra: timedelta | None = None
    until: datetime | None = None


def extensions_of(session: Session, assignment_id: int) -> list[Extension]:
    """Every extension of the assignment, staff's and the LMS's, with whom it concerns and who gave it."""
    return list(session.scalars(
        select(Extension).where(Extension.assignment_id == assignment_id)
        .options(selectinload(Extension.person), selectinload(Extension.team), selectinload(Extension.granted_by))
        .order_by(Extension.step, Extension.id)))


def grant_extension(session: Session, request: ExtensionRequest, staff_id: int, now: datetime) -> Extension:
    """Give (or replace) an extension after checking it; the caller commits."""
    assignment = _locked_assignment(session, request.assignment_id)
    problems = _problems(session, assignment, request)
    if problems:
        raise InvalidInput(problems)
    return _keep(session, assignment, request, staff_id, now)


def withdraw_extension(session: Session, assignment_id: int, extension_id: int) -> None:
    """Remove a staff extension; the student works to the class's dates again (or the LMS's, if it sent one)."""
    found = session.scalar(select(Extension).where(Extension.id == extension_id,
                                                   Extension.assignment_id == assignment_id,
                                                   Extension.from_lms.is_(False)))
    if found is None:
        raise NotFound(N_("This extension no longer exists."))
    session.delete(found)
    session.flush()


def import_extensions(session: Session, assignment_id: int, text: str, staff_id: int, now: datetime) -> int:
    """Give every extension a CSV file lists, or none: each line is checked against the roster and the dates first,
    and every line with a problem is named. Returns how many were given; the caller commits.

    Columns: student (the e-mail or LMS user id), step (submission, calibration or review), extra_hours or until
    (ISO 8601; without a zone, in the assignment's), reason."""
    assignment = _locked_assignment(session, assignment_id)
    lines = csv_rows(text)
    # Spreadsheets write headers as people typed them ("Student", " Step"); blank lines keep their number.
    header = [cell.strip().lower() for cell in lines[0]] if lines else []
    rows = [(number, dict(zip(header, line, strict=False))) for number, line in enumerate(lines[1:], start=2)
            if any(cell.strip() for cell in line)]
    if not rows:
        raise InvalidInput({"file": N_("The file has no lines of extensions under its header.")})
    if "student" not in header or "step" not in header or not {"extra_hours", "until"} & set(header):
        raise InvalidInput({"file": N_("The first line must name the columns: student, step, extra_hours or until, "
                                       "reason.")})
    if len(rows) > MAX_CSV_LINES:
        raise InvalidInput({"file": N_("A file can give at most %(count)s extensions.", count=MAX_CSV_LINES)})
    students = _students_by_key(session, assignment)
    roster = set(students.values())  # read once: a line's student is checked against it, not the database
    requests: list[ExtensionRequest] = []
    problems: dict[str, str] = {}
    first_line: dict[tuple[int | None, Step], int] = {}
    for number, row in rows:
        request, problem = _request_from(assignment, students, row)
        if request is not None:
            problem = next(iter(_problems(session, assignment, request, roster).values()), None)
        if request is not None and problem is None:
            # A second line for the same student and step would silently replace the first: staff choose.
            first = first_line.setdefault((request.person_id, request.step), number)
            if first != number:
                problem = N_("this student's %(step)s already has an extension on line %(first)s; keep one line.",
                             step=STEP_NAMES[request.step], first=first)
        if problem is not None:
            problems[f"line {number}"] = N_("Line %(line)s: %(problem)s", line=number, problem=problem)
        elif request is not None:
            requests.append(request)
    if problems:
        raise InvalidInput(problems, N_("Nothing was saved: correct the lines named below and upload the file again."))
    for request in requests:
        _keep(session, assignment, request, staff_id, now)
    return len(requests)


def _locked_assignment(session: Session, assignment_id: int) -> Assignment:
    """The assignment, its row locked until the caller commits: staff's extension writes of one assignment take turns,
    so the same extension given at once (a double click, two tabs) replaces the other rather than meeting its row in
    the unique index. The lock is taken before anything is read, so each sees the other's extension."""
    assignment = session.scalars(select(Assignment).where(Assignment.id == assignment_id).with_for_update()
                                 .execution_options(populate_existing=True)).one_or_none()
    if assignment is None:
        raise NotFound(N_("This assignment no longer exists."))
    return assignment


def lms_due_kept(session: Session, assignment_id: int, person_id: int) -> Extension | None:
    """The submission date kept from the LMS for the student, if any."""
    return session.scalar(select(Extension).where(Extension.assignment_id == assignment_id,
                                                  Extension.person_id == person_id, Extension.from_lms.is_(True)))


def keep_lms_due(session: Session, assignment: Assignment, person_id: int, due: datetime | None, now: datetime,
                 existing: Extension | None) -> None:
    """Keep the submission date the LMS sent for the student at launch, when it differs from the assignment's; a
    launch without one (or with the class date) drops an earlier one. A date the dates cannot hold (before
    submissions open, after results) is not kept. `existing`: the date kept before (`lms_due_kept`, or read along
    with the launch). The caller commits.

    Two launches of the student at once (two tabs, a double click) each write the row or replace it, and neither
    fails on the one the other inserted first; a launch that changes nothing writes nothing."""
    usable = (due is not None and due != assignment.submission_due
              and assignment.submission_opens < due <= assignment.results_release)
    mine = (Extension.assignment_id == assignment.id, Extension.person_id == person_id, Extension.from_lms.is_(True))
    if not usable:
        if existing is not None:
            session.execute(delete(Extension).where(*mine))
        return
    if existing is not None and existing.until == due:
        return
    # Both dialects spell "insert, or update the row another transaction inserted first" alike, each in its module.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Extension).values(
        assignment_id=assignment.id, person_id=person_id, step=Step.SUBMISSION, until=due, from_lms=True, reason="",
        granted_at=now)
    # The target is the partial unique index of a student's grants (uq_extensions_person_step); an unchanged date
    # keeps its time of granting. Returned with populate_existing: a row this session holds reads the new date.
    session.scalars(statement.on_conflict_do_update(
        index_elements=[Extension.assignment_id, Extension.person_id, Extension.step, Extension.from_lms],
        index_where=Extension.person_id.is_not(None),
        set_={"until": statement.excluded.until, "granted_at": statement.excluded.granted_at},
        where=Extension.until != statement.excluded.until,
    ).returning(Extension), execution_options={"populate_existing": True}).all()


def _problems(session: Session, assignment: Assignment, request: ExtensionRequest,
              students: Collection[int] | None = None) -> dict[str, str]:
    """What is wrong with the request; `students`: the course's students when already read (an import)."""
    if (request.person_id is None) == (request.team_id is None):
        return {"student": N_("Choose a student or a team.")}
    if request.person_id is not None and not _is_student(session, assignment, request.person_id, students):
        return {"student": N_("Extensions are given to students of this course only.")}
    if request.team_id is not None and session.scalar(select(Team.assignment_id).where(
            Team.id == request.team_id)) != assignment.id:
        return {"student": N_("This team is not one of this assignment's.")}
    reason = plain_text(request.reason, MAX_REASON_CHARACTERS + 1)  # one over: too long is refused, never cut
    if not reason:
        return {"reason": N_("Say why the extension is given, so colleagues understand it later.")}
    if len(reason) > MAX_REASON_CHARACTERS:
        return {"reason": N_("Keep the reason to at most %(max)s characters.", max=MAX_REASON_CHARACTERS)}
    return grant_problems(assignment.timeline, Grant(request.step, extra=request.extra, until=request.until))


def _is_student(session: Session, assignment: Assignment, person_id: int, students: Collection[int] | None) -> bool:
    if students is not None:
        return person_id in students
    return session.scalar(select(Enrollment.role).where(Enrollment.person_id == person_id,
                                                        Enrollment.course_id == assignment.course_id)
                          ) is CourseRole.STUDENT


def _keep(session: Session, assignment: Assignment, request: ExtensionRequest, staff_id: int,
          now: datetime) -> Extension:
    # A new extension of the same step for the same student or team replaces the one before.
    session.execute(delete(Extension).where(
        Extension.assignment_id == assignment.id, Extension.step == request.step, Extension.from_lms.is_(False),
        Extension.person_id == request.person_id if request.person_id is not None
        else Extension.team_id == request.team_id))
    extension = Extension(
        assignment_id=assignment.id, person_id=request.person_id, team_id=request.team_id, step=request.step,
        extra_minutes=round(request.extra.total_seconds() / 60) if request.extra is not None else None,
        until=request.until, from_lms=False, reason=plain_text(request.reason, MAX_REASON_CHARACTERS),
        granted_by_id=staff_id, granted_at=now)
    session.add(extension)
    session.flush()
    return extension


def _students_by_key(session: Session, assignment: Assignment) -> dict[str, int]:
    """The course's students by lower-cased e-mail and by LMS user id."""
    keys: dict[str, int] = {}
    for person_id, subject, email in session.execute(
            select(Person.id, Person.subject, Person.email).join(Enrollment, Enrollment.person_id == Person.id)
            .where(Enrollment.course_id == assignment.course_id, Enrollment.role == CourseRole.STUDENT)):
        keys[subject.lower()] = person_id
        if email:
            keys[email.strip().lower()] = person_id
    return keys


def _request_from(assignment: Assignment, students: dict[str, int],
                  row: dict[str, str]) -> tuple[ExtensionRequest | None, str | None]:
    """A line of the file as a request, or what is wrong with it."""
    student = (row.get("student") or "").strip()
    if student.lower() not in students:
        return None, N_("“%(student)s” is not a student of this course.", student=student)
    try:
        step = Step((row.get("step") or "").strip().lower())
    except ValueError:
        return None, N_("The step must be one of: %(steps)s.", steps=", ".join(STEP_NAMES))
    extra_text, until_text = (row.get("extra_hours") or "").strip(), (row.get("until") or "").strip()
    extra = until = None
    try:
        if extra_text:
            extra = timedelta(hours=float(extra_text))
        if until_text:
            until = datetime.fromisoformat(until_text)
            if until.tzinfo is None:
                until = until.replace(tzinfo=ZoneInfo(assignment.timezone))
    except (ValueError, OverflowError):
        return None, N_("Give extra_hours as a number of hours, or until as a date like 2026-03-20T17:00.")
    return ExtensionRequest(assignment.id, step, row.get("reason") or "", person_id=students[student.lower()],
                            extra=extra, until=until), None


