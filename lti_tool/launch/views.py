"""The LTI endpoints: login initiation, launch and the tool's JWKS."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug import Response

from assessment.db import utcnow
from assessment.extensions import keep_lms_due, lms_due_kept
from assessment.messages import N_
from assessment.models import Assignment, CourseRole, Enrollment, Person
from assessment.services import Placement, place_assignment
from lti_tool.database import db
from lti_tool.i18n import remember_launch_locale
from lti_tool.identity import forget_course, remember_launch
from lti_tool.keys import public_jwks
from lti_tool.launch.deep_linking import ASSIGNMENT_PARAMETER, DEEP_LINK_SESSION_PREFIX, record_request
from lti_tool.launch.errors import LaunchRejected
from lti_tool.launch.hardening import HardenedMessageLaunch, LaunchPolicy, LaunchRequest
from lti_tool.launch.login import start_login
from lti_tool.launch.platform_keys import PlatformKeyCache
from lti_tool.launch.platform_storage import (
    ANSWER_TIMEOUT_MS,
    PlatformStorageAnswer,
    PlatformStorageNeeded,
    nonce_key,
    origin_of,
    state_key,
)
from lti_tool.launch.provisioning import LaunchIdentity, Provisioned, RoleRefused, lms_due_at, provision
from lti_tool.launch.roles import is_platform_administrator
from lti_tool.launch.state import STATE_MAX_AGE_SECONDS, StateCookies, StateSigner
from lti_tool.lms_gradebooks import named_student
from lti_tool.logging_setup import log_event
from lti_tool.metrics import LAUNCHES
from lti_tool.outbound import OutboundClient
from lti_tool.registry import find_platform
from lti_tool.tab_session import start_tab_session

CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
PRESENTATION_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"

bp = Blueprint("lti", __name__, url_prefix="/lti")
log = logging.getLogger("peerlti.launch")


def _settings():
    return current_app.config["PEERLTI_SETTINGS"]


def _signer() -> StateSigner:
    return StateSigner(_settings().secret_key)


def _launch_url() -> str:
    return _settings().tool_base_url + url_for("lti.launch")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    params = request.args if request.method == "GET" else request.form
    session = db()
    # A login only reads the registration: outside a transaction it spends no round trips on BEGIN and ROLLBACK.
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    login_redirect = start_login(session, params, _signer(), _launch_url())
    response: Response
    if login_redirect.state.storage_target:
        # The LMS offers its storage (lti_storage_target): a page keeps the state there, then goes on to the LMS.
        # The cookie is still set, and is enough wherever the browser keeps it.
        response = make_response(render_template(
            "platform_storage/login.html", login=login_redirect, state_key=state_key(login_redirect.state),
            nonce_key=nonce_key(login_redirect.state), relaunch_url=login_redirect.state.relaunch_url(_login_url()),
            timeout_ms=ANSWER_TIMEOUT_MS,
        ))
        response.headers["Cache-Control"] = "no-store"
    else:
        response = redirect(login_redirect.url, 302)
    policy = current_app.config["PEERLTI_COOKIE_POLICY"]
    cookies, now = StateCookies.of(request.cookies), time.time()
    for stray in cookies.strays():
        response.delete_cookie(stray, **_cookie_scope())
    response.set_cookie(cookies.slot_for_new_login(now), StateCookies.value(login_redirect.state, now),
                        max_age=STATE_MAX_AGE_SECONDS, **policy)
    return response


@bp.post("/launch")
def launch() -> Response:
    try:
        message = HardenedMessageLaunch(LaunchRequest(), _launch_policy()).validate()
    except PlatformStorageNeeded as needed:
        return _ask_platform_storage(needed)
    assert message.state_cookie_name is not None
    response = _complete_launch(message)
    response.delete_cookie(message.state_cookie_name, **_cookie_scope())  # its slot is free for the next login
    return response


@bp.post("/launch/platform-storage")
def launch_with_platform_storage() -> Response:
    """The launch again, with the state and nonce the tool's page read back from the LMS's storage."""
    _require_own_page()
    answer = PlatformStorageAnswer(
        state=request.form.get("platform_state", ""), nonce=request.form.get("platform_nonce", "")
    )
    message = HardenedMessageLaunch(LaunchRequest(), _launch_policy(), answer).validate()
    # This browser kept no cookie of the tool, so from here on the session belongs to this tab, carried by a
    # signed token on its links and forms.
    start_tab_session()
    return _complete_launch(message)


def _launch_policy() -> LaunchPolicy:
    settings = _settings()
    return LaunchPolicy(
        session=db(),
        state_signer=_signer(),
        platform_keys=current_app.extensions["peerlti.platform_keys"],
        clock_leeway_seconds=settings.clock_leeway_seconds,
        relaunch_url=_login_url(),
    )


def _require_own_page() -> None:
    # A cross-site form could post an id_token with the state and nonce it knows here (login CSRF). Browsers
    # name the posting page's origin, so only the tool's own launch page, which read them from the LMS, passes.
    if request.headers.get("Origin") != origin_of(_settings().tool_base_url):
        raise LaunchRejected(
            gettext("This launch step must come from peerlti's own page. Open the activity again from your course."),
            status=403,
        )


def _ask_platform_storage(needed: PlatformStorageNeeded) -> Response:
    """A page that asks the LMS's storage for the login's state and nonce and posts them back with the id_token."""
    state = needed.state
    platform = find_platform(db(), state.login_params.get("iss", ""), state.login_params.get("client_id"))
    if platform is None:
        raise LaunchRejected(gettext("The platform that started this login is no longer registered."), status=403)
    response = make_response(render_template(
        "platform_storage/launch.html", target=state.storage_target, platform_origin=origin_of(platform.auth_login_url),
        state_key=state_key(state), nonce_key=nonce_key(state), id_token=request.form.get("id_token", ""),
        state_token=request.form.get("state", ""), relaunch_url=needed.relaunch_url, timeout_ms=ANSWER_TIMEOUT_MS,
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


def _login_url() -> str:
    return _settings().tool_base_url + url_for("lti.login")


def _complete_launch(message: HardenedMessageLaunch) -> Response:
    settings = _settings()
    session = db()
    assert message.registration is not None and message.login_state is not None
    placement = Placement(None)
    try:
        provisioned = provision(session, message.registration, message.claims,
                                leeway_seconds=settings.clock_leeway_seconds)
        identity = provisioned.identity
        if message.is_deep_linking:
            session_key, destination = _deep_linking_request(message, provisioned)
        else:
            placement = _place_assignment(message, provisioned)
            _keep_lms_due_date(message, provisioned, placement)
            session_key = None
            # A newer pick the link did not follow waits on the link: staff are asked on their pages, not here.
            destination = (_student_work_destination(message, identity)
                           or url_for("landing.resource_link", link_id=identity.resource_link_id))
        session.commit()
    except RoleRefused as refusal:
        # The refusal ends the person's enrollment in the course (see provision): kept, with this browser's
        # launches into that course forgotten, before the refusal is shown.
        session.commit()
        if refusal.course_id is not None:
            forget_course(refusal.course_id)
        raise
    except IntegrityError:
        # Two launches raced: the same replayed token, or two first launches into one new course.
        session.rollback()
        message.validate_nonce_again()
        raise LaunchRejected(
            N_("Another launch changed the same records at this moment; open the activity again."), status=409
        ) from None
    assert message.platform is not None  # set by validation, which this launch passed
    log_event(log, "launch.accepted", platform_id=message.platform.id, deployment_id=identity.deployment_id,
              course_id=identity.course_id, resource_link_id=identity.resource_link_id, person_id=identity.person_id,
              role=identity.role.value, deep_linking=message.is_deep_linking)
    LAUNCHES.labels("deep_linking" if message.is_deep_linking else "resource_link").inc()
    roles = message.claims.get("https://purl.imsglobal.org/spec/lti/claim/roles") or []
    remember_launch(identity, key=session_key, platform_admin=is_platform_administrator(roles))
    remember_launch_locale(message.claims.get(PRESENTATION_CLAIM))
    if placement.replaced is not None and placement.assignment is not None and identity.role is CourseRole.STAFF:
        flash(gettext("This link now opens “%(title)s”, the activity last picked for it in the LMS. "
                      "“%(earlier)s”, which it opened before, had no work handed in and is no longer opened here.",
                      title=placement.assignment.title, earlier=placement.replaced.title))
    return redirect(destination, 303)


def _keep_lms_due_date(message: HardenedMessageLaunch, provisioned: Provisioned, placement: Placement) -> None:
    """A student's own due date from the LMS (Canvas's per-student overrides), kept as their submission deadline."""
    carried, due = lms_due_at(message.claims)
    if not carried or provisioned.identity.role is not CourseRole.STUDENT or provisioned.resource_link is None:
        return
    known = message.registration.known if message.registration is not None else None
    read = known is not None and known.lms_due_read
    assignment = placement.assignment or (known.assignment if read and known is not None else db().scalar(
        select(Assignment).where(Assignment.resource_link_id == provisioned.resource_link.id)))
    if assignment is None:
        return
    person_id = provisioned.identity.person_id
    # The date kept before came with the launch's read, unless the link now opens another assignment.
    kept = (known.lms_due_kept if read and known is not None and known.assignment is not None
            and known.assignment.id == assignment.id else lms_due_kept(db(), assignment.id, person_id))
    keep_lms_due(db(), assignment, person_id, due, utcnow(), kept)


def _deep_linking_request(message: HardenedMessageLaunch, provisioned: Provisioned) -> tuple[str, str]:
    identity = provisioned.identity
    if identity.role is not CourseRole.STAFF:
        raise LaunchRejected(N_("Only the course's instructors can add peerlti activities."), status=403)
    assert message.platform is not None
    request = record_request(db(), message.platform, provisioned.deployment, message.claims,
                             (identity.person_id, identity.course_id))
    return DEEP_LINK_SESSION_PREFIX + request.token, url_for("deep_linking.new_activity", token=request.token)


def _student_work_destination(message: HardenedMessageLaunch, identity: LaunchIdentity) -> str | None:
    """Where a gradebook launch naming a student goes (Canvas SpeedGrader, Moodle's submission review); None for an
    ordinary launch.

    1. Staff open that student's work, reviews and grade; the student must be enrolled in the launch's course as a
       student (404 otherwise: the LMS names someone peerlti does not have there).
    2. A student may open only their own: their own page. Naming anyone else is refused (403), never shown."""
    subject = named_student(message.claims, _launch_url())
    if subject is None:
        return None
    if identity.role is not CourseRole.STAFF:
        if subject != message.claims["sub"]:
            raise LaunchRejected(N_("This gradebook link opens another student's work, which only the course's "
                                    "instructors and teaching assistants can see."), status=403)
        return url_for("landing.resource_link", link_id=identity.resource_link_id)
    assert message.platform is not None
    student_id = db().scalar(
        select(Person.id).join(Enrollment, Enrollment.person_id == Person.id)
        .where(Person.platform_id == message.platform.id, Person.subject == subject,
               Enrollment.course_id == identity.course_id, Enrollment.role == CourseRole.STUDENT))
    if student_id is None:
        raise LaunchRejected(N_("The LMS asked to open the work of user %(user)s, who is not a student of this course "
                                "in peerlti: they never opened the activity and the roster was not synced since they "
                                "joined. Sync the roster on the People page, or ask the student to open the "
                                "activity once.", user=repr(subject[:64])), status=404)
    return url_for("instructor.work", link_id=identity.resource_link_id, person_id=student_id)


def _place_assignment(message: HardenedMessageLaunch, provisioned: Provisioned) -> Placement:
    """A link created by deep linking names its assignment in a custom parameter: attach it, or follow a newer pick."""
    link = provisioned.resource_link
    assert link is not None
    custom = message.claims.get(CUSTOM_CLAIM) or {}
    public_id = custom.get(ASSIGNMENT_PARAMETER)
    if not isinstance(public_id, str):
        # A link that names no assignment has nothing to attach or follow; the link's page finds what it opens.
        return Placement(None)
    return place_assignment(db(), link, public_id)


def _cookie_scope() -> dict[str, Any]:
    policy = current_app.config["PEERLTI_COOKIE_POLICY"]
    return {key: policy[key] for key in ("secure", "samesite", "partitioned", "httponly", "path")}


@bp.get("/jwks")
def jwks() -> Response:
    response = jsonify(public_jwks(db()))
    response.cache_control.max_age = 300
    response.cache_control.public = True
    return response


def init_launch(app) -> None:
    client = app.extensions.setdefault("peerlti.outbound", OutboundClient.from_settings(app.config["PEERLTI_SETTINGS"]))
    app.extensions["peerlti.platform_keys"] = PlatformKeyCache(client)
    app.register_blueprint(bp)
