"""Use cases of reviewing: the review queue, static allocation, the review form, feedback, flags, staff tools."""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Connection,
    Executable,
    Integer,
    ScalarSelect,
    bindparam,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from assessment.allocation import Allocated, QueueState, allocate, top_up, why_nothing_to_review
from assessment.assignment_settings import AllocationMode
from assessment.db import Base, UTCDateTime
from assessment.errors import Conflict, InvalidInput, NotAllowed, NotFound, NothingToReview, PhaseClosed
from assessment.messages import N_
from assessment.models import (
    Assignment,
    CourseRole,
    Enrollment,
    Extension,
    FlagReason,
    Person,
    Review,
    ReviewFlag,
    ReviewKind,
    ReviewStatus,
    Submission,
    SubmissionVersion,
    TeamMembership,
)
from assessment.phases import Phase, Timeline
from assessment.services import get_assignment, plain_text
from assessment.student_dates import dates_by_student, dates_of
from assessment.team_reviews import (
    TeamClaim,
    claim_for_team,
    is_member_now,
    lock_team,
    record_save,
    reviews_by_team,
    team_standing,
    written_by,
)
from assessment.team_reviews import others_not_reviewed as team_others_not_reviewed
from assessment.team_reviews import under_quota_exists as team_under_quota_exists
from assessment.team_work import current_members, current_teams, ever_in_team, own_work
from assessment.write_rules import ensure_feedback_open, ensure_open, ensure_review_writable, phase_for

MAX_COMMENT_CHARACTERS = 20_000
# Claiming a submission can lose a race on SQLite (no SKIP LOCKED); a few tries settle it.
CLAIM_TRIES = 5
STUDENTS_ONLY: str = N_("Only students of this course review peers' work.")


# --- the review queue ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerContext:
    """Who is asking for work, and whether calibration is behind them (decided by the calibration use cases)."""

    assignment_id: int
    reviewer_id: int
    calibration_done: bool


@dataclass(frozen=True)
class HandedOut:
    """The review the queue hands to a reviewer: what opening its page needs."""

    id: int  # the review's
    submission_id: int


def request_review(session: Session, asking: ReviewerContext, now: datetime) -> HandedOut:
    """Hand the reviewer a submission to review, or raise NothingToReview saying why there is none.

    The queue rules:
    1. Reviewing must be open (the review phase), and the reviewer a student of the course.
    2. When the assignment says so, only students who handed in work review; calibration comes first.
    3. A review the reviewer already holds (assigned, lease not run out) is served again before anything new.
       A lease runs `lease_hours`, cut short at the review deadline (`lease_end`).
    4. Once the reviewer has submitted the reviews each student must do, nothing more is handed out.
    5. In static mode nothing new is handed out: reviews were allocated when reviewing opened. A student the
       allocation left out is allocated reviews when they ask (`serve_latecomers`).
    6. Leases that ran out go back to the pool: the reviewer's own at once, everyone's when nothing under k is
       eligible, and every minute by the scheduled sweep (so the common request stays short).
    7. Eligible: not the reviewer's own nor any team's they are or were in, never reviewed or held by them before,
       with a handed-in version,
       and fewer than k reviews submitted or under an unexpired lease (its `review_load`).
    8. Among the eligible, the least loaded, then the oldest (first handed in), then the lowest id.
    9. The chosen submission is locked (FOR UPDATE SKIP LOCKED: concurrent reviewers take different ones) and
       claimed by a conditional increment of its load, so it is never leased beyond k even where locks are absent.
    10. When nothing under k is eligible but the reviewer still owes reviews, the least loaded other submission
       they have not reviewed is served beyond k, marked as such, so that no student is left unable to finish
       (the last reviewers would otherwise find only their own work short of reviews).
    """
    session.flush()  # the statements below go to the connection, past the session's autoflush
    standing = _as_team(session, _standing(session, asking, now), asking.assignment_id, now)
    team = standing.reviewing_team
    if standing.role is not CourseRole.STUDENT:
        raise NotAllowed(STUDENTS_ONLY)
    state = QueueState(
        phase_open=standing.phase is Phase.REVIEW,
        needs_submission=standing.needs_submission,
        has_submission=standing.own_submission is not None,
        calibration_done=asking.calibration_done,
        required_reviews=standing.reviews_per_student,
        completed_reviews=standing.completed,
        open_lease=standing.held is not None,
        eligible_submissions=0,
    )
    if not state.phase_open or (state.needs_submission and not state.has_submission) or not state.calibration_done:
        raise NothingToReview(why_nothing_to_review(state))
    if standing.held is not None:
        return standing.held
    if standing.static and standing.completed == 0:
        # Rule 5's exception: a student the allocation left out (arrived or handed in after it: no review held or
        # done) is allocated now; one it included keeps the load it gave them, without a look at the class each ask.
        serve_latecomers(session, asking.assignment_id, now)
        # Read again even when this run added nothing: a teammate asking at the same moment may have served the team
        # (where locks are absent, SQLite, nothing made this request wait for theirs).
        served = _as_team(session, _standing(session, asking, now), asking.assignment_id, now).held
        if served:
            return served
    if standing.completed >= standing.reviews_per_student or standing.static:
        raise NothingToReview(why_nothing_to_review(state))
    handed = _serve(session, asking, now, standing, bonus=False)
    if handed is None:
        waiting = (team_others_not_reviewed(session, asking.assignment_id, team) if team is not None
                   else others_not_reviewed(session, asking.assignment_id, asking.reviewer_id))
        raise NothingToReview(why_nothing_to_review(replace(state, eligible_submissions=waiting)))
    return handed


def request_bonus_review(session: Session, asking: ReviewerContext, now: datetime) -> HandedOut:
    """Hand a reviewer who has done their quota one more review, of work short of its k reviews: offered, never
    required (the reviewing grade counts it as the assignment's `bonus_review_points` say).

    The rules:
    1. The queue's rules 1, 2 and 5 hold: reviewing open, a student of the course, their own work handed in when the
       assignment asks for it, calibration behind them, and no static allocation.
    2. Only once their quota is submitted: before that, the ordinary queue serves them.
    3. A review they hold (a bonus one included) is served again before anything new.
    4. Only work under k is served, by the queue's rules 7 to 9; never work beyond k, which needs no more reviews.
    """
    session.flush()  # the statements below go to the connection, past the session's autoflush
    standing = _standing(session, asking, now)
    if standing.role is not CourseRole.STUDENT:
        raise NotAllowed(STUDENTS_ONLY)
    if standing.reviewing_team is not None:
        raise NothingToReview(N_("Extra reviews are not offered when each team writes one review of the work it "
                                 "reviews."))
    if standing.phase is not Phase.REVIEW:
        raise NothingToReview(N_("Reviewing is closed, so no extra review can be taken."))
    if (standing.needs_submission and standing.own_submission is None) or not asking.calibration_done:
        raise NothingToReview(N_("Extra reviews are offered once your own reviews are done."))
    if standing.held is not None:
        return standing.held
    if standing.completed < standing.reviews_per_student:
        raise NothingToReview(N_("Extra reviews are offered once your own reviews are done."))
    if standing.static:
        raise NothingToReview(N_("Reviews were allocated for this assignment: no extra review can be taken."))
    handed = _serve(session, asking, now, standing, bonus=True)
    if handed is None:
        raise NothingToReview(N_("Every classmate's work you could review has its reviews: no extra review is "
                                 "needed now. Thank you for offering."))
    return handed


