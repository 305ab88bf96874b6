"""LTI 1.3 logins: third-party login initiation to the tool and the OIDC authorisation endpoint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, redirect, render_template, request
from lti1p3platform.exceptions import PreflightRequestValidationException
from lti1p3platform.oidc_login import OIDCLoginAbstract

from sandbox.course import Person
from sandbox.flask_request import FlaskRequest
from sandbox.grader_launches import grader_launch, is_grader_subject, review_subject, submission_subject
from sandbox.messages import (
    CourseMessage,
    DeepLinkingPlan,
    DeepLinkingRequest,
    LaunchPlan,
    ResourceLinkLaunch,
    SubmissionReviewLaunch,
)
from sandbox.platform_storage import OFFERING_MODES, STORAGE_TARGET
from sandbox.profiles import SPEC_PROFILE, LmsProfile
from sandbox.runtime import Sandbox, current_sandbox

blueprint = Blueprint("launch", __name__)

DOCUMENT_TARGETS = ("iframe", "window")
# The subject of an lti_message_hint asking for a deep linking request; resource link ids never take it.
# `deep-linking=<link id>` picks the content of an added link again, keeping the link's id.
DEEP_LINKING_SUBJECT = "deep-linking"
REPICK_SEPARATOR = "="
# A BCP 47 language tag such as "hi-IN", as LMSs send the user's language in launch_presentation.locale.
LOCALE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


@dataclass(frozen=True)
class MessageHint:
    """The lti_message_hint: `<resource link id>:<document target>` or `deep-linking:<document target>`,
    followed by `:<locale>` when the launch asks for a language."""

    subject: str
    document_target: str
    locale: str | None = None

    @classmethod
    def parse(cls, hint: str) -> MessageHint:
        head, _, last = hint.rpartition(":")
        if last not in DOCUMENT_TARGETS and head.rpartition(":")[2] in DOCUMENT_TARGETS:
            subject, _, document_target = head.rpartition(":")
            return cls(subject, document_target, last)
        return cls(head, last)

    @property
    def is_deep_linking(self) -> bool:
        return self.subject == DEEP_LINKING_SUBJECT or self.subject.startswith(DEEP_LINKING_SUBJECT + REPICK_SEPARATOR)

    @property
    def repicked_link(self) -> str | None:
        """The added link whose content a deep linking request picks again, if it is such a request."""
        _, separator, link_id = self.subject.partition(REPICK_SEPARATOR)
        return link_id if self.is_deep_linking and separator else None

    def __str__(self) -> str:
        return f"{self.subject}:{self.document_target}" + (f":{self.locale}" if self.locale else "")


class SandboxLogin(OIDCLoginAbstract):
    storage_target: str | None = None
    profile: LmsProfile = SPEC_PROFILE

    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["message_hint"]

    def prepare_preflight_url(self, user_id: str) -> str:
        url = super().prepare_preflight_url(user_id)
        if self.profile.is_canvas:
            # Canvas's login request names the deployment `deployment_id`, not `lti_deployment_id`, and adds where
            # the account lives (app/models/lti/lti_advantage_adapter.rb login_request).
            url = url.replace("&lti_deployment_id=", "&deployment_id=")
            url += "&" + urlencode({"canvas_region": "not_configured", "canvas_environment": "prod"})
        if self.storage_target:
            url += "&" + urlencode({"lti_storage_target": self.storage_target})
        return url

    def get_redirect(self, url: str) -> Response:
        return redirect(url, code=302)


@blueprint.get("/launch/<user_id>")
def initiate_login(user_id: str) -> Response | tuple[str, int]:
    sandbox = current_sandbox()
    if sandbox.course.person(user_id) is None:
        return _unknown_person(user_id)
    document_target = request.args.get("presentation", "iframe")
    if document_target not in DOCUMENT_TARGETS:
        return _problem(400, "Unknown presentation", "presentation must be iframe or window.")
    link_id = request.args.get("link")
    link = sandbox.course.resource_links[0] if link_id is None else sandbox.course.resource_link(link_id)
    if link is None:
        return _problem(404, "Unknown activity", f"There is no resource link {link_id!r} in the course.")
    locale = request.args.get("locale") or None
    if locale is not None and not LOCALE_TAG.fullmatch(locale):
        return _problem(400, "Unknown language", "locale must be a language tag such as en-US or hi-IN.")
    subject, target = link.id, link.url
    # From the gradebook: ?submission=<line item>/<student> (Canvas SpeedGrader) or ?review_for=<student> (Moodle).
    if request.args.get("submission") or request.args.get("review_for"):
        line_item_id, _, student_id = request.args.get("submission", "").partition("/")
        subject = (submission_subject(line_item_id, student_id) if request.args.get("submission")
                   else review_subject(link.id, request.args["review_for"]))
        graded = grader_launch(sandbox, subject)
        if graded is None:
            return _problem(404, "Nothing to grade", "This gradebook has no such submission to open.")
        target = graded.target_link_uri or target
    login = SandboxLogin(FlaskRequest(request), sandbox.new_platform())
    login.profile = sandbox.endpoints.profile
    login.set_lti_message_hint(message_hint=str(MessageHint(subject, document_target, locale)))
    # Only the course page, which answers the storage messages, asks for it (?storage=...); plain initiations don't.
    if request.args.get("storage") in OFFERING_MODES:
        login.storage_target = STORAGE_TARGET
    if target:
        # The login's target_link_uri must be the one the id_token will carry.
        login.set_launch_url(target)
    return login.initiate_login(user_id)


@blueprint.get("/deep-link/<user_id>")
def initiate_deep_linking(user_id: str) -> Response | tuple[str, int]:
    sandbox = current_sandbox()
    person = sandbox.course.person(user_id)
    if person is None:
        return _unknown_person(user_id)
    if not person.is_staff:
        return _not_staff(person)
    document_target = request.args.get("presentation", "iframe")
    if document_target not in DOCUMENT_TARGETS:
        return _problem(400, "Unknown presentation", "presentation must be iframe or window.")
    # ?link=<added link>: pick that link's content again; the course keeps the link and its id, as Open edX does.
    link_id = request.args.get("link")
    subject = DEEP_LINKING_SUBJECT
    if link_id is not None:
        if not any(stored["id"] == link_id for stored in sandbox.store.resource_links()):
            return _problem(404, "Unknown activity",
                            f"There is no added resource link {link_id!r} whose content could be picked again.")
        subject = DEEP_LINKING_SUBJECT + REPICK_SEPARATOR + link_id
    login = SandboxLogin(FlaskRequest(request), sandbox.new_platform())
    login.profile = sandbox.endpoints.profile
    login.set_lti_message_hint(message_hint=str(MessageHint(subject, document_target)))
    login.set_deeplinking_launch_url()
    return login.initiate_login(user_id)


def authorize() -> Response | tuple[str, int]:
    sandbox = current_sandbox()
    # lti1p3platform reads the query string when there is one, else the form: do the same.
    params = request.args.to_dict() or request.form.to_dict()
    problem = _lost_moodle_session(sandbox) or _authorisation_problem(sandbox, params)
    if problem is not None:
        error, words = problem
        return (_moodle_error_answer(sandbox, params, error)
                or _problem(400, "The tool's authorisation request was refused", words))
    person = sandbox.course.person(params["login_hint"])
    tool = sandbox.tool(params["client_id"])
    assert person is not None and tool is not None
    hint = MessageHint.parse(params["lti_message_hint"]) if "lti_message_hint" in params else None
    message: CourseMessage
    if hint is not None and hint.is_deep_linking:
        if not person.is_staff:
            return _not_staff(person)
        message = DeepLinkingRequest(sandbox.new_platform(tool), sandbox, DeepLinkingPlan(person, hint.document_target,
                                                                                  hint.repicked_link))
    elif hint is not None and is_grader_subject(hint.subject):
        graded = grader_launch(sandbox, hint.subject)
        assert graded is not None  # checked with the request
        plan = LaunchPlan(person, graded.link, hint.document_target, hint.locale, target_link_uri=graded.target_link_uri)
        message = (SubmissionReviewLaunch(sandbox.new_platform(tool), sandbox, plan, graded.student_id)
                   if graded.is_submission_review else ResourceLinkLaunch(sandbox.new_platform(tool), sandbox, plan))
    else:
        link = sandbox.course.resource_link(hint.subject) if hint else sandbox.course.resource_links[0]
        assert link is not None
        plan = LaunchPlan(person, link, hint.document_target if hint else "iframe", hint.locale if hint else None)
        message = ResourceLinkLaunch(sandbox.new_platform(tool), sandbox, plan)
    try:
        return message.lti_launch()
    except PreflightRequestValidationException:
        return _problem(400, "The tool's authorisation request was refused", "It is incomplete.")


def _lost_moodle_session(sandbox: Sandbox) -> tuple[str, str] | None:
    """Moodle 4.5 sets its session cookie SameSite=Lax (lib/classes/session/manager.php), so a browser leaves it out
    of a cross-site POST: auth.php then finds nobody signed in, whom the login hint cannot be (mod/lti/auth.php
    answers access_denied). A GET redirect, as peerlti and pylti1p3 send, keeps it."""
    if not sandbox.endpoints.profile.is_moodle or request.method != "POST":
        return None
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    cross_site = fetch_site == "cross-site" if fetch_site else (
        origin is not None and urlsplit(origin).hostname != urlsplit(sandbox.endpoints.base_url).hostname)
    if not cross_site:
        return None
    return "access_denied", "The Moodle session cookie (SameSite=Lax) was not sent with this cross-site POST."


def _authorisation_problem(sandbox: Sandbox, params: dict[str, str]) -> tuple[str, str] | None:
    """What is wrong with an OIDC authentication request (LTI 1.3 §5.1.1.2): its OAuth error code and, in words,
    the problem; None when nothing is."""
    if params.get("response_type") != "id_token":
        return "unsupported_response_type", "response_type must be id_token."
    if "openid" not in params.get("scope", "").split():
        return "invalid_scope", "scope must be openid."
    if params.get("response_mode", "form_post") != "form_post":
        return "invalid_request", "response_mode must be form_post."
    tool = sandbox.tool(params.get("client_id", ""))
    if tool is None:
        return ("unauthorized_client",
                f"client_id {params.get('client_id')!r} is not registered here (expected {sandbox.config.client_id!r}).")
    if params.get("redirect_uri") not in tool.redirect_uris:
        return ("invalid_request",
                f"redirect_uri {params.get('redirect_uri')!r} is not the tool's launch URL {tool.redirect_uris[0]}.")
    login_hint = params.get("login_hint")
    if not login_hint or sandbox.course.person(login_hint) is None:
        return "access_denied", f"login_hint {login_hint!r} is not a person of this course."
    if not params.get("nonce"):
        return "invalid_request", "nonce is required."
    if not params.get("state"):
        return "invalid_request", "state is required."
    if "lti_message_hint" in params:
        hint = MessageHint.parse(params["lti_message_hint"])
        known_subject = (hint.is_deep_linking or sandbox.course.resource_link(hint.subject) is not None
                         or (is_grader_subject(hint.subject) and grader_launch(sandbox, hint.subject) is not None))
        known_locale = hint.locale is None or LOCALE_TAG.fullmatch(hint.locale)
        if not known_subject or hint.document_target not in DOCUMENT_TARGETS or not known_locale:
            return "invalid_request", f"lti_message_hint {params['lti_message_hint']!r} was not issued by this platform."
    return None


def _moodle_error_answer(sandbox: Sandbox, params: dict[str, str], error: str) -> Response | None:
    """Moodle (mod/lti/auth.php) posts a refused authentication back to the tool's redirect URI, with `error` and
    the `state`, once it trusts that URI (a registered tool and one of its redirection URIs); otherwise it throws
    its own error page, as the other profiles do."""
    tool = sandbox.tool(params.get("client_id", ""))
    if not sandbox.endpoints.profile.is_moodle or tool is None or params.get("redirect_uri") not in tool.redirect_uris:
        return None
    fields = {"error": error, **({"state": params["state"]} if params.get("state") else {})}
    page = render_template("auth_error_form.html", redirect_uri=params["redirect_uri"], fields=fields)
    return Response(page, headers={"Cache-Control": "no-store"})


def _unknown_person(user_id: str) -> tuple[str, int]:
    return _problem(404, "Unknown person", f"There is nobody with user id {user_id!r} in the course.")


def _not_staff(person: Person) -> tuple[str, int]:
    return render_template("not_staff.html", person=person), 403


def _problem(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("problem.html", title=title, message=message), status
