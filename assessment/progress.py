"""Where an assignment stands, student by student and as a whole, gathered in a few set-based queries for staff."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, TypeDecorator, and_, case, cast, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from assessment.calibration import CalibrationStatus, ExampleRecord, calibration_status
from assessment.db import column_rows
from assessment.grading import days_late, still_in_doubt
from assessment.late_arrivals import arrived_late
from assessment.messages import message_from_document
from assessment.models import (
    GRADE_STATE_COLUMNS,
    Assignment,
    CalibrationAttempt,
    CalibrationExample,
    CourseRole,
    Enrollment,
    FlagReason,
    Grade,
    GradePosting,
    Person,
    PostingStatus,
    Review,
    ReviewFlag,
    ReviewKind,
    ReviewStatus,
    Submission,
    SubmissionVersion,
    TeamMembership,
    changed_since_release,
    display_name,
    final_grade,
    grade_held,
    released_final,
)
from assessment.team_reviews import reviews_by_team

# --- one row per student -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeState:
    """A student's computed grade as staff follow it: the parts, the doubt, and what reached the gradebook."""

    final: float
    peer_score: float | None  # the aggregated peer score, on the assignment's points
    uncertainty: float | None  # its standard deviation, same points
    submission_points: float
    reviewing_points: float
    late_deduction: float
    overridden: bool
    attention: tuple[str, ...]
    held: bool
    released: bool  # released, and unchanged since: students and the gradebook hold this very grade
    released_final: float | None = None  # what students and the gradebook hold, when it differs from `final`

    @property
    def changed_since_release(self) -> bool:
        return self.released_final is not None

    @property
    def released_grade(self) -> float | None:
        """What students and the gradebook hold: the released total, changed since or not; None before a release."""
        if self.changed_since_release:
            return self.released_final
        return self.final if self.released else None


@dataclass(frozen=True)
class Passback:
    status: PostingStatus
    error: str  # the platform's refusal, for a failed posting: a `Message`, or English text on older rows


@dataclass(frozen=True)
class StudentRow:
    person_id: int
    name: str
    family_name: str  # for sorting by name the way class lists are sorted
    email: str | None
    pseudonym: str | None  # what reviewers saw instead of the name; None without a submission
    handed_in_at: datetime | None  # the latest version's time; None when nothing was handed in
    versions: int
    late: bool
    days_late: int
    late_penalty: float  # fraction of the submission's points taken off
    calibration: CalibrationStatus | None  # None when the assignment has no calibration step
    reviews_done: int  # peer reviews submitted
    reviews_open: int  # peer reviews held and not yet submitted, lease still running
    reviews_required: int  # what this student owes: 0 when they may not review (no work handed in)
    reviews_received: int  # submitted peer reviews of their work
    reviews_wanted: int  # k when they handed in work, else 0
    open_flags: int  # unresolved flags on reviews of their work
    grade: GradeState | None
    passback: Passback | None  # the latest posting to the gradebook, if grades were ever released
    late_arrival: bool = False  # enrolled after reviewing opened (`assessment.late_arrivals`)

    @property
    def handed_in(self) -> bool:
        return self.handed_in_at is not None

    @property
    def calibrated(self) -> bool:
        return self.calibration is None or self.calibration.done

    @property
    def owes_reviews(self) -> bool:
        return self.reviews_done < self.reviews_required

    @property
    def under_reviewed(self) -> bool:
        return self.reviews_received < self.reviews_wanted

    @property
    def needs_attention(self) -> bool:
        return self.grade is not None and self.grade.held

    @property
    def doubts(self) -> list[str]:
        """What staff must still settle about this student's work: the grade's doubts and the flags open now."""
        attention = self.grade.attention if self.grade else ()
        return still_in_doubt(attention, open_flags=self.open_flags,
                              overridden=self.grade is not None and self.grade.overridden)


@dataclass(frozen=True)
class ReviewerStats:
    """How a reviewer's scores sit against the grades their reviewees received (see `reviewer_stats`)."""

    person_id: int
    name: str
    reviews: int
    bias: float  # mean of (their score - the submission's aggregated score), in points: > 0 lenient, < 0 harsh
    spread: float | None  # sd of those differences once the bias is removed (low is precise); None below 2 reviews


