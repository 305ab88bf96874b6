"""Installation pages: Dynamic Registration, the Canvas developer-key JSON, and the values for manual registration."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from assessment.errors import NotAllowed
from assessment.messages import N_
from config.settings import Settings
from lti_tool.database import db
from lti_tool.forms import TranslatedForm, required
from lti_tool.identity import launched_as_platform_administrator
from lti_tool.installation.canvas import canvas_configuration
from lti_tool.installation.dynamic import (
    RegistrationFailed,
    fetch_platform_configuration,
    record_registration,
    register_with_platform,
    registration_request,
)
from lti_tool.installation.invites import (
    DEFAULT_HOURS,
    INVITE_PARAMETER,
    MAX_HOURS,
    consume_invite,
    issue_invite,
    registration_url,
    valid_invite,
)
from lti_tool.installation.values import ToolValues, public_key_pem
from lti_tool.logging_setup import log_event
from lti_tool.outbound import OutboundClient
from lti_tool.registry import RegistrationConflict
from lti_tool.views.course import staff_view

bp = Blueprint("installation", __name__)
log = logging.getLogger("peerlti.registration")


class RegisterForm(FlaskForm):
    """The administrator's confirmation; the platform's parameters travel in it from the GET to the POST."""

    openid_configuration = HiddenField(validators=[InputRequired()])
    registration_token = HiddenField()
    invite = HiddenField()


class InviteForm(TranslatedForm):
    """A platform administrator's request for a registration link."""

    hours = IntegerField(_l("Valid for (hours)"), default=DEFAULT_HOURS,
                         validators=[required(), NumberRange(min=1, max=MAX_HOURS)])


def _settings() -> Settings:
    return current_app.config["PEERLTI_SETTINGS"]


def _values() -> ToolValues:
    return ToolValues(_settings().tool_base_url)


def _client() -> OutboundClient:
    return current_app.extensions["peerlti.outbound"]


def _needs_invite() -> bool:
    return _settings().dynamic_registration == "invite"


def _invite_refused() -> tuple[str, int]:
    """Nothing is fetched for a registration nobody invited: the page would otherwise reach any address."""
    return _failed(_(
        "This registration link has no valid invitation: it is missing, was used already, or expired. "
        "Ask the administrator of peerlti for a new link (they make one with `peerlti platform invite`, or a "
        "platform administrator does on peerlti's \"Invite a platform\" page), then paste it into your LMS."
    ), status=403)


@bp.after_request
def _not_stored(response: Response) -> Response:
    # The registration pages carry the platform's single-use token, the invitation page a new invitation:
    # no cache keeps them.
    if request.path == "/lti/register" or request.endpoint == "installation.invite_platform":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/lti/register")
def register_page() -> str | tuple[str, int]:
    """What will be registered with the platform that opened this page; nothing changes until "Register"."""
    invite = request.args.get(INVITE_PARAMETER, "")
    if _needs_invite() and valid_invite(db(), invite) is None:
        return _invite_refused()
    configuration_url = request.args.get("openid_configuration", "")
    if not configuration_url:
        return _failed(_(
            "This is peerlti's Dynamic Registration URL. Paste it into your LMS's tool registration form "
            "(in Moodle: Manage tools, \"Tool URL\"); the LMS opens it with its own configuration."
        ))
    try:
        configuration = fetch_platform_configuration(configuration_url, _client())
    except RegistrationFailed as error:
        return _failed(error.message)
    form = RegisterForm(
        formdata=None, openid_configuration=configuration_url,
        registration_token=request.args.get("registration_token", ""), invite=invite,
    )
    values = _values()
    return render_template("installation/register.html", form=form, platform=configuration, values=values,
                           request_body=registration_request(values, configuration.product_family_code))


