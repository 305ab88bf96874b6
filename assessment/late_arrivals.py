"""Students who arrived late: enrolled (first seen at a launch or a roster sync) after reviewing had opened."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from assessment.models import Assignment, CourseRole, Enrollment


def arrived_late(assignment: Assignment) -> ColumnElement[bool]:
    """Whether an enrolment is a late arrival's, to fold into a statement that reads the enrolments anyway."""
    return Enrollment.enrolled_at > assignment.review_opens


def late_arrivals(session: Session, assignment: Assignment) -> set[int]:
    """The course's students enrolled after the assignment's reviewing opened, in one statement.

    They hand in as the late policy (or an extension) allows, ask the queue for work like anyone, and their work joins
    the queue when it arrives; staff see them marked so they can give time where the policy gives none."""
    return set(session.scalars(select(Enrollment.person_id).where(
        Enrollment.course_id == assignment.course_id, Enrollment.role == CourseRole.STUDENT, arrived_late(assignment))))
