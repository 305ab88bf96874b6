"""Loading what a launched person may see: their resource link, course, enrollment and assignment."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, bindparam, exists, func, select
from sqlalchemy.orm import Session

from assessment.errors import NotAllowed, NotFound
from assessment.messages import N_
from assessment.models import Assignment, Course, CourseRole, Enrollment, Person, ResourceLink
from assessment.student_dates import has_extension, note_extension
from lti_tool.database import db
from lti_tool.identity import launch_identity, staff_identity
from lti_tool.launch.provisioning import LaunchIdentity
from lti_tool.registry import Platform


@dataclass(frozen=True)
class LaunchView:
    person: Person
    course: Course
    link: ResourceLink
    enrollment: Enrollment
    platform: Platform
    assignment: Assignment | None

    @property
    def is_staff(self) -> bool:
        return self.enrollment.is_staff

    def require_assignment(self) -> Assignment:
        if self.assignment is None:
            raise NotFound(N_("This activity has not been set up yet."))
        return self.assignment


# Every page starts with this statement: built once and run with the launch's ids, so that a page pays neither for
# building it nor for the cache key SQLAlchemy derives from it.
@functools.cache
def _launch_view_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(ResourceLink, Course, Enrollment, Person, Platform, Assignment,
               has_extension(Assignment.id, Person.id).label("extended"))
        .join(Course, ResourceLink.course_id == Course.id)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .join(Person, Enrollment.person_id == Person.id)
        .join(Platform, Course.platform_id == Platform.id)
        .outerjoin(Assignment, Assignment.resource_link_id == ResourceLink.id)
        .where(
            ResourceLink.id == bindparam("link", type_=Integer),
            Course.id == bindparam("course", type_=Integer),
            Person.id == bindparam("person", type_=Integer),
        )
    )


def load_launch_view(session: Session, identity: LaunchIdentity) -> LaunchView:
    # One statement: every page starts here, and the assignment at the link comes along.
    row = session.execute(_launch_view_statement(), {"link": identity.resource_link_id, "course": identity.course_id,
                                                     "person": identity.person_id}).one_or_none()
    if row is None:
        if _enrollment_ended(session, identity):
            raise NotAllowed(N_("You no longer take part in this course in peerlti: your latest launch from the LMS "
                                "gave you no part in it. If you should take part, ask your instructor to add you "
                                "to the course as a student, then open the activity again from your course."))
        raise NotFound(N_("This activity no longer exists in peerlti. Open it again from your course."))
    link, course, enrollment, person, platform, assignment, extended = row
    if assignment is not None:
        note_extension(session, assignment.id, person.id, extended)  # their dates then cost no statement
    return LaunchView(person=person, course=course, link=link, enrollment=enrollment, platform=platform,
                      assignment=assignment)


def _enrollment_ended(session: Session, identity: LaunchIdentity) -> bool:
    """The link still exists but the person is no longer enrolled in its course (a later launch was refused)."""
    link_exists = session.scalar(select(exists().where(ResourceLink.id == identity.resource_link_id)))
    enrolled = session.scalar(select(exists().where(Enrollment.person_id == identity.person_id,
                                                    Enrollment.course_id == identity.course_id)))
    return bool(link_exists) and not enrolled


def launched_view(link_id: int) -> LaunchView:
    """What the browser's launch into this link lets it see; NotAllowed without one."""
    return load_launch_view(db(), launch_identity(link_id))


def staff_view(link_id: int) -> LaunchView:
    """As launched_view, for course staff only."""
    return load_launch_view(db(), staff_identity(link_id))


def role_counts(session: Session, course_id: int) -> dict[CourseRole, int]:
    rows = session.execute(
        select(Enrollment.role, func.count()).where(Enrollment.course_id == course_id).group_by(Enrollment.role)
    )
    counts = dict.fromkeys(CourseRole, 0)
    counts.update({role: count for role, count in rows})
    return counts
