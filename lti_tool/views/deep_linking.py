"""The content-picker pages: an instructor names the new activity, and the answer goes back to the LMS."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from assessment.assignment_settings import default_settings
from assessment.db import utcnow
from assessment.errors import InvalidInput
from assessment.models import Assignment
from assessment.services import create_assignment
from lti_tool.database import db
from lti_tool.forms import ActionForm, NewActivityForm
from lti_tool.identity import staff_identity
from lti_tool.launch.deep_linking import DEEP_LINK_SESSION_PREFIX, DeepLinkRequest, open_request, response_jwt
from lti_tool.views.form_errors import show_problems

bp = Blueprint("deep_linking", __name__)


def _open_request(token: str) -> DeepLinkRequest:
    identity = staff_identity(DEEP_LINK_SESSION_PREFIX + token)
    return open_request(db(), token, identity.person_id, utcnow())


@bp.route("/deep-linking/<token>", methods=["GET", "POST"])
def new_activity(token: str) -> str | tuple[str, int]:
    request = _open_request(token)
    form = NewActivityForm()
    if form.validate_on_submit():
        settings = default_settings(form.title.data, utcnow(), float(form.points_possible.data), form.timezone.data)
        try:
            assignment = create_assignment(db(), request.course_id, settings)
        except InvalidInput as refusal:
            show_problems(form, refusal.problems)
            return render_template("deep_linking/new_activity.html", form=form, request=request,
                                   cancel_form=ActionForm()), 400
        return _answer(request, assignment)
    status = 400 if form.is_submitted() else 200
    return render_template("deep_linking/new_activity.html", form=form, request=request,
                           cancel_form=ActionForm()), status


@bp.post("/deep-linking/<token>/cancel")
def cancel(token: str) -> str:
    """Answer with no content item, so the LMS closes its picker without adding anything (CSRF checked app-wide)."""
    return _answer(_open_request(token), None)


def _answer(request: DeepLinkRequest, assignment: Assignment | None) -> str:
    launch_url = current_app.config["PEERLTI_SETTINGS"].tool_base_url + url_for("lti.launch")
    token = response_jwt(db(), request, assignment, launch_url)
    request.answered_at = utcnow()
    db().commit()
    return render_template("deep_linking/return.html", return_url=request.return_url, jwt=token,
                           assignment=assignment)
