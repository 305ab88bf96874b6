"""A graded class placed at a resource link, and a browser launched into it without an LMS, for counting statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from assessment.grading_run import release_grades
from assessment.models import (
    Assignment,
    CalibrationAttempt,
    CalibrationExample,
    Course,
    CourseRole,
    Enrollment,
    FlagReason,
    Person,
    ResourceLink,
    Review,
    ReviewFlag,
)
from lti_tool.database import EXTENSION
from lti_tool.identity import SESSION_KEY
from lti_tool.registry import Deployment
from tests.support.cohort import CRITERION
from tests.support.graded_class import graded_cohort


@dataclass(frozen=True)
class PageClass:
    link_id: int
    deployment_id: int
    course_id: int
    assignment_id: int
    staff_id: int
    student_ids: list[int]
    review_id: int  # a review the first student wrote
    received_review_id: int  # a review of the first student's work, flagged by them (as every third student did)


def page_class(session: Session, students: int, now: datetime, *, released: bool = True) -> PageClass:
    """A graded class at a resource link, with an instructor, calibration done by everyone and flags on reviews
    (every kind of row a page might load once per student); its grades released, or still in review when not
    `released`."""
    cohort = graded_cohort(session, students, now)
    course = session.get(Course, cohort.course_id)
    assert course is not None
    deployment = session.scalar(insert(Deployment).returning(Deployment.id).values(
        platform_id=course.platform_id, deployment_id="page-class"))
    link = session.scalar(insert(ResourceLink).returning(ResourceLink.id).values(
        course_id=course.id, deployment_id=deployment, resource_link_id="page-class", title="Essay"))
    staff = session.scalar(insert(Person).returning(Person.id).values(
        platform_id=course.platform_id, subject="page-class-teacher", name="Teacher"))
    session.execute(insert(Enrollment).values(person_id=staff, course_id=course.id, role=CourseRole.STAFF,
                                              lti_roles=[], last_launch_at=now))
    example = session.scalar(insert(CalibrationExample).returning(CalibrationExample.id).values(
        assignment_id=cohort.assignment_id, position=0, title="Example", text_html="<p>An example.</p>",
        reference={CRITERION: 2.0}, explanations={}))
    session.execute(insert(CalibrationAttempt), [
        {"example_id": example, "student_id": student, "number": 1, "selections": {CRITERION: 2.0}, "accuracy": 1.0}
        for student in cohort.student_ids])
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        resource_link_id=link, calibration_examples_required=1, calibration_opens=now - timedelta(days=2),
        calibration_due=now - timedelta(days=1)))
    first = cohort.student_ids[0]
    written = session.scalars(select(Review.id).where(Review.reviewer_id == first).order_by(Review.id)).first()
    # Every third student flagged the first review of their work: a page that loads flags one by one shows it.
    flagged = [session.scalars(select(Review.id).where(Review.submission_id == submission).order_by(Review.id)).first()
               for submission in cohort.submission_ids[::3]]
    assert written is not None and all(flagged)
    session.execute(insert(ReviewFlag), [{"review_id": review, "reason": FlagReason.UNFAIR,
                                          "explanation": "It ignores my argument.", "created_at": now}
                                         for review in flagged])
    session.commit()
    if released:
        release_grades(session, cohort.assignment_id, now)
        session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
            phase_override=None, results_release=now - timedelta(minutes=1)))
        session.commit()
    return PageClass(link, deployment, course.id, cohort.assignment_id, staff, cohort.student_ids, written,
                     flagged[0])


def launched_client(app: Flask, place: PageClass, person_id: int, role: CourseRole) -> FlaskClient:
    """A browser whose session holds a launch of `person_id` into the class's link, as a real launch leaves it."""
    client = app.test_client()
    with client.session_transaction() as browser_session:
        browser_session[SESSION_KEY] = {str(place.link_id): {
            "person_id": person_id, "course_id": place.course_id, "resource_link_id": place.link_id,
            "role": role.value, "deployment_id": place.deployment_id}}
    return client


@dataclass
class StatementCount:
    statements: list[str]

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def counted_statements(app: Flask) -> Iterator[StatementCount]:
    """Every SQL statement the app sends inside the block."""
    engine = app.extensions[EXTENSION].kw["bind"]
    counted = StatementCount([])

    def count(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        counted.statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", count)
