"""Use cases of team assignments: making teams, importing them, moving students, and who is in which team."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from assessment.errors import InvalidInput, NotAllowed, NotFound, PhaseClosed
from assessment.messages import N_
from assessment.models import (
    Assignment,
    CourseRole,
    Enrollment,
    Person,
    Review,
    Submission,
    Team,
    TeamMembership,
)
from assessment.phases import Phase
from assessment.team_formation import CsvTeam, form_teams, read_attribute_csv, read_team_csv, team_code

# Teams change by these rules, checked under a lock on the assignment row (hand-ins hold a share lock on it, so a
# change waits for hand-ins under way and hand-ins after it see the new teams):
# 1. Only a team assignment has teams, and only staff change them (the web edge checks the role).
# 2. Teams are made or imported as a whole only while no team has handed in work: a new set replaces the old one.
# 3. A student moves between teams until submissions close (in setup or the submission phase); never once reviews
#    were handed out, since reviewers were chosen by team.
# 4. The member a team's submission is recorded under may move only when another member stays with the work, who
#    then takes it; the last member of a team with work stays.
# 5. Every change ends one membership and starts another, with who and when: the history is kept.
TEAMS_CHANGE_PHASES = (Phase.SETUP, Phase.SUBMISSION)
REVIEWS_BEGAN: str = N_("Reviews have already been handed out between teams, so teams can no longer change: "
                        "reviewers were chosen so that nobody reviews their own team's work.")


@dataclass(frozen=True)
class TeamRow:
    """A team as staff see it: its members now, and its submission if any."""

    team: Team
    members: list[Person]
    submission: Submission | None


@dataclass(frozen=True)
class TeamsOverview:
    teams: list[TeamRow]
    unplaced: list[Person]  # students of the course in no team
    history: list[TeamMembership] = field(default_factory=list)


def locked_team_assignment(session: Session, assignment_id: int) -> Assignment:
    """The team assignment, its row locked for the change to come; refused when it is gone or not a team one."""
    assignment = session.scalars(select(Assignment).where(Assignment.id == assignment_id).with_for_update()
                                 .execution_options(populate_existing=True)).one_or_none()
    if assignment is None:
        raise NotFound(N_("This assignment no longer exists."))
    if not assignment.team_assignment:
        raise NotAllowed(N_("This is not a team assignment; make it one in the settings first."))
    return assignment


def _ensure_teams_changeable(session: Session, assignment: Assignment, now: datetime) -> None:
    """Rule 3."""
    if session.scalar(select(exists().where(Review.assignment_id == assignment.id))):
        raise PhaseClosed(REVIEWS_BEGAN)
    if assignment.phase_at(now) not in TEAMS_CHANGE_PHASES:
        raise PhaseClosed(N_("Submissions are closed, so teams are fixed: each team's work was handed in by its "
                             "members as they were then."))


def _replace_teams(session: Session, assignment: Assignment, teams: list[tuple[str, list[int]]], staff_id: int,
                   now: datetime) -> list[Team]:
    """Rule 2: the new teams replace the old ones, which had no work."""
    _ensure_teams_changeable(session, assignment, now)
    if session.scalar(select(exists().where(Submission.assignment_id == assignment.id))):
        raise PhaseClosed(N_("Teams have already handed in work, so the teams cannot be made again; move students "
                             "between teams one by one instead."))
    session.execute(delete(Team).where(Team.assignment_id == assignment.id))
    # Codes from the system's randomness: nobody can work a team's code out from the assignment or the seed.
    rng, codes = secrets.SystemRandom(), set[str]()
    made = []
    for name, members in teams:
        code = team_code(rng)
        while code in codes:
            code = team_code(rng)
        codes.add(code)
        team = Team(assignment_id=assignment.id, code=code, name=name[:200], created_at=now)
        session.add(team)
        session.flush()
        session.add_all(TeamMembership(assignment_id=assignment.id, team_id=team.id, person_id=person, since=now,
                                       changed_by_id=staff_id, changed_at=now) for person in members)
        made.append(team)
    session.flush()
    return made


def make_teams(session: Session, assignment_id: int, sizes: tuple[int, int], staff_id: int, now: datetime, *,
               seed: int, balance_by: Mapping[int, str] | None = None) -> list[Team]:
    """The tool makes teams of every student of the course, `sizes` = (smallest, largest) members."""
    assignment = locked_team_assignment(session, assignment_id)
    students = _students(session, assignment.course_id)
    grouped = form_teams([person.id for person in students], sizes[0], sizes[1], seed=seed, attribute=balance_by)
    return _replace_teams(session, assignment, [(N_("Team %(number)s", number=number), members)
                                                for number, members in enumerate(grouped, start=1)],
                          staff_id, now)


def import_teams(session: Session, assignment_id: int, csv_text: str, staff_id: int, now: datetime) -> list[Team]:
    """Teams from the instructor's CSV (team, student by email or LMS user id), checked line by line."""
    assignment = locked_team_assignment(session, assignment_id)
    teams: list[CsvTeam] = read_team_csv(csv_text, _roster(session, assignment.course_id))
    # The roster maps names to person ids, so every member read from the file is one.
    return _replace_teams(session, assignment, [(team.name, [cast(int, m) for m in team.members]) for team in teams],
                          staff_id, now)


