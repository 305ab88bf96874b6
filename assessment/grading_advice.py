"""What the last grading run advises staff: the reviewers to check, with their evidence, and the work to grade first."""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assessment.db import rows_changed
from assessment.models import Assignment, CourseRole, Enrollment, Grade, Person, StoredAdvice, Submission, Team
from assessment.reviewer_warnings import (
    Exchange,
    FlatScoring,
    OneSidedScoring,
    ReciprocalMarks,
    ReviewerWarnings,
    judged_reviews,
    reviewer_warnings,
)
from assessment.score_explanation import ScoreExplanation, from_stored
from assessment.team_reviews import reviewing_teams, reviews_by_team
from assessment.team_work import current_members
from assessment.triage import grading_priorities
from assessment.warning_dismissals import Dismissal, dismissals

# Staff grade about this share of the class first: enough to inform most reviewers' measured bias, few enough to do.
STAFF_SHARE = 0.05
MAX_SUGGESTED = 10


@dataclass(frozen=True)
class Suggestion:
    """A piece of work worth a staff grade, with why: its own expected error and the work its reviewers also scored."""

    person_id: int
    name: str
    submission_id: int
    expected_error: float  # points: the root of its own expected squared error
    informs: int  # other submissions whose reviewers a staff grade here helps to measure


@dataclass(frozen=True)
class GradingAdvice:
    warnings: ReviewerWarnings  # those staff have not dismissed; reviewers and members by person id
    names: Mapping[int, str]
    grade_first: list[Suggestion]
    dismissed: ReviewerWarnings  # still found by the last run, but dismissed by staff
    dismissals: Mapping[tuple[int, str], Dismissal]

    def name(self, person_id: int) -> str:
        return self.names.get(person_id, "")

    @property
    def any_warnings(self) -> bool:
        return bool(len(self.warnings) or len(self.dismissed))

    def dismissal(self, reviewer: int | tuple[int, ...], kind: str) -> Dismissal | None:
        """Who dismissed the warning and when; for a clique, whoever dismissed it last."""
        found = [self.dismissals.get((person, kind)) for person in (reviewer if isinstance(reviewer, tuple)
                                                                     else (reviewer,))]
        return max((d for d in found if d is not None), key=lambda d: d.at, default=None)


@dataclass(frozen=True)
class GradedWork:
    """What the advice reads of one student's grade: the explanation kept with it, as stored."""

    person_id: int
    submission_id: int
    stored_explanation: Mapping[str, Any] | None
    std: float | None
    overridden: bool


def grading_advice(session: Session, assignment: Assignment, names: Mapping[int, str] | None = None) -> GradingAdvice:
    """The advice as the last grading run (or override since) kept it, with the names people bear now; `names` (by
    person id) spares loading the people the caller has already loaded. Grades computed before the advice was kept
    have theirs worked out here, as it was before it was kept."""
    document = session.scalar(select(StoredAdvice.document).where(StoredAdvice.assignment_id == assignment.id))
    if document is None:
        document = advice_document(session, assignment)
    found = _warnings_from(document["warnings"])
    dismissed = dismissals(session, assignment.id)
    grade_first = document["grade_first"]
    known = dict(names or {})
    wanted = set(found.reviewers) | {item[0] for item in grade_first}
    missing = wanted - known.keys()
    if missing:  # people no longer enrolled as students
        known.update((person.id, person.display_name)
                     for person in session.scalars(select(Person).where(Person.id.in_(missing))))
    suggestions = [Suggestion(person, known.get(person, ""), submission, error, informs)
                   for person, submission, error, informs in grade_first]
    if reviews_by_team(assignment):
        known.update(_team_labels(session, assignment, found.reviewers))
    return GradingAdvice(found.open(dismissed.keys()), known, suggestions, found.dismissed(dismissed.keys()), dismissed)


def _team_labels(session: Session, assignment: Assignment, reviewers: Collection[Hashable]) -> dict[int, str]:
    """Where each team writes one review, a warning names the team, with its members in the course now (staff only):
    by the person id it is kept under."""
    teams = reviewing_teams(session, assignment.id)
    standing_for = {person: team for team, person in teams.shown_as.items() if person in reviewers}
    if not standing_for:
        return {}
    names = dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(standing_for.values()))).all())
    members = current_members(session, assignment)
    return {person: f"{names[team]} ({', '.join(member.display_name for member in members[team])})"
            if members.get(team) else names[team] for person, team in standing_for.items()}


def keep_grading_advice(session: Session, assignment: Assignment, now: datetime,
                        enrolled: Sequence[GradedWork] | None = None) -> None:
    """Work out the advice from the grades as they now stand and keep it, for every write that changes what it reads:
    a grading run (which passes the graded work of the course's students it has at hand) and an override.

    The advice row is locked first, so two overrides at once each read the other's grade once it is committed: the
    last one kept has both."""
    locked = rows_changed(session, update(StoredAdvice).where(StoredAdvice.assignment_id == assignment.id)
                          .values(assignment_id=StoredAdvice.assignment_id))
    document = advice_document(session, assignment, enrolled)
    if locked:
        session.execute(update(StoredAdvice).where(StoredAdvice.assignment_id == assignment.id)
                        .values(document=document, computed_at=now))
    else:
        session.execute(_insert_or_replace(session).values(assignment_id=assignment.id, document=document,
                                                           computed_at=now))


