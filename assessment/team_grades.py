"""Individual grades in team work: each member's contribution factor from teammates' ratings, and staff overriding it."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.contribution import FactorPolicy, Override, contribution_factors, individual_grades, non_raters
from assessment.errors import InvalidInput, NotFound
from assessment.grading_advice import keep_grading_advice
from assessment.messages import N_, Message, message_document, message_from_document
from assessment.models import (
    Assignment,
    ContributionOverride,
    Grade,
    TeammateRating,
)
from assessment.services import get_assignment, plain_text
from assessment.team_work import current_members
from assessment.teammate_evaluation import TeammateEvaluation, pair_totals
from assessment.teammate_warnings import DidNotRate, TeammateWarnings, teammate_warnings
from assessment.write_rules import ensure_gradable

MAX_REASON_CHARACTERS = 2_000
# An overriding factor is kept within what the ratings themselves can give in the usual teams (a member given all the
# work by three teammates reaches 3): a larger one is a typing slip more likely than a judgement.
MAX_OVERRIDE_FACTOR = 3.0


class _Warning(Protocol):
    label: Message

    @property
    def evidence(self) -> Message: ...


@dataclass(frozen=True)
class SetAside:
    """A rating the factors leave out, and why: staff read these beside the team."""

    rater_id: int
    ratee_id: int
    reason: Message


@dataclass(frozen=True)
class TeamRatings:
    """One team's ratings as the factors read them: its members now, the ratings between them, what was left out."""

    team_id: int
    members: tuple[int, ...]  # current members still taking part in the course as students
    totals: dict[tuple[int, int], float]  # (rater, ratee) -> the rater's total over the criteria
    set_aside: list[SetAside] = field(default_factory=list)
    factors: dict[int, float] = field(default_factory=dict)
    did_not_rate: frozenset[int] = frozenset()
    warnings: TeammateWarnings = field(default_factory=TeammateWarnings)

    def warnings_of(self, person_id: int) -> list[_Warning]:
        """The warnings that concern one member, camps included."""
        members: list[Any] = [*self.warnings.free_riders, *self.warnings.overconfident, *self.warnings.manipulation,
                              *self.warnings.did_not_rate]
        found: list[_Warning] = [w for w in members if w.member == person_id]
        found += [camps for camps in self.warnings.camps if any(person_id in group for group in camps.groups)]
        return found


def team_ratings(session: Session, assignment: Assignment, evaluation: TeammateEvaluation) -> dict[int, TeamRatings]:
    """Every team's ratings, factors and warnings. Ratings naming someone not in the rater's team now (moved, left the
    course, or never a member) are set aside with the reason, rather than refusing the whole team's factors."""
    members = {team: sorted(person.id for person in people)
               for team, people in current_members(session, assignment).items()}
    rows: dict[int, list[tuple[int, int, dict[str, float]]]] = defaultdict(list)
    set_aside: dict[int, list[SetAside]] = defaultdict(list)
    for team, rater, ratee, scores in session.execute(
            select(TeammateRating.team_id, TeammateRating.rater_id, TeammateRating.ratee_id, TeammateRating.scores)
            .where(TeammateRating.assignment_id == assignment.id).order_by(TeammateRating.id)):
        team_now = members.get(team, [])
        if rater not in team_now or ratee not in team_now:
            set_aside[team].append(SetAside(rater, ratee, N_("set aside: the two are not both members of this team "
                                                             "now (moved, left the course, or never in it)")))
        elif evaluation.score_problems(scores):
            set_aside[team].append(SetAside(rater, ratee, N_("set aside: not rated on every criterion of the scale "
                                                             "as it is now")))
        else:
            rows[team].append((rater, ratee, scores))
    k = len(evaluation.criteria)
    scale = (float(evaluation.low * k), float(evaluation.high * k))
    found = {}
    for team in sorted(members.keys() | set_aside.keys()):
        people = tuple(members.get(team, ()))
        totals = pair_totals(evaluation, rows[team])
        if not people:
            found[team] = TeamRatings(team, people, totals, set_aside[team])
            continue
        # In a team of one there is nobody to rate: not rating is no fault there.
        idle = frozenset(non_raters(totals, people)) if len(people) > 1 else frozenset()
        found[team] = TeamRatings(
            team, people, totals, set_aside[team],
            contribution_factors(totals, people, include_self=evaluation.include_self, scale=scale), idle,
            teammate_warnings(cast(Mapping[tuple[Hashable, Hashable], float], totals), people, scale=scale)
            if len(people) > 1 else TeammateWarnings())
    return found