def balance_values(session: Session, assignment_id: int, csv_text: str) -> dict[int, str]:
    """Each listed student's value to balance teams by, from the instructor's CSV, checked line by line against the
    roster (for `make_teams`' balance_by)."""
    assignment = locked_team_assignment(session, assignment_id)
    return read_attribute_csv(csv_text, _roster(session, assignment.course_id))


def _roster(session: Session, course_id: int) -> dict[str, int]:
    """Each way a CSV may name a student of the course (email, LMS user id), lower case -> the student."""
    roster: dict[str, int] = {}
    for person in _students(session, course_id):
        for name in (person.email, person.subject):
            if name:
                roster[name.lower()] = person.id
    return roster


def move_student(session: Session, assignment_id: int, person_id: int, team_id: int, staff_id: int,
                 now: datetime) -> TeamMembership:
    """Staff move a student into a team (out of their current one, if any); rules 3 to 5."""
    assignment = locked_team_assignment(session, assignment_id)
    _ensure_teams_changeable(session, assignment, now)
    team = session.get(Team, team_id)
    if team is None or team.assignment_id != assignment.id:
        raise NotFound(N_("That team does not exist."))
    if not session.scalar(select(exists().where(Enrollment.person_id == person_id,
                                                Enrollment.course_id == assignment.course_id,
                                                Enrollment.role == CourseRole.STUDENT))):
        raise NotFound(N_("That student is not in this course."))
    current = _current_membership(session, assignment.id, person_id)
    if current is not None:
        if current.team_id == team.id:
            raise InvalidInput({"team": N_("The student is already in that team.")})
        _hand_work_to_another_member(session, assignment.id, current, person_id)
        current.until, current.ended_by_id = now, staff_id
        session.flush()  # the membership ends before the new one starts: one current team at a time
    membership = TeamMembership(assignment_id=assignment.id, team_id=team.id, person_id=person_id, since=now,
                                changed_by_id=staff_id, changed_at=now)
    session.add(membership)
    session.flush()
    return membership


def _hand_work_to_another_member(session: Session, assignment_id: int, leaving: TeamMembership, person_id: int) -> None:
    """Rule 4."""
    submission = session.scalars(select(Submission).where(Submission.team_id == leaving.team_id)).one_or_none()
    if submission is None or submission.author_id != person_id:
        return
    staying = session.scalar(select(TeamMembership.person_id).where(
        TeamMembership.team_id == leaving.team_id, TeamMembership.until.is_(None),
        TeamMembership.person_id != person_id).order_by(TeamMembership.since, TeamMembership.id).limit(1))
    if staying is None:
        raise InvalidInput({"team": N_("This student is the last member of a team that handed in work; move "
                                       "another student into that team first, so the work keeps a member.")})
    session.execute(update(Submission).where(Submission.id == submission.id).values(author_id=staying))


def _current_membership(session: Session, assignment_id: int, person_id: int) -> TeamMembership | None:
    return session.scalars(select(TeamMembership).where(
        TeamMembership.assignment_id == assignment_id, TeamMembership.person_id == person_id,
        TeamMembership.until.is_(None)).with_for_update()).one_or_none()


