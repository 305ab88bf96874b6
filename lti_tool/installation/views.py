"""Installation pages: Dynamic Registration, the Canvas developer-key JSON, and the values for manual registration."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError
from wtforms import HiddenField
from wtforms.validators import InputRequired

from lti_tool.database import db
from lti_tool.installation.canvas import canvas_configuration
from lti_tool.installation.dynamic import (
    RegistrationFailed,
    fetch_platform_configuration,
    record_registration,
    register_with_platform,
    registration_request,
)
from lti_tool.installation.values import ToolValues, public_key_pem
from lti_tool.views.course import staff_view

bp = Blueprint("installation", __name__)


class RegisterForm(FlaskForm):
    """The administrator's confirmation; the platform's parameters travel in it from the GET to the POST."""

    openid_configuration = HiddenField(validators=[InputRequired()])
    registration_token = HiddenField()


def _values() -> ToolValues:
    return ToolValues(current_app.config["PEERLTI_SETTINGS"].tool_base_url)


def _timeout() -> float:
    return current_app.config["PEERLTI_SETTINGS"].http_timeout_seconds


@bp.after_request
def _not_stored(response: Response) -> Response:
    # The registration pages carry the platform's single-use token: no cache keeps them.
    if request.path == "/lti/register":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/lti/register")
def register_page() -> str | tuple[str, int]:
    """What will be registered with the platform that opened this page; nothing changes until "Register"."""
    configuration_url = request.args.get("openid_configuration", "")
    if not configuration_url:
        return _failed(_(
            "This is peerlti's Dynamic Registration URL. Paste it into your LMS's tool registration form "
            "(in Moodle: Manage tools, \"Tool URL\"); the LMS opens it with its own configuration."
        ))
    try:
        configuration = fetch_platform_configuration(configuration_url, _timeout())
    except RegistrationFailed as error:
        return _failed(error.message)
    form = RegisterForm(
        formdata=None, openid_configuration=configuration_url,
        registration_token=request.args.get("registration_token", ""),
    )
    values = _values()
    return render_template("installation/register.html", form=form, platform=configuration, values=values,
                           request_body=registration_request(values))


@bp.post("/lti/register")
def register() -> str | tuple[str, int]:
    form = RegisterForm()
    if not form.validate():
        return _failed(_("The registration form is incomplete; open the registration again from your LMS."))
    # The configuration is read again: nothing the browser carried between the two requests is trusted.
    try:
        configuration = fetch_platform_configuration(form.openid_configuration.data, _timeout())
        client = register_with_platform(configuration, form.registration_token.data or None, _values(), _timeout())
    except RegistrationFailed as error:
        return _failed(error.message)
    session = db()
    try:
        platform = record_registration(session, configuration, client)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        current_app.logger.exception("dynamic registration not stored")
        return _failed(_("The platform accepted peerlti, but peerlti could not store the registration. "
                         "Remove the new tool in the LMS and register again."), status=409)
    current_app.logger.info("registered %s (client id %s) by dynamic registration", platform.issuer, platform.client_id)
    return render_template("installation/registered.html", platform=platform)


def _failed(message: object, status: int = 400) -> tuple[str, int]:
    return render_template("installation/register_failed.html", message=message, status=status), status


@bp.get("/lti/canvas.json")
def canvas_json() -> Response:
    response = jsonify(canvas_configuration(_values()))
    response.cache_control.max_age = 300
    return response


@bp.get("/links/<int:link_id>/install")
def installation_values(link_id: int) -> str:
    """Every value a manual registration form asks for, for staff who install peerlti elsewhere."""
    view = staff_view(link_id)
    session = db()
    pem = public_key_pem(session)
    session.commit()  # the first key, if this page made it, must be the one the JWKS serves
    return render_template("installation/values.html", view=view, values=_values(), public_key_pem=pem)


def init_installation(app: Flask) -> None:
    app.register_blueprint(bp)
