"""Use cases of teammate evaluation: the instructor's settings, a member's ratings of their teammates, and staff's view."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Exists, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, selectinload

from assessment.errors import InvalidInput, NotAllowed, NotFound, PhaseClosed
from assessment.messages import N_
from assessment.models import (
    Assignment,
    CourseRole,
    Enrollment,
    Person,
    Submission,
    SubmissionVersion,
    Team,
    TeammateRating,
    TeamMembership,
)
from assessment.phases import Phase, Timeline
from assessment.student_progress import TeammateRatingFacts
from assessment.team_work import current_members, current_team, locked_team_assignment
from assessment.teammate_evaluation import COMMENT_LIMIT, TeammateEvaluation

EVALUATION_OFF: str = N_("This assignment has no teammate evaluation: there is nothing to rate here.")
NOT_A_TEAM_ASSIGNMENT: str = N_("This is not a team assignment, so there are no teammates to rate.")
RATINGS_EXIST: str = N_("Teammates have already rated each other, so the criteria, the scale and self-rating can no "
                        "longer change: the ratings given would mean something else.")
CANNOT_TURN_OFF: str = N_("Teammates have already rated each other, so teammate evaluation stays on. To keep the "
                          "ratings from moving anyone's grade, set the share of the grade it moves to 0%.")
# Control characters other than tab and newline: invisible, and some break exports; a CR LF is kept as one newline.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class RatingsLocked(PhaseClosed):
    """Settings that ratings already given depend on were to change; `problems` maps each field to why not."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(N_("Teammates have already rated each other, so some settings can no longer change; nothing "
                            "was saved."))
        self.problems = dict(problems)


def _meaning(evaluation: TeammateEvaluation | None) -> dict[str, object]:
    """The settings ratings given depend on, by the name of their form field."""
    if evaluation is None:
        return {"enabled": False}
    return {"enabled": True, "criteria": evaluation.criteria, "scale": (evaluation.low, evaluation.high),
            "include_self": evaluation.include_self}


def ratings_exist(session: Session, assignment_id: int) -> bool:
    return bool(session.scalar(select(exists().where(TeammateRating.assignment_id == assignment_id))))


def evaluation_locks(session: Session, assignment: Assignment) -> dict[str, str]:
    """Each setting fixed because ratings exist, with why: shown beside its field."""
    if not ratings_exist(session, assignment.id):
        return {}
    return {"enabled": CANNOT_TURN_OFF} | dict.fromkeys(("criteria", "scale", "include_self"), RATINGS_EXIST)


# The settings change by these rules, under a lock on the assignment row (a rating being saved holds a share lock on
# it, so a change waits for it and later ratings are checked against the new settings):
# 1. Only a team assignment has teammate evaluation.
# 2. The settings are whole and valid (TeammateEvaluation.problems), or evaluation is off (None).
# 3. Once any rating exists, evaluation stays on and its criteria, scale and self-rating stay as they are; the
#    weight, cap and non-rater rule still change, since they only decide how the ratings move grades.
def set_teammate_evaluation(session: Session, assignment_id: int, evaluation: TeammateEvaluation | None) -> None:
    assignment = locked_team_assignment(session, assignment_id)
    if evaluation is not None:
        evaluation.validate()
    if ratings_exist(session, assignment.id):
        before, after = _meaning(assignment.teammate_evaluation), _meaning(evaluation)
        if not after["enabled"]:
            raise RatingsLocked({"enabled": CANNOT_TURN_OFF})
        changed = {name: RATINGS_EXIST for name in before if name != "enabled" and before[name] != after[name]}
        if changed:
            raise RatingsLocked(changed)
    assignment.teammate_evaluation_document = None if evaluation is None else evaluation.to_document()
    session.flush()


class WindowState(enum.StrEnum):
    NOT_YET = "not_yet"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class RatingWindow:
    state: WindowState
    opens: datetime | None = None  # when a window not yet open opens by the dates (a hand-in may open it sooner)
    closes: datetime | None = None  # when an open window closes by the dates


