"""Turning a validated launch into people, courses, enrollments and resource links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from assessment.messages import N_
from assessment.models import Course, CourseRole, Enrollment, Person, ResourceLink
from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.replay import consume_nonce, forget_expired_nonces
from lti_tool.launch.roles import course_role
from lti_tool.registry import Deployment, Platform, find_deployment

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


@dataclass(frozen=True)
class LaunchIdentity:
    """Who launched, where, and with what rights; what the session remembers per resource link."""

    person_id: int
    course_id: int
    resource_link_id: int | None  # None for a deep-linking request, which has no resource link yet
    role: CourseRole
    deployment_id: int


def provision(session: Session, platform: Platform, claims: dict[str, Any], *, leeway_seconds: int) -> LaunchIdentity:
    """Create or update everything the launch names and consume its nonce; the caller commits."""
    now = datetime.now(UTC)
    role = course_role(claims.get(CLAIM + "roles") or [],
                       learner_assistants_are_staff=platform.learner_assistants_are_staff)
    if role is None:
        # Nothing is created: no enrollment, so no student rights and no one's work to see. An enrollment an
        # earlier launch or the roster gave (a learner since made a mentor) ends, so that no earlier launch keeps
        # its rights: the latest launch is the LMS's word on the person's part in the course. The caller commits.
        course_id = _end_enrollment(session, platform, claims)
        consume_nonce(session, platform.id, claims["nonce"],
                      datetime.fromtimestamp(claims["exp"], UTC) + timedelta(seconds=leeway_seconds))
        raise RoleRefused(course_id)
    deployment = _deployment(session, platform, claims[CLAIM + "deployment_id"])
    person = _person(session, platform, claims)
    link_claim = claims.get(CLAIM + "resource_link") or {}
    course = _course(session, platform, claims.get(CLAIM + "context") or {}, link_claim)
    _enroll(session, person, course, role, claims.get(CLAIM + "roles") or [], now)
    link = _resource_link(session, course, deployment, link_claim, claims) if link_claim else None
    expires_at = datetime.fromtimestamp(claims["exp"], UTC) + timedelta(seconds=leeway_seconds)
    forget_expired_nonces(session, now)
    consume_nonce(session, platform.id, claims["nonce"], expires_at)
    session.flush()
    return LaunchIdentity(
        person_id=person.id,
        course_id=course.id,
        resource_link_id=link.id if link else None,
        role=role,
        deployment_id=deployment.id,
    )


class RoleRefused(LaunchRejected):
    """The launch's roles give the person no part in the course; `course_id` names the course whose enrollment ended
    (None when peerlti did not know them there)."""

    status = 403

    def __init__(self, course_id: int | None) -> None:
        super().__init__(N_("Your role in this course gives you no part in this activity: you are not enrolled in it "
                            "as a student, and you see no one's work. If you should take part, ask your instructor "
                            "to add you to the course as a student."))
        self.course_id = course_id


def _end_enrollment(session: Session, platform: Platform, claims: dict[str, Any]) -> int | None:
    person_id = session.scalar(select(Person.id).where(Person.platform_id == platform.id,
                                                        Person.subject == claims["sub"]))
    context_id = _context_id(claims.get(CLAIM + "context") or {}, claims.get(CLAIM + "resource_link") or {})
    course_id = session.scalar(select(Course.id).where(Course.platform_id == platform.id,
                                                        Course.context_id == context_id))
    if person_id is None or course_id is None:
        return None
    session.execute(delete(Enrollment).where(Enrollment.person_id == person_id, Enrollment.course_id == course_id))
    return course_id


def _deployment(session: Session, platform: Platform, deployment_id: str) -> Deployment:
    deployment = find_deployment(session, platform, deployment_id)
    if deployment is None:  # only reached when the platform accepts new deployments
        deployment = Deployment(platform=platform, deployment_id=deployment_id)
        session.add(deployment)
        session.flush()
    return deployment


def _person(session: Session, platform: Platform, claims: dict[str, Any]) -> Person:
    person = session.scalars(
        select(Person).where(Person.platform_id == platform.id, Person.subject == claims["sub"])
    ).one_or_none()
    if person is None:
        person = Person(platform_id=platform.id, subject=claims["sub"])
        session.add(person)
    # Platforms may withhold personal data; keep what an earlier launch told us rather than erase it.
    for field in ("name", "given_name", "family_name", "email"):
        value = claims.get(field)
        if isinstance(value, str) and value.strip():
            setattr(person, field, value.strip()[:255])
    return person


def _context_id(context: dict[str, Any], link_claim: dict[str, Any]) -> str:
    # A launch without a context still needs somewhere to live: the resource link becomes its own course
    # (a deep-linking request always comes from a course, so it names a context).
    return str(context.get("id") or f"resource-link:{link_claim.get('id', 'none')}")


def _course(session: Session, platform: Platform, context: dict[str, Any], link_claim: dict[str, Any]) -> Course:
    context_id = _context_id(context, link_claim)
    course = session.scalars(
        select(Course).where(Course.platform_id == platform.id, Course.context_id == context_id)
    ).one_or_none()
    if course is None:
        course = Course(platform_id=platform.id, context_id=context_id)
        session.add(course)
    course.label = context.get("label") or course.label
    course.title = context.get("title") or course.title or link_claim.get("title")
    return course


def _enroll(session: Session, person: Person, course: Course, role: CourseRole, lti_roles: list[str], now: datetime) -> None:
    enrollment = None
    if person.id is not None and course.id is not None:
        enrollment = session.scalars(
            select(Enrollment).where(Enrollment.person_id == person.id, Enrollment.course_id == course.id)
        ).one_or_none()
    if enrollment is None:
        enrollment = Enrollment(person=person, course=course)
        session.add(enrollment)
    enrollment.role = role
    enrollment.lti_roles = [str(r) for r in lti_roles]
    enrollment.last_launch_at = now


def _resource_link(
    session: Session, course: Course, deployment: Deployment, link_claim: dict[str, Any], claims: dict[str, Any]
) -> ResourceLink:
    link = None
    if course.id is not None:
        link = session.scalars(
            select(ResourceLink).where(
                ResourceLink.course_id == course.id, ResourceLink.resource_link_id == link_claim["id"]
            )
        ).one_or_none()
    if link is None:
        link = ResourceLink(course=course, resource_link_id=link_claim["id"])
        session.add(link)
    link.deployment_id = deployment.id
    link.title = link_claim.get("title") or link.title
    link.description = link_claim.get("description") or link.description
    # Workers post grades and read rosters later, without a request: keep the service claims.
    link.ags_claim = claims.get(AGS_CLAIM) or link.ags_claim
    link.nrps_claim = claims.get(NRPS_CLAIM) or link.nrps_claim
    return link
