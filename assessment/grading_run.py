"""Use cases of grading: compute grades from the reviews, compare methods, override, and release to the outbox."""

from __future__ import annotations

import math
import secrets
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assessment.aggregation import (
    METHODS,
    CalibrationError,
    Estimates,
    Explanation,
    PeerScore,
    aggregate,
    explained_estimates,
)
from assessment.calibration_training import accuracies
from assessment.db import cycle_collection_paused
from assessment.errors import AssessmentError, Conflict, InvalidInput, NotFound, PhaseClosed
from assessment.grading import (
    GradeInputs,
    ReviewerAccuracy,
    disagreement_limit,
    final_grade,
    flexible_grading_open,
    holds_grade,
    needs_attention,
    review_spread,
    reviewing_grade,
    uncertainty_limit,
)
from assessment.grading_advice import GradedWork, keep_grading_advice
from assessment.messages import N_
from assessment.models import (
    Assignment,
    CalibrationAttempt,
    CalibrationExample,
    CourseRole,
    Enrollment,
    Grade,
    GradePosting,
    GradingRun,
    PostingStatus,
    Review,
    ReviewFlag,
    ReviewKind,
    ReviewStatus,
    Submission,
    SubmissionVersion,
    TeammateRating,
    TeamMembership,
)
from assessment.phases import Phase
from assessment.score_explanation import to_stored
from assessment.score_progress import StudentWork, activity_progress, grading_progress
from assessment.services import get_assignment, plain_text
from assessment.student_dates import waiting_students
from assessment.team_grades import TeamGrading
from assessment.team_reviews import reviews_by_team, team_credit
from assessment.team_work import current_teams
from assessment.write_rules import ensure_gradable, ensure_releasable

MAX_REASON_CHARACTERS = 2_000


class ReviewRow(NamedTuple):
    """What grading reads of a submitted review."""

    id: int
    submission_id: int
    reviewer_id: int
    kind: ReviewKind
    score: float | None
    selections: dict[str, float]
    bonus: bool  # a bonus review, beyond the reviewer's quota
    reviewing_team_id: int | None = None  # a team's review (where each team writes one)


class SubmissionRow(NamedTuple):
    """What grading reads of a submission: whose it is and what lateness costs its latest version."""

    id: int
    author_id: int
    late_penalty: float


@dataclass(frozen=True)
class Cohort:
    """Everything a grading run reads, loaded once, in a number of statements that does not grow with the class."""

    assignment: Assignment
    student_ids: list[int]
    submissions: dict[int, SubmissionRow]  # by author
    peer_reviews: list[ReviewRow]
    staff_reviews: list[ReviewRow]
    accuracy: dict[int, float]  # calibration accuracy by reviewer
    open_flags: dict[int, int]  # by submission
    calibration_error: dict[int, CalibrationError]  # which way each reviewer leaned on the examples, by reviewer


