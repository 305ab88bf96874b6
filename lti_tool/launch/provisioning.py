"""Turning a validated launch into people, courses, enrollments and resource links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, false, select
from sqlalchemy.orm import Session

from assessment.messages import N_
from assessment.models import Course, CourseRole, Enrollment, Person, ResourceLink
from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.registration import LaunchRegistration
from lti_tool.launch.replay import consume_nonce
from lti_tool.launch.roles import course_role
from lti_tool.registry import Deployment, Platform

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


@dataclass(frozen=True)
class Provisioned:
    """The launch's identity, with the rows the rest of the launch works on."""

    identity: LaunchIdentity
    deployment: Deployment
    resource_link: ResourceLink | None


def provision(session: Session, registration: LaunchRegistration, claims: dict[str, Any], *,
              leeway_seconds: int) -> Provisioned:
    """Create or update everything the launch names and consume its nonce; the caller commits.

    Expired nonces are deleted by the workers' scheduled sweep, not here: a launch only reads what it names."""
    now = datetime.now(UTC)
    platform = registration.platform
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
    deployment = registration.deployment or _new_deployment(session, platform, claims[CLAIM + "deployment_id"])
    link_claim = claims.get(CLAIM + "resource_link") or {}
    context = claims.get(CLAIM + "context") or {}
    context_id = _context_id(context, link_claim)
    known = _known_rows(session, platform, claims["sub"], context_id, link_claim.get("id"))
    person = _person(session, known.person or Person(platform_id=platform.id, subject=claims["sub"]), claims)
    course = _course(session, known.course or Course(platform_id=platform.id, context_id=context_id), context,
                     link_claim)
    _enroll(session, known.enrollment or Enrollment(person=person, course=course), role,
            claims.get(CLAIM + "roles") or [], now)
    link = None
    if link_claim:
        link = _resource_link(session, known.link or ResourceLink(course=course, resource_link_id=link_claim["id"]),
                              deployment, claims)
    expires_at = datetime.fromtimestamp(claims["exp"], UTC) + timedelta(seconds=leeway_seconds)
    consume_nonce(session, platform.id, claims["nonce"], expires_at)
    session.flush()
    identity = LaunchIdentity(
        person_id=person.id,
        course_id=course.id,
        resource_link_id=link.id if link else None,
        role=role,
        deployment_id=deployment.id,
    )
    return Provisioned(identity, deployment, link)


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


def _new_deployment(session: Session, platform: Platform, deployment_id: str) -> Deployment:
    # Only reached when the platform accepts new deployments (the launch's validation checked).
    deployment = Deployment(platform=platform, deployment_id=deployment_id)
    session.add(deployment)
    session.flush()
    return deployment


@dataclass(frozen=True)
class _KnownRows:
    """What the tool already has of the person, course, enrollment and resource link a launch names (None: new)."""

    person: Person | None
    course: Course | None
    enrollment: Enrollment | None
    link: ResourceLink | None


def _known_rows(session: Session, platform: Platform, subject: str, context_id: str, link_id: str | None
                ) -> _KnownRows:
    # One query for the four: each is found by its natural key, hanging off the platform's row.
    link_matches = ResourceLink.resource_link_id == link_id if link_id else false()
    query = (
        select(Person, Course, Enrollment, ResourceLink)
        .select_from(Platform)
        .outerjoin(Person, and_(Person.platform_id == Platform.id, Person.subject == subject))
        .outerjoin(Course, and_(Course.platform_id == Platform.id, Course.context_id == context_id))
        .outerjoin(Enrollment, and_(Enrollment.person_id == Person.id, Enrollment.course_id == Course.id))
        .outerjoin(ResourceLink, and_(ResourceLink.course_id == Course.id, link_matches))
        .where(Platform.id == platform.id)
    )
    return _KnownRows(*session.execute(query).one())


def _person(session: Session, person: Person, claims: dict[str, Any]) -> Person:
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


def _course(session: Session, course: Course, context: dict[str, Any], link_claim: dict[str, Any]) -> Course:
    session.add(course)
    course.label = context.get("label") or course.label
    course.title = context.get("title") or course.title or link_claim.get("title")
    return course


def _enroll(session: Session, enrollment: Enrollment, role: CourseRole, lti_roles: list[str], now: datetime) -> None:
    session.add(enrollment)
    enrollment.role = role
    enrollment.lti_roles = [str(r) for r in lti_roles]
    enrollment.last_launch_at = now


def _resource_link(session: Session, link: ResourceLink, deployment: Deployment, claims: dict[str, Any]) -> ResourceLink:
    link_claim = claims[CLAIM + "resource_link"]
    session.add(link)
    link.deployment_id = deployment.id
    link.title = link_claim.get("title") or link.title
    link.description = link_claim.get("description") or link.description
    # Workers post grades and read rosters later, without a request: keep the service claims.
    link.ags_claim = claims.get(AGS_CLAIM) or link.ags_claim
    link.nrps_claim = claims.get(NRPS_CLAIM) or link.nrps_claim
    return link