@bp.post("/lti/register")
def register() -> str | tuple[str, int]:
    form = RegisterForm()
    if not form.validate():
        return _failed(_("The registration form is incomplete; open the registration again from your LMS."))
    invite = form.invite.data or ""
    if _needs_invite() and valid_invite(db(), invite) is None:
        return _invite_refused()
    # The configuration is read again: nothing the browser carried between the two requests is trusted.
    try:
        configuration = fetch_platform_configuration(form.openid_configuration.data, _client())
        client = register_with_platform(configuration, form.registration_token.data or None, _values(), _client())
    except RegistrationFailed as error:
        return _failed(error.message)
    session = db()
    try:
        # An invitation is an administrator's word, which may add a deployment to a registration already there.
        platform = record_registration(session, configuration, client, add_deployments=_needs_invite())
        # Used in the transaction that stores the platform: a registration that fails leaves it valid.
        if _needs_invite() and not consume_invite(session, invite, platform.id):
            session.rollback()
            return _invite_refused()
        session.commit()
    except RegistrationConflict as conflict:
        session.rollback()
        log_event(log, "platform.registration_refused", logging.WARNING, platform_id=conflict.platform.id,
                  changed=", ".join(conflict.changes))
        return _failed(_(
            "The platform %(issuer)s with client id %(client)s is registered in peerlti already, with other "
            "endpoints or keys (%(fields)s). A registration never changes them: an administrator of peerlti "
            "who means to change them runs `peerlti platform update`.",
            issuer=conflict.platform.issuer, client=conflict.platform.client_id, fields=", ".join(conflict.changes),
        ), status=409)
    except SQLAlchemyError:
        session.rollback()
        current_app.logger.exception("dynamic registration not stored")
        return _failed(_("The platform accepted peerlti, but peerlti could not store the registration. "
                         "Remove the new tool in the LMS and register again."), status=409)
    log_event(log, "platform.registered", platform_id=platform.id, issuer=platform.issuer, client_id=platform.client_id,
              via="dynamic registration")
    return render_template("installation/registered.html", platform=platform)


def _failed(message: object, status: int = 400) -> tuple[str, int]:
    return render_template("installation/register_failed.html", message=message, status=status), status


@bp.get("/lti/canvas.json")
def canvas_json() -> Response:
    response = jsonify(canvas_configuration(_values()))
    response.cache_control.max_age = 300
    return response


@bp.get("/")
def about() -> str:
    """The tool's own address: what peerlti is, and where an LMS administrator finds how to install it."""
    return render_template("installation/about.html", values=_values())


@bp.get("/install")
def public_installation_values() -> str:
    """The registration addresses for anyone who installs peerlti; the public key stays on the JWKS URL, so a
    visitor's request makes no key."""
    return render_template("installation/values.html", view=None, values=_values(), public_key_pem=None,
                           invite_needed=_needs_invite(), platform_admin=False)


@bp.get("/links/<int:link_id>/install")
def installation_values(link_id: int) -> str:
    """Every value a manual registration form asks for, for staff who install peerlti elsewhere."""
    view = staff_view(link_id)
    session = db()
    pem = public_key_pem(session)
    session.commit()  # the first key, if this page made it, must be the one the JWKS serves
    return render_template("installation/values.html", view=view, values=_values(), public_key_pem=pem,
                           invite_needed=_needs_invite(), platform_admin=launched_as_platform_administrator(link_id))


@bp.route("/links/<int:link_id>/registration-invites", methods=["GET", "POST"])
def invite_platform(link_id: int) -> str | tuple[str, int]:
    """A platform administrator (institution or system Administrator in the LMS) makes a single-use
    Dynamic Registration link for another LMS."""
    view = staff_view(link_id)
    if not launched_as_platform_administrator(link_id):
        raise NotAllowed(N_("Only an LMS administrator (an institution or system Administrator role) can invite "
                            "a platform to register peerlti."))
    form = InviteForm()
    if request.method == "GET" or not form.validate():
        status = 400 if request.method == "POST" else 200
        return render_template("installation/invite.html", view=view, form=form, link=None), status
    who = view.person.name or view.person.subject
    token = issue_invite(db(), hours=form.hours.data,
                         created_by=f"{who} ({view.platform.issuer}) on the invitation page")
    db().commit()
    current_app.logger.info("registration invitation made by person %s of %s", view.person.id, view.platform.issuer)
    return render_template("installation/invite.html", view=view, form=InviteForm(formdata=None), hours=form.hours.data,
                           link=registration_url(_settings().tool_base_url, token))


def init_installation(app: Flask) -> None:
    app.extensions.setdefault("peerlti.outbound", OutboundClient.from_settings(app.config["PEERLTI_SETTINGS"]))
    app.register_blueprint(bp)
