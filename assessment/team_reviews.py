"""One review per team: which team reviews, what it holds and has done, claiming work for it, and who saved what.

The rules of a team's reviews (the assignment's `reviews_by_team`, in a team assignment):
1. The team is the reviewer: the queue hands a review to the team, and any member may open, save and submit it. The
   review row keeps the member who claimed it (`reviewer_id`) and the team (`reviewing_team_id`).
2. The team never reviews its own work, nor the work of a team any of its members was ever in; nor the same work twice.
3. The required number of reviews (`reviews_per_student`) is the team's, and the queue's other rules hold as for a
   student: one open review at a time, leases, k reviews per submission, work beyond k when nothing else is left.
4. Members asking at once are served one after another (the team's row is locked), so a team never claims two works
   where one was asked for.
5. Every save is recorded with the member who made it (`ReviewSave`), for staff; a save from a form loaded before a
   teammate's save is refused (the review's version), never mixed with it.
6. The reviewing part of the grade (review quality, reviews done) goes to every member of the team: the team wrote
   its reviews together, and teams cannot change once reviews were handed out.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from assessment.models import (
    Assignment,
    Review,
    ReviewKind,
    ReviewSave,
    ReviewStatus,
    Submission,
    SubmissionVersion,
    Team,
    TeamMembership,
)


def reviews_by_team(assignment: Assignment) -> bool:
    """Whether the assignment's teams each write one review per work (rather than every member alone)."""
    return bool(assignment.team_assignment and assignment.reviews_by_team)


def members_now(team_id: int | ColumnElement[int]) -> Select[int]:
    """The team's members now, as a subquery of person ids."""
    return select(TeamMembership.person_id).where(TeamMembership.team_id == team_id, TeamMembership.until.is_(None))


def current_team_id(assignment_id: int | ColumnElement[int],
                    person_id: int | ColumnElement[int]) -> Select[int]:
    """The team the person is in now, as a scalar subquery's select."""
    return select(TeamMembership.team_id).where(TeamMembership.assignment_id == assignment_id,
                                                TeamMembership.person_id == person_id,
                                                TeamMembership.until.is_(None))


def is_member_now(session: Session, team_id: int, person_id: int) -> bool:
    return session.scalar(select(exists().where(TeamMembership.team_id == team_id,
                                                TeamMembership.person_id == person_id,
                                                TeamMembership.until.is_(None)))) or False


def written_by(assignment_id: int | ColumnElement[int], person_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """A condition on Review: the person's own review, or their team's (a team review of the team they are in now)."""
    return or_(Review.reviewer_id == person_id,
               Review.reviewing_team_id == current_team_id(assignment_id, person_id).scalar_subquery())


@dataclass(frozen=True)
class TeamStanding:
    """Where the team stands in the queue: reviews submitted, the one it holds open, and whether a lease ran out."""

    completed: int
    held: tuple[int, int] | None  # (review id, submission id)
    lapsed: bool


def lock_team(session: Session, team_id: int) -> None:
    """Rule 4: members of one team asking at once wait for each other (a no-op where locks are absent: SQLite, which
    writes one transaction at a time anyway)."""
    session.execute(select(Team.id).where(Team.id == team_id).with_for_update())


def team_standing(session: Session, assignment_id: int, team_id: int, now: datetime) -> TeamStanding:
    ours = (Review.assignment_id == assignment_id, Review.reviewing_team_id == team_id,
            Review.kind == ReviewKind.PEER)
    completed = session.scalar(select(func.count()).where(*ours, Review.status == ReviewStatus.SUBMITTED)) or 0
    held = session.execute(
        select(Review.id, Review.submission_id)
        .where(*ours, Review.status == ReviewStatus.ASSIGNED,
               or_(Review.lease_expires_at.is_(None), Review.lease_expires_at > now))
        .order_by(Review.assigned_at, Review.id).limit(1)).first()
    lapsed = session.scalar(select(exists().where(*ours, Review.status == ReviewStatus.ASSIGNED,
                                                  Review.lease_expires_at <= now))) or False
    return TeamStanding(completed, None if held is None else (held[0], held[1]), lapsed)


def reviewable_by_team(assignment_id: int | ColumnElement[int], team_id: int | ColumnElement[int]
                       ) -> tuple[ColumnElement[bool], ...]:
    """Rule 2, on Submission: handed-in work of others the team has not reviewed or held."""
    ever_members = select(TeamMembership.person_id).where(TeamMembership.team_id == team_id)
    members_teams_work = exists().where(TeamMembership.team_id == Submission.team_id,
                                        TeamMembership.person_id.in_(ever_members))
    already = exists().where(Review.submission_id == Submission.id, Review.reviewing_team_id == team_id,
                             Review.kind == ReviewKind.PEER)
    return (Submission.assignment_id == assignment_id, Submission.author_id.not_in(ever_members),
            or_(Submission.team_id.is_(None), ~members_teams_work), ~already,
            exists().where(SubmissionVersion.submission_id == Submission.id))


@dataclass(frozen=True)
class TeamClaim:
    """A member asking for their team's next review: what the claim needs."""

    assignment_id: int
    team_id: int
    claimer_id: int
    now: datetime
    lease_expires_at: datetime
    bonus: bool = False


def claim_for_team(session: Session, claim: TeamClaim, k: int | None) -> tuple[int, int] | None:
    """Claim the least loaded eligible submission (under k, or beyond it when k is None) for the team and open its
    review; (review id, submission id), or None when nothing is eligible or other reviewers lock every candidate."""
    under_k = [Submission.review_load < k] if k is not None else []
    chosen = session.scalar(
        select(Submission.id).where(*reviewable_by_team(claim.assignment_id, claim.team_id), *under_k)
        .order_by(Submission.review_load, Submission.created_at, Submission.id).limit(1)
        .with_for_update(skip_locked=True))
    if chosen is None:
        return None
    # The load condition again: it keeps k where locks are absent (SQLite).
    raised = session.execute(update(Submission).where(Submission.id == chosen, *under_k)
                             .values(review_load=Submission.review_load + 1),
                             execution_options={"synchronize_session": False})
    if raised.rowcount != 1:  # type: ignore[attr-defined]
        return None
    version = session.scalar(select(SubmissionVersion.id).where(SubmissionVersion.submission_id == chosen)
                             .order_by(SubmissionVersion.number.desc()).limit(1))
    review = Review(assignment_id=claim.assignment_id, submission_id=chosen, reviewer_id=claim.claimer_id,
                    reviewing_team_id=claim.team_id, kind=ReviewKind.PEER, submission_version_id=version,
                    status=ReviewStatus.ASSIGNED, assigned_at=claim.now, lease_expires_at=claim.lease_expires_at,
                    beyond_quota=k is None, bonus=claim.bonus, selections={}, comments={})
    session.add(review)
    session.flush()
    return review.id, chosen


def under_quota_exists(session: Session, assignment_id: int, team_id: int, k: int) -> bool:
    return session.scalar(select(exists().where(*reviewable_by_team(assignment_id, team_id),
                                                Submission.review_load < k))) or False


def others_not_reviewed(session: Session, assignment_id: int, team_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Submission)
                          .where(*reviewable_by_team(assignment_id, team_id))) or 0