def _cohort(session: Session, assignment: Assignment) -> Cohort:
    student_ids = list(session.scalars(
        select(Enrollment.person_id)
        .where(Enrollment.course_id == assignment.course_id, Enrollment.role == CourseRole.STUDENT)
        .order_by(Enrollment.person_id)
    ))
    # The latest version of each submission, joined in: a lazy load per submission would be one statement each.
    latest = (select(SubmissionVersion.submission_id, func.max(SubmissionVersion.number).label("number"))
              .join(Submission, Submission.id == SubmissionVersion.submission_id)
              .where(Submission.assignment_id == assignment.id)
              .group_by(SubmissionVersion.submission_id).subquery())
    rows = session.execute(
        select(Submission.id, Submission.author_id, Submission.team_id, SubmissionVersion.late_penalty)
        .outerjoin(latest, latest.c.submission_id == Submission.id)
        .outerjoin(SubmissionVersion, and_(SubmissionVersion.submission_id == Submission.id,
                                           SubmissionVersion.number == latest.c.number))
        .where(Submission.assignment_id == assignment.id)).all()
    submissions = {row.author_id: SubmissionRow(row.id, row.author_id, row.late_penalty or 0.0) for row in rows}
    if assignment.team_assignment:
        # A team's work is every member's: each is graded on it (late penalty included), as the team is now.
        by_team = {row.team_id: submissions[row.author_id] for row in rows if row.team_id is not None}
        submissions |= {person: by_team[team] for person, team in current_teams(session, assignment.id).items()
                        if team in by_team}
    reviews = [ReviewRow(*row) for row in session.execute(
        select(Review.id, Review.submission_id, Review.reviewer_id, Review.kind, Review.score, Review.selections,
               Review.bonus, Review.reviewing_team_id)
        .where(Review.assignment_id == assignment.id, Review.status == ReviewStatus.SUBMITTED)
        .order_by(Review.id))]
    accuracy = (accuracies(session, assignment, set(student_ids)) if assignment.calibration_examples_required
                else {})
    flags = dict(session.execute(
        select(Review.submission_id, func.count()).join(ReviewFlag, ReviewFlag.review_id == Review.id)
        .where(Review.assignment_id == assignment.id, ReviewFlag.resolved_at.is_(None)).group_by(Review.submission_id)
    ).all())
    return Cohort(assignment, student_ids, submissions,
                  [r for r in reviews if r.kind is ReviewKind.PEER], [r for r in reviews if r.kind is ReviewKind.STAFF],
                  accuracy, flags, calibration_errors(session, assignment))


def calibration_errors(session: Session, assignment: Assignment) -> dict[int, CalibrationError]:
    """Each student's signed error on the calibration examples, in points: the mean of (their total - the reference's)
    over their first attempt at each example, the blind one, as the accuracy is."""
    rubric = assignment.rubric
    if rubric is None or not assignment.calibration_examples_required:
        return {}
    differences: dict[int, list[float]] = defaultdict(list)
    # A class makes few distinct assessments of the same examples: each is scored once, not once per attempt.
    scored: dict[str, float | None] = {}

    def score(selections: dict[str, float]) -> float | None:
        key = repr(selections)  # exact: 1 and 1.0, or a criterion missing, stay apart
        if key not in scored:
            try:
                scored[key] = rubric.score(selections, assignment.points_possible)
            except AssessmentError:
                scored[key] = None  # an attempt at a rubric changed since says nothing about the current one
        return scored[key]

    # Each example's reference is read (and scored) once, not once per attempt at it.
    references = {example: score(reference) for example, reference in session.execute(
        select(CalibrationExample.id, CalibrationExample.reference)
        .where(CalibrationExample.assignment_id == assignment.id)) if reference is not None}
    for student, example, selections in session.execute(
            select(CalibrationAttempt.student_id, CalibrationAttempt.example_id, CalibrationAttempt.selections)
            .join(CalibrationExample, CalibrationExample.id == CalibrationAttempt.example_id)
            .where(CalibrationExample.assignment_id == assignment.id, CalibrationAttempt.number == 1)):
        expected = references.get(example)
        given = score(selections) if expected is not None else None
        if given is not None and expected is not None:
            differences[student].append(given - expected)
    return {student: CalibrationError(math.fsum(values) / len(values), len(values))
            for student, values in differences.items()}


def estimates(cohort: Cohort, method: str) -> Estimates[int]:
    """Each submission's score on the assignment's points, by the given method; staff assessments win."""
    scores, known = _peer_and_staff_scores(cohort)
    return aggregate(scores, method, scale=(0.0, cohort.assignment.points_possible),
                     reviewer_accuracy=cohort.accuracy, known=known, calibration_error=cohort.calibration_error)


def explained(cohort: Cohort, method: str) -> tuple[Estimates[int], dict[int, Explanation[int]]]:
    """`estimates`, and how it reached each submission's score, review by review, from one fit of the model."""
    scores, known = _peer_and_staff_scores(cohort)
    return explained_estimates(scores, method, scale=(0.0, cohort.assignment.points_possible),
                               reviewer_accuracy=cohort.accuracy, known=known,
                               calibration_error=cohort.calibration_error)


