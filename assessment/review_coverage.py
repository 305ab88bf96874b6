"""The coverage report staff read: every handed-in submission's reviews, who is short now and at its deadline."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from assessment.assignment_settings import AllocationMode
from assessment.coverage import LaterReviewers, Projection, WorkCoverage, pace_at, project
from assessment.db import column_rows
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
from assessment.personal_dates import PersonalDates
from assessment.phases import Phase
from assessment.student_dates import dates_by_student
from assessment.team_reviews import reviews_by_team
from assessment.team_work import current_members, own_work


@dataclass(frozen=True, slots=True)
class CoveredWork:
    """A submission as staff see it on the coverage and backup pages: named, with its reviews."""

    submission_id: int
    author_id: int
    name: str  # the author's name, or the team's: staff only, never shown to reviewers
    coverage: WorkCoverage[int]
    staff_taken_by: str | None  # the staff member assessing it now (an open staff assessment), if any
    projected: int | None  # its reviews at its deadline at this pace; None without a pace
    own_due: datetime | None = None  # its author's own review deadline, while an extension keeps it open

    @property
    def received(self) -> int:
        return self.coverage.received

    @property
    def unreviewed(self) -> bool:
        """No review of any kind submitted: the work that must never end without staff knowing."""
        return self.coverage.received == 0 and not self.coverage.staff_assessed

    @property
    def still_open(self) -> bool:
        """Its author's extension still runs: reviews may still come, so it is not due."""
        return self.own_due is not None


@dataclass(frozen=True)
class CoverageReport:
    k: int
    works: list[CoveredWork]  # every handed-in submission, in the queue's order (oldest first)
    expected: int | None  # reviews the class should still submit before the deadline; None without a pace
    deadline_passed: bool  # reviewing is over for the class (its deadline passed, or staff closed it): the backup
    # queue's time

    @functools.cached_property
    def short_now(self) -> list[CoveredWork]:
        return [work for work in self.works if work.coverage.short_of(self.k)]

    @property
    def backup(self) -> list[CoveredWork]:
        """Once reviewing is over for the class, the work it left short that is due: staff's to assess."""
        if not self.deadline_passed:
            return []
        return [work for work in self.short_now if not work.still_open]

    @property
    def still_open(self) -> list[CoveredWork]:
        """Work whose author's extension still runs, latest deadline last."""
        return [work for work in self.works if work.still_open]

    @functools.cached_property
    def short_at_deadline(self) -> list[CoveredWork] | None:
        if self.expected is None:
            return None
        return [work for work in self.works if work.coverage.short_of(self.k, work.projected)]

    @functools.cached_property
    def unreviewed(self) -> list[CoveredWork]:
        """Work with no review at all that is due (an extension still running leaves time for reviews)."""
        return [work for work in self.works if work.unreviewed and not work.still_open]


def coverage_report(session: Session, assignment: Assignment, now: datetime,
                    dates: Mapping[int, PersonalDates] | None = None) -> CoverageReport:
    """The coverage of the assignment's handed-in work at `now`, each submission at its deadline (its author's own
    while an extension runs), in three statements whatever the class's size; two when the caller already read the
    students' own dates (`dates_by_student`) and passes them as `dates`."""
    rows = column_rows(session, _works_statement(assignment, now))
    # Reviewing is over at its deadline, or earlier when staff moved the phase on by hand: no peer review comes after
    # from the class; students whose extension runs go on.
    over = assignment.phase_at(now) in (Phase.GRADING, Phase.RELEASED)
    class_due = now if over else assignment.review_due
    later = _later_dates(dates_by_student(session, assignment) if dates is None else dates, assignment, now, class_due)
    by_team = reviews_by_team(assignment)
    works = [WorkCoverage(row.submission_id, row.received or 0, row.held or 0, bool(row.staff_done),
                          later=later[row.author_id] - now if row.author_id in later else None,
                          author=_team(row.team_id) if by_team and row.team_id is not None else row.author_id)
             for row in rows]
    done = sum(work.received for work in works)
    owed, reviewers_later = _owed_by_teams(session, assignment, later) if by_team else _owed(session, assignment, later)
    pace = pace_at(now, assignment.review_opens, class_due, done=done, owed=sum(owed.values()),
                   static=assignment.allocation_mode is AllocationMode.STATIC, reviewers=len(owed),
                   later=_later_reviewers(reviewers_later, owed, now))
    k = assignment.reviews_per_submission
    projection: Projection[int] = project(works, k, pace)
    named = [
        CoveredWork(row.submission_id, row.author_id, row.team_name or display_name(row), work, _taker(row),
                    projection.reviews[work.submission] if projection.reviews is not None else None,
                    later.get(row.author_id))
        for row, work in zip(rows, works, strict=True)
    ]
    return CoverageReport(k, named, projection.expected, deadline_passed=over)