def _serve(session: Session, asking: ReviewerContext, now: datetime, standing: _Standing, *,
           bonus: bool) -> HandedOut | None:
    """The queue's rules 6 to 10 for a reviewer who may take new work: claim and lease a submission under k (the
    ordinary queue, not a bonus review, then one beyond k); None when nothing is eligible."""
    if standing.lapsed:
        reclaim_expired_leases(session, now, asking.assignment_id)
    lease = {"assignment": asking.assignment_id, "reviewer": asking.reviewer_id, "now": now, "bonus": bonus,
             "lease_expires_at": lease_end(now, standing.lease_hours, standing.review_due)}
    k, team = standing.reviews_per_submission, standing.reviewing_team
    reclaimed_everyone = False
    for attempt in range(CLAIM_TRIES):
        handed = _claim(session, lease, k, team)
        if handed is None and _work_under_quota(session, asking.assignment_id, asking.reviewer_id, team, k):
            # Work under k exists but other reviewers hold its locks for a moment: look again shortly.
            time.sleep(0.01 * (attempt + 1))
            continue
        if handed is None and not reclaimed_everyone:
            # As rule 6: work whose only open reviews ran out of time is short again.
            reclaimed_everyone = True
            if reclaim_expired_leases(session, now, asking.assignment_id):
                continue
        if handed is None and not bonus:
            handed = _claim(session, lease, None, team)
        return handed
    raise NothingToReview(N_("Many reviewers are asking for work at this moment; try again in a few seconds."))


@dataclass(frozen=True)
class _Standing:
    """The assignment's queue settings and where the reviewer stands in its queue, read in one statement."""

    phase: Phase
    needs_submission: bool
    static: bool  # static allocation: the queue hands out nothing new
    reviews_per_submission: int
    reviews_per_student: int
    lease_hours: int
    review_due: datetime
    role: CourseRole | None  # None: not enrolled in the course
    own_submission: int | None  # their handed-in submission
    completed: int  # peer reviews submitted
    held: HandedOut | None  # the review they hold open, first assigned first (rule 3)
    lapsed: bool  # whether they hold a lease that ran out
    reviewing_team: int | None = None  # their team, where each team writes one review (assessment.team_reviews)


def _standing(session: Session, asking: ReviewerContext, now: datetime) -> _Standing:
    row = session.connection().execute(_standing_statement(),
                                       {"assignment": asking.assignment_id, "reviewer": asking.reviewer_id,
                                        "now": now}).first()
    if row is None:
        raise NotFound(N_("This assignment no longer exists."))
    timeline = Timeline(*row[:7])
    override, needs_submission, mode, per_submission, per_student, lease_hours = row[7:13]
    role, own, completed, held, held_submission, lapsed, extended, team = row[13:]
    phase, review_due = timeline.phase_at(now, override), timeline.review_due
    if extended:
        # Rule 1 by the reviewer's own dates: one statement more, for extended students only. Their leases end by
        # their own review deadline.
        dates = dates_of(session, get_assignment(session, asking.assignment_id), asking.reviewer_id)
        phase, review_due = dates.phase_at(now, override), dates.timeline.review_due
    return _Standing(phase, needs_submission, mode is AllocationMode.STATIC, per_submission, per_student, lease_hours,
                     review_due, role, own, completed or 0, None if held is None else HandedOut(held, held_submission),
                     bool(lapsed), team)


def _as_team(session: Session, standing: _Standing, assignment_id: int, now: datetime) -> _Standing:
    """Where the reviewer's team stands, for an assignment whose teams review as one (team_reviews' rules 3 and 4)."""
    if standing.reviewing_team is None:
        return standing
    lock_team(session, standing.reviewing_team)
    team = team_standing(session, assignment_id, standing.reviewing_team, now)
    return replace(standing, completed=team.completed, lapsed=team.lapsed,
                   held=None if team.held is None else HandedOut(*team.held))


def lease_end(now: datetime, lease_hours: int, review_due: datetime) -> datetime:
    """When a lease handed out now runs out: after its hours, but never after the review deadline, so that work held
    near the deadline goes back to the pool (and into the coverage figures) when reviewing closes. Once the deadline
    has passed, reviewing is open only because staff moved the phase by hand: the date no longer closes it, so the
    lease runs its hours."""
    full = now + timedelta(hours=lease_hours)
    return min(full, review_due) if review_due > now else full


# The queue's statements are built once and take their values as parameters, and they name columns rather than load
# models: building and loading cost more CPU than the database takes to run them, on the busiest path of the
# review phase (many reviewers asking at once).

# Their LIMIT is written in the SQL, not sent as a parameter: PostgreSQL reuses the plan of a prepared statement only
# when that plan looks as cheap as a fresh one, and a LIMIT it cannot see makes it look dear, so each claim was
# planned afresh (more database time than running it).
ONE = literal_column("1", Integer)


@functools.cache
def _standing_statement() -> Executable:
    """The assignment's queue settings and where the reviewer stands, in one round trip instead of five."""
    assignment, enrollment = Assignment.__table__.c, Enrollment.__table__.c
    submission, version, review = Submission.__table__.c, SubmissionVersion.__table__.c, Review.__table__.c
    extension, membership = Extension.__table__.c, TeamMembership.__table__.c
    reviewer = bindparam("reviewer", type_=Integer)
    now = bindparam("now", type_=UTCDateTime())
    mine = (review.assignment_id == assignment.id, review.reviewer_id == reviewer, review.kind == ReviewKind.PEER)
    assigned = review.status == ReviewStatus.ASSIGNED
    held = (select().where(*mine, assigned, or_(review.lease_expires_at.is_(None), review.lease_expires_at > now))
            .order_by(review.assigned_at, review.id).limit(ONE))
    return select(
        assignment.submission_opens, assignment.submission_due, assignment.calibration_opens,
        assignment.calibration_due, assignment.review_opens, assignment.review_due, assignment.results_release,
        assignment.phase_override, assignment.reviewers_need_submission, assignment.allocation_mode,
        assignment.reviews_per_submission, assignment.reviews_per_student, assignment.lease_hours,
        select(enrollment.role).where(enrollment.person_id == reviewer, enrollment.course_id == assignment.course_id)
        .scalar_subquery(),
        select(submission.id).where(submission.assignment_id == assignment.id, own_work(assignment.id, reviewer),
                                    exists().where(version.submission_id == submission.id))
        .scalar_subquery(),
        select(func.count()).where(*mine, review.status == ReviewStatus.SUBMITTED).scalar_subquery(),
        held.add_columns(review.id).scalar_subquery(), held.add_columns(review.submission_id).scalar_subquery(),
        exists().where(*mine, assigned, review.lease_expires_at <= now),
        # Correlated by hand to the assignment two levels out, past the EXISTS: automatic correlation would read the
        # reviewer's team on every assignment they are in.
        exists().where(extension.assignment_id == assignment.id, or_(
            extension.person_id == reviewer,
            extension.team_id == select(membership.team_id).where(
                membership.assignment_id == assignment.id, membership.person_id == reviewer,
                membership.until.is_(None)).correlate(Assignment.__table__).scalar_subquery())),
        # Their team, where each team writes one review: the queue then serves the team.
        select(membership.team_id).where(
            assignment.team_assignment, assignment.reviews_by_team, membership.assignment_id == assignment.id,
            membership.person_id == reviewer, membership.until.is_(None)).scalar_subquery(),
    ).where(assignment.id == bindparam("assignment", type_=Integer))