def _peer_and_staff_scores(cohort: Cohort) -> tuple[list[PeerScore[int, int]], dict[int, float]]:
    scores = [PeerScore(r.submission_id, r.reviewer_id, r.score) for r in cohort.peer_reviews if r.score is not None]
    known = {r.submission_id: r.score for r in cohort.staff_reviews if r.score is not None}
    return scores, known


def _reviewing_quality(cohort: Cohort) -> dict[int | tuple[str, int], float]:
    rubric = cohort.assignment.rubric
    if rubric is None or not cohort.peer_reviews:
        return {}
    by_submission: dict[int, list[ReviewRow]] = defaultdict(list)
    for review in cohort.peer_reviews:
        by_submission[review.submission_id].append(review)
    # The consensus of a submission, criterion by criterion: the median of its reviews (a staff one wins).
    consensus = {
        submission: {c.key: statistics.median(r.selections[c.key] for r in reviews if c.key in r.selections)
                     for c in rubric.criteria}
        for submission, reviews in by_submission.items()
    }
    for review in cohort.staff_reviews:
        consensus[review.submission_id] = dict(review.selections)
    return reviewing_grade(
        # A team's review is graded as the team's (team_reviews' rule 6); its members are credited with it below.
        [ReviewerAccuracy(team_credit(r.reviewer_id, r.reviewing_team_id), r.submission_id, r.selections)
         for r in cohort.peer_reviews],
        consensus,
        {c.key: (c.low, c.high) for c in rubric.criteria},
        {c.key: c.weight for c in rubric.criteria},
        strictness=cohort.assignment.review_strictness,
    )


class Graded(NamedTuple):
    """A grade a run computed: whose, its computed total, and whether it waits for staff."""

    person_id: int
    total: float
    held: bool


