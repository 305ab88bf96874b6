"""What staff see of team work's grades: each team's members, work, grade, factors and warnings, and every rating."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from assessment.contribution import Override
from assessment.messages import Message
from assessment.models import Assignment, Grade, Person, Submission, Team, TeammateRating
from assessment.team_grades import SetAside, TeamRatings, overrides_of, team_ratings
from assessment.team_work import teams_overview
from assessment.teammate_evaluation import TeammateEvaluation
from assessment.teammate_warnings import Camps


@dataclass(frozen=True)
class MemberRow:
    person: Person
    factor: float | None  # from the ratings as they stand now; None without teammate evaluation
    applied: float | None  # what the last grading run multiplied the team's work by
    did_not_rate: bool
    override: Override | None
    grade: Grade | None
    warnings: list[tuple[Message, Message]]  # (label, evidence), from the ratings as they stand now


@dataclass(frozen=True)
class TeamGradesRow:
    team_id: int
    name: str
    code: str
    submission: Submission | None
    team_points: float | None  # the team's points for its work (late deduction taken), from the last grading run
    members: list[MemberRow]
    set_aside: list[tuple[Person | None, Person | None, Message]] = field(default_factory=list)
    team_warnings: list[tuple[Message, Message]] = field(default_factory=list)  # two camps


@dataclass(frozen=True)
class TeamGrades:
    evaluation: TeammateEvaluation | None
    teams: list[TeamGradesRow]


def team_grades(session: Session, assignment: Assignment) -> TeamGrades:
    """Every team with its members' factors and grades, for the staff team view and its export."""
    overview = teams_overview(session, assignment.id)
    evaluation = assignment.teammate_evaluation
    ratings = team_ratings(session, assignment, evaluation) if evaluation else {}
    overrides = overrides_of(session, assignment.id)
    grades = {grade.person_id: grade for grade in session.scalars(
        select(Grade).where(Grade.assignment_id == assignment.id))}
    people = {person.id: person for row in overview.teams for person in row.members}
    outsiders = {p for found in ratings.values() for s in found.set_aside for p in (s.rater_id, s.ratee_id)} - people.keys()
    if outsiders:  # moved away, left the course, or named from another team
        people |= {person.id: person for person in session.scalars(select(Person).where(Person.id.in_(outsiders)))}
    rows = []
    for row in overview.teams:
        found = ratings.get(row.team.id)
        members = [_member(person, found, grades.get(person.id), overrides.get(person.id)) for person in row.members]
        team_points = next((grade.contribution["team_points"] if grade.contribution else
                            round(grade.submission_points - grade.late_deduction, 2)
                            for member in members if (grade := member.grade) is not None), None)
        rows.append(TeamGradesRow(
            row.team.id, row.team.name, row.team.code, row.submission, team_points, members,
            [(people.get(s.rater_id), people.get(s.ratee_id), s.reason) for s in (found.set_aside if found else [])],
            [(camps.label, camps.evidence) for camps in (found.warnings.camps if found else [])]))
    return TeamGrades(evaluation, rows)


def _member(person: Person, found: TeamRatings | None, grade: Grade | None, override: Override | None) -> MemberRow:
    if found is None or person.id not in found.factors:
        return MemberRow(person, None, None, False, override, grade, [])
    warnings = [(w.label, w.evidence) for w in found.warnings_of(person.id) if not isinstance(w, Camps)]
    applied = grade.contribution["applied"] if grade is not None and grade.contribution else None
    return MemberRow(person, found.factors[person.id], applied, person.id in found.did_not_rate, override, grade,
                     warnings)


@dataclass(frozen=True)
class RatingRecord:
    team: str
    rater: Person
    ratee: Person
    scores: dict[str, float]
    total: float
    comment: str
    submitted_at: datetime
    set_aside: Message | None  # why the factors leave it out; None when it counts


def rating_records(session: Session, assignment: Assignment) -> Iterator[RatingRecord]:
    """Every teammate rating of the assignment, by team and rater, and whether the factors count it."""
    evaluation = assignment.teammate_evaluation
    if evaluation is None:
        return
    aside: dict[tuple[int, int], SetAside] = {(s.rater_id, s.ratee_id): s for found in
                                              team_ratings(session, assignment, evaluation).values()
                                              for s in found.set_aside}
    team_names = dict(session.execute(select(Team.id, Team.name).where(Team.assignment_id == assignment.id)).all())
    rows = session.scalars(select(TeammateRating)
                           .options(selectinload(TeammateRating.rater), selectinload(TeammateRating.ratee))
                           .where(TeammateRating.assignment_id == assignment.id)
                           .order_by(TeammateRating.team_id, TeammateRating.rater_id, TeammateRating.ratee_id))
    for rating in rows:
        found = aside.get((rating.rater_id, rating.ratee_id))
        yield RatingRecord(team_names.get(rating.team_id, ""), rating.rater, rating.ratee, dict(rating.scores),
                           evaluation.pair_total(rating.scores), rating.comment, rating.submitted_at,
                           found.reason if found else None)