def _claim(session: Session, lease: Mapping[str, Any], k: int | None, team: int | None) -> HandedOut | None:
    """Claim work for the reviewer, or for their team where each team writes one review."""
    if team is None:
        return _hand_out(session.connection(), lease, k)
    claimed = claim_for_team(session, TeamClaim(lease["assignment"], team, lease["reviewer"], lease["now"],
                                                lease["lease_expires_at"]), k)
    return None if claimed is None else HandedOut(*claimed)


def _work_under_quota(session: Session, assignment_id: int, reviewer: int, team: int | None, k: int) -> bool:
    if team is None:
        return _under_quota_exists(session, assignment_id, reviewer, k)
    return team_under_quota_exists(session, assignment_id, team, k)


def _hand_out(connection: Connection, lease: Mapping[str, object], k: int | None) -> HandedOut | None:
    """Claim a submission for the reviewer (under k, or beyond it when k is None) and insert their review of it; None
    when nothing is eligible or other reviewers lock every candidate."""
    values = {**lease, "k": k, "beyond_quota": k is None}
    if connection.dialect.name == "postgresql":
        row = connection.execute(_claim_and_review_statement(k is not None), values).first()
        return None if row is None else HandedOut(row[0], row[1])
    # SQLite has no data-changing WITH: the claim, then the review, in the same transaction.
    claimed = connection.execute(_claim_statement(k is not None), values).scalar()
    if claimed is None:
        return None
    return HandedOut(connection.execute(_handing_out_statement(), {**values, "submission": claimed}).scalar_one(),
                     claimed)


@functools.cache
def _claim_statement(within_quota: bool) -> ReturningUpdate[int]:
    """Rules 8 and 9 in one statement: lock the least loaded eligible submission and raise its load."""
    submissions = Base.metadata.tables["submissions"]
    candidate = submissions.alias("candidate")  # the table is named twice: what is picked, what is updated
    k = bindparam("k", type_=Integer)
    pick = (
        select(candidate.c.id)
        .where(*reviewable_by(bindparam("assignment", type_=Integer), bindparam("reviewer", type_=Integer),
                              candidate.c),
               *([candidate.c.review_load < k] if within_quota else []))
        .order_by(candidate.c.review_load, candidate.c.created_at, candidate.c.id)
        .limit(ONE)
        .with_for_update(skip_locked=True, of=candidate)
        .scalar_subquery()
    )
    # The load condition again on the update: it is what keeps k where locks are absent (SQLite).
    return (update(submissions)
            .where(submissions.c.id == pick, *([submissions.c.review_load < k] if within_quota else []))
            .values(review_load=submissions.c.review_load + 1).returning(submissions.c.id))


def _latest_version(submission: ColumnElement[int]) -> ScalarSelect[int]:
    """The submission's latest version: what a review handed out now assesses."""
    versions = Base.metadata.tables["submission_versions"]
    return (select(versions.c.id).where(versions.c.submission_id == submission)
            .order_by(versions.c.number.desc()).limit(ONE).scalar_subquery())


def _new_review(submission: ColumnElement[int], beyond_quota: ColumnElement[bool]) -> dict[str, Any]:
    """The columns of a review the queue hands out, for the submission given."""
    return {
        "assignment_id": bindparam("assignment", type_=Integer), "submission_id": submission,
        "reviewer_id": bindparam("reviewer", type_=Integer), "kind": literal(ReviewKind.PEER, Review.kind.type),
        "submission_version_id": _latest_version(submission),
        "status": literal(ReviewStatus.ASSIGNED, Review.status.type),
        "assigned_at": bindparam("now", type_=UTCDateTime()), "beyond_quota": beyond_quota,
        "lease_expires_at": bindparam("lease_expires_at", type_=UTCDateTime()),
        "bonus": bindparam("bonus", type_=Boolean),
        "selections": literal({}, Review.selections.type), "comments": literal({}, Review.comments.type),
        "helpfulness_comment": literal("", Review.helpfulness_comment.type),
        "updated_at": bindparam("now", type_=UTCDateTime()),
    }


@functools.cache
def _claim_and_review_statement(within_quota: bool) -> ReturningInsert[int, int]:
    """The claim and the new review in one round trip (PostgreSQL): no row when nothing was claimed."""
    reviews = Base.metadata.tables["reviews"]
    claimed = _claim_statement(within_quota).cte("claimed")
    columns = _new_review(claimed.c.id, literal(not within_quota, Boolean))
    return (insert(reviews)
            .from_select(list(columns), select(*columns.values()).select_from(claimed), include_defaults=False)
            .returning(reviews.c.id, reviews.c.submission_id))


@functools.cache
def _handing_out_statement() -> ReturningInsert[int]:
    """The new review of the submission claimed (SQLite), its latest version found in the same statement."""
    columns = _new_review(bindparam("submission", type_=Integer), bindparam("beyond_quota", type_=Boolean))
    return insert(Base.metadata.tables["reviews"]).values(columns).returning(Review.__table__.c.id)


def reviewable_by(assignment_id: int | BindParameter[int], reviewer: int | BindParameter[int],
                  submission: Any = Submission) -> tuple:
    """Rule 7 without the load: others' handed-in work the reviewer has not reviewed or held (`submission`: the
    model, or the columns of an alias of its table)."""
    already = exists().where(Review.submission_id == submission.id, Review.reviewer_id == reviewer,
                             Review.kind == ReviewKind.PEER)
    handed_in = exists().where(SubmissionVersion.submission_id == submission.id)
    # Individual work (no team) skips the team check, so the queue costs what it did outside team assignments.
    not_own_team = or_(submission.team_id.is_(None), ~ever_in_team(reviewer, submission.team_id))
    return (submission.assignment_id == assignment_id, submission.author_id != reviewer, not_own_team, ~already,
            handed_in)


