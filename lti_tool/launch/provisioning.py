"""Turning a validated launch into people, courses, enrollments and resource links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from assessment.db import Base
from assessment.messages import N_
from assessment.models import Course, CourseRole, Enrollment, Person, ResourceLink
from lti_tool.languages import launch_locale
from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.registration import (
    DUE_AT_PARAMETER,
    KnownRows,
    LaunchRegistration,
    claim_object,
    context_id_of,
)
from lti_tool.launch.replay import consume_nonce
from lti_tool.launch.roles import course_role
from lti_tool.registry import Deployment, Platform
from lti_tool.roster import lms_text

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
PRESENTATION_CLAIM = CLAIM + "launch_presentation"
CUSTOM_CLAIM = CLAIM + "custom"
# The custom parameter an LMS sets to the activity's own address in it (where a reminder's link goes).
ACTIVITY_URL_PARAMETER = "activity_url"


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
        course_id = _end_enrollment(session, registration.known)
        consume_nonce(session, platform.id, claims["nonce"],
                      datetime.fromtimestamp(claims["exp"], UTC) + timedelta(seconds=leeway_seconds))
        raise RoleRefused(course_id)
    deployment = registration.deployment or _new_deployment(session, platform, claims[CLAIM + "deployment_id"])
    link_claim = claim_object(claims, "resource_link")
    context = claim_object(claims, "context")
    context_id = context_id_of(claims)
    known = registration.known
    person = _person(session, known.person or Person(platform_id=platform.id, subject=claims["sub"]), claims)
    course = _course(session, known.course or Course(platform_id=platform.id, context_id=context_id), context,
                     link_claim)
    enrollment = known.enrollment or Enrollment(person=person, course=course)
    _enroll(session, enrollment, role, claims.get(CLAIM + "roles") or [], now)
    link = None
    if link_claim:
        link = _resource_link(session, known.link or ResourceLink(course=course, resource_link_id=link_claim["id"]),
                              deployment, claims)
    expires_at = datetime.fromtimestamp(claims["exp"], UTC) + timedelta(seconds=leeway_seconds)
    _consume_nonce_noting_launch(session, platform.id, claims["nonce"], expires_at, known.enrollment, now)
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


def _end_enrollment(session: Session, known: KnownRows) -> int | None:
    if known.person is None or known.course is None:
        return None
    session.execute(delete(Enrollment).where(Enrollment.person_id == known.person.id,
                                             Enrollment.course_id == known.course.id))
    return known.course.id


def _new_deployment(session: Session, platform: Platform, deployment_id: str) -> Deployment:
    # Only reached when the platform accepts new deployments (the launch's validation checked).
    deployment = Deployment(platform=platform, deployment_id=deployment_id)
    session.add(deployment)
    session.flush()
    return deployment


def _person(session: Session, person: Person, claims: dict[str, Any]) -> Person:
    session.add(person)
    # Platforms may withhold personal data; keep what an earlier launch told us rather than erase it.
    for field in ("name", "given_name", "family_name", "email"):
        value = lms_text(claims.get(field))
        if value:
            setattr(person, field, value)
    # Reminders are written in the language of the person's latest launch that named one.
    person.locale = launch_locale(claims.get(PRESENTATION_CLAIM)) or person.locale
    return person


def _course(session: Session, course: Course, context: dict[str, Any], link_claim: dict[str, Any]) -> Course:
    session.add(course)
    course.label = lms_text(context.get("label")) or course.label
    course.title = lms_text(context.get("title"), 1024) or course.title or lms_text(link_claim.get("title"), 1024)
    return course


def _enroll(session: Session, enrollment: Enrollment, role: CourseRole, lti_roles: list[str], now: datetime) -> None:
    session.add(enrollment)
    enrollment.role = role
    enrollment.lti_roles = [str(r) for r in lti_roles]
    enrollment.last_launch_at = now
    if enrollment.id is None:
        enrollment.enrolled_at = now  # first seen at this launch: a late arrival if reviewing already opened


def _consume_nonce_noting_launch(session: Session, platform_id: int, nonce: str, expires_at: datetime,
                                 known: Enrollment | None, now: datetime) -> None:
    """Consume the nonce; on PostgreSQL a known enrollment's launch time is noted by the same statement (a
    data-changing WITH): a returning person's launch then writes in one round trip instead of two."""
    if known is None or session.get_bind().dialect.name != "postgresql":
        consume_nonce(session, platform_id, nonce, expires_at)
        return
    enrollments, nonces = Base.metadata.tables["enrollments"], Base.metadata.tables["consumed_nonces"]
    noted = update(enrollments).where(enrollments.c.id == known.id).values(last_launch_at=now).cte("noted")
    with session.no_autoflush:  # the launch time set on the enrollment is what this statement writes
        session.execute(insert(nonces).values(platform_id=platform_id, nonce=nonce, expires_at=expires_at)
                        .add_cte(noted))
    set_committed_value(known, "last_launch_at", now)  # written: the flush has nothing left to write for it


def _resource_link(session: Session, link: ResourceLink, deployment: Deployment, claims: dict[str, Any]) -> ResourceLink:
    link_claim = claim_object(claims, "resource_link")
    session.add(link)
    link.deployment_id = deployment.id
    link.title = lms_text(link_claim.get("title"), 1024) or link.title
    link.description = lms_text(link_claim.get("description"), 4096) or link.description
    # Workers post grades and read rosters later, without a request: keep the service claims.
    link.ags_claim = claims.get(AGS_CLAIM) or link.ags_claim
    link.nrps_claim = claims.get(NRPS_CLAIM) or link.nrps_claim
    link.lms_url = _activity_url(claims) or link.lms_url
    return link


def _activity_url(claims: dict[str, Any]) -> str | None:
    custom = claims.get(CUSTOM_CLAIM)
    value = custom.get(ACTIVITY_URL_PARAMETER) if isinstance(custom, dict) else None
    # A variable the LMS could not expand comes as written ("$ResourceLink.url"): only a web address is kept.
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 1024:
        return value
    return None


def lms_due_at(claims: dict[str, Any]) -> tuple[bool, datetime | None]:
    """Whether the launch carries the LMS's due date for the student, and the date (None when the LMS has none, or
    sent something that is not a date with its zone, such as the variable unexpanded)."""
    custom = claims.get(CUSTOM_CLAIM)
    if not isinstance(custom, dict) or DUE_AT_PARAMETER not in custom:
        return False, None
    value = custom[DUE_AT_PARAMETER]
    try:
        due = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 64 else None
    except ValueError:
        due = None
    if due is None or due.tzinfo is None or due.utcoffset() is None:
        return True, None
    return True, due.astimezone(UTC)