# Warnings that hold a member's grade for staff: the ratings may be unfair to them or gamed by them. Not rating
# holds nothing: the assignment's own rule for non-raters already settles it.
def doubts(warnings: list[dict[str, Any]], overridden: bool) -> list[str]:
    """The reasons a member's grade waits for staff, from the warnings kept on it; none once staff set the factor."""
    if overridden:
        return []
    return [str(message_from_document(warning["label"])) for warning in warnings if warning.get("holds")]


def _warning_documents(warnings: list[_Warning]) -> list[dict[str, Any]]:
    return [{"label": message_document(w.label), "evidence": message_document(w.evidence),
             "holds": not isinstance(w, DidNotRate)} for w in warnings]


def contribution_document(team_points: float, factor: float, *, policy: FactorPolicy, did_not_rate: bool,
                          override: Override | None, warnings: list[dict[str, Any]]) -> dict[str, Any]:
    """How the ratings move one member's part of the team's work, as kept on their grade."""
    individual = individual_grades(team_points, {0: factor}, policy, non_raters={0} if did_not_rate else (),
                                   overrides={0: override} if override else None)[0]
    return {
        "team_points": round(team_points, 2), "factor": factor, "applied": individual.applied,
        "points": round(individual.grade, 2), "did_not_rate": did_not_rate, "overridden": override is not None,
        "explanation": [message_document(line) for line in individual.explanation],
        "warnings": warnings,
    }


def member_total(document: Mapping[str, Any], reviewing_points: float, points_possible: float) -> float:
    """A member's total: their part of the team's work and the points for their own reviewing."""
    return round(min(points_possible, document["points"] + reviewing_points), 2)


def work_policy(assignment: Assignment, evaluation: TeammateEvaluation) -> FactorPolicy:
    """The evaluation's policy with the grade cut at the points for the work: reviewing points are each member's own
    and the factor leaves them alone."""
    share = assignment.points_possible * assignment.submission_weight / 100
    return dataclasses.replace(evaluation.policy, points_possible=share if share > 0 else None)


@dataclass(frozen=True)
class TeamGrading:
    """What a grading run needs to give each member of a team their individual grade."""

    policy: FactorPolicy
    points_possible: float
    ratings: dict[int, TeamRatings]  # by team
    team_of: dict[int, int]
    overrides: dict[int, Override]

    @classmethod
    def load(cls, session: Session, assignment: Assignment) -> TeamGrading | None:
        evaluation = assignment.teammate_evaluation
        if evaluation is None:
            return None
        ratings = team_ratings(session, assignment, evaluation)
        return cls(work_policy(assignment, evaluation), float(assignment.points_possible), ratings,
                   {person: team for team, found in ratings.items() for person in found.members},
                   overrides_of(session, assignment.id))

    def grade(self, person_id: int, team_points: float, reviewing_points: float
              ) -> tuple[float, dict[str, Any], list[str]] | None:
        """The member's total, its contribution document and the doubts it raises; None for someone in no team."""
        team = self.team_of.get(person_id)
        if team is None:
            return None
        found = self.ratings[team]
        document = contribution_document(
            team_points, found.factors[person_id], policy=self.policy, did_not_rate=person_id in found.did_not_rate,
            override=self.overrides.get(person_id), warnings=_warning_documents(found.warnings_of(person_id)))
        return (member_total(document, reviewing_points, self.points_possible), document,
                doubts(document["warnings"], document["overridden"]))