@dataclass(frozen=True)
class OpenFlag:
    flag_id: int
    reason: FlagReason
    explanation: str
    created_at: datetime
    reviewer: str
    author: str
    author_id: int


@dataclass(frozen=True)
class Progress:
    """The class's progress through the assignment, as counts for the progress bars and queues."""

    students: int
    handed_in: int
    late: int
    calibration_step: bool
    calibrated: int
    reviewers: int  # students expected to review
    reviews_required: int  # over those reviewers
    reviews_done: int  # counted up to each reviewer's own requirement
    reviewers_finished: int
    reviews_per_submission: int
    reviews_received: int  # counted up to k per handed-in submission
    reviews_received_required: int
    fully_reviewed: int  # handed-in submissions with k reviews
    graded: int
    held: int
    released: int
    passback_failed: int
    passback_waiting: int
    open_flags: int
    in_doubt: int = 0  # students in the triage: a grade in doubt or an open flag on their work


@dataclass(frozen=True)
class Dashboard:
    rows: list[StudentRow]
    progress: Progress
    reviewers: list[ReviewerStats]
    flags: list[OpenFlag]
    examples_written: int = 0  # calibration examples staff wrote, counted only where calibration is required


def dashboard(session: Session, assignment: Assignment, now: datetime) -> Dashboard:
    """Everything the staff dashboard shows, in a fixed handful of queries whatever the size of the class."""
    # The examples are read once, for each student's calibration and for the count staff see beside what is needed.
    example_ids = calibration_example_ids(session, assignment) if assignment.calibration_policy.examples_required else []
    rows = student_rows(session, assignment, now, example_ids=example_ids)
    flags = open_flags(session, assignment.id)
    names = {row.person_id: row.name for row in rows}
    return Dashboard(rows, summarise(rows, assignment, len(flags)), reviewer_stats(session, assignment.id, names), flags,
                     examples_written=len(example_ids))


def student_rows(session: Session, assignment: Assignment, now: datetime,
                 example_ids: list[int] | None = None) -> list[StudentRow]:
    """Every student of the course with their work, calibration, reviews and grade, in class-list order: from columns
    only (no models are loaded: a class of ten thousand would spend most of the page building them). A caller that
    already read the calibration examples (`calibration_example_ids`) passes them as `example_ids`."""
    found = column_rows(session, _students_query(assignment, now))
    # The grades apart: sorting the students with their grades' documents would take the sort out of memory.
    columns = {column: getattr(Grade, column) for column in GRADE_STATE_COLUMNS}
    # A grade's explanation is read here only to tell whether it changed since its release: the grades of a class not
    # yet released leave theirs in the database rather than decode ten thousand documents nobody reads.
    columns["score_explanation"] = case((Grade.released_snapshot.is_not(None), Grade.score_explanation)
                                        ).label("score_explanation")
    columns["contribution"] = case((Grade.released_snapshot.is_not(None), Grade.contribution)).label("contribution")
    columns["attention"] = type_coerce(cast(Grade.attention, Text), _Doubts()).label("attention")
    grades = {grade.person_id: grade for grade in column_rows(
        session, select(Grade.person_id, Grade.id.label("grade_id"), *columns.values())
        .where(Grade.assignment_id == assignment.id))}
    postings = _latest_postings(session, assignment.id)
    calibration = _calibration(session, assignment, example_ids)
    rows = []
    # Read once, not once per student: each read of a mapped attribute goes through the ORM's instrumentation.
    need_submission, due = assignment.reviewers_need_submission, assignment.submission_due
    per_student, per_submission = assignment.reviews_per_student, assignment.reviews_per_submission
    for found_row in found:
        person_id, handed_in = found_row.person_id, found_row.submitted_at is not None
        name = display_name(found_row)
        # A student who handed in nothing may not review when the assignment says so; they owe nothing then.
        may_review = handed_in or not need_submission
        grade = grades.get(person_id)
        rows.append(StudentRow(
            person_id=person_id,
            name=name,
            family_name=(found_row.family_name or name).casefold(),
            email=found_row.email,
            pseudonym=found_row.pseudonym if handed_in else None,
            handed_in_at=found_row.submitted_at,
            versions=found_row.versions or 0,
            late=bool(found_row.is_late),
            days_late=days_late(found_row.submitted_at, due) if found_row.is_late else 0,
            late_penalty=found_row.late_penalty or 0.0,
            calibration=calibration(person_id) if calibration else None,
            reviews_done=found_row.done or 0,
            reviews_open=found_row.open or 0,
            reviews_required=per_student if may_review else 0,
            reviews_received=found_row.received or 0,
            reviews_wanted=per_submission if handed_in else 0,
            open_flags=found_row.flags or 0,
            grade=_grade_state(grade) if grade is not None else None,
            passback=postings.get(person_id),
            late_arrival=bool(found_row.late_arrival),
        ))
    return rows