@cycle_collection_paused
def run_grading(session: Session, assignment_id: int, now: datetime, method: str | None = None) -> list[Graded]:
    """Compute (or recompute) every student's grade but those whose extension still runs; overrides and releases
    already made are kept."""
    assignment = get_assignment(session, assignment_id)
    ensure_gradable(assignment, now)
    method = method or assignment.aggregation
    if method not in METHODS:
        raise InvalidInput({"method": N_("Choose one of the listed ways to combine peer scores.")})
    cohort = _cohort(session, assignment)
    by_submission, explanation_of = explained(cohort, method)
    review_of = {(r.submission_id, r.reviewer_id): r.id for r in cohort.peer_reviews}
    quality = _reviewing_quality(cohort)
    received: dict[int, int] = defaultdict(int)
    for review in cohort.peer_reviews:
        received[review.submission_id] += 1
    done: dict[int | tuple[str, int], int] = defaultdict(int)
    bonus: dict[int | tuple[str, int], int] = defaultdict(int)
    for review in cohort.peer_reviews:
        reviewer = team_credit(review.reviewer_id, review.reviewing_team_id)
        done[reviewer] += 1
        bonus[reviewer] += review.bonus
    # Where each team writes one review, every member is credited with the team's reviews (team_reviews' rule 6).
    credit: dict[int, int | tuple[str, int]] = {
        person: team_credit(person, team) for person, team in current_teams(session, assignment.id).items()
    } if reviews_by_team(assignment) else {}
    scores_of: dict[int, list[float]] = defaultdict(list)
    for review in cohort.peer_reviews:
        if review.score is not None:
            scores_of[review.submission_id].append(review.score)
    # Scores come from a few rubric levels, so many submissions share a set of them; its spread is worked out once.
    spread_of: dict[tuple[float, ...], float] = {}
    for scores in scores_of.values():
        key = tuple(sorted(scores))
        if key not in spread_of:
            spread_of[key] = review_spread(key)
    spread = {submission: spread_of[tuple(sorted(scores))] for submission, scores in scores_of.items()}
    spread_limit = disagreement_limit([spread[s] for s, scores in scores_of.items() if len(scores) >= 2],
                                      scale_width=assignment.points_possible)
    staff_assessed = {review.submission_id for review in cohort.staff_reviews if review.score is not None}
    # How uncertain is wide, from the peer-scored estimates of this class (a staff score's std of 0 says nothing).
    std_limit = uncertainty_limit([estimate.std for submission, estimate in by_submission.items()
                                   if submission not in staff_assessed and received.get(submission)],
                                  scale_width=assignment.points_possible)
    flexible = flexible_grading_open(assignment.review_due, assignment.flexible_grading_days, now)
    existing, overrides = {}, {}
    for grade_id, person, override in session.execute(
            select(Grade.id, Grade.person_id, Grade.override_total).where(Grade.assignment_id == assignment_id)):
        existing[person], overrides[grade_id] = grade_id, override
    # With teammate evaluation, each member's part of the team's work follows their teammates' ratings.
    team_grading = TeamGrading.load(session, assignment) if assignment.team_assignment else None
    new_rows, changed_rows, graded, advised = [], [], [], []
    # A student whose extension still runs is graded once it ends: their work and reviews may still come.
    waiting = waiting_students(session, assignment, now)
    for student in cohort.student_ids:
        if student in waiting:
            continue
        submission = cohort.submissions.get(student)
        if submission is None and not assignment.zero_for_missing_work:
            continue  # the assignment gives no grade at all for missing work
        estimate = by_submission.get(submission.id) if submission else None
        credited = credit.get(student, student)
        breakdown = final_grade(GradeInputs(
            # The estimate is on the assignment's points; the grade composition takes the fraction of them.
            submission_score=estimate.score / assignment.points_possible if estimate else None,
            points_possible=assignment.points_possible,
            submission_weight=assignment.submission_weight,
            reviewing_quality=quality.get(credited),
            calibration_accuracy=cohort.accuracy.get(student),
            reviews_done=done[credited],
            reviews_required=assignment.reviews_per_student,
            late_penalty=submission.late_penalty if submission else 0.0,
            bonus_points=bonus[credited] * assignment.bonus_review_points,
        ))
        attention = needs_attention(
            estimate.std if estimate else 0.0, received[submission.id] if submission else 0,
            assignment.reviews_per_submission, cohort.open_flags.get(submission.id, 0),
            scale_width=assignment.points_possible, spread=spread.get(submission.id, 0.0), spread_limit=spread_limit,
            staff_assessed=submission.id in staff_assessed, std_limit=std_limit, flexible=flexible,
        ) if submission else []
        explanation = explanation_of.get(submission.id) if submission else None
        stored_explanation = to_stored(
            explanation, method, {reviewer: review_of[submission.id, reviewer] for reviewer in
                                  (part.reviewer for part in explanation.parts)}
        ) if explanation and submission else None
        total, contribution = breakdown.total, None
        individual = team_grading.grade(student, breakdown.submission_points - breakdown.late_deduction,
                                        breakdown.reviewing_points) if team_grading else None
        if individual is not None:
            total, contribution, doubts = individual
            attention = attention + doubts
        override = overrides[existing[student]] if student in existing else None
        if submission is not None and submission.author_id == student:  # the advice reads each author's own work
            advised.append(GradedWork(student, submission.id, stored_explanation, estimate.std if estimate else None,
                                      override is not None))
        # Only what grading computes: an override and a release already made stay as they are.
        computed = {
            "method": method, "computed_at": now,
            "submission_score": estimate.score if estimate else None,
            "submission_std": estimate.std if estimate else None,
            "score_explanation": stored_explanation,
            "reviews_received": received[submission.id] if submission else 0,
            "submission_points": breakdown.submission_points, "reviewing_points": breakdown.reviewing_points,
            "late_deduction": breakdown.late_deduction, "total": total, "attention": attention,
            "contribution": contribution,
        }
        if student in existing:
            changed_rows.append({"id": existing[student], **computed})
        else:
            new_rows.append({"assignment_id": assignment_id, "person_id": student, **computed})
        graded.append(Graded(student, total, holds_grade(attention) and override is None))
    # One executemany each, rather than a flush per grade; NULLs written as such keep the rows in one batch. The
    # UPDATE by primary key also brings any of these grades the session holds up to date.
    if new_rows:
        session.execute(insert(Grade).execution_options(render_nulls=True), new_rows)
    if changed_rows:
        session.execute(update(Grade), changed_rows)
    # After the grades, so that a concurrent override (which locks a grade, then the advice) never waits in a circle.
    keep_grading_advice(session, assignment, now, advised)
    _record_run(session, assignment_id, now)
    return graded


