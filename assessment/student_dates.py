"""Reading a student's own dates: the assignment's, moved by their and their team's extensions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Mapped, Session

from assessment.models import Assignment, Extension, TeamMembership
from assessment.personal_dates import Grant, PersonalDates, personal_dates, personal_timeline


def has_extension(assignment_id: int, person: ColumnElement[int] | Mapped[int] | int) -> ColumnElement[bool]:
    """Whether any extension concerns the person (their own or their current team's), to fold into a statement."""
    team = (select(TeamMembership.team_id)
            .where(TeamMembership.assignment_id == assignment_id, TeamMembership.person_id == person,
                   TeamMembership.until.is_(None)).scalar_subquery())
    return exists().where(Extension.assignment_id == assignment_id,
                          or_(Extension.person_id == person, Extension.team_id == team))


def no_extension(assignment: Assignment) -> PersonalDates:
    """The dates of a student without an extension: the class's."""
    return personal_dates(assignment.timeline, assignment.late_policy, [])


def dates_of(session: Session, assignment: Assignment, person_id: int) -> PersonalDates:
    """The dates the student works to: one statement, and none beyond it for a student without extensions."""
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