def others_not_reviewed(session: Session, assignment_id: int, reviewer: int) -> int:
    """Others' handed-in work the reviewer has not reviewed or held, however many reviewers it has (rule 10 serves
    it beyond k when nothing under k is left): none means the queue has nothing for them."""
    return session.scalar(select(func.count()).select_from(Submission)
                          .where(*reviewable_by(assignment_id, reviewer))) or 0


def _under_quota_exists(session: Session, assignment_id: int, reviewer: int, k: int) -> bool:
    """Whether eligible work under k exists, locked or not (so serving beyond k would be premature)."""
    return session.scalar(select(exists().where(*reviewable_by(assignment_id, reviewer), Submission.review_load < k))
                          ) or False


def reclaim_expired_leases(session: Session, now: datetime, assignment_id: int | None = None) -> int:
    """Mark run-out leases expired (of one assignment, or all) and give their submissions' load back; safe to run
    concurrently: a lease is expired by exactly one of the statements racing for it."""
    scope = [Review.assignment_id == assignment_id] if assignment_id is not None else []
    expired = session.scalars(
        update(Review)
        .where(*scope, Review.kind == ReviewKind.PEER,
               Review.status == ReviewStatus.ASSIGNED, Review.lease_expires_at <= now)
        .values(status=ReviewStatus.EXPIRED)
        .returning(Review.submission_id),
        execution_options={"synchronize_session": False},
    ).all()
    for submission_id in expired:
        session.execute(update(Submission).where(Submission.id == submission_id)
                        .values(review_load=Submission.review_load - 1), execution_options={"synchronize_session": False})
    return len(expired)


def allocate_statically(session: Session, assignment_id: int, now: datetime, seed: int) -> int:
    """Give every submission its k reviewers at once (static mode); returns how many reviews were assigned."""
    assignment = get_assignment(session, assignment_id)
    ensure_open(assignment, now)
    if session.scalar(select(func.count()).where(Review.assignment_id == assignment_id,
                                                 Review.kind == ReviewKind.PEER)):
        raise NotAllowed(N_("Reviews are already allocated for this assignment; adjust them by hand in the table."))
    submissions = session.execute(
        select(Submission.id, Submission.author_id, Submission.team_id)
        .where(Submission.assignment_id == assignment_id, exists().where(SubmissionVersion.submission_id == Submission.id))
    ).all()
    authors = {submission_id: author for submission_id, author, _ in submissions}
    teams = current_teams(session, assignment_id) if assignment.team_assignment else {}
    if reviews_by_team(assignment):
        return _allocate_to_teams(session, assignment, submissions, teams, now, seed)
    # A team's work was handed in by every member: each of them reviews when reviewers need a submission.
    handed_in = {team for _, _, team in submissions if team is not None}
    reviewers = sorted(set(authors.values()) | {person for person, team in teams.items() if team in handed_in}
                       if assignment.reviewers_need_submission else set(_students(session, assignment.course_id)))
    if not authors or len(reviewers) < 2:
        raise InvalidInput({"allocation": N_("There are not enough submissions and reviewers to allocate reviews yet.")})
    # Nobody reviews their own team's work: a submission has at most the reviewers outside its team.
    def may_review(reviewer: int, submission: int) -> bool:
        team = teams.get(reviewer)
        return reviewer != authors[submission] and (team is None or team != teams.get(authors[submission]))

    outside = (min(sum(may_review(reviewer, submission) for reviewer in reviewers) for submission in authors)
               if teams else len(reviewers) - 1)
    k = min(assignment.reviews_per_submission, outside)
    if k < 1:
        raise InvalidInput({"allocation": N_("There are not enough submissions and reviewers to allocate reviews yet.")})
    pairs = allocate(authors, reviewers, k, seed=seed, teams=teams or None)
    return _assign(session, assignment_id, pairs, now)


def _allocate_to_teams(session: Session, assignment: Assignment, submissions: Any, teams: Mapping[int, int],
                       now: datetime, seed: int) -> int:
    """Static allocation where each team writes one review: the teams are the reviewers (team_reviews' rules), and
    each review is recorded under one of the team's members in the course (any member writes it). A team whose
    members all left the course reviews nothing."""
    work = _team_work(submissions)
    members = _members_in_course(session, assignment)
    reviewing = sorted(set(work.values()) if assignment.reviewers_need_submission else set(members))
    reviewing = [team for team in reviewing if members.get(team)]
    # A team is its own "author", so allocate's rule that nobody reviews their own work keeps teams off their own.
    k = min(assignment.reviews_per_submission, len(reviewing) - 1)
    if not work or k < 1:
        raise InvalidInput({"allocation": N_("There are not enough submissions and reviewers to allocate reviews yet.")})
    return _assign(session, assignment.id, allocate(work, reviewing, k, seed=seed), now, members)


def _team_work(submissions: Any) -> dict[int, int]:
    """Submission -> its team, for the team work among (id, author, team) rows: what teams review, a team being the
    "author" of its work (so that no team is given its own)."""
    return {submission: team for submission, _, team in submissions if team is not None}


def _members_in_course(session: Session, assignment: Assignment) -> dict[int, list[int]]:
    """Each team's members now who are still students of the course, in id order: those who can write its reviews (a
    member who left the course keeps their membership, but never launches again)."""
    return {team: sorted(person.id for person in people)
            for team, people in current_members(session, assignment).items()}


def _assign(session: Session, assignment_id: int, pairs: list[tuple[int, int]], now: datetime,
            members: Mapping[int, list[int]] | None = None) -> int:
    """Assign the allocated (reviewer, submission) reviews and raise the submissions' loads; how many. Given
    `members`, the reviewers are teams: each review is the team's, recorded under its first member listed (one still
    in the course); any member writes it."""
    versions = _latest_versions(session, sorted({submission for _, submission in pairs}))
    session.add_all(
        Review(assignment_id=assignment_id, submission_id=submission,
               reviewer_id=reviewer if members is None else members[reviewer][0],
               reviewing_team_id=None if members is None else reviewer, kind=ReviewKind.PEER,
               submission_version_id=versions[submission], status=ReviewStatus.ASSIGNED, assigned_at=now)
        for reviewer, submission in pairs
    )
    loads: dict[int, int] = {}
    for _, submission in pairs:
        loads[submission] = loads.get(submission, 0) + 1
    for submission, load in loads.items():
        session.execute(update(Submission).where(Submission.id == submission)
                        .values(review_load=Submission.review_load + load))
    session.flush()
    return len(pairs)