def _later_dates(dates: Mapping[int, PersonalDates], assignment: Assignment, now: datetime, class_due: datetime
                 ) -> dict[int, datetime]:
    """The students whose own review deadline is still ahead and later than the class's, and that deadline; a
    phase staff moved by hand holds for them as it does on their pages (`PersonalDates.phase_at`)."""
    return {person: own.timeline.review_due for person, own in dates.items()
            if own.timeline.review_due > max(now, class_due)
            and own.phase_at(now, assignment.phase_override) in (Phase.SUBMISSION, Phase.CALIBRATION, Phase.REVIEW)}


def _later_reviewers(later: Mapping[Hashable, datetime], owed: Mapping[Hashable, int], now: datetime
                     ) -> tuple[LaterReviewers, ...]:
    """The extended reviewers (students, or teams) who may review, grouped by their own review deadline."""
    groups: dict[datetime, list[Hashable]] = defaultdict(list)
    for person, due in later.items():
        if person in owed:
            groups[due].append(person)
    return tuple(LaterReviewers(due - now, frozenset(members), sum(owed[person] for person in members))
                 for due, members in sorted(groups.items()))


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
        select(Submission.id.label("submission_id"), Submission.author_id, Submission.team_id, Person.name,
               Person.given_name, Person.family_name, Person.email, Team.name.label("team_name"), counts.c.received,
               counts.c.held, staff.c.staff_done, taker.id.label("taker_id"), taker.name.label("taker_name"),
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


def _owed(session: Session, assignment: Assignment, later: Mapping[int, datetime]
          ) -> tuple[dict[Hashable, int], dict[Hashable, datetime]]:
    """Each student who may review, and the reviews they still owe: their quota less what they submitted; with the
    later own review deadlines among them (`later`)."""
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
    # One row a student (not a sum): extended reviewers' share is counted apart, at their own pace.
    owed: dict[Hashable, int] = {person: count for person, count in column_rows(
        session, select(Enrollment.person_id, left)
        .select_from(Enrollment).outerjoin(done, done.c.reviewer_id == Enrollment.person_id)
        .where(*reviewers)
    )}
    return owed, {person: due for person, due in later.items()}


def _team(team_id: int) -> tuple[str, int]:
    """A team as a reviewer (or an author) of the coverage figures: never equal to a person's id."""
    return ("team", team_id)


def _owed_by_teams(session: Session, assignment: Assignment, later: Mapping[int, datetime]
                   ) -> tuple[dict[Hashable, int], dict[Hashable, datetime]]:
    """Where each team writes one review, the team is the reviewer: each team that may review and the reviews it
    still owes (its quota less what any member submitted for it); with each team's later review deadline.

    A team reviews while it has a member now who is a student of the course: one whose members all left owes
    nothing. Each member writes the team's review within their own dates, so the team goes on until the latest
    own review deadline among its current members."""
    done = dict(session.execute(
        select(Review.reviewing_team_id, func.count())
        .where(Review.assignment_id == assignment.id, Review.kind == ReviewKind.PEER,
               Review.status == ReviewStatus.SUBMITTED, Review.reviewing_team_id.is_not(None))
        .group_by(Review.reviewing_team_id)).all())
    handed_in = set(session.scalars(select(Submission.team_id).where(
        Submission.assignment_id == assignment.id, Submission.team_id.is_not(None),
        exists().where(SubmissionVersion.submission_id == Submission.id))))
    quota = assignment.reviews_per_student
    owed: dict[Hashable, int] = {}
    team_later: dict[Hashable, datetime] = {}
    for team, members in current_members(session, assignment).items():
        if team not in handed_in and assignment.reviewers_need_submission:
            continue
        owed[_team(team)] = max(quota - done.get(team, 0), 0)
        dues = [later[member.id] for member in members if member.id in later]
        if dues:
            team_later[_team(team)] = max(dues)
    return owed, team_later
