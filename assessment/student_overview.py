"""Use case: everything a student's home shows about one assignment, loaded once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessment.assignment_settings import AllocationMode
from assessment.calibration import CalibrationStatus
from assessment.calibration_training import examples, student_status
from assessment.errors import PhaseClosed
from assessment.grading import Lateness
from assessment.models import Assignment, Grade, Review, ReviewFlag, ReviewKind, ReviewStatus, Submission
from assessment.peer_review import flags_on, my_peer_reviews, others_not_reviewed, received_reviews
from assessment.phases import Phase
from assessment.score_explanation import ScoreExplanation, from_stored
from assessment.services import own_submission
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
from assessment.write_rules import hand_in_lateness


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


def student_overview(session: Session, assignment: Assignment, student_id: int, now: datetime) -> StudentOverview:
    phase = assignment.phase_at(now)
    submission = own_submission(session, assignment.id, student_id)
    latest = submission.latest if submission else None
    example_ids = [example.id for example in examples(session, assignment.id)]
    calibration = student_status(session, assignment, student_id)
    reviews = my_peer_reviews(session, assignment.id, student_id)
    own_review = _self_assessment(session, assignment.id, student_id)
    released = phase is Phase.RELEASED
    received = received_reviews(session, assignment.id, student_id, now) if released else []
    grade = _released_grade(session, assignment.id, student_id) if released else None
    situation = Situation(
        now=now,
        phase=phase,
        dates=_dates(assignment),
        submitted=latest is not None,
        submitted_late=bool(latest and latest.is_late),
        calibration=_calibration(assignment, example_ids, calibration),
        reviewing=Reviewing(
            required=assignment.reviews_per_student,
            done=_reviews_finished(session, assignment.id, student_id),
            in_progress=any(review.is_open(now) for review in reviews),
            available=_work_available(session, assignment, student_id, reviews, now),
            needs_submission=assignment.reviewers_need_submission,
        ),
        self_assessment=assignment.self_assessment,
        self_assessed=own_review is not None and own_review.status is ReviewStatus.SUBMITTED,
        self_assessment_started=own_review is not None,
        grade_released=grade is not None,
        grade_held=grade is not None and _released(grade)["held"],
    )
    return StudentOverview(
        phase=phase,
        submission=submission,
        calibration=calibration,
        reviews=reviews,
        hand_in=_hand_in_now(assignment, now),
        progress=progress(situation),
        grade=grade,
        explanation=_explanation(assignment, grade) if grade is not None and not _released(grade)["held"] else None,
        received=received,
        staff_reason=_released(grade)["override_reason"] if grade is not None else "",
        flags=flags_on(session, [review.id for review in received]),
        score_explanation=(from_stored(_released(grade).get("score_explanation"))
                           if grade is not None and not _released(grade)["held"] else None),
    )


def _dates(assignment: Assignment) -> Dates:
    return Dates(
        submission_opens=assignment.submission_opens,
        submission_due=assignment.submission_due,
        late_until=assignment.late_until if assignment.accept_late else None,
        calibration_opens=assignment.calibration_opens,
        calibration_due=assignment.calibration_due,
        review_opens=assignment.review_opens,
        review_due=assignment.review_due,
        results_release=assignment.results_release,
    )


def _hand_in_now(assignment: Assignment, now: datetime) -> Lateness | None:
    """What handing in now would give, by the very rules a hand-in is checked by; None when none is accepted."""
    try:
        return hand_in_lateness(assignment, now)
    except PhaseClosed:
        return None


def _calibration(assignment: Assignment, example_ids: list[int], status: CalibrationStatus) -> Calibration:
    # A student meets as many requirements as examples allow (see calibration_status).
    required = min(assignment.calibration_examples_required, len(example_ids))
    settled = required if status.done else status.settled
    return Calibration(required=required, settled=settled, done=status.done, passed=status.passed)


def _reviews_finished(session: Session, assignment_id: int, student_id: int) -> int:
    """Peer reviews the student submitted, those staff removed afterwards included: the student did the work, and a
    removal (an unfair review taken out of the grade) must not turn a finished step into a missed one."""
    return session.scalar(select(func.count()).where(
        Review.assignment_id == assignment_id, Review.reviewer_id == student_id, Review.kind == ReviewKind.PEER,
        Review.status.in_((ReviewStatus.SUBMITTED, ReviewStatus.REMOVED)), Review.submitted_at.is_not(None),
    )) or 0


def _work_available(session: Session, assignment: Assignment, student_id: int, reviews: list[Review],
                    now: datetime) -> bool:
    """Whether asking for work now would hand the student something (a review they hold counts)."""
    if any(review.is_open(now) for review in reviews):
        return True
    if assignment.allocation_mode is AllocationMode.STATIC:
        return False  # reviews are handed out when reviewing opens, never on request
    return others_not_reviewed(session, assignment.id, student_id) > 0


def _self_assessment(session: Session, assignment_id: int, student_id: int) -> Review | None:
    return session.scalars(select(Review).where(
        Review.assignment_id == assignment_id, Review.reviewer_id == student_id, Review.kind == ReviewKind.SELF,
    )).one_or_none()


def _released_grade(session: Session, assignment_id: int, student_id: int) -> Grade | None:
    return session.scalars(select(Grade).where(
        Grade.assignment_id == assignment_id, Grade.person_id == student_id, Grade.released_at.is_not(None),
    )).one_or_none()


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
    ))