def record_save(session: Session, review: Review, person_id: int, now: datetime) -> None:
    """Rule 5: the member's save, with the version it made (the review's version after this flush)."""
    session.add(ReviewSave(review_id=review.id, person_id=person_id, version=review.version,
                           submitted=review.status is ReviewStatus.SUBMITTED, saved_at=now))
    session.flush()


def saves_of(session: Session, assignment_id: int) -> dict[int, list[ReviewSave]]:
    """Every save of the assignment's team reviews, oldest first, by review id: for staff only."""
    saves: dict[int, list[ReviewSave]] = {}
    for save in session.scalars(
            select(ReviewSave).options(selectinload(ReviewSave.person))
            .join(Review, Review.id == ReviewSave.review_id).where(Review.assignment_id == assignment_id)
            .order_by(ReviewSave.saved_at, ReviewSave.id)):
        saves.setdefault(save.review_id, []).append(save)
    return saves


@dataclass(frozen=True)
class ReviewingTeams:
    """Who wrote the team reviews of an assignment, for judging each team as one reviewer (reviewer warnings)."""

    team_of: dict[int, int]  # member who took a team review -> their team
    shown_as: dict[int, int]  # team -> the member who took its first review: the person id a warning is kept under

    def reviewer(self, member: Hashable) -> Hashable:
        """The person id that stands for the member's team (the member themself outside a team review)."""
        team = self.team_of.get(member) if isinstance(member, int) else None
        return member if team is None else self.shown_as[team]


def reviewing_teams(session: Session, assignment_id: int) -> ReviewingTeams:
    """Rule 1 read back: each member who took a team review, their team, and the member standing for each team (the
    taker of its first review: a review row stays, so the choice never moves and a dismissal keeps holding)."""
    team_of: dict[int, int] = {}
    shown_as: dict[int, int] = {}
    for member, team in session.execute(
            select(Review.reviewer_id, Review.reviewing_team_id)
            .where(Review.assignment_id == assignment_id, Review.kind == ReviewKind.PEER,
                   Review.reviewing_team_id.is_not(None))
            .order_by(Review.id)).all():
        if team is not None:  # as the statement says: a type checker cannot tell
            team_of[member] = team
            shown_as.setdefault(team, member)
    return ReviewingTeams(team_of, shown_as)


def team_credit(reviewer_id: int, reviewing_team_id: int | None) -> int | tuple[str, int]:
    """Whom a review's reviewing part is credited to (rule 6): its reviewer, or its team (each member, later)."""
    return reviewer_id if reviewing_team_id is None else ("team", reviewing_team_id)