def serve_latecomers(session: Session, assignment_id: int, now: datetime) -> int:
    """Keep a static allocation whole as work arrives after it (a late arrival, an extension): each submission gets
    its k reviewers and each student the allocation left out their reviews (`top_up`'s rules), from those who can
    still review now; how many reviews were added. Safe to repeat and to run at once: the second run adds nothing.

    Who can still review: a student of the course (with work handed in when the assignment asks for it) whose own
    phase is reviewing, the class's or, with an extension, their own. Where each team writes one review, the teams
    are the reviewers, as in `_allocate_to_teams`: a team can still review when one of its members in the course can,
    and its new reviews are recorded under such a member.

    It runs on students' requests (a hand-in, asking for work), so it locks nothing while there is nothing to serve:
    the allocation is read as it stands, and only when it lacks something is the assignment locked and read again
    (runs at once then add each review once: the second finds it added)."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.allocation_mode is not AllocationMode.STATIC:
        return 0
    if not session.scalar(select(exists().where(Review.assignment_id == assignment_id,
                                                Review.kind == ReviewKind.PEER))):
        return 0  # not allocated yet: the allocation itself will include everyone
    if not _latecomers_plan(session, assignment, now)[0]:
        return 0
    # An UPDATE rather than SELECT ... FOR UPDATE: it also takes SQLite's write lock before the allocation is read
    # again. The date it would touch is kept: serving latecomers changes no setting.
    session.execute(update(Assignment).where(Assignment.id == assignment_id)
                    .values(id=Assignment.id, updated_at=Assignment.updated_at),
                    execution_options={"synchronize_session": False})
    added, members = _latecomers_plan(session, assignment, now)
    return _assign(session, assignment_id, added, now, members) if added else 0


def _latecomers_plan(session: Session, assignment: Assignment, now: datetime
                     ) -> tuple[list[tuple[int, int]], dict[int, list[int]] | None]:
    """The reviews `serve_latecomers` would add now, as (reviewer, submission) pairs, with each reviewing team's
    members (those who can review first) where the reviewers are teams."""
    assignment_id = assignment.id
    peer = (Review.assignment_id == assignment_id, Review.kind == ReviewKind.PEER)
    submissions = session.execute(
        select(Submission.id, Submission.author_id, Submission.team_id)
        .where(Submission.assignment_id == assignment_id, exists().where(SubmissionVersion.submission_id == Submission.id))
        .order_by(Submission.created_at, Submission.id)).all()
    authors = {submission: author for submission, author, _ in submissions}
    extended = dates_by_student(session, assignment)
    class_reviewing = assignment.phase_at(now) is Phase.REVIEW

    def reviewing(person: int) -> bool:
        dates = extended.get(person)
        return (dates.phase_at(now, assignment.phase_override) is Phase.REVIEW) if dates else class_reviewing

    if reviews_by_team(assignment):
        # Teams were fixed when reviews were first handed out, so top_up's rule that nobody reviews their own work
        # (a team being its work's "author") is the whole of team_reviews' rule 2.
        members = {team: sorted(people, key=lambda person: not reviewing(person))  # those who can review first
                   for team, people in _members_in_course(session, assignment).items() if any(map(reviewing, people))}
        work = _team_work(submissions)
        team_reviewers = sorted(team for team in members
                                if team in work.values() or not assignment.reviewers_need_submission)
        held = session.execute(select(Review.reviewing_team_id, Review.submission_id, Review.status)
                               .where(*peer, Review.reviewing_team_id.is_not(None))).all()
        return top_up(_allocated(work, team_reviewers, held), assignment.reviews_per_submission,
                      assignment.reviews_per_student, may_review=lambda team, submission: True), members
    teams = current_teams(session, assignment_id) if assignment.team_assignment else {}
    handed_in = set(authors.values()) | {person for person, team in teams.items()
                                         if team in {team for _, _, team in submissions if team is not None}}
    reviewers = sorted(person for person in _students(session, assignment.course_id) if reviewing(person)
                       and (person in handed_in or not assignment.reviewers_need_submission))
    pairs = session.execute(select(Review.reviewer_id, Review.submission_id, Review.status).where(*peer)).all()

    def may_review(reviewer: int, submission: int) -> bool:
        team = teams.get(reviewer)
        return team is None or team != teams.get(authors[submission])

    return top_up(_allocated(authors, reviewers, pairs), assignment.reviews_per_submission,
                  assignment.reviews_per_student, may_review=may_review), None


def _allocated(authors: dict[int, int], reviewers: list[int], pairs: Any) -> Allocated[int, int]:
    """The static allocation as it stands, from its (reviewer, submission, status) rows, for `top_up`."""
    return Allocated(
        authors, reviewers,
        active=[(reviewer, submission) for reviewer, submission, status in pairs
                if status in (ReviewStatus.ASSIGNED, ReviewStatus.SUBMITTED)],
        ever=[(reviewer, submission) for reviewer, submission, _ in pairs])


# --- the review form -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewInput:
    selections: Mapping[str, float]
    comments: Mapping[str, str]
    submit: bool  # False saves a draft
    version: int | None = None  # the review's version the form was loaded at; None skips the check


def review_for(session: Session, review_id: int, reviewer_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None or not _writes(session, review, reviewer_id):
        raise NotFound(N_("That review does not exist."))
    return review


def _writes(session: Session, review: Review, person_id: int) -> bool:
    """Whether the person writes this review: theirs, or their team's (any member now writes a team's review)."""
    return review.reviewer_id == person_id or (
        review.reviewing_team_id is not None and is_member_now(session, review.reviewing_team_id, person_id))


class ReviewChanged(Conflict):
    """The review was saved from another tab since this form was loaded; `review` holds what is saved now."""

    def __init__(self, review: Review) -> None:
        if review.reviewing_team_id is not None:
            super().__init__(N_("Your team's review was saved by a teammate (or by you in another tab) since you "
                                "opened it, so your changes were not saved. Below is what is saved now; make your "
                                "changes again and save."))
        else:
            super().__init__(N_("This review was changed in another tab or window since you opened it, so your "
                                "changes were not saved. Below is what is saved now; make your changes again and "
                                "save."))
        self.review = review


def _review_for_update(session: Session, review_id: int) -> Review | None:
    """The review, locked and read afresh: writes that depend on its status see any change a racing tab committed."""
    return session.scalars(select(Review).where(Review.id == review_id).with_for_update()
                           .execution_options(populate_existing=True)).one_or_none()


def _locked_review(session: Session, review_id: int, reviewer_id: int) -> Review:
    review = _review_for_update(session, review_id)
    if review is None or not _writes(session, review, reviewer_id):
        raise NotFound(N_("That review does not exist."))
    return review


def review_to_read(session: Session, review_id: int, reviewer_id: int, now: datetime) -> Review:
    """A review whose submission the reviewer may read: theirs and open (lease not run out), or submitted by them.

    Removed and expired reviews are refused, so a reviewer who lost a review loses sight of the work with it."""
    review = review_for(session, review_id, reviewer_id)
    if review.status is not ReviewStatus.SUBMITTED and not review.is_open(now):
        raise NotAllowed(N_("This review is no longer yours: its time ran out or staff removed it, so the work it was "
                            "about is no longer shown. Ask for another submission to review."))
    return review


def why_review_is_closed(session: Session, review: Review, now: datetime, writer_id: int | None = None) -> str | None:
    """Why the reviewer (`writer_id`: a teammate, for a team's review) can no longer change this review, shown on its
    page; None while they can."""
    try:
        assignment = get_assignment(session, review.assignment_id)
        writer = review.reviewer_id if writer_id is None else writer_id
        ensure_review_writable(assignment, review, now, dates=dates_of(session, assignment, writer),
                               flagged=_flagged(session, review.id))
    except PhaseClosed as closed:
        return closed.message
    return None


def _flagged(session: Session, review_id: int) -> bool:
    return session.scalar(select(exists().where(ReviewFlag.review_id == review_id))) or False


def save_review(session: Session, review_id: int, reviewer_id: int, entry: ReviewInput, now: datetime) -> Review:
    """Save a draft or submit; a submitted review may be edited while reviewing is open and nobody flagged it.

    The review row is locked (FOR UPDATE) and read afresh before its status and lease are checked: a reclaim of
    run-out leases racing this save either expires the review first (the save is refused) or waits and finds it
    submitted (and leaves it, with its load). A lease run out but not yet reclaimed is refused like a reclaimed one,
    so what a save accepts never depends on whether a sweep already ran.
    """
    review = _locked_review(session, review_id, reviewer_id)
    if entry.version is not None and entry.version != review.version:
        if _saved_already(review, entry):
            return review  # the same form sent again (a double click): what it asks is what is saved
        raise ReviewChanged(review)
    assignment = get_assignment(session, review.assignment_id)
    # The writer's own dates: a team's review is written by any member, each within their own reviewing time.
    ensure_review_writable(assignment, review, now, flagged=_flagged(session, review.id),
                           dates=dates_of(session, assignment, reviewer_id))
    rubric = assignment.rubric
    if rubric is None:
        raise PhaseClosed(N_("This assignment has no rubric yet, so it cannot be reviewed."))
    # One character over the limit is kept, so that a comment too long is refused below rather than cut short.
    comments = {key: plain_text(text, MAX_COMMENT_CHARACTERS + 1) for key, text in entry.comments.items()
                if text and text.strip()}
    problems = {key: problem for key, value in entry.selections.items()
                for criterion in rubric.criteria if criterion.key == key
                if (problem := criterion.selection_problem(value))}
    problems.update({key: N_("This criterion is not in the rubric.") for key in entry.selections
                     if key not in {c.key for c in rubric.criteria}})
    too_long = N_("Keep comments under %(max)s characters.", max=MAX_COMMENT_CHARACTERS)
    problems.update({key: too_long for key, text in comments.items() if len(text) > MAX_COMMENT_CHARACTERS})
    if entry.submit:
        unscored = [criterion.key for criterion in rubric.criteria if criterion.key not in entry.selections]
        problems.update(dict.fromkeys(unscored, N_("Choose a score for this criterion.")))
        for key, text in rubric.check_comments(comments).items():
            problems[key] = N_("%(score)s %(comment)s", score=problems[key], comment=text) if key in problems else text
    if problems:
        raise InvalidInput(problems)
    review.selections = dict(entry.selections)
    review.comments = comments
    if entry.submit:
        review.score = rubric.score(entry.selections, assignment.points_possible)
        if review.status is not ReviewStatus.SUBMITTED:
            review.submitted_at = now
        review.status = ReviewStatus.SUBMITTED
    session.flush()
    if review.reviewing_team_id is not None:
        record_save(session, review, reviewer_id, now)
    return review


def _saved_already(review: Review, entry: ReviewInput) -> bool:
    """Whether saving `entry` would change nothing: the same scores and comments, and the same status (a submitted
    review sent to be submitted again, a draft sent again as a draft)."""
    comments = {key: plain_text(text, MAX_COMMENT_CHARACTERS + 1) for key, text in entry.comments.items()
                if text and text.strip()}
    # A review taken back meanwhile (its lease ran out, staff removed it) is never "saved already".
    status = ReviewStatus.SUBMITTED if entry.submit else ReviewStatus.ASSIGNED
    return (review.status is status and dict(entry.selections) == dict(review.selections or {})
            and comments == dict(review.comments or {}))


def my_peer_reviews(session: Session, assignment_id: int, reviewer_id: int) -> list[Review]:
    """The reviewer's peer reviews (their team's, where each team writes one), assigned or submitted
    (`is_my_peer_review` is the same rule on a loaded review)."""
    return list(session.scalars(
        select(Review)
        .where(Review.assignment_id == assignment_id, written_by(assignment_id, reviewer_id),
               Review.kind == ReviewKind.PEER,
               Review.status.in_((ReviewStatus.ASSIGNED, ReviewStatus.SUBMITTED)))
        .order_by(Review.assigned_at, Review.id)
    ))


def is_my_peer_review(review: Review) -> bool:
    return review.kind is ReviewKind.PEER and review.status in (ReviewStatus.ASSIGNED, ReviewStatus.SUBMITTED)


def counts_as_finished(review: Review) -> bool:
    """A peer review its reviewer submitted, removed by staff afterwards or not: the reviewer did the work, and a
    removal (an unfair review taken out of the grade) must not turn a finished step into a missed one."""
    return (review.kind is ReviewKind.PEER and review.status in (ReviewStatus.SUBMITTED, ReviewStatus.REMOVED)
            and review.submitted_at is not None)


def is_shown_to_author(review: Review) -> bool:
    """`received_reviews`' rule on a loaded review: a submitted peer or staff review, removed since or not."""
    return review.kind in (ReviewKind.PEER, ReviewKind.STAFF) and (
        review.status is ReviewStatus.SUBMITTED or (review.status is ReviewStatus.REMOVED
                                                    and review.submitted_at is not None))


