"""Deep Linking 2.0: remember a content-picker request, then answer it with the activity the instructor made."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from pylti1p3.deep_link import DeepLink, TDeepLinkData
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from assessment.db import Base, JSONDocument, utcnow
from assessment.errors import NotAllowed
from assessment.messages import N_
from assessment.models import Assignment
from lti_tool.key_vault import current_signing_key
from lti_tool.registry import Deployment, Platform, lti_registration

SETTINGS_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
ASSIGNMENT_PARAMETER = "peerlti_assignment"
DEEP_LINK_SESSION_PREFIX = "deep-link:"
# An instructor may take a while in the picker, but an answer days later is no longer expected by the LMS.
REQUEST_LIFETIME = timedelta(hours=2)


class DeepLinkRequest(Base):
    """An open content-picker request: where to send the answer and what to echo back."""

    __tablename__ = "deep_link_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]

    @property
    def return_url(self) -> str:
        return self.settings["deep_link_return_url"]

    def is_open(self, now: datetime) -> bool:
        return self.answered_at is None and now - self.created_at < REQUEST_LIFETIME


def record_request(session: Session, platform: Platform, deployment: Deployment, claims: dict[str, Any],
                   person_course: tuple[int, int]) -> DeepLinkRequest:
    person_id, course_id = person_course
    request = DeepLinkRequest(
        token=secrets.token_urlsafe(24), platform_id=platform.id, deployment_id=deployment.id,
        person_id=person_id, course_id=course_id, settings=dict(claims[SETTINGS_CLAIM]),
    )
    session.add(request)
    session.flush()
    return request


def open_request(session: Session, token: str, person_id: int, now: datetime) -> DeepLinkRequest:
    request = session.scalars(select(DeepLinkRequest).where(DeepLinkRequest.token == token)).one_or_none()
    if request is None or request.person_id != person_id:
        raise NotAllowed(N_("This content-picker request is not yours. Start again from the LMS."))
    if not request.is_open(now):
        raise NotAllowed(N_("This content-picker request was already answered or has expired. Start again from the LMS."))
    return request


def response_jwt(session: Session, request: DeepLinkRequest, assignment: Assignment | None, launch_url: str) -> str:
    """The signed LtiDeepLinkingResponse: one resource link with its gradebook column, or none when cancelled."""
    platform = session.get(Platform, request.platform_id)
    deployment = session.get(Deployment, request.deployment_id)
    assert platform is not None and deployment is not None
    registration = lti_registration(platform, current_signing_key(session))
    resources = [] if assignment is None else [_resource(assignment, launch_url)]
    # The settings are the launch's deep_linking_settings claim, stored as received once pylti1p3's deep-linking
    # validator accepted it: the shape its TypedDict describes, which a JSON column cannot carry in its type.
    settings = cast(TDeepLinkData, request.settings)
    return DeepLink(registration, deployment.deployment_id, settings).get_response_jwt(resources)


def _resource(assignment: Assignment, launch_url: str) -> DeepLinkResource:
    line_item = (
        LineItem()
        .set_label(assignment.title)
        .set_score_maximum(assignment.points_possible)
        .set_resource_id(assignment.public_id)
        .set_tag("peerlti")
    )
    return (
        DeepLinkResource()
        .set_url(launch_url)
        .set_title(assignment.title)
        .set_custom_params({ASSIGNMENT_PARAMETER: assignment.public_id})
        .set_lineitem(line_item)
    )
