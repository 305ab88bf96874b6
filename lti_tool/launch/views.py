"""The LTI endpoints: login initiation, launch and the tool's JWKS."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, redirect, request, url_for
from sqlalchemy.exc import IntegrityError

from assessment.models import CourseRole, ResourceLink
from assessment.services import place_assignment
from lti_tool.database import db
from lti_tool.i18n import remember_launch_locale
from lti_tool.identity import remember_launch
from lti_tool.keys import public_jwks
from lti_tool.launch.deep_linking import ASSIGNMENT_PARAMETER, DEEP_LINK_SESSION_PREFIX, record_request
from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.hardening import HardenedMessageLaunch, LaunchPolicy, LaunchRequest
from lti_tool.launch.login import start_login
from lti_tool.launch.platform_keys import PlatformKeyCache
from lti_tool.launch.provisioning import LaunchIdentity, provision
from lti_tool.launch.state import STATE_MAX_AGE_SECONDS, StateSigner
from lti_tool.registry import Deployment

CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
PRESENTATION_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"

bp = Blueprint("lti", __name__, url_prefix="/lti")


def _settings():
    return current_app.config["PEERLTI_SETTINGS"]


def _signer() -> StateSigner:
    return StateSigner(_settings().secret_key)


def _launch_url() -> str:
    return _settings().tool_base_url + url_for("lti.launch")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    params = request.args if request.method == "GET" else request.form
    login_redirect = start_login(db(), params, _signer(), _launch_url())
    response = redirect(login_redirect.url, 302)
    policy = current_app.config["PEERLTI_COOKIE_POLICY"]
    response.set_cookie(
        login_redirect.state.cookie_name, login_redirect.state.state_id, max_age=STATE_MAX_AGE_SECONDS, **policy
    )
    return response


@bp.post("/launch")
def launch() -> Response:
    settings = _settings()
    session = db()
    policy = LaunchPolicy(
        session=session,
        state_signer=_signer(),
        platform_keys=current_app.extensions["peerlti.platform_keys"],
        clock_leeway_seconds=settings.clock_leeway_seconds,
        relaunch_url=settings.tool_base_url + url_for("lti.login"),
    )
    message = HardenedMessageLaunch(LaunchRequest(), policy).validate()
    assert message.platform is not None and message.login_state is not None
    try:
        identity = provision(session, message.platform, message.claims, leeway_seconds=settings.clock_leeway_seconds)
        if message.is_deep_linking:
            session_key, destination = _deep_linking_request(message, identity)
        else:
            _place_assignment(message, identity)
            session_key = None
            destination = url_for("landing.resource_link", link_id=identity.resource_link_id)
        session.commit()
    except IntegrityError:
        # Two launches raced: the same replayed token, or two first launches into one new course.
        session.rollback()
        message.validate_nonce()
        raise LaunchRejected(
            "Another launch changed the same records at this moment; open the activity again.", status=409
        ) from None
    remember_launch(identity, key=session_key)
    remember_launch_locale((message.claims.get(PRESENTATION_CLAIM) or {}).get("locale"))
    response = redirect(destination, 303)
    response.delete_cookie(message.login_state.cookie_name, **_cookie_scope())
    return response


def _deep_linking_request(message: HardenedMessageLaunch, identity: LaunchIdentity) -> tuple[str, str]:
    if identity.role is not CourseRole.STAFF:
        raise LaunchRejected("Only the course's instructors can add peerlti activities.", status=403)
    session = db()
    deployment = session.get(Deployment, identity.deployment_id)
    assert message.platform is not None and deployment is not None
    request = record_request(session, message.platform, deployment, message.claims,
                             (identity.person_id, identity.course_id))
    return DEEP_LINK_SESSION_PREFIX + request.token, url_for("deep_linking.new_activity", token=request.token)


def _place_assignment(message: HardenedMessageLaunch, identity: LaunchIdentity) -> None:
    """A link created by deep linking names its assignment in a custom parameter: attach them on first launch."""
    link = db().get(ResourceLink, identity.resource_link_id)
    assert link is not None
    custom = message.claims.get(CUSTOM_CLAIM) or {}
    place_assignment(db(), link, custom.get(ASSIGNMENT_PARAMETER))


def _cookie_scope() -> dict[str, object]:
    policy = current_app.config["PEERLTI_COOKIE_POLICY"]
    return {key: policy[key] for key in ("secure", "samesite", "partitioned", "httponly", "path")}


@bp.get("/jwks")
def jwks() -> Response:
    response = jsonify(public_jwks(db()))
    response.cache_control.max_age = 300
    response.cache_control.public = True
    return response


def init_launch(app) -> None:
    app.extensions["peerlti.platform_keys"] = PlatformKeyCache(app.config["PEERLTI_SETTINGS"].http_timeout_seconds)
    app.register_blueprint(bp)