class _Doubts(TypeDecorator[tuple[str, ...]]):
    """A grade's doubts, read as their JSON text and decoded once per distinct text: a class of ten thousand shares a
    handful of them, and decoding each grade's list apart was a tenth of the dashboard's time."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Any) -> tuple[str, ...]:
        return _decoded_doubts(value)


@functools.lru_cache(maxsize=256)
def _decoded_doubts(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


def _students_query(assignment: Assignment, now: datetime):
    """Students, their submission's latest version and their review counts: one statement of grouped subqueries,
    columns only."""
    peer = (Review.assignment_id == assignment.id, Review.kind == ReviewKind.PEER)
    versions = (
        select(SubmissionVersion.submission_id, func.max(SubmissionVersion.number).label("number"),
               func.count().label("versions"))
        .join(Submission, SubmissionVersion.submission_id == Submission.id)
        .where(Submission.assignment_id == assignment.id)
        .group_by(SubmissionVersion.submission_id).subquery()
    )
    latest = aliased(SubmissionVersion)
    still_open = and_(Review.status == ReviewStatus.ASSIGNED,
                      (Review.lease_expires_at.is_(None)) | (Review.lease_expires_at > now))
    done = (
        select(Review.reviewer_id,
               func.count().filter(Review.status == ReviewStatus.SUBMITTED).label("done"),
               func.count().filter(still_open).label("open"))
        .where(*peer).group_by(Review.reviewer_id).subquery()
    ) if not reviews_by_team(assignment) else (
        # Each member has done (and holds) their team's reviews (team_reviews' rule 6).
        select(TeamMembership.person_id.label("reviewer_id"),
               func.count().filter(Review.status == ReviewStatus.SUBMITTED).label("done"),
               func.count().filter(still_open).label("open"))
        .join(Review, Review.reviewing_team_id == TeamMembership.team_id)
        .where(*peer, TeamMembership.until.is_(None)).group_by(TeamMembership.person_id).subquery()
    )
    received = (
        select(Review.submission_id, func.count().label("received"))
        .where(*peer, Review.status == ReviewStatus.SUBMITTED).group_by(Review.submission_id).subquery()
    )
    flags = (
        select(Review.submission_id, func.count().label("flags"))
        .join(ReviewFlag, ReviewFlag.review_id == Review.id)
        .where(Review.assignment_id == assignment.id, ReviewFlag.resolved_at.is_(None))
        .group_by(Review.submission_id).subquery()
    )
    return (
        select(Person.id.label("person_id"), Person.name, Person.given_name, Person.family_name, Person.email,
               Submission.id.label("submission_id"), Submission.pseudonym, latest.submitted_at, latest.is_late,
               latest.late_penalty, versions.c.versions, done.c.done, done.c.open, received.c.received,
               flags.c.flags, arrived_late(assignment).label("late_arrival"))
        .join(Enrollment, Enrollment.person_id == Person.id)
        .outerjoin(Submission, and_(Submission.author_id == Person.id, Submission.assignment_id == assignment.id))
        .outerjoin(versions, versions.c.submission_id == Submission.id)
        .outerjoin(latest, and_(latest.submission_id == Submission.id, latest.number == versions.c.number))
        .outerjoin(done, done.c.reviewer_id == Person.id)
        .outerjoin(received, received.c.submission_id == Submission.id)
        .outerjoin(flags, flags.c.submission_id == Submission.id)
        .where(Enrollment.course_id == assignment.course_id, Enrollment.role == CourseRole.STUDENT)
        .order_by(Person.family_name, Person.given_name, Person.name, Person.id)
    )


def _grade_state(grade: Any) -> GradeState:
    """A grade's state from its columns (a row of `GRADE_STATE_COLUMNS`), by the rules a loaded `Grade` follows."""
    changed = changed_since_release(grade)
    return GradeState(
        final=final_grade(grade), peer_score=grade.submission_score, uncertainty=grade.submission_std,
        submission_points=grade.submission_points, reviewing_points=grade.reviewing_points,
        late_deduction=grade.late_deduction, overridden=grade.override_total is not None,
        attention=tuple(grade.attention), held=grade_held(grade),
        released=grade.released_at is not None and not changed,
        released_final=released_final(grade) if changed else None,
    )