def _record_run(session: Session, assignment_id: int, now: datetime) -> None:
    """The run itself, whether or not it wrote a grade: the beat owes none again until something changes."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(GradingRun).values(assignment_id=assignment_id, ran_at=now)
    session.execute(statement.on_conflict_do_update(index_elements=[GradingRun.assignment_id],
                                                    set_={"ran_at": statement.excluded.ran_at}))


def compare_methods(session: Session, assignment_id: int) -> dict[str, Estimates[int]]:
    """Every method's estimates for this assignment's submissions, side by side, without storing anything; each says
    whether its fit settled."""
    cohort = _cohort(session, get_assignment(session, assignment_id))
    return {method: estimates(cohort, method) for method in METHODS}


def override_grade(session: Session, assignment_id: int, person_id: int, total: float | None, reason: str,
                   staff_id: int, now: datetime) -> Grade:
    """Staff set a grade by hand (or clear their override with None); who, when and why are kept."""
    grade = session.scalars(select(Grade).where(Grade.assignment_id == assignment_id,
                                                Grade.person_id == person_id)).one_or_none()
    if grade is None:
        raise NotFound(N_("Run grading first; then grades can be overridden."))
    assignment = get_assignment(session, assignment_id)
    ensure_gradable(assignment, now)
    reason = plain_text(reason, MAX_REASON_CHARACTERS + 1)  # one over: a reason too long is refused, never cut
    if len(reason) > MAX_REASON_CHARACTERS:
        raise InvalidInput({"reason": N_("Keep the reason to at most %(max)s characters; nothing was saved.",
                                         max=MAX_REASON_CHARACTERS)})
    if total is not None and not 0 <= total <= assignment.points_possible:
        raise InvalidInput({"total": N_("A grade is between 0 and %(max)s points.", max=assignment.points_possible)})
    if total is not None and not reason:
        raise InvalidInput({"reason": N_("Say why, so the student and colleagues understand the change.")})
    # In hundredths, as every part of a grade is: the student's explanation then adds up to exactly this total.
    total = round(total, 2) if total is not None else None
    grade.override_total, grade.override_reason = total, reason if total is not None else ""
    grade.override_by_id, grade.override_at = (staff_id, now) if total is not None else (None, None)
    session.flush()
    # Overridden work is settled: the advice stops offering it for a staff grade (and offers it again once cleared).
    keep_grading_advice(session, assignment, now)
    return grade


class Posted(NamedTuple):
    """An outbox row a release wrote."""

    id: int
    person_id: int
    score_given: float | None


RATINGS_AFTER_GRADING: str = N_("Teammates saved ratings after grading last ran, so some individual grades do not "
                                "include them yet; nothing was released. Run grading again, check the grades, then "
                                "release them.")


def _graded_before_ratings(session: Session, assignment_id: int) -> set[int]:
    """The students whose grade was computed before a rating in their team was last saved: their factor is stale."""
    return set(session.scalars(
        select(Grade.person_id).distinct()
        .join(TeamMembership, and_(TeamMembership.person_id == Grade.person_id,
                                   TeamMembership.assignment_id == assignment_id, TeamMembership.until.is_(None)))
        .join(TeammateRating, and_(TeammateRating.team_id == TeamMembership.team_id,
                                   TeammateRating.assignment_id == assignment_id))
        .where(Grade.assignment_id == assignment_id, TeammateRating.updated_at > Grade.computed_at)))


@cycle_collection_paused
def release_grades(session: Session, assignment_id: int, now: datetime) -> list[Posted]:
    """Release every computed grade to its student and write one outbox row per student whose gradebook entry would
    change; students see the results from now on, whatever the dates said.

    A second release of the same grades (a double click, two staff at once) writes nothing: the assignment row is
    locked, so a concurrent release waits and then finds every posting already written."""
    # An UPDATE rather than SELECT ... FOR UPDATE: it also takes SQLite's write lock before anything is read.
    session.execute(update(Assignment).where(Assignment.id == assignment_id).values(id=Assignment.id))
    assignment = get_assignment(session, assignment_id)
    ensure_releasable(assignment, now)
    grades = list(session.scalars(select(Grade).where(Grade.assignment_id == assignment_id).order_by(Grade.person_id)))
    if not grades:
        raise PhaseClosed(N_("Run grading before releasing grades."))
    # Released without the students whose extension still runs; a release after it ends sends theirs (and only
    # what changed for the others, as any release does).
    waiting = waiting_students(session, assignment, now)
    if assignment.teammate_evaluation is not None and _graded_before_ratings(session, assignment_id) - waiting:
        # Refused rather than graded here: staff check the grades a run gives (warnings, holds) before releasing.
        raise Conflict(RATINGS_AFTER_GRADING)
    latest = _latest_postings(session, assignment_id)
    work = _student_work(session, assignment)
    release_id = secrets.token_hex(16)
    released, posting_rows = [], []
    for grade in grades:
        if grade.person_id in waiting:
            continue
        entry = _Entry(None if grade.held else grade.final, float(assignment.points_possible),
                       grading_progress(grade.held).value, gradebook_comment(grade),
                       activity_progress(work(grade.person_id)).value)
        # What the student reads from now on: exactly what this release stands for, parts and all.
        snapshot = grade.snapshot()
        if grade.released_at is None or grade.released_snapshot != snapshot:
            released.append({"id": grade.id, "released_snapshot": snapshot, "released_total": grade.final,
                             "released_at": now})
        previous = latest.get(grade.person_id)
        if previous is not None and previous.status is not PostingStatus.FAILED and entry == previous.entry:
            continue  # already sent or on its way: sending it again would record the same score twice
        # Strictly increasing per student and column, even when two releases happen within a millisecond.
        timestamp = max(now, previous.timestamp + timedelta(milliseconds=1)) if previous else now
        posting_rows.append({
            "assignment_id": assignment_id, "person_id": grade.person_id, "release_id": release_id,
            "score_given": entry.score_given, "score_maximum": entry.score_maximum,
            "grading_progress": entry.grading_progress, "activity_progress": entry.activity_progress,
            "comment": entry.comment, "timestamp": timestamp, "next_attempt_at": now,
        })
    # One executemany each, rather than a statement per student; NULLs written as such keep the rows in one batch.
    if released:
        session.execute(update(Grade), released)
    if posting_rows:
        session.execute(insert(GradePosting).execution_options(render_nulls=True), posting_rows)
    # One action publishes to both: students must not wait for the dates to read what the gradebook already shows.
    if assignment.phase_at(now) is not Phase.RELEASED:
        assignment.phase_override = Phase.RELEASED
    session.flush()
    return [Posted(*row) for row in session.execute(
        select(GradePosting.id, GradePosting.person_id, GradePosting.score_given)
        .where(GradePosting.release_id == release_id).order_by(GradePosting.person_id))] if posting_rows else []


@dataclass(frozen=True)
class _Entry:
    """A student's gradebook entry, as a posting carries it."""

    score_given: float | None
    score_maximum: float
    grading_progress: str
    comment: str
    activity_progress: str