# When teammates rate each other:
# 1. Never in setup; never once results are released (the grades are worked out from the ratings given by then).
# 2. Open as soon as the team's work is in: its first version is handed in, or the submission deadline passed, or
#    the instructor moved the assignment past the submission phase.
# 3. Open until results are released (by date or by hand).
def rating_window(timeline: Timeline, phase: Phase, team_handed_in: bool, now: datetime) -> RatingWindow:
    """Where the window stands for a team, `phase` being the assignment's now (by its dates or set by hand)."""
    if phase is Phase.RELEASED:
        return RatingWindow(WindowState.CLOSED)
    work_in = team_handed_in or now >= timeline.submission_due or phase not in (Phase.SETUP, Phase.SUBMISSION)
    if phase is Phase.SETUP or not work_in:
        return RatingWindow(WindowState.NOT_YET, opens=timeline.submission_due)
    return RatingWindow(WindowState.OPEN, closes=timeline.results_release)


@dataclass(frozen=True)
class RatingSheet:
    """What one member sees: their team, whom they rate (themselves last, when asked), their own ratings only."""

    evaluation: TeammateEvaluation
    team: Team
    ratees: list[Person]
    mine: dict[int, TeammateRating]  # ratee id -> this member's rating of them
    window: RatingWindow

    @property
    def done(self) -> bool:
        return all(person.id in self.mine for person in self.ratees)

    @property
    def owed(self) -> int:
        return sum(person.id not in self.mine for person in self.ratees)


def _evaluation(assignment: Assignment) -> TeammateEvaluation:
    if not assignment.team_assignment:
        raise NotFound(NOT_A_TEAM_ASSIGNMENT)
    evaluation = assignment.teammate_evaluation
    if evaluation is None:
        raise NotFound(EVALUATION_OFF)
    return evaluation


def _team_of(session: Session, assignment_id: int, person_id: int) -> Team:
    team = current_team(session, assignment_id, person_id)
    if team is None:
        raise NotFound(N_("You are in no team, so there are no teammates for you to rate. If you worked in a team, "
                          "ask your instructor to place you in it."))
    return team


def _team_handed_in(session: Session, team_id: int) -> bool:
    return bool(session.scalar(select(exists().where(SubmissionVersion.submission_id == Submission.id,
                                                     Submission.team_id == team_id))))


def _require_student(session: Session, assignment: Assignment, person_id: int) -> None:
    role = session.scalar(select(Enrollment.role).where(Enrollment.person_id == person_id,
                                                        Enrollment.course_id == assignment.course_id))
    if role is not CourseRole.STUDENT:
        raise NotAllowed(N_("Only the team's students rate each other; course staff read the ratings on the staff "
                            "page of teammate ratings."))


def rating_sheet(session: Session, assignment: Assignment, person_id: int, now: datetime) -> RatingSheet:
    """The member's page: whom they rate and their own ratings; never anyone else's ratings."""
    evaluation = _evaluation(assignment)
    _require_student(session, assignment, person_id)
    team = _team_of(session, assignment.id, person_id)
    members = current_members(session, assignment, team.id).get(team.id, [])
    ratees = [person for person in members if person.id != person_id]
    if evaluation.include_self:
        ratees += [person for person in members if person.id == person_id]
    mine = {rating.ratee_id: rating for rating in session.scalars(select(TeammateRating).where(
        TeammateRating.assignment_id == assignment.id, TeammateRating.rater_id == person_id))}
    window = rating_window(assignment.timeline, assignment.phase_at(now), _team_handed_in(session, team.id), now)
    return RatingSheet(evaluation, team, ratees, mine, window)


@dataclass(frozen=True)
class RatingInput:
    rater_id: int
    ratee_id: int
    scores: Mapping[str, object]  # criterion key -> rating, as posted (whole numbers expected)
    comment: str