def start_self_assessment(session: Session, assignment_id: int, author_id: int, now: datetime) -> Review:
    """The author's assessment of their own work, open once their required peer reviews are done."""
    assignment = get_assignment(session, assignment_id)
    if not assignment.self_assessment:
        raise NotAllowed(N_("This assignment has no self-assessment."))
    own = _own_submission_id(session, assignment_id, author_id)
    if own is None:
        raise NothingToReview(N_("Hand in your work first; then you can assess it yourself."))
    if _completed_peer_reviews(session, assignment_id, author_id) < assignment.reviews_per_student:
        raise NothingToReview(N_(
            "Finish your %(count)s peer reviews first; then assess your own work.", count=assignment.reviews_per_student
        ))
    if phase_for(assignment, now, dates_of(session, assignment, author_id)) is not Phase.REVIEW:
        raise NothingToReview(N_("Self-assessment is open while reviewing is."))
    existing = session.scalars(select(Review).where(Review.submission_id == own, Review.reviewer_id == author_id,
                                                    Review.kind == ReviewKind.SELF)).one_or_none()
    if existing is not None:
        return existing
    review = Review(assignment_id=assignment_id, submission_id=own, reviewer_id=author_id, kind=ReviewKind.SELF,
                    submission_version_id=_latest_versions(session, [own])[own], status=ReviewStatus.ASSIGNED,
                    assigned_at=now)
    session.add(review)
    session.flush()
    return review


