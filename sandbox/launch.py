"""LTI 1.3 launches: third-party login initiation to the tool and the OIDC authorisation endpoint."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request
from lti1p3platform.exceptions import PreflightRequestValidationException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract

from sandbox.course import COURSE_OFFERING, Person, ResourceLink
from sandbox.flask_request import FlaskRequest
from sandbox.runtime import Sandbox, current_sandbox

blueprint = Blueprint("launch", __name__)

DOCUMENT_TARGETS = ("iframe", "window")
PRODUCT_FAMILY_CODE = "peerlti-sandbox"


@dataclass(frozen=True)
class LaunchPlan:
    """Who launches which link, and how the tool is shown."""

    person: Person
    link: ResourceLink
    document_target: str


class SandboxLogin(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["message_hint"]

    def get_redirect(self, url: str) -> Response:
        return redirect(url, code=302)


class SandboxLaunch(LTIAdvantageMessageLaunchAbstract):
    def __init__(self, platform_config: LTI1P3PlatformConfAbstract, sandbox: Sandbox, plan: LaunchPlan) -> None:
        super().__init__(FlaskRequest(request), platform_config)
        self._sandbox = sandbox
        self._plan = plan

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        person, link = self._plan.person, self._plan.link
        course, endpoints = self._sandbox.course, self._sandbox.endpoints
        self.set_user_data(person.user_id, list(person.roles), full_name=person.name, email_address=person.email)
        self.set_resource_link_claim(link.id, title=link.title)
        self.set_launch_context_claim(
            course.id, context_types=[COURSE_OFFERING], context_title=course.title, context_label=course.label
        )
        self.set_launch_presentation_claim(self._plan.document_target, endpoints.course_page)
        self.set_ags(
            endpoints.lineitems(course.id),
            lineitem_url=self._sandbox.link_line_item_url(link.id),
            allow_creating_lineitems=True,
        )
        self.set_nrps(endpoints.memberships(course.id))
        self.set_extra_claims(
            {
                "given_name": person.given_name,
                "family_name": person.family_name,
                "https://purl.imsglobal.org/spec/lti/claim/tool_platform": {
                    "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, endpoints.base_url)),
                    "name": "peerlti sandbox LMS",
                    "product_family_code": PRODUCT_FAMILY_CODE,
                    "url": endpoints.base_url,
                },
            }
        )

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        page = render_template("launch_form.html", **launch_data)
        return Response(page, headers={"Cache-Control": "no-store"})


@blueprint.get("/launch/<user_id>")
def initiate_login(user_id: str) -> Response | tuple[str, int]:
    sandbox = current_sandbox()
    if sandbox.course.person(user_id) is None:
        return _problem(404, "Unknown person", f"There is nobody with user id {user_id!r} in the course.")
    document_target = request.args.get("presentation", "iframe")
    if document_target not in DOCUMENT_TARGETS:
        return _problem(400, "Unknown presentation", "presentation must be iframe or window.")
    link = sandbox.course.resource_links[0]
    login = SandboxLogin(FlaskRequest(request), sandbox.new_platform())
    login.set_lti_message_hint(message_hint=f"{link.id}:{document_target}")
    return login.initiate_login(user_id)


@blueprint.route("/auth", methods=["GET", "POST"])
def authorize() -> Response | tuple[str, int]:
    sandbox = current_sandbox()
    # lti1p3platform reads the query string when there is one, else the form: do the same.
    params = request.args.to_dict() or request.form.to_dict()
    problem = _authorisation_problem(sandbox, params)
    if problem is not None:
        return _problem(400, "The tool's authorisation request was refused", problem)
    plan = _launch_plan(sandbox, params)
    try:
        return SandboxLaunch(sandbox.new_platform(), sandbox, plan).lti_launch()
    except PreflightRequestValidationException:
        return _problem(400, "The tool's authorisation request was refused", "It is incomplete.")


def _authorisation_problem(sandbox: Sandbox, params: dict[str, str]) -> str | None:
    """What is wrong with an OIDC authentication request (LTI 1.3 §5.1.1.2), in words, or None."""
    expected_redirect = sandbox.endpoints.tool_launch
    if params.get("response_type") != "id_token":
        return "response_type must be id_token."
    if "openid" not in params.get("scope", "").split():
        return "scope must be openid."
    if params.get("response_mode", "form_post") != "form_post":
        return "response_mode must be form_post."
    if params.get("client_id") != sandbox.config.client_id:
        return f"client_id {params.get('client_id')!r} is not registered here (expected {sandbox.config.client_id!r})."
    if params.get("redirect_uri") != expected_redirect:
        return f"redirect_uri {params.get('redirect_uri')!r} is not the tool's launch URL {expected_redirect}."
    login_hint = params.get("login_hint")
    if not login_hint or sandbox.course.person(login_hint) is None:
        return f"login_hint {login_hint!r} is not a person of this course."
    if not params.get("nonce"):
        return "nonce is required."
    if not params.get("state"):
        return "state is required."
    link_id, _, document_target = params.get("lti_message_hint", "").rpartition(":")
    if "lti_message_hint" in params and (
        sandbox.course.resource_link(link_id) is None or document_target not in DOCUMENT_TARGETS
    ):
        return f"lti_message_hint {params['lti_message_hint']!r} was not issued by this platform."
    return None


def _launch_plan(sandbox: Sandbox, params: dict[str, str]) -> LaunchPlan:
    person = sandbox.course.person(params["login_hint"])
    assert person is not None
    link_id, _, document_target = params.get("lti_message_hint", "").rpartition(":")
    link = sandbox.course.resource_link(link_id) or sandbox.course.resource_links[0]
    return LaunchPlan(person, link, document_target or "iframe")


def _problem(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("problem.html", title=title, message=message), status