def _student_work(session: Session, assignment: Assignment) -> Callable[[int], StudentWork]:
    """What each student did in the assignment, counted by the database in three grouped queries."""
    handed_in = set(session.scalars(
        select(Submission.author_id).where(Submission.assignment_id == assignment.id, Submission.versions.any())))
    if assignment.team_assignment:
        teams_with_work = set(session.scalars(select(Submission.team_id).where(
            Submission.assignment_id == assignment.id, Submission.team_id.is_not(None), Submission.versions.any())))
        handed_in |= {person for person, team in current_teams(session, assignment.id).items()
                      if team in teams_with_work}

    def submitted(kind: ReviewKind) -> Any:
        return func.sum(case((and_(Review.kind == kind, Review.status == ReviewStatus.SUBMITTED), 1), else_=0))

    # Any review at all, in any state, shows the activity was used; peer reviews done and a self-assessment count.
    reviews = {reviewer: (int(peer), bool(own)) for reviewer, peer, own in session.execute(
        select(Review.reviewer_id, submitted(ReviewKind.PEER), submitted(ReviewKind.SELF))
        .where(Review.assignment_id == assignment.id).group_by(Review.reviewer_id))}
    if reviews_by_team(assignment):
        # Each member has done the team's reviews (team_reviews' rule 6); their own self-assessment stays theirs.
        by_team: dict[int, int] = {team: int(count) for team, count in session.execute(
            select(Review.reviewing_team_id, submitted(ReviewKind.PEER))
            .where(Review.assignment_id == assignment.id, Review.reviewing_team_id.is_not(None))
            .group_by(Review.reviewing_team_id))}
        for person, team in current_teams(session, assignment.id).items():
            own_row = reviews.get(person)
            if team in by_team or own_row is not None:
                reviews[person] = (int(by_team.get(team) or 0), bool(own_row and own_row[1]))
    calibrated = set(session.scalars(
        select(CalibrationAttempt.student_id).distinct()
        .join(CalibrationExample, CalibrationExample.id == CalibrationAttempt.example_id)
        .where(CalibrationExample.assignment_id == assignment.id)))

    def of(person_id: int) -> StudentWork:
        reviewed = reviews.get(person_id)
        return StudentWork(
            handed_in=person_id in handed_in,
            reviews_done=reviewed[0] if reviewed else 0,
            reviews_required=assignment.reviews_per_student,
            self_assessment_owed=assignment.self_assessment and not (reviewed and reviewed[1]),
            other_work=reviewed is not None or person_id in calibrated,
        )
    return of