# --- feedback received ------------------------------------------------------------------------------------------


def received_reviews(session: Session, assignment_id: int, author_id: int, now: datetime) -> list[Review]:
    """The submitted peer and staff reviews of the author's work, in a stable order, once results are released.

    A submitted review that staff removed stays in the list (its status says so): the author is told it no longer
    counts, and the reviews after it keep their numbers."""
    assignment = get_assignment(session, assignment_id)
    ensure_feedback_open(assignment, now, dates_of(session, assignment, author_id))
    return reviews_received_by(session, assignment_id, author_id)


def reviews_received_by(session: Session, assignment_id: int, author_id: int) -> list[Review]:
    """The submitted (or submitted, then removed) peer and staff reviews of the author's work, released or not: what
    staff read on a student's page and the author reads once results are released."""
    return list(session.scalars(
        select(Review)
        .join(Submission, Review.submission_id == Submission.id)
        .options(joinedload(Review.reviewer))  # for `reviewer_label`, which names reviewers only in open mode
        .where(Submission.assignment_id == assignment_id, own_work(assignment_id, author_id),
               Review.kind.in_((ReviewKind.PEER, ReviewKind.STAFF)),
               (Review.status == ReviewStatus.SUBMITTED)
               | ((Review.status == ReviewStatus.REMOVED) & Review.submitted_at.is_not(None)))
        .order_by(Review.submitted_at, Review.id)
    ))


def flags_on(session: Session, review_ids: list[int]) -> dict[int, ReviewFlag]:
    """The flag on each of these reviews that has one, answered or not, by review id."""
    if not review_ids:
        return {}
    return {flag.review_id: flag for flag in session.scalars(
        select(ReviewFlag).where(ReviewFlag.review_id.in_(review_ids)))}


def _received(session: Session, review_id: int, author_id: int, now: datetime) -> Review:
    review = _review_for_update(session, review_id)
    if (review is None or review.status is not ReviewStatus.SUBMITTED
            or _own_submission_id(session, review.assignment_id, author_id) != review.submission_id):
        raise NotFound(N_("That review does not exist."))
    assignment = get_assignment(session, review.assignment_id)
    ensure_feedback_open(assignment, now, dates_of(session, assignment, author_id))
    return review


def rate_review(session: Session, review_id: int, author_id: int, helpfulness: int, comment: str, now: datetime) -> Review:
    review = _received(session, review_id, author_id, now)
    if not 1 <= helpfulness <= 5:
        raise InvalidInput({"helpfulness": N_("Rate helpfulness from 1 (not helpful) to 5 (very helpful).")})
    review.helpfulness = helpfulness
    review.helpfulness_comment = plain_text(comment, MAX_COMMENT_CHARACTERS)
    session.flush()
    return review


def flag_review(session: Session, review_id: int, author_id: int, reason: FlagReason, explanation: str,
                now: datetime) -> ReviewFlag:
    review = _received(session, review_id, author_id, now)
    explanation = plain_text(explanation, MAX_COMMENT_CHARACTERS)
    if len(explanation) < 10:
        raise InvalidInput({"explanation": N_("Say in a sentence what is unfair or inappropriate, so staff can act on it.")})
    if session.scalars(select(ReviewFlag).where(ReviewFlag.review_id == review.id)).first() is not None:
        raise InvalidInput({"explanation": N_("You already flagged this review; staff will look at it.")})
    flag = ReviewFlag(review_id=review.id, reason=reason, explanation=explanation, created_at=now)
    session.add(flag)
    session.flush()
    return flag


# --- staff tools ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationRow:
    submission: Submission
    reviews: list[Review]


def allocation_table(session: Session, assignment_id: int) -> list[AllocationRow]:
    submissions = session.scalars(
        select(Submission).options(selectinload(Submission.author))
        .where(Submission.assignment_id == assignment_id).order_by(Submission.created_at, Submission.id)
    ).all()
    reviews = session.scalars(
        select(Review).options(selectinload(Review.reviewer))
        .where(Review.assignment_id == assignment_id, Review.status != ReviewStatus.EXPIRED)
        .order_by(Review.assigned_at, Review.id)
    ).all()
    by_submission: dict[int, list[Review]] = {}
    for review in reviews:
        by_submission.setdefault(review.submission_id, []).append(review)
    return [AllocationRow(submission, by_submission.get(submission.id, [])) for submission in submissions]


def _submission_for_update(session: Session, assignment_id: int, submission_id: int) -> Submission:
    """The submission, locked: staff adding a review to it from two tabs at once add it once, the second finding it."""
    submission = session.scalars(select(Submission).where(Submission.id == submission_id).with_for_update()
                                 .execution_options(populate_existing=True)).one_or_none()
    if submission is None or submission.assignment_id != assignment_id:
        raise NotFound(N_("That submission does not exist."))
    return submission


def assign_reviewer(session: Session, assignment_id: int, submission_id: int, reviewer_id: int, now: datetime) -> Review:
    """Staff add a reviewer by hand: kept for good (no lease), even beyond k."""
    submission = _submission_for_update(session, assignment_id, submission_id)
    assignment = get_assignment(session, assignment_id)
    ensure_open(assignment, now)
    _ensure_student(session, reviewer_id, assignment.course_id)
    if submission.author_id == reviewer_id:
        raise InvalidInput({"reviewer": N_("A student cannot review their own work.")})
    if submission.team_id is not None and session.scalar(select(exists().where(
            TeamMembership.team_id == submission.team_id, TeamMembership.person_id == reviewer_id))):
        raise InvalidInput({"reviewer": N_("A student cannot review their own team's work.")})
    existing = session.scalars(select(Review).where(Review.submission_id == submission_id,
                                                    Review.reviewer_id == reviewer_id,
                                                    Review.kind == ReviewKind.PEER)).one_or_none()
    if existing is not None and existing.status in (ReviewStatus.ASSIGNED, ReviewStatus.SUBMITTED):
        raise InvalidInput({"reviewer": N_("That student already reviews this submission.")})
    # Where each team writes one review, the student added brings their team: the review is the team's.
    team = current_teams(session, assignment_id).get(reviewer_id) if reviews_by_team(assignment) else None
    if team is not None and session.scalar(select(exists().where(
            Review.submission_id == submission_id, Review.reviewing_team_id == team, Review.kind == ReviewKind.PEER,
            Review.status.in_((ReviewStatus.ASSIGNED, ReviewStatus.SUBMITTED))))):
        raise InvalidInput({"reviewer": N_("That student's team already reviews this submission.")})
    review = existing or Review(assignment_id=assignment_id, submission_id=submission_id, reviewer_id=reviewer_id,
                                kind=ReviewKind.PEER)
    review.reviewing_team_id = team
    review.status, review.assigned_at, review.lease_expires_at = ReviewStatus.ASSIGNED, now, None
    review.submission_version_id = _latest_versions(session, [submission_id])[submission_id]
    session.add(review)
    session.execute(update(Submission).where(Submission.id == submission_id)
                    .values(review_load=Submission.review_load + 1))
    session.flush()
    return review