def overrides_of(session: Session, assignment_id: int) -> dict[int, Override]:
    return {row.person_id: Override(row.factor, row.reason) for row in session.scalars(
        select(ContributionOverride).where(ContributionOverride.assignment_id == assignment_id))}


def override_factor(session: Session, assignment_id: int, person_id: int, factor: float | None, reason: str,
                    staff_id: int, now: datetime) -> Grade:
    """Staff set a member's contribution factor (or clear it with None); their grade is worked out again at once."""
    assignment = get_assignment(session, assignment_id)
    ensure_gradable(assignment, now)
    evaluation = assignment.teammate_evaluation
    if evaluation is None:
        raise InvalidInput({"factor": N_("This activity has no teammate evaluation, so there is no factor to set.")})
    grade = session.scalars(select(Grade).where(Grade.assignment_id == assignment_id, Grade.person_id == person_id)
                            .with_for_update()).one_or_none()
    if grade is None or grade.contribution is None:
        raise NotFound(N_("Run grading first; then a member's contribution factor can be set."))
    reason = plain_text(reason, MAX_REASON_CHARACTERS + 1)  # one over: a reason too long is refused, never cut
    if len(reason) > MAX_REASON_CHARACTERS:
        raise InvalidInput({"reason": N_("Keep the reason to at most %(max)s characters; nothing was saved.",
                                         max=MAX_REASON_CHARACTERS)})
    existing = session.scalars(select(ContributionOverride).where(
        ContributionOverride.assignment_id == assignment_id, ContributionOverride.person_id == person_id)
    ).one_or_none()
    if factor is None:
        if existing is not None:
            session.delete(existing)
        override = None
    else:
        if not (math.isfinite(factor) and 0 <= factor <= MAX_OVERRIDE_FACTOR):
            raise InvalidInput({"factor": N_("A contribution factor is a number from 0 to %(max)s; 1 is an equal "
                                             "share of the work.", max=MAX_OVERRIDE_FACTOR)})
        if not reason:
            raise InvalidInput({"reason": N_("Say why the factor is set; the member reads the reason with their grade.")})
        factor = round(factor, 3)
        if existing is None:
            existing = ContributionOverride(assignment_id=assignment_id, person_id=person_id, factor=factor,
                                            reason=reason)
            session.add(existing)
        existing.factor, existing.reason, existing.set_by_id, existing.set_at = factor, reason, staff_id, now
        override = Override(factor, reason)
    kept = grade.contribution
    document = contribution_document(kept["team_points"], kept["factor"], policy=work_policy(assignment, evaluation),
                                     did_not_rate=kept["did_not_rate"], override=override,
                                     warnings=kept.get("warnings", []))
    # The run's other doubts stay; the teammates' ones follow the override.
    held_for_ratings = set(doubts(kept.get("warnings", []), overridden=False))
    grade.attention = [reason for reason in grade.attention if reason not in held_for_ratings] \
        + doubts(document["warnings"], document["overridden"])
    grade.contribution = document
    grade.total = member_total(document, grade.reviewing_points, float(assignment.points_possible))
    grade.computed_at = now
    session.flush()
    keep_grading_advice(session, assignment, now)
    return grade


def contribution_lines(document: Mapping[str, Any] | None) -> list[Message | str]:
    """The explanation a member reads, as messages in their language at the edge."""
    if not document:
        return []
    return [message_from_document(line) for line in document.get("explanation", [])]


def warning_lines(document: Mapping[str, Any] | None) -> list[tuple[Message | str, Message | str]]:
    """The warnings kept on a member's grade, (label, evidence), for staff."""
    if not document:
        return []
    return [(message_from_document(w["label"]), message_from_document(w["evidence"]))
            for w in document.get("warnings", [])]
