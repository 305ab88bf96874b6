"""A class in the review phase, bulk-inserted for concurrency tests and benchmarks, and the review queue's invariants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, insert, select
from sqlalchemy.orm import Session

from assessment.assignment_settings import AllocationMode, Anonymity, SubmissionKinds
from assessment.models import (
    Assignment,
    Course,
    CourseRole,
    Enrollment,
    Person,
    Review,
    ReviewKind,
    ReviewStatus,
    Submission,
    SubmissionVersion,
)
from assessment.phases import Phase
from assessment.rubric import Criterion, Level, Rubric
from lti_tool.registry import Platform

CRITERION = "quality"
RUBRIC = Rubric(criteria=(Criterion(key=CRITERION, title="Quality", levels=(Level(0, "Weak"), Level(2, "Strong"))),))
VALID_SELECTIONS = {CRITERION: 2.0}
ACTIVE = (ReviewStatus.ASSIGNED, ReviewStatus.SUBMITTED)  # what a submission's review_load counts


@dataclass(frozen=True)
class Cohort:
    assignment_id: int
    course_id: int
    student_ids: list[int]
    submission_ids: list[int]  # submission_ids[i] is student_ids[i]'s work, handed in i-th
    reviews_per_submission: int
    reviews_per_student: int


def _ids(session: Session, model: type, rows: list[dict]) -> list[int]:
    # Ids in the order of `rows`, so that the i-th person, enrollment and submission line up.
    return list(session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def create_cohort(session: Session, students: int, *, reviews_per_submission: int, reviews_per_student: int,
                  now: datetime | None = None, platform_id: int | None = None) -> Cohort:
    """A platform (unless given), a course, `students` enrolled students and an assignment open for reviewing
    (phase override), with every student's text submission handed in; committed."""
    now = now or datetime.now(UTC)
    tag = uuid.uuid4().hex[:12]  # several cohorts share one database
    platform_id = platform_id or session.scalar(insert(Platform).returning(Platform.id).values(
        name=f"Cohort {tag}", issuer=f"https://lms-{tag}.example", client_id=tag,
        auth_login_url="https://lms.example/auth", auth_token_url="https://lms.example/token",
        key_set_url="https://lms.example/jwks"))
    course_id = session.scalar(insert(Course).returning(Course.id).values(
        platform_id=platform_id, context_id=f"course-{tag}", title="Concurrency"))
    people = _ids(session, Person, [{"platform_id": platform_id, "subject": f"student-{index}", "name": f"Student {index}"}
                                    for index in range(students)])
    session.execute(insert(Enrollment), [{"person_id": person, "course_id": course_id, "role": CourseRole.STUDENT,
                                          "lti_roles": [], "last_launch_at": now} for person in people])
    assignment_id = session.scalar(insert(Assignment).returning(Assignment.id).values(
        public_id=tag, course_id=course_id, title="Essay", timezone="UTC",
        submission_opens=now - timedelta(days=10), submission_due=now - timedelta(days=2),
        review_opens=now - timedelta(days=1), review_due=now + timedelta(days=30),
        results_release=now + timedelta(days=31), phase_override=Phase.REVIEW,
        reviews_per_submission=reviews_per_submission, reviews_per_student=reviews_per_student,
        anonymity=Anonymity.DOUBLE_BLIND, aggregation="trimmed_mean", points_possible=10.0,
        submission_kinds=SubmissionKinds.TEXT, file_types=[], allocation_mode=AllocationMode.QUEUE,
        reviewers_need_submission=True, lease_hours=24, rubric_document=RUBRIC.to_dict()))
    # Distinct hand-in times make "oldest first" a strict order, as in a real class.
    handed_in = [now - timedelta(days=3) + timedelta(seconds=index) for index in range(students)]
    submissions = _ids(session, Submission, [
        {"assignment_id": assignment_id, "author_id": person, "pseudonym": f"S{index:06d}", "review_load": 0,
         "created_at": handed_in[index]}
        for index, person in enumerate(people)])
    session.execute(insert(SubmissionVersion), [
        {"submission_id": submission, "number": 1, "text_html": f"<p>Essay {index}</p>", "submitted_at": handed_in[index],
         "is_late": False, "late_penalty": 0.0}
        for index, submission in enumerate(submissions)])
    session.commit()
    return Cohort(assignment_id, course_id, people, submissions, reviews_per_submission, reviews_per_student)


def queue_violations(session: Session, assignment_id: int, reviews_per_submission: int) -> dict[str, int]:
    """How many rows break each invariant of the review queue; every figure is 0 when the queue behaved.

    over_k: submissions with more than k active reviews served within quota; self_reviews; duplicates: a reviewer
    given one submission twice; load_mismatches: `review_load` differing from the active reviews; negative_loads.
    """
    # The load counts every active review; only those served within quota are bound by k (rule 10 of the queue).
    active = (select(Review.submission_id, func.count().label("active"),
                     func.count().filter(Review.beyond_quota.is_(False)).label("within_quota"))
              .where(Review.assignment_id == assignment_id, Review.kind == ReviewKind.PEER, Review.status.in_(ACTIVE))
              .group_by(Review.submission_id).subquery())
    per_submission = (select(Submission.review_load, func.coalesce(active.c.active, 0).label("active"),
                             func.coalesce(active.c.within_quota, 0).label("within_quota"))
                      .outerjoin(active, active.c.submission_id == Submission.id)
                      .where(Submission.assignment_id == assignment_id).subquery())
    pairs = (select(Review.reviewer_id, Review.submission_id)
             .where(Review.assignment_id == assignment_id, Review.kind == ReviewKind.PEER)
             .group_by(Review.reviewer_id, Review.submission_id).having(func.count() > 1).subquery())

    def count(query) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    return {
        "over_k": count(select(per_submission).where(per_submission.c.within_quota > reviews_per_submission)),
        "self_reviews": count(select(Review.id).join(Submission, and_(Review.submission_id == Submission.id,
                                                                      Submission.author_id == Review.reviewer_id))
                              .where(Review.assignment_id == assignment_id, Review.kind == ReviewKind.PEER)),
        "duplicates": count(select(pairs)),
        "load_mismatches": count(select(per_submission).where(per_submission.c.review_load != per_submission.c.active)),
        "negative_loads": count(select(per_submission).where(per_submission.c.review_load < 0)),
    }


NO_VIOLATIONS = {"over_k": 0, "self_reviews": 0, "duplicates": 0, "load_mismatches": 0, "negative_loads": 0}