def remove_review(session: Session, assignment_id: int, review_id: int) -> Review:
    """Staff take a review away (assigned or submitted); it no longer counts, and the submission may be reassigned.
    Removing a review already removed (a second tab) changes nothing."""
    review = _review_for_update(session, review_id)
    if review is None or review.assignment_id != assignment_id:
        raise NotFound(N_("That review does not exist."))
    # A peer review weighs on its submission's load from assignment until it expires or is removed.
    if review.kind is ReviewKind.PEER and review.status in (ReviewStatus.ASSIGNED, ReviewStatus.SUBMITTED):
        session.execute(update(Submission).where(Submission.id == review.submission_id)
                        .values(review_load=Submission.review_load - 1))
    review.status = ReviewStatus.REMOVED
    session.flush()
    return review


def staff_assessment(session: Session, assignment_id: int, submission_id: int, staff_id: int, now: datetime) -> Review:
    """Open (or reopen) a staff member's own assessment of a submission; it counts as a known grade later."""
    _submission_for_update(session, assignment_id, submission_id)
    ensure_open(get_assignment(session, assignment_id), now)
    review = session.scalars(select(Review).where(Review.submission_id == submission_id, Review.reviewer_id == staff_id,
                                                  Review.kind == ReviewKind.STAFF)).one_or_none()
    if review is None:
        version = _latest_versions(session, [submission_id])[submission_id]
        review = Review(assignment_id=assignment_id, submission_id=submission_id, reviewer_id=staff_id,
                        kind=ReviewKind.STAFF, submission_version_id=version, status=ReviewStatus.ASSIGNED,
                        assigned_at=now)
        session.add(review)
        session.flush()
    return review


def open_flags(session: Session, assignment_id: int) -> list[ReviewFlag]:
    """Unanswered flags, oldest first, with the review, its reviewer and its author the flag queue shows."""
    review = joinedload(ReviewFlag.review)
    return list(session.scalars(
        select(ReviewFlag).join(Review, ReviewFlag.review_id == Review.id)
        .options(review.joinedload(Review.reviewer), review.joinedload(Review.submission).joinedload(Submission.author))
        .where(Review.assignment_id == assignment_id, ReviewFlag.resolved_at.is_(None))
        .order_by(ReviewFlag.created_at)
    ))


def reviewer_names(session: Session, assignment_id: int) -> dict[int, str]:
    """Who wrote each review of the assignment, by review id: for staff only."""
    return {review_id: person.display_name for review_id, person in session.execute(
        select(Review.id, Person).join(Person, Review.reviewer_id == Person.id)
        .where(Review.assignment_id == assignment_id))}


def open_flags_by_author(session: Session, assignment_id: int) -> dict[int, int]:
    """How many unanswered flags each author has on the reviews of their work."""
    return {author: count for author, count in session.execute(
        select(Submission.author_id, func.count()).join(Review, Review.submission_id == Submission.id)
        .join(ReviewFlag, ReviewFlag.review_id == Review.id)
        .where(Submission.assignment_id == assignment_id, ReviewFlag.resolved_at.is_(None))
        .group_by(Submission.author_id))}


def resolve_flag(session: Session, assignment_id: int, flag_id: int, staff_id: int, resolution: str,
                 remove: bool, now: datetime) -> ReviewFlag:
    flag = session.scalars(select(ReviewFlag).where(ReviewFlag.id == flag_id).with_for_update()
                           .execution_options(populate_existing=True)).one_or_none()
    if flag is None or flag.review.assignment_id != assignment_id:
        raise NotFound(N_("That flag does not exist."))
    if flag.resolved_at is not None:
        raise InvalidInput({"resolution": N_("This flag was already resolved.")})
    answer = plain_text(resolution, MAX_COMMENT_CHARACTERS)
    if not answer:
        # The student who flagged reads the answer: a flag must not end in silence.
        raise InvalidInput({"resolution": N_("Write your answer to the student who flagged the review.")})
    flag.resolution = answer
    flag.resolved_at, flag.resolved_by_id = now, staff_id
    if remove:
        remove_review(session, assignment_id, flag.review_id)
    session.flush()
    return flag


# --- shared checks ----------------------------------------------------------------------------------------------


def _ensure_student(session: Session, person_id: int, course_id: int) -> None:
    role = session.scalar(select(Enrollment.role).where(Enrollment.person_id == person_id,
                                                        Enrollment.course_id == course_id))
    if role is not CourseRole.STUDENT:
        raise NotAllowed(STUDENTS_ONLY)


def _students(session: Session, course_id: int) -> list[int]:
    return list(session.scalars(select(Enrollment.person_id).where(Enrollment.course_id == course_id,
                                                                   Enrollment.role == CourseRole.STUDENT)))


def _own_submission_id(session: Session, assignment_id: int, author_id: int) -> int | None:
    return session.scalar(
        select(Submission.id).where(Submission.assignment_id == assignment_id, own_work(assignment_id, author_id),
                                    exists().where(SubmissionVersion.submission_id == Submission.id))
    )


def _completed_peer_reviews(session: Session, assignment_id: int, reviewer_id: int) -> int:
    return session.scalar(select(func.count()).where(
        Review.assignment_id == assignment_id, written_by(assignment_id, reviewer_id), Review.kind == ReviewKind.PEER,
        Review.status == ReviewStatus.SUBMITTED)) or 0


def _latest_versions(session: Session, submission_ids: list[int]) -> dict[int, int | None]:
    """Each submission's latest version id: what a review handed out now assesses."""
    latest = dict.fromkeys(submission_ids)
    rows = session.execute(
        select(SubmissionVersion.submission_id, SubmissionVersion.id)
        .where(SubmissionVersion.submission_id.in_(submission_ids))
        .order_by(SubmissionVersion.submission_id, SubmissionVersion.number)
    )
    for submission_id, version_id in rows:
        latest[submission_id] = version_id  # ordered by number: the last one seen is the latest
    return latest