class _Latest(NamedTuple):
    """What a release needs of a student's latest posting."""

    status: PostingStatus
    timestamp: datetime
    entry: _Entry


def _latest_postings(session: Session, assignment_id: int) -> dict[int, _Latest]:
    """Each student's latest posting for this assignment: one row each comes back, however many releases came before
    (the index on assignment, person and timestamp hands them over in order)."""
    rank = func.row_number().over(partition_by=GradePosting.person_id,
                                  order_by=(GradePosting.timestamp.desc(), GradePosting.id.desc())).label("rank")
    ranked = (select(GradePosting.person_id, GradePosting.status, GradePosting.timestamp, GradePosting.score_given,
                     GradePosting.score_maximum, GradePosting.grading_progress, GradePosting.comment,
                     GradePosting.activity_progress, rank)
              .where(GradePosting.assignment_id == assignment_id).subquery())
    return {row.person_id: _Latest(row.status, row.timestamp,
                                   _Entry(row.score_given, float(row.score_maximum), row.grading_progress, row.comment,
                                          row.activity_progress))
            for row in session.execute(select(ranked).where(ranked.c.rank == 1))}


def gradebook_comment(grade: Grade) -> str:
    """The comment posted with a grade: the LMS shows it to the student as it is, so it is written once, in English."""
    if grade.held:
        return "Peer assessment: your grade is being checked by course staff."
    if grade.override_total is not None:
        return "Peer assessment: grade set by course staff."
    work, reviewing = gradebook_number(grade.submission_points), gradebook_number(grade.reviewing_points)
    if grade.contribution is not None:
        # The member's own part, lateness and teammates' ratings included: the team's points alone would not add up.
        return (f"Peer assessment: {gradebook_number(grade.contribution['points'])} for your part of the team's work "
                f"(after your teammates' ratings), {reviewing} for reviewing.")
    return (f"Peer assessment: {work} for your work, {reviewing} for reviewing"
            + (f", {gradebook_number(grade.late_deduction)} off for lateness." if grade.late_deduction else "."))


def gradebook_number(value: float) -> str:
    """Points for the gradebook comment: at most two decimals, a dot and no grouping, whatever the reader's language
    (the worker that posts it knows no reader); "72.99", not "72.9942"."""
    # Adding 0.0 turns a rounded -0.0 into 0.0, so a tiny negative never reads "-0".
    return f"{round(value, 2) + 0.0:.2f}".rstrip("0").rstrip(".")
