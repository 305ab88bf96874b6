"""Reading a student's own dates: the assignment's, moved by their and their team's extensions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, event, exists, or_, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, SessionTransaction

from assessment.models import Assignment, Extension, TeamMembership
from assessment.personal_dates import Grant, PersonalDates, personal_dates, personal_timeline


def has_extension(assignment_id: ColumnElement[int] | Mapped[int] | int,
                  person: ColumnElement[int] | Mapped[int] | int) -> ColumnElement[bool]:
    """Whether any extension concerns the person (their own or their current team's), to fold into a statement."""
    # Correlated by hand: `person` is a column of the statement two levels out, past the EXISTS, which automatic
    # correlation (the immediately enclosing SELECT only) would miss, reading every person's team.
    team = (select(TeamMembership.team_id)
            .where(TeamMembership.assignment_id == assignment_id, TeamMembership.person_id == person,
                   TeamMembership.until.is_(None)).correlate_except(TeamMembership).scalar_subquery())
    return exists().where(Extension.assignment_id == assignment_id,
                          or_(Extension.person_id == person, Extension.team_id == team))


# Whether an extension concerns a person, read along with a statement the request made anyway (the launched page's
# first), by (assignment id, person id): `dates_of` then needs no statement for the many students without one. Kept
# in the session for its transaction only, and forgotten as soon as the transaction writes extensions or teams.
_KNOWN = "peerlti.extension_known"
_MOVES_DATES = frozenset({Extension.__tablename__, TeamMembership.__tablename__})


def note_extension(session: Session, assignment_id: int, person_id: int, extended: bool) -> None:
    """Remember for this transaction whether any extension concerns the person (see `has_extension`)."""
    session.info.setdefault(_KNOWN, {})[(assignment_id, person_id)] = bool(extended)


def _forget(session: Session) -> None:
    session.info.pop(_KNOWN, None)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        _forget(session)


@event.listens_for(Session, "before_flush")
def _flushing(session: Session, _context: object, _instances: object) -> None:
    if any(isinstance(row, Extension | TeamMembership) for row in (*session.new, *session.dirty, *session.deleted)):
        _forget(session)


@event.listens_for(Session, "do_orm_execute")
def _executing(state: ORMExecuteState) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_insert or state.is_update or state.is_delete) and table is not None and table.name in _MOVES_DATES:
        _forget(state.session)


def no_extension(assignment: Assignment) -> PersonalDates:
    """The dates of a student without an extension: the class's."""
    return personal_dates(assignment.timeline, assignment.late_policy, [])


def dates_of(session: Session, assignment: Assignment, person_id: int) -> PersonalDates:
    """The dates the student works to: one statement, and none for a student known to have no extension."""
    if session.info.get(_KNOWN, {}).get((assignment.id, person_id)) is False:
        return no_extension(assignment)
    team = (select(TeamMembership.team_id)
            .where(TeamMembership.assignment_id == assignment.id, TeamMembership.person_id == person_id,
                   TeamMembership.until.is_(None)).scalar_subquery())
    grants = [row.grant for row in session.scalars(
        select(Extension).where(Extension.assignment_id == assignment.id,
                                or_(Extension.person_id == person_id, Extension.team_id == team)))]
    return personal_dates(assignment.timeline, assignment.late_policy, grants)


def grants_by_student(session: Session, assignment: Assignment,
                      students: Iterable[int] | None = None) -> dict[int, list[Grant]]:
    """Every extended student's grants (their own and their current team's), in one statement for the class."""
    member = (select(TeamMembership.person_id, TeamMembership.team_id)
              .where(TeamMembership.assignment_id == assignment.id, TeamMembership.until.is_(None)).subquery())
    grants: dict[int, list[Grant]] = defaultdict(list)
    for row, team_member in session.execute(
            select(Extension, member.c.person_id).outerjoin(member, member.c.team_id == Extension.team_id)
            .where(Extension.assignment_id == assignment.id)):
        person = row.person_id if row.person_id is not None else team_member
        if person is not None:
            grants[person].append(row.grant)
    wanted = set(students) if students is not None else None
    return {person: found for person, found in grants.items() if wanted is None or person in wanted}


def dates_by_student(session: Session, assignment: Assignment) -> dict[int, PersonalDates]:
    """The own dates of every student who has any; everyone else works to the assignment's."""
    timeline, late = assignment.timeline, assignment.late_policy
    return {person: personal_dates(timeline, late, grants)
            for person, grants in grants_by_student(session, assignment).items()}


def waiting_students(session: Session, assignment: Assignment, now: datetime) -> set[int]:
    """Students whose own steps still run: their grade waits while the rest of the class is graded and released."""
    return {person for person, dates in dates_by_student(session, assignment).items()
            if dates.waiting(now, assignment.phase_override)}


def extensions_ended(session: Session, assignment_ids: Iterable[int], now: datetime) -> dict[int, datetime]:
    """For each of the assignments, the latest own review deadline an extension gave that has passed by `now`: from
    then the grade that waited for it is owed. One statement for them all."""
    ended: dict[int, datetime] = {}
    for extension, assignment in session.execute(
            select(Extension, Assignment).join(Assignment, Assignment.id == Extension.assignment_id)
            .where(Extension.assignment_id.in_(list(assignment_ids)))):
        due = personal_timeline(assignment.timeline, [extension.grant]).review_due
        if due <= now and (assignment.id not in ended or due > ended[assignment.id]):
            ended[assignment.id] = due
    return ended