def comment_text(text: str | None) -> str:
    """A comment as typed, without control characters and surrounding whitespace (templates escape it)."""
    return _CONTROL_CHARACTERS.sub("", (text or "").replace("\r\n", "\n")).strip()


# A member's rating of one teammate is saved by these rules, under a share lock on the assignment row:
# 1. The assignment is a team assignment with teammate evaluation on (else 404), and the window is open (409).
# 2. The rater is a student of the course in a team now; the ratee is a current member of that same team, still a
#    student of the course; themselves only when self-rating is on.
# 3. Every criterion rated, each a whole number on the scale; a comment of at most COMMENT_LIMIT characters, required
#    when any rating is at an extreme. Nothing is saved unless all of it is right.
# 4. One row per rater and ratee: a second save (another tab) replaces the first, in one statement, so two saves at
#    once leave one row, the later one.
def save_rating(session: Session, assignment_id: int, entry: RatingInput, now: datetime) -> TeammateRating:
    assignment = session.scalars(select(Assignment).where(Assignment.id == assignment_id).with_for_update(read=True)
                                 .execution_options(populate_existing=True)).one_or_none()
    if assignment is None:
        raise NotFound(N_("This assignment no longer exists."))
    sheet = rating_sheet(session, assignment, entry.rater_id, now)
    if sheet.window.state is WindowState.NOT_YET:
        raise PhaseClosed(N_("Rating teammates opens once your team's work is handed in or the submission deadline "
                             "has passed; nothing was saved."))
    if sheet.window.state is WindowState.CLOSED:
        raise PhaseClosed(N_("Results have been released, so teammate ratings are closed; nothing was saved."))
    if entry.ratee_id == entry.rater_id and not sheet.evaluation.include_self:
        raise InvalidInput({"ratee": N_("This assignment does not ask you to rate yourself; rate your teammates.")})
    if entry.ratee_id not in {person.id for person in sheet.ratees}:
        raise InvalidInput({"ratee": N_("That person is not a member of your team now, so you cannot rate them. "
                                        "Rate the teammates listed on the page.")})
    evaluation = sheet.evaluation
    problems = dict(evaluation.score_problems(entry.scores))
    comment = comment_text(entry.comment)
    if len(comment) > COMMENT_LIMIT:
        problems["comment"] = N_("Keep the comment to %(max)s characters; it has %(count)s.", max=COMMENT_LIMIT,
                                 count=len(comment))
    elif not problems and not comment and evaluation.needs_comment(entry.scores):  # type: ignore[arg-type]
        problems["comment"] = N_("A rating of %(low)s or %(high)s needs a comment saying why: staff read it to "
                                 "understand the team.", low=evaluation.low, high=evaluation.high)
    if problems:
        raise InvalidInput(problems)
    scores = {criterion.key: int(entry.scores[criterion.key]) for criterion in evaluation.criteria}  # type: ignore[call-overload]
    values = {"assignment_id": assignment.id, "team_id": sheet.team.id, "rater_id": entry.rater_id,
              "ratee_id": entry.ratee_id, "scores": scores, "comment": comment, "submitted_at": now, "updated_at": now}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(TeammateRating).values(values)
    session.execute(statement.on_conflict_do_update(
        index_elements=[TeammateRating.assignment_id, TeammateRating.rater_id, TeammateRating.ratee_id],
        set_={"team_id": statement.excluded.team_id, "scores": statement.excluded.scores,
              "comment": statement.excluded.comment, "updated_at": statement.excluded.updated_at}))
    return session.scalars(select(TeammateRating).where(
        TeammateRating.assignment_id == assignment.id, TeammateRating.rater_id == entry.rater_id,
        TeammateRating.ratee_id == entry.ratee_id).execution_options(populate_existing=True)).one()


