"""The id_tokens the course sends the tool: resource link launches and deep linking requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, render_template, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract

from sandbox.course import COURSE_OFFERING, Person, ResourceLink
from sandbox.flask_request import FlaskRequest
from sandbox.profile_claims import expand_canvas_variables, profile_claims
from sandbox.runtime import Sandbox

PRESENTATION_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
DEEP_LINKING_SETTINGS_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
# What the course accepts back: one link to the tool at a time, shown in its page or in a new window.
ACCEPTED_CONTENT_TYPES = frozenset({"ltiResourceLink"})
ACCEPTED_DOCUMENT_TARGETS = ("iframe", "window")


@dataclass(frozen=True)
class LaunchPlan:
    """Who launches which link, and how the tool is shown."""

    person: Person
    link: ResourceLink
    document_target: str
    locale: str | None = None  # the language the person reads the LMS in, when the launch names one
    target_link_uri: str | None = None  # where a gradebook launch goes instead of the link's own URL


@dataclass(frozen=True)
class DeepLinkingPlan:
    """Which staff member picks an activity to add, and how the tool is shown meanwhile."""

    person: Person
    document_target: str
    link_id: str | None = None  # an added link whose content is picked again


class CourseMessage(LTIAdvantageMessageLaunchAbstract):
    """The claims every message from the course carries: who, where, how shown, the roster, the platform."""

    def __init__(self, platform_config: LTI1P3PlatformConfAbstract, sandbox: Sandbox) -> None:
        super().__init__(FlaskRequest(request), platform_config)
        self._sandbox = sandbox

    def set_course_claims(self, person: Person, document_target: str, locale: str | None = None) -> None:
        course, endpoints = self._sandbox.course, self._sandbox.endpoints
        self.set_user_data(person.user_id, list(person.roles), full_name=person.name, email_address=person.email)
        self.set_launch_context_claim(
            course.id, context_types=[COURSE_OFFERING], context_title=course.title, context_label=course.label
        )
        self.set_launch_presentation_claim(document_target, endpoints.course_page)
        if locale:
            self.lti_claim_launch_presentation[PRESENTATION_CLAIM]["locale"] = locale
        if not self._sandbox.config.roster_refused:
            # Neither Canvas (jwt_message.rb include_names_and_roles_service_claims?) nor Moodle offers NRPS to a tool
            # that may not use it; the refusal is for a tool that calls it all the same.
            self.set_nrps(endpoints.memberships(self._sandbox.service_course_id))
        self.set_extra_claims({"given_name": person.given_name, "family_name": person.family_name,
                               **profile_claims(endpoints, person)})

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        page = render_template("launch_form.html", **launch_data)
        return Response(page, headers={"Cache-Control": "no-store"})


class ResourceLinkLaunch(CourseMessage):
    """LtiResourceLinkRequest: a person opens one of the course's links to the tool."""

    def __init__(self, platform_config: LTI1P3PlatformConfAbstract, sandbox: Sandbox, plan: LaunchPlan) -> None:
        super().__init__(platform_config, sandbox)
        self._plan = plan

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        link = self._plan.link
        endpoints = self._sandbox.endpoints
        self.set_course_claims(self._plan.person, self._plan.document_target, self._plan.locale)
        self.set_resource_link_claim(link.id, title=link.title)
        if self._plan.target_link_uri or link.url:
            # A link made through deep linking goes where its content item said (target_link_uri); SpeedGrader's
            # launch of a submission, to the submission's URL.
            self.set_launch_url(self._plan.target_link_uri or link.url)
        custom = dict(link.custom)
        if endpoints.profile.is_canvas:
            # resource_link_request.rb unexpanded_custom_parameters: the link's custom over the tool's.
            custom = expand_canvas_variables({**self._sandbox.config.custom_fields, **custom}, self._plan.person,
                                             link, self._sandbox.config.due_dates)
        if self._sandbox.config.activity_urls:
            custom["activity_url"] = f"{endpoints.base_url}/?link={link.id}"
        if custom:
            # How the tool recognises what it created for this link.
            self.set_custom_parameters_claim(custom)
        self.set_ags(
            endpoints.lineitems(self._sandbox.service_course_id),
            lineitem_url=self._sandbox.link_line_item_url(link.id),
            allow_creating_lineitems=True,
        )


class DeepLinkingRequest(CourseMessage):
    """LtiDeepLinkingRequest: a staff member picks, in the tool, an activity to add to the course."""

    def __init__(self, platform_config: LTI1P3PlatformConfAbstract, sandbox: Sandbox, plan: DeepLinkingPlan) -> None:
        super().__init__(platform_config, sandbox)
        self._plan = plan

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        person = self._plan.person
        course, endpoints = self._sandbox.course, self._sandbox.endpoints
        self.set_course_claims(person, self._plan.document_target)
        # No line item yet: the tool may only say, in its response, which one the new link should get.
        self.set_ags(endpoints.lineitems(self._sandbox.service_course_id), allow_creating_lineitems=True)
        self.set_dl(
            endpoints.deep_link_return,
            title="Peer assessment",
            description=f"An activity of {course.title}, added by {person.name}.",
            accept_types=set(ACCEPTED_CONTENT_TYPES),
        )
        # Issued only now, after the tool's authorisation request passed its checks, so no stray data piles up.
        pending = self._sandbox.deep_links.issue(person.user_id, self._plan.link_id)
        # set_dl always accepts several items and an "embed" target, and wants data as an object; this course
        # takes one link per request, shown in a frame or a window, and data is an opaque string (LTI-DL 2.0).
        assert self._deep_linking_launch_data is not None
        self._deep_linking_launch_data[DEEP_LINKING_SETTINGS_CLAIM].update(
            {
                "accept_presentation_document_targets": list(ACCEPTED_DOCUMENT_TARGETS),
                "accept_multiple": False,
                "auto_create": True,
                "data": pending.data,
            }
        )


class SubmissionReviewLaunch(ResourceLinkLaunch):
    """LtiSubmissionReviewRequest: Moodle's grade report opens the tool's view of one student's work
    (mod/lti/grade.php redirects to view.php?action=gradeReport&user=N; mod/lti/locallib.php sends the message with
    the `for_user` claim naming that student, and the link's AGS claim with its line item)."""

    def __init__(self, platform_config: LTI1P3PlatformConfAbstract, sandbox: Sandbox, plan: LaunchPlan,
                 student_id: str) -> None:
        super().__init__(platform_config, sandbox, plan)
        self._student_id = student_id

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        super().prepare_launch(preflight_response)
        student = self._sandbox.course.person(self._student_id)
        assert student is not None
        # Extra claims are written last (lti1p3platform get_launch_message), over the resource link message type.
        self.set_extra_claims({
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiSubmissionReviewRequest",
            "https://purl.imsglobal.org/spec/lti/claim/for_user": {
                "user_id": student.user_id, "given_name": student.given_name, "family_name": student.family_name,
                "name": student.name, "email": student.email, "roles": list(student.roles),
            },
        })