def _latest_postings(session: Session, assignment_id: int) -> dict[int, Passback]:
    latest = (select(func.max(GradePosting.id)).where(GradePosting.assignment_id == assignment_id)
              .group_by(GradePosting.person_id))
    rows = session.execute(select(GradePosting.person_id, GradePosting.status, GradePosting.last_error,
                                  GradePosting.last_error_message)
                           .where(GradePosting.id.in_(latest.scalar_subquery())))
    return {person: Passback(status, message_from_document(document, error or ""))
            for person, status, error, document in rows}


def calibration_example_ids(session: Session, assignment: Assignment) -> list[int]:
    """The assignment's calibration examples in the order students meet them, in one statement."""
    return list(session.scalars(
        select(CalibrationExample.id).where(CalibrationExample.assignment_id == assignment.id)
        .order_by(CalibrationExample.position, CalibrationExample.id)))


def _calibration(session: Session, assignment: Assignment,
                 example_ids: list[int] | None = None) -> Callable[[int], CalibrationStatus] | None:
    """Each student's calibration status from two queries (one when the examples are given), decided by the same
    rules as the student's own page."""
    policy = assignment.calibration_policy
    if not policy.examples_required:
        return None
    if example_ids is None:
        example_ids = calibration_example_ids(session, assignment)
    attempts: dict[int, dict[int, list[float]]] = {}
    for student, example, value in session.execute(
        select(CalibrationAttempt.student_id, CalibrationAttempt.example_id, CalibrationAttempt.accuracy)
        .where(CalibrationAttempt.example_id.in_(example_ids))  # spare examples count too: retries use them
        .order_by(CalibrationAttempt.student_id, CalibrationAttempt.example_id, CalibrationAttempt.number)
    ):
        attempts.setdefault(student, {}).setdefault(example, []).append(value)

    def status(student_id: int) -> CalibrationStatus:
        records = [ExampleRecord(example, tuple(values)) for example, values in attempts.get(student_id, {}).items()]
        return calibration_status(policy, example_ids, records)

    return status


def summarise(rows: list[StudentRow], assignment: Assignment, open_flag_count: int) -> Progress:
    """The counts behind the progress bars, from the student rows (no further queries)."""
    reviewers = [row for row in rows if row.reviews_required]
    handed_in = [row for row in rows if row.handed_in]
    k = assignment.reviews_per_submission
    graded = [row for row in rows if row.grade is not None]
    return Progress(
        students=len(rows),
        handed_in=len(handed_in),
        late=sum(row.late for row in handed_in),
        calibration_step=assignment.calibration_examples_required > 0,
        calibrated=sum(row.calibration is not None and row.calibration.done for row in rows),
        reviewers=len(reviewers),
        reviews_required=sum(row.reviews_required for row in reviewers),
        reviews_done=sum(min(row.reviews_done, row.reviews_required) for row in reviewers),
        reviewers_finished=sum(not row.owes_reviews for row in reviewers),
        reviews_per_submission=k,
        reviews_received=sum(min(row.reviews_received, k) for row in handed_in),
        reviews_received_required=k * len(handed_in),
        fully_reviewed=sum(row.reviews_received >= k for row in handed_in),
        graded=len(graded),
        held=sum(row.needs_attention for row in graded),
        released=sum(row.grade.released for row in graded if row.grade),
        passback_failed=sum(row.passback is not None and row.passback.status is PostingStatus.FAILED for row in rows),
        passback_waiting=sum(row.passback is not None and row.passback.status in (PostingStatus.PENDING,
                                                                                   PostingStatus.IN_FLIGHT)
                             for row in rows),
        open_flags=open_flag_count,
        in_doubt=sum(bool(row.doubts) for row in rows),
    )


