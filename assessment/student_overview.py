"""Use case: everything a student's home shows about one assignment, loaded once."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, exists, false, func, literal, or_, select
from sqlalchemy.orm import Session, joinedload

from assessment.assignment_settings import AllocationMode
from assessment.calibration import CalibrationStatus
from assessment.calibration_training import calibration_status_of
from assessment.errors import PhaseClosed
from assessment.grading import Lateness
from assessment.models import (
    Assignment,
    FileCheck,
    FileCheckStatus,
    Grade,
    Person,
    Review,
    ReviewFlag,
    ReviewKind,
    ReviewStatus,
    Submission,
    SubmissionVersion,
)
from assessment.peer_review import counts_as_finished, is_my_peer_review, is_shown_to_author, reviewable_by
from assessment.personal_dates import PersonalDates
from assessment.phases import Phase
from assessment.score_explanation import ScoreExplanation, from_stored
from assessment.student_dates import dates_of, has_extension, no_extension
from assessment.student_progress import (
    Calibration,
    Dates,
    GradeExplanation,
    GradeFacts,
    Progress,
    Reviewing,
    Situation,
    explain_grade,
    progress,
)
from assessment.team_reviews import current_team_id, reviewable_by_team, reviews_by_team, written_by
from assessment.team_work import own_work
from assessment.teammate_ratings import TeamAtHome, team_at_home
from assessment.write_rules import hand_in_lateness, phase_for


@dataclass(frozen=True)
class StudentOverview:
    phase: Phase
    submission: Submission | None
    calibration: CalibrationStatus
    reviews: list[Review]  # the student's peer reviews, assigned or submitted
    hand_in: Lateness | None  # how late a hand-in now would be; None when no work is accepted now
    progress: Progress
    grade: Grade | None  # only once results are out and the grade was released
    explanation: GradeExplanation | None  # None while the grade is held or not released
    received: list[Review]  # submitted reviews of the student's work, once results are out
    staff_reason: str = ""  # why course staff set the released grade, when they did
    flags: dict[int, ReviewFlag] = field(default_factory=dict)  # the student's flags on those, by review id
    score_explanation: ScoreExplanation | None = None  # how the released peer score was reached
    open_checks: bool = False  # a hand-in of theirs is being checked, or was refused since their latest version
    own_dates: PersonalDates | None = None  # the dates they work to: the class's, or their own after an extension
    team: TeamAtHome | None = None  # their team now, on a team assignment


def student_overview(session: Session, assignment: Assignment, student_id: int, now: datetime) -> StudentOverview:
    """Everything the home shows, in three statements whatever the class: the student's standing, calibration and
    reviews (see `_standing`, `calibration_status_of` and `_reviews`); one more for a student with an extension, and
    one more on a team assignment (`team_at_home`)."""
    # Where each team writes one review, the team the student reviews with (one statement more).
    reviewing_team = session.scalar(current_team_id(assignment.id, student_id)) if reviews_by_team(assignment) else None
    submission, grade, waiting, open_checks, extended = _standing(
        session, assignment, student_id, assignment.phase_at(now) is Phase.RELEASED, reviewing_team)
    # An extension moves the student's phase and deadlines; others work to the class's.
    own = dates_of(session, assignment, student_id) if extended else no_extension(assignment)
    phase = phase_for(assignment, now, own)
    released = phase is Phase.RELEASED
    grade = grade if released else None  # the class's results are out, theirs wait for their own dates
    latest = submission.latest if submission else None
    example_ids, calibration = calibration_status_of(session, assignment, student_id)
    team = team_at_home(session, assignment, student_id, now)
    mine = _reviews(session, assignment.id, student_id, released, reviewing_team)
    reviews, own_review = mine.peer, mine.self_assessment
    situation = Situation(
        now=now,
        phase=phase,
        dates=_dates(assignment, own),
        submitted=latest is not None,
        submitted_late=bool(latest and latest.is_late),
        calibration=_calibration(assignment, example_ids, calibration),
        reviewing=Reviewing(
            required=assignment.reviews_per_student,
            done=mine.finished,
            in_progress=any(review.is_open(now) for review in reviews),
            available=_work_available(assignment, reviews, waiting, now),
            needs_submission=assignment.reviewers_need_submission,
        ),
        self_assessment=assignment.self_assessment,
        self_assessed=own_review is not None and own_review.status is ReviewStatus.SUBMITTED,
        self_assessment_started=own_review is not None,
        grade_released=grade is not None,
        grade_held=grade is not None and _released(grade)["held"],
        teammate_rating=team.rating if team is not None else None,
    )
    return StudentOverview(
        phase=phase,
        submission=submission,
        calibration=calibration,
        reviews=reviews,
        hand_in=_hand_in_now(assignment, now, own),
        progress=progress(situation),
        grade=grade,
        explanation=_explanation(assignment, grade) if grade is not None and not _released(grade)["held"] else None,
        received=mine.received,
        staff_reason=_released(grade)["override_reason"] if grade is not None else "",
        flags=mine.flags,
        score_explanation=(from_stored(_released(grade).get("score_explanation"))
                           if grade is not None and not _released(grade)["held"] else None),
        open_checks=bool(open_checks),
        own_dates=own,
        team=team,
    )


# Built once for each of its shapes and run with the ids as parameters: building it, and the cache key SQLAlchemy
# derives from it, cost more of a student's home than the database takes to answer it.
@functools.cache
def _standing_statement(by_team: bool, queue: bool, released: bool) -> Select[Any]:
    """`_standing`'s statement: by the student's team or by the student (`by_team`), with what the queue could hand
    them (`queue`), with their released grade (`released`)."""
    assignment, student = bindparam("assignment", type_=Integer), bindparam("student", type_=Integer)
    # Where each team writes one review, what the queue could hand their team.
    reviewable = (reviewable_by_team(assignment, bindparam("team", type_=Integer)) if by_team
                  else reviewable_by(assignment, student))
    waiting = (select(func.count()).select_from(Submission).where(*reviewable).scalar_subquery() if queue
               else literal(None))
    own_grade = and_(Grade.person_id == Person.id, Grade.assignment_id == assignment, Grade.released_at.is_not(None))
    # Correlated by hand to the submission two levels out, past the EXISTS: automatic correlation would read the
    # latest version of every submission.
    latest_number = (select(func.coalesce(func.max(SubmissionVersion.number), 0))
                     .where(SubmissionVersion.submission_id == Submission.id)
                     .correlate_except(SubmissionVersion).scalar_subquery())
    open_checks = exists().where(
        FileCheck.submission_id == Submission.id,
        (FileCheck.status == FileCheckStatus.CHECKING)
        | ((FileCheck.status == FileCheckStatus.REFUSED) & (FileCheck.number > latest_number)),
    )
    return (
        select(Submission, Grade, waiting.label("waiting"), open_checks.label("open_checks"),
               has_extension(assignment, Person.id).label("extended"))
        .select_from(Person)
        .outerjoin(Submission, and_(own_work(assignment, Person.id), Submission.assignment_id == assignment))
        .outerjoin(Grade, own_grade if released else false())
        .options(joinedload(Submission.versions))
        .where(Person.id == student)
    )


def _standing(session: Session, assignment: Assignment, student_id: int, released: bool, team: int | None
              ) -> tuple[Submission | None, Grade | None, int | None, bool | None, bool | None]:
    """The student's submission with its versions, their released grade (once results are out), how much of others'
    work the queue could still hand them (queue allocation only) and whether any of their hand-ins is being checked or
    was refused since their latest version, and whether an extension concerns them: one statement, anchored on the
    person."""
    statement = _standing_statement(team is not None, assignment.allocation_mode is AllocationMode.QUEUE, released)
    row = session.execute(statement, {"assignment": assignment.id, "student": student_id, "team": team}).unique().one()
    return row.Submission, row.Grade, row.waiting, row.open_checks, row.extended


@dataclass(frozen=True)
class _StudentReviews:
    peer: list[Review]  # as `my_peer_reviews`
    received: list[Review]  # as `received_reviews`, once results are out
    flags: dict[int, ReviewFlag]  # on those, by review id
    finished: int  # peer reviews the student finished (see `counts_as_finished`)
    self_assessment: Review | None


def _reviews(session: Session, assignment_id: int, student_id: int, released: bool, team: int | None
             ) -> _StudentReviews:
    """The reviews the student wrote and, once results are out, those of their work, with the flags on them: one
    statement, sorted out here by the same rules as `my_peer_reviews`, `received_reviews` and `flags_on`."""
    own = select(Submission.id).where(Submission.assignment_id == assignment_id,
                                      own_work(assignment_id, student_id)).scalar_subquery()
    # Their team's reviews are theirs too, where each team writes one (`team`, assessment.team_reviews).
    wrote = written_by(assignment_id, student_id) if team is not None else Review.reviewer_id == student_id
    theirs = or_(wrote, Review.submission_id == own) if released else wrote
    rows = session.execute(
        select(Review, ReviewFlag)
        .outerjoin(ReviewFlag, ReviewFlag.review_id == Review.id)
        .options(joinedload(Review.submission), joinedload(Review.reviewer))
        .where(Review.assignment_id == assignment_id, theirs)
        .order_by(Review.assigned_at, Review.id)
    ).all()
    def by_them(review: Review) -> bool:
        return review.reviewer_id == student_id or (team is not None and review.reviewing_team_id == team)

    written = [review for review, _ in rows if by_them(review)]
    mine = [review for review in written if is_my_peer_review(review)]
    # What others wrote is of the student's (or their team's) work: nothing else was read.
    received = sorted((review for review, _ in rows
                       if (not by_them(review) or review.submission.author_id == student_id)
                       and is_shown_to_author(review)), key=lambda review: (review.submitted_at, review.id))
    shown = {review.id for review in received}
    flags = {review.id: flag for review, flag in rows if flag is not None and review.id in shown}
    return _StudentReviews(mine, received, flags, sum(counts_as_finished(review) for review in written),
                           next((review for review in written if review.kind is ReviewKind.SELF), None))


def _dates(assignment: Assignment, own: PersonalDates) -> Dates:
    timeline = own.timeline
    return Dates(
        submission_opens=timeline.submission_opens,
        submission_due=timeline.submission_due,
        late_until=own.late_policy.late_until if assignment.accept_late else None,
        calibration_opens=timeline.calibration_opens,
        calibration_due=timeline.calibration_due,
        review_opens=timeline.review_opens,
        review_due=timeline.review_due,
        results_release=timeline.results_release,
    )


def _hand_in_now(assignment: Assignment, now: datetime, own: PersonalDates) -> Lateness | None:
    """What handing in now would give, by the very rules a hand-in is checked by; None when none is accepted."""
    try:
        return hand_in_lateness(assignment, now, own)
    except PhaseClosed:
        return None


def _calibration(assignment: Assignment, example_ids: list[int], status: CalibrationStatus) -> Calibration:
    # A student meets as many requirements as examples allow (see calibration_status).
    required = min(assignment.calibration_examples_required, len(example_ids))
    settled = required if status.done else status.settled
    return Calibration(required=required, settled=settled, done=status.done, passed=status.passed)


def _work_available(assignment: Assignment, reviews: list[Review], waiting: int | None, now: datetime) -> bool:
    """Whether asking for work now would hand the student something (a review they hold counts)."""
    if any(review.is_open(now) for review in reviews):
        return True
    if assignment.allocation_mode is AllocationMode.STATIC:
        return False  # reviews are handed out when reviewing opens, never on request
    return (waiting or 0) > 0


def _released(grade: Grade) -> dict[str, Any]:
    """The grade as it was released; a later recomputation or override waits for the next release."""
    # A grade released before snapshots were kept is shown as it stands, as it always was.
    return grade.released_snapshot if grade.released_snapshot is not None else grade.snapshot()


def _explanation(assignment: Assignment, grade: Grade) -> GradeExplanation:
    released = _released(grade)
    final, computed = float(released["final"]), float(released["total"])
    if grade.released_snapshot is None:
        final = grade.released_total if grade.released_total is not None else grade.final
        computed = grade.total if grade.override_total is not None else final
    return explain_grade(GradeFacts(
        points_possible=assignment.points_possible,
        submission_weight=assignment.submission_weight,
        peer_score=released["peer_score"],
        reviews_received=released["reviews_received"],
        submission_points=released["submission_points"],
        reviewing_points=released["reviewing_points"],
        late_deduction=released["late_deduction"],
        # Only a staff override is shown as a change: the computed total is the sum of the parts shown.
        computed_total=computed,
        released_total=final,
        contribution=released.get("contribution"),
    ))
