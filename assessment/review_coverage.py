"""The coverage report staff read: every handed-in submission's reviews, who is short now and at the deadline."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from assessment.assignment_settings import AllocationMode
from assessment.coverage import Projection, WorkCoverage, pace_at, project
from assessment.models import (
    Assignment,
    CourseRole,
    Enrollment,
    Person,
    Review,
    ReviewKind,
    ReviewStatus,
    Submission,
    SubmissionVersion,
    Team,
    display_name,
)
from assessment.phases import Phase
from assessment.team_work import own_work


@dataclass(frozen=True, slots=True)
class CoveredWork:
    """A submission as staff see it on the coverage and backup pages: named, with its reviews."""

    submission_id: int
    author_id: int
    name: str  # the author's name, or the team's: staff only, never shown to reviewers
    coverage: WorkCoverage[int]
    staff_taken_by: str | None  # the staff member assessing it now (an open staff assessment), if any
    projected: int | None  # its reviews at the deadline at this pace; None without a pace

    @property
    def received(self) -> int:
        return self.coverage.received

    @property
    def unreviewed(self) -> bool:
        """No review of any kind submitted: the work that must never end without staff knowing."""
        return self.coverage.received == 0 and not self.coverage.staff_assessed


@dataclass(frozen=True)
class CoverageReport:
    k: int
    works: list[CoveredWork]  # every handed-in submission, in the queue's order (oldest first)
    expected: int | None  # reviews the class should still submit before the deadline; None without a pace
    deadline_passed: bool  # reviewing is over (its deadline passed, or staff closed it): the backup queue's time

    @functools.cached_property
    def short_now(self) -> list[CoveredWork]:
        return [work for work in self.works if work.coverage.short_of(self.k)]

    @functools.cached_property
    def short_at_deadline(self) -> list[CoveredWork] | None:
        if self.expected is None:
            return None
        return [work for work in self.works if work.coverage.short_of(self.k, work.projected)]

    @functools.cached_property
    def unreviewed(self) -> list[CoveredWork]:
        return [work for work in self.works if work.unreviewed]


def coverage_report(session: Session, assignment: Assignment, now: datetime, *, owed: int | None = None
                    ) -> CoverageReport:
    """The coverage of the assignment's handed-in work at `now`, in two statements whatever the class's size; one
    when the caller knows the reviews the class still owes (`owed`, as `_owed` counts them)."""
    rows = session.execute(_works_statement(assignment, now)).all()
    works = [WorkCoverage(row.submission_id, row.received or 0, row.held or 0, bool(row.staff_done)) for row in rows]
    done = sum(work.received for work in works)
    # Reviewing is over at its deadline, or earlier when staff moved the phase on by hand: no peer review comes after.
    over = assignment.phase_at(now) in (Phase.GRADING, Phase.RELEASED)
    pace = pace_at(now, assignment.review_opens, now if over else assignment.review_due, done=done,
                   owed=_owed(session, assignment) if owed is None else owed,
                   static=assignment.allocation_mode is AllocationMode.STATIC)
    k = assignment.reviews_per_submission
    projection: Projection[int] = project(works, k, pace)
    named = [
        CoveredWork(row.submission_id, row.author_id, row.team_name or display_name(row), work, _taker(row),
                    projection.reviews[work.submission] if projection.reviews is not None else None)
        for row, work in zip(rows, works, strict=True)
    ]
    return CoverageReport(k, named, projection.expected, deadline_passed=over)


def _taker(row) -> str | None:
    if row.taker_id is None:
        return None
    return display_name(SimpleNamespace(name=row.taker_name, given_name=row.taker_given_name,
                                        family_name=row.taker_family_name, email=row.taker_email))


def _works_statement(assignment: Assignment, now: datetime):
    peer = (Review.assignment_id == assignment.id, Review.kind == ReviewKind.PEER)
    counts = (
        select(Review.submission_id,
               func.count().filter(Review.status == ReviewStatus.SUBMITTED).label("received"),
               func.count().filter(Review.status == ReviewStatus.ASSIGNED,
                                   or_(Review.lease_expires_at.is_(None), Review.lease_expires_at > now))
               .label("held"))
        .where(*peer).group_by(Review.submission_id).subquery()
    )
    staff = (
        select(Review.submission_id,
               func.count().filter(Review.status == ReviewStatus.SUBMITTED).label("staff_done"),
               func.min(case((Review.status == ReviewStatus.ASSIGNED, Review.reviewer_id))).label("taker"))
        .where(Review.assignment_id == assignment.id, Review.kind == ReviewKind.STAFF)
        .group_by(Review.submission_id).subquery()
    )
    taker = aliased(Person)
    return (
        select(Submission.id.label("submission_id"), Submission.author_id, Person.name, Person.given_name,
               Person.family_name, Person.email, Team.name.label("team_name"), counts.c.received, counts.c.held,
               staff.c.staff_done, taker.id.label("taker_id"), taker.name.label("taker_name"),
               taker.given_name.label("taker_given_name"), taker.family_name.label("taker_family_name"),
               taker.email.label("taker_email"))
        .join(Person, Person.id == Submission.author_id)
        .outerjoin(Team, Team.id == Submission.team_id)
        .outerjoin(counts, counts.c.submission_id == Submission.id)
        .outerjoin(staff, staff.c.submission_id == Submission.id)
        .outerjoin(taker, taker.id == staff.c.taker)
        .where(Submission.assignment_id == assignment.id,
               exists().where(SubmissionVersion.submission_id == Submission.id))
        .order_by(Submission.created_at, Submission.id)
    )


def _owed(session: Session, assignment: Assignment) -> int:
    """Reviews the class still owes: each student who may review, their quota less what they submitted."""
    done = (
        select(Review.reviewer_id, func.count().label("done"))
        .where(Review.assignment_id == assignment.id, Review.kind == ReviewKind.PEER,
               Review.status == ReviewStatus.SUBMITTED)
        .group_by(Review.reviewer_id).subquery()
    )
    quota = assignment.reviews_per_student
    reviewers = [Enrollment.course_id == assignment.course_id, Enrollment.role == CourseRole.STUDENT]
    if assignment.reviewers_need_submission:
        reviewers.append(exists().where(Submission.assignment_id == assignment.id,
                                        own_work(assignment.id, Enrollment.person_id),
                                        exists().where(SubmissionVersion.submission_id == Submission.id)))
    submitted = func.coalesce(done.c.done, 0)
    left = case((submitted >= quota, 0), else_=quota - submitted)  # bonus reviews beyond the quota owe nothing back
    return session.scalar(
        select(func.coalesce(func.sum(left), 0))
        .select_from(Enrollment).outerjoin(done, done.c.reviewer_id == Enrollment.person_id)
        .where(*reviewers)
    ) or 0
