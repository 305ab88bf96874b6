"""What a login or launch names, read in one query: the platform, the deployment, the nonce's use and, for a launch,
the person, course, enrollment and resource link the tool already has."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeGuard, cast

from sqlalchemy import and_, exists, false, literal, select
from sqlalchemy.orm import Session

from assessment.models import Assignment, Course, Enrollment, Extension, Person, ResourceLink
from lti_tool.launch.replay import ConsumedNonce
from lti_tool.registry import Deployment, Platform

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
# Canvas expands `$Canvas.assignment.dueAt.iso8601` in this custom field to the student's own due date (their
# override's, else the assignment's); the tool's Canvas configuration asks for it.
DUE_AT_PARAMETER = "due_at"
IDENTIFIER_LIMIT = 255  # LTI 1.3 core: user, deployment, context and resource link ids
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def is_lms_identifier(value: object, limit: int = IDENTIFIER_LIMIT) -> TypeGuard[str]:
    """Whether an id the LMS keys a platform, person, course, link or deployment by can be kept as sent. Each is
    found again by it, so one that cannot be kept (PostgreSQL stores no NUL) is refused rather than cleaned."""
    return isinstance(value, str) and 0 < len(value) <= limit and _CONTROL_CHARACTER.search(value) is None


def claim_object(claims: dict[str, Any], name: str) -> dict[str, Any]:
    """An LTI claim that holds an object (context, resource_link), or {} when it is absent or not an object."""
    value = claims.get(CLAIM + name)
    return value if isinstance(value, dict) else {}


def context_id_of(claims: dict[str, Any]) -> str:
    # A launch without a context still needs somewhere to live: the resource link becomes its own course
    # (a deep-linking request always comes from a course, so it names a context).
    context = claim_object(claims, "context")
    link_claim = claim_object(claims, "resource_link")
    return str(context.get("id") or f"resource-link:{link_claim.get('id', 'none')}")


@dataclass(frozen=True)
class LaunchNames:
    """What a launch names besides its registration, each by the key the platform gives it."""

    deployment_id: str
    nonce: str
    subject: str
    context_id: str
    link_id: str | None  # None for a deep-linking request
    lms_due: bool = False  # the launch carries the LMS's due date for the person

    @classmethod
    def of(cls, claims: dict[str, Any]) -> LaunchNames:
        link_id = claim_object(claims, "resource_link").get("id")
        return cls(str(claims[CLAIM + "deployment_id"]), str(claims["nonce"]), str(claims["sub"]),
                   context_id_of(claims), str(link_id) if link_id else None,
                   DUE_AT_PARAMETER in claim_object(claims, "custom"))


@dataclass(frozen=True)
class KnownRows:
    """The person, course, enrollment and resource link a launch names, as the tool has them (None: new)."""

    person: Person | None = None
    course: Course | None = None
    enrollment: Enrollment | None = None
    link: ResourceLink | None = None
    # Read only for a launch carrying the LMS's due date: the assignment at the link, and the date kept for the person.
    lms_due_read: bool = False
    assignment: Assignment | None = None
    lms_due_kept: Extension | None = None


@dataclass(frozen=True)
class LaunchRegistration:
    platform: Platform
    deployment: Deployment | None  # None: the deployment id is not registered (the platform may accept new ones)
    nonce_used: bool = False
    known: KnownRows = KnownRows()

    @property
    def deployment_allowed(self) -> bool:
        return self.deployment is not None or self.platform.accept_new_deployments


def find_login_registration(session: Session, issuer: str, client_id: str | None, deployment_id: str | None
                            ) -> LaunchRegistration | None:
    """The registration for issuer and client id (without a client id, the issuer's only one), with its deployment."""
    deployment_matches = Deployment.deployment_id == deployment_id if deployment_id else false()
    query = (
        select(Platform, Deployment, literal(False))
        .outerjoin(Deployment, and_(Deployment.platform_id == Platform.id, deployment_matches))
        .where(Platform.issuer == issuer)
    )
    if client_id is not None:
        query = query.where(Platform.client_id == client_id)
    rows = session.execute(query.limit(2)).all()
    if len(rows) != 1:  # none, or several registrations of the issuer and no client id to choose
        return None
    platform, deployment, _ = rows[0]
    return LaunchRegistration(platform, deployment)


def find_launch_registration(session: Session, issuer: str, client_id: str, names: LaunchNames
                             ) -> LaunchRegistration | None:
    """The registration for issuer and client id with everything the launch names, in one query.

    Each row is found by its natural key, hanging off the platform's row. The launch reads them before the
    signature is checked (it needs the platform's key set URL first); nothing is written until the token is proven."""
    link_matches = ResourceLink.resource_link_id == names.link_id if names.link_id else false()
    nonce_used = exists().where(ConsumedNonce.platform_id == Platform.id, ConsumedNonce.nonce == names.nonce)
    query = (
        select(Platform, Deployment, nonce_used, Person, Course, Enrollment, ResourceLink)
        .outerjoin(Deployment, and_(Deployment.platform_id == Platform.id,
                                    Deployment.deployment_id == names.deployment_id))
        .outerjoin(Person, and_(Person.platform_id == Platform.id, Person.subject == names.subject))
        .outerjoin(Course, and_(Course.platform_id == Platform.id, Course.context_id == names.context_id))
        .outerjoin(Enrollment, and_(Enrollment.person_id == Person.id, Enrollment.course_id == Course.id))
        .outerjoin(ResourceLink, and_(ResourceLink.course_id == Course.id, link_matches))
        .where(Platform.issuer == issuer, Platform.client_id == client_id)
    )
    if names.lms_due:
        # What keeping the LMS's date needs, in the same read rather than two more.
        query = (query.add_columns(Assignment, Extension)
                 .outerjoin(Assignment, Assignment.resource_link_id == ResourceLink.id)
                 .outerjoin(Extension, and_(Extension.assignment_id == Assignment.id, Extension.person_id == Person.id,
                                            Extension.from_lms.is_(True))))
    row = session.execute(query).one_or_none()
    if row is None:
        return None
    platform, deployment, used, person, course, enrollment, link = row[:7]
    known = KnownRows(person, course, enrollment, link)
    if names.lms_due:
        assignment, kept = cast(tuple[Any, ...], row)[7:9]  # the columns added above
        known = KnownRows(person, course, enrollment, link, lms_due_read=True, assignment=assignment, lms_due_kept=kept)
    return LaunchRegistration(platform, deployment, bool(used), known)