# --- reviewers, flags and the triage queue -----------------------------------------------------------------------


def reviewer_stats(session: Session, assignment_id: int, names: Mapping[int, str] | None = None) -> list[ReviewerStats]:
    """Each reviewer's bias and spread against the grades computed last, in one grouped query.

    The reliability model learns a bias and a precision per reviewer while it grades but keeps only the scores, so
    these are measured afresh from what is stored: each submitted peer score minus the aggregated score its
    submission received. They describe every grading method alike and need grading to have run. `names` (by person
    id) spares loading the people again when the caller has them.
    """
    difference = Review.score - Grade.submission_score
    rows = column_rows(
        session,
        select(Review.reviewer_id, func.count(), func.avg(difference), func.avg(difference * difference))
        .join(Submission, Review.submission_id == Submission.id)
        .join(Grade, and_(Grade.assignment_id == Review.assignment_id, Grade.person_id == Submission.author_id))
        .where(Review.assignment_id == assignment_id, Review.kind == ReviewKind.PEER,
               Review.status == ReviewStatus.SUBMITTED, Review.score.is_not(None), Grade.submission_score.is_not(None))
        .group_by(Review.reviewer_id)
        .order_by(Review.reviewer_id))
    known = dict(names or {})
    missing = [reviewer for reviewer, *_ in rows if reviewer not in known]
    if missing:  # reviewers no longer enrolled as students
        known.update((person.id, person.display_name)
                     for person in session.scalars(select(Person).where(Person.id.in_(missing))))
    return [ReviewerStats(reviewer, known.get(reviewer, ""), count, float(mean), _spread(count, mean, mean_square))
            for reviewer, count, mean, mean_square in rows]


def _spread(count: int, mean: float, mean_square: float) -> float | None:
    if count < 2:
        return None
    # The sample sd from the two moments the database summed; rounding can leave a hair below zero.
    return math.sqrt(max(0.0, float(mean_square) - float(mean) ** 2) * count / (count - 1))


def open_flags(session: Session, assignment_id: int) -> list[OpenFlag]:
    """Unresolved flags, oldest first, with the names staff need to judge them."""
    reviewer, author = aliased(Person), aliased(Person)
    rows = session.execute(
        select(ReviewFlag, reviewer, author)
        .join(Review, ReviewFlag.review_id == Review.id)
        .join(reviewer, Review.reviewer_id == reviewer.id)
        .join(Submission, Review.submission_id == Submission.id)
        .join(author, Submission.author_id == author.id)
        .where(Review.assignment_id == assignment_id, ReviewFlag.resolved_at.is_(None))
        .order_by(ReviewFlag.created_at, ReviewFlag.id)
    ).all()
    return [OpenFlag(flag.id, flag.reason, flag.explanation, flag.created_at, by.display_name, of.display_name, of.id)
            for flag, by, of in rows]


# Triage order: open flags first (a student is waiting for an answer), then the grades most in doubt.
def triage(rows: list[StudentRow]) -> list[StudentRow]:
    """Students whose work has something for staff to settle, the most urgent first."""
    held = [row for row in rows if row.doubts]
    return sorted(held, key=lambda row: (-row.open_flags, -((row.grade and row.grade.uncertainty) or 0.0),
                                         row.family_name, row.person_id))