@dataclass(frozen=True)
class TeamRatings:
    """One team as staff read its ratings: members, every rating given, and who has not rated everyone yet."""

    team: Team
    members: list[Person]
    ratings: list[TeammateRating]  # by rater, then ratee
    not_done: list[Person]  # members who owe at least one rating


def team_ratings(session: Session, assignment: Assignment) -> list[TeamRatings]:
    """Every team's ratings with their comments, for staff."""
    evaluation = _evaluation(assignment)
    teams = session.scalars(select(Team).where(Team.assignment_id == assignment.id).order_by(Team.id)).all()
    ratings: dict[int, list[TeammateRating]] = {}
    for rating in session.scalars(select(TeammateRating).options(selectinload(TeammateRating.rater),
                                                                 selectinload(TeammateRating.ratee))
                                  .where(TeammateRating.assignment_id == assignment.id)
                                  .order_by(TeammateRating.rater_id, TeammateRating.ratee_id)):
        ratings.setdefault(rating.team_id, []).append(rating)
    members_of = current_members(session, assignment)
    rows = []
    for team in teams:
        members = members_of.get(team.id, [])
        given = {(rating.rater_id, rating.ratee_id) for rating in ratings.get(team.id, [])}
        owed = [member for member in members if any(
            (member.id, other.id) not in given for other in members
            if other.id != member.id or evaluation.include_self)]
        rows.append(TeamRatings(team, members, ratings.get(team.id, []), owed))
    return rows


@dataclass(frozen=True)
class TeamAtHome:
    """The student's team on their home: who is in it, and where they stand with rating their teammates."""

    team: Team
    members: list[Person]  # its members now, the student included, by name
    rating: TeammateRatingFacts | None  # None when there is nothing to rate (no teammate evaluation, not a student)


def team_at_home(session: Session, assignment: Assignment, person_id: int, now: datetime) -> TeamAtHome | None:
    """The student's team now, its members and, with teammate evaluation, where they stand with rating them (by
    `rating_sheet`'s rules), in one statement whatever the class; None outside a team assignment or a team."""
    if not assignment.team_assignment:
        return None
    mine = (select(TeamMembership.team_id).where(TeamMembership.assignment_id == assignment.id,
                                                 TeamMembership.person_id == person_id, TeamMembership.until.is_(None))
            .scalar_subquery())

    def a_student(person: ColumnElement[int] | Mapped[int] | int) -> Exists:
        return exists().where(Enrollment.person_id == person, Enrollment.course_id == assignment.course_id,
                              Enrollment.role == CourseRole.STUDENT)

    rows = session.execute(
        select(Team, Person, a_student(Person.id).label("rateable"),
               exists().where(TeammateRating.assignment_id == assignment.id, TeammateRating.rater_id == person_id,
                              TeammateRating.ratee_id == Person.id).label("rated"),
               exists().where(SubmissionVersion.submission_id == Submission.id, Submission.team_id == Team.id)
               .label("handed_in"), a_student(person_id).label("rater_is_student"))
        .join(TeamMembership, TeamMembership.team_id == Team.id).join(Person, Person.id == TeamMembership.person_id)
        .where(Team.id == mine, TeamMembership.until.is_(None))
        .order_by(Person.family_name, Person.given_name, Person.name, Person.id)).all()
    if not rows:
        return None
    team, members = rows[0].Team, [row.Person for row in rows]
    evaluation = assignment.teammate_evaluation
    if evaluation is None or not rows[0].rater_is_student:
        return TeamAtHome(team, members, None)
    # As `rating_sheet`: members still students of the course, themselves only when they rate themselves.
    ratees = [row for row in rows if row.rateable and (row.Person.id != person_id or evaluation.include_self)]
    window = rating_window(assignment.timeline, assignment.phase_at(now), bool(rows[0].handed_in), now)
    return TeamAtHome(team, members, TeammateRatingFacts(
        rated=sum(bool(row.rated) for row in ratees), to_rate=len(ratees), window=window.state.value,
        opens=window.opens, closes=window.closes))