def _insert_or_replace(session: Session) -> postgresql.Insert | sqlite.Insert:
    # Both dialects spell "insert, or replace the row another transaction inserted first" alike, each in its module.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(StoredAdvice)
    return statement.on_conflict_do_update(index_elements=[StoredAdvice.assignment_id],
                                           set_={"document": statement.excluded.document,
                                                 "computed_at": statement.excluded.computed_at})


def advice_document(session: Session, assignment: Assignment,
                    enrolled: Sequence[GradedWork] | None = None) -> dict[str, Any]:
    """The advice drawn from the grades as last computed, by person id, as it is kept: the model's weights and
    corrections of every review kept with each grade. Grades computed before explanations were kept, and grades staff
    overrode, are not offered.

    `enrolled` is the graded work of the course's students when the caller has it at hand (a grading run does); only
    the grades of people no longer enrolled as students are read then."""
    others = (~exists().where(Enrollment.person_id == Grade.person_id, Enrollment.course_id == assignment.course_id,
                              Enrollment.role == CourseRole.STUDENT),) if enrolled is not None else ()
    rows = session.execute(
        select(Grade.person_id, Submission.id, Grade.score_explanation, Grade.submission_std, Grade.override_total)
        .join(Submission, and_(Submission.author_id == Grade.person_id, Submission.assignment_id == Grade.assignment_id))
        .where(Grade.assignment_id == assignment.id, *others)
    ).all()
    graded = [*(enrolled or ()), *(GradedWork(person, submission, stored, std, override is not None)
                                   for person, submission, stored, std, override in rows)]
    graded.sort(key=lambda work: work.person_id)
    explanations: dict[int, ScoreExplanation] = {}
    stds: dict[int, float] = {}
    settled: set[int] = set()
    submission_of: dict[int, int] = {}
    for work in graded:
        explanation = from_stored(work.stored_explanation)
        if explanation is None:
            continue
        author = work.person_id
        explanations[author] = explanation
        stds[author] = work.std or 0.0
        submission_of[author] = work.submission_id
        if work.overridden:
            settled.add(author)
    scale = (0.0, float(assignment.points_possible))
    # Explanations are kept by author, so each "submission" here is its author's person id.
    judged = judged_reviews(explanations, scale=scale)
    authors: dict[int, Hashable] = {author: author for author in explanations}
    teams = reviewing_teams(session, assignment.id) if reviews_by_team(assignment) else None
    if teams is not None:
        # Where each team writes one review, the team is the reviewer (team_reviews' rule 1): its reviews are judged
        # together, whichever member took each, and its work is its own in a reciprocal pair.
        judged = [replace(review, reviewer=teams.reviewer(review.reviewer)) for review in judged]
        authors.update((author, teams.shown_as.get(team, author)) for author, team in session.execute(
            select(Submission.author_id, Submission.team_id)
            .where(Submission.assignment_id == assignment.id, Submission.team_id.is_not(None))).all()
            if team is not None)
    found = reviewer_warnings(judged, authors, scale_width=scale[1])
    dismissed = dismissals(session, assignment.id)
    warnings = found.open(dismissed.keys())
    warned = warnings.reviewers
    if teams is not None:  # every member's reviews of a team warned of
        warned = warned | {member for member in teams.team_of if teams.reviewer(member) in warned}
    # A dismissed warning no longer makes its reviewer's other work count double (assessment.warning_dismissals).
    ranked = [p for p in grading_priorities(explanations, stds, warned=warned)
              if p.submission not in settled]
    count = min(MAX_SUGGESTED, math.ceil(STAFF_SHARE * len(ranked)))
    # Every warning found is kept, dismissed or not: a dismissal or its undoing shows at once, and the ranking
    # below (which dismissals change) is worked out again when one is made (assessment.warning_dismissals).
    return {"warnings": _warnings_document(found),
            "grade_first": [[p.submission, submission_of[p.submission], math.sqrt(p.own), p.informs]
                            for p in ranked[:count]]}


# The kept form of the warnings: lists in the order of each dataclass's fields, person ids for people.
def _warnings_document(warnings: ReviewerWarnings) -> dict[str, Any]:
    return {"flat": [[w.reviewer, w.reviews, w.spread, w.consensus_spread] for w in warnings.flat],
            "one_sided": [[w.reviewer, w.reviews, w.same_side, w.difference] for w in warnings.one_sided],
            "reciprocal": [[list(clique.members), [[e.giver, e.receiver, e.score, e.consensus]
                                                   for e in clique.exchanges]]
                           for clique in warnings.reciprocal]}


def _warnings_from(document: Mapping[str, Any]) -> ReviewerWarnings:
    return ReviewerWarnings(
        flat=[FlatScoring(*fields) for fields in document["flat"]],
        one_sided=[OneSidedScoring(*fields) for fields in document["one_sided"]],
        reciprocal=[ReciprocalMarks(tuple(members), tuple(Exchange(*fields) for fields in exchanges))
                    for members, exchanges in document["reciprocal"]])