def current_team(session: Session, assignment_id: int, person_id: int) -> Team | None:
    """The team the student is in now, if any."""
    return session.scalars(select(Team).join(TeamMembership, TeamMembership.team_id == Team.id).where(
        TeamMembership.assignment_id == assignment_id, TeamMembership.person_id == person_id,
        TeamMembership.until.is_(None))).one_or_none()


def current_members(session: Session, assignment: Assignment, team_id: int | None = None) -> dict[int, list[Person]]:
    """Each team's members now who are still students of the course, by name (of one team when `team_id` is given):
    a member who left the course neither rates nor is rated, and is graded on nothing."""
    one_team = [TeamMembership.team_id == team_id] if team_id is not None else []
    members: dict[int, list[Person]] = {}
    for team, person in session.execute(
            select(TeamMembership.team_id, Person).join(Person, Person.id == TeamMembership.person_id)
            .join(Enrollment, Enrollment.person_id == Person.id)
            .where(TeamMembership.assignment_id == assignment.id, TeamMembership.until.is_(None), *one_team,
                   Enrollment.course_id == assignment.course_id, Enrollment.role == CourseRole.STUDENT)
            .order_by(Person.family_name, Person.given_name, Person.name, Person.id)):
        members.setdefault(team, []).append(person)
    return members


def current_teams(session: Session, assignment_id: int) -> dict[int, int]:
    """Each placed student's team now, person id -> team id (for allocation and grading)."""
    return {person: team for person, team in session.execute(select(TeamMembership.person_id, TeamMembership.team_id)
                                                              .where(TeamMembership.assignment_id == assignment_id,
                                                                     TeamMembership.until.is_(None)))}


def teams_overview(session: Session, assignment_id: int) -> TeamsOverview:
    """Every team with its members and submission, the students in none, and every change made (for staff)."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(N_("This assignment no longer exists."))
    teams = session.scalars(select(Team).where(Team.assignment_id == assignment_id).order_by(Team.id)).all()
    memberships = session.scalars(
        select(TeamMembership).options(selectinload(TeamMembership.person), selectinload(TeamMembership.team),
                                       selectinload(TeamMembership.changed_by), selectinload(TeamMembership.ended_by))
        .where(TeamMembership.assignment_id == assignment_id)
        .order_by(TeamMembership.changed_at, TeamMembership.id)).all()
    submissions = {submission.team_id: submission for submission in session.scalars(
        select(Submission).options(selectinload(Submission.versions))
        .where(Submission.assignment_id == assignment_id, Submission.team_id.is_not(None)))}
    members: dict[int, list[Person]] = {}
    for membership in memberships:
        if membership.until is None:
            members.setdefault(membership.team_id, []).append(membership.person)
    placed = {person.id for people in members.values() for person in people}
    unplaced = [person for person in _students(session, assignment.course_id) if person.id not in placed]
    rows = [TeamRow(team, sorted(members.get(team.id, []), key=lambda p: (p.display_name, p.id)),
                    submissions.get(team.id)) for team in teams]
    return TeamsOverview(rows, unplaced, list(memberships))


def _students(session: Session, course_id: int) -> list[Person]:
    return list(session.scalars(
        select(Person).join(Enrollment, Enrollment.person_id == Person.id)
        .where(Enrollment.course_id == course_id, Enrollment.role == CourseRole.STUDENT)
        .order_by(Person.family_name, Person.given_name, Person.name, Person.id)))


def own_work(assignment_id: int | ColumnElement[int],
             person_id: int | ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """A condition on Submission: the person's own work, or the work of the team they are in now."""
    in_team = exists().where(TeamMembership.team_id == Submission.team_id, TeamMembership.person_id == person_id,
                             TeamMembership.assignment_id == assignment_id, TeamMembership.until.is_(None))
    return or_(and_(Submission.team_id.is_(None), Submission.author_id == person_id),
               and_(Submission.team_id.is_not(None), in_team))


def ever_in_team(person_id: int | ColumnElement[int], team_id: Any = Submission.team_id) -> ColumnElement[bool]:
    """A condition on a submission (`team_id`: its team column, of Submission or of an alias of its table): the work
    of a team the person is or ever was in (never theirs to review)."""
    return exists().where(TeamMembership.team_id == team_id, TeamMembership.person_id == person_id)