# --- sorting and filtering the student table ---------------------------------------------------------------------


def _grade_value(row: StudentRow) -> float | None:
    return row.grade.final if row.grade else None


SORTS: dict[str, Callable[[StudentRow], object]] = {
    "name": lambda row: (row.family_name, row.name.casefold()),
    "handed_in": lambda row: row.handed_in_at,
    "late": lambda row: row.days_late if row.handed_in else None,
    "calibration": lambda row: row.calibration.accuracy if row.calibration else None,
    "reviews_done": lambda row: row.reviews_done,
    "received": lambda row: row.reviews_received if row.handed_in else None,
    "grade": _grade_value,
    "uncertainty": lambda row: row.grade.uncertainty if row.grade else None,
    "passback": lambda row: row.passback.status.value if row.passback else None,
}

FILTERS: dict[str, Callable[[StudentRow], bool]] = {
    "all": lambda row: True,
    "not_handed_in": lambda row: not row.handed_in,
    "late": lambda row: row.late,
    "calibrating": lambda row: not row.calibrated,
    "owes_reviews": lambda row: row.owes_reviews,
    "under_reviewed": lambda row: row.under_reviewed,
    "attention": lambda row: bool(row.doubts),
    "flagged": lambda row: row.open_flags > 0,
    "passback_failed": lambda row: row.passback is not None and row.passback.status is PostingStatus.FAILED,
    "not_released": lambda row: row.grade is not None and not row.grade.released,
}


def arrange(rows: list[StudentRow], sort: str, descending: bool, keep: str, search: str = "") -> list[StudentRow]:
    """The rows kept by the filter and the search, in the order asked; rows without a value sort last either way."""
    kept = [row for row in rows if FILTERS[keep](row) and _matches(row, search)]
    key = SORTS[sort]
    # Sorted by name first, so that equal values keep the class-list order in both directions.
    kept.sort(key=SORTS["name"])  # type: ignore[arg-type]
    present = [row for row in kept if key(row) is not None]
    missing = [row for row in kept if key(row) is None]
    present.sort(key=key, reverse=descending)  # type: ignore[arg-type]
    return present + missing


def _matches(row: StudentRow, search: str) -> bool:
    words = search.casefold().split()
    haystack = f"{row.name} {row.email or ''} {row.pseudonym or ''}".casefold()
    return all(word in haystack for word in words)


# --- all reviews, for export -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRecord:
    reviewer: str
    reviewer_email: str | None
    author: str
    author_email: str | None
    pseudonym: str
    kind: ReviewKind
    status: ReviewStatus
    beyond_quota: bool
    selections: dict[str, float]
    comments: dict[str, str]
    score: float | None
    assigned_at: datetime
    submitted_at: datetime | None
    helpfulness: int | None
    flagged: bool


def review_records(session: Session, assignment_id: int, batch: int = 500) -> Iterator[ReviewRecord]:
    """Every review of the assignment with both names, read in batches so a large class streams in little memory."""
    reviewer, author = aliased(Person), aliased(Person)
    statement = (
        select(Review, reviewer, author, Submission.pseudonym, ReviewFlag.id)
        .join(reviewer, Review.reviewer_id == reviewer.id)
        .join(Submission, Review.submission_id == Submission.id)
        .join(author, Submission.author_id == author.id)
        .outerjoin(ReviewFlag, ReviewFlag.review_id == Review.id)
        .where(Review.assignment_id == assignment_id)
        .order_by(author.family_name, author.id, Review.assigned_at, Review.id)
        .execution_options(yield_per=batch)
    )
    for review, by, of, pseudonym, flag in session.execute(statement):
        yield ReviewRecord(
            reviewer=by.display_name, reviewer_email=by.email, author=of.display_name, author_email=of.email,
            pseudonym=pseudonym, kind=review.kind, status=review.status, beyond_quota=review.beyond_quota,
            selections=dict(review.selections or {}), comments=dict(review.comments or {}), score=review.score,
            assigned_at=review.assigned_at, submitted_at=review.submitted_at, helpfulness=review.helpfulness,
            flagged=flag is not None,
        )
