"""Staff's Teams page: teams made by the tool or from a CSV, their members and work, and students moved between them."""

from __future__ import annotations

import secrets
from typing import BinaryIO, cast

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from werkzeug import Response
from werkzeug.datastructures import FileStorage

from assessment.db import utcnow
from assessment.errors import AssessmentError, InvalidInput, NotAllowed, PhaseClosed, UploadRejected
from assessment.messages import N_
from assessment.team_work import balance_values, import_teams, make_teams, move_student, teams_overview
from assessment.uploads import limited_stream
from lti_tool.database import db
from lti_tool.forms import ActionForm, TeamsFileForm, TeamSizesForm, whole_number
from lti_tool.i18n import translate, translate_problems
from lti_tool.views.course import LaunchView, staff_view

bp = Blueprint("teams", __name__)

MAX_CSV_BYTES = 1024 * 1024


@bp.get("/links/<int:link_id>/teams")
def page(link_id: int) -> str:
    return _page(staff_view(link_id))


def _page(view: LaunchView, problems: list[str] | None = None, sizes: TeamSizesForm | None = None) -> str:
    assignment = view.require_assignment()
    return render_template("instructor/teams.html", view=view, assignment=assignment,
                           overview=teams_overview(db(), assignment.id), problems=problems or [],
                           sizes=sizes or TeamSizesForm(formdata=None), file_form=TeamsFileForm(formdata=None),
                           form=ActionForm())


def _refused(view: LaunchView, refusal: AssessmentError, sizes: TeamSizesForm | None = None) -> tuple[str, int]:
    """The Teams page again, saying why nothing changed: every bad line of a file at once."""
    db().rollback()
    problems = list(translate_problems(getattr(refusal, "problems", {})).values())
    if not problems or (isinstance(refusal, InvalidInput) and len(problems) > 1):
        problems.insert(0, translate(refusal.message))
    status = 409 if isinstance(refusal, PhaseClosed | NotAllowed) else 400
    return _page(view, problems, sizes), status


@bp.post("/links/<int:link_id>/teams/make")
def make(link_id: int) -> Response | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    sizes = TeamSizesForm()
    if not sizes.validate_on_submit():
        return _page(view, [str(error) for errors in sizes.errors.values() for error in errors], sizes), 400
    try:
        upload = sizes.attribute_file.data
        # With a file of each student's value, teams are balanced by it; without, random.
        balance_by = (balance_values(db(), assignment.id, _csv_text(upload, "attribute_file"))
                      if upload and upload.filename else None)
        teams = make_teams(db(), assignment.id, (sizes.smallest.data, sizes.largest.data), view.person.id, utcnow(),
                           seed=secrets.randbits(32), balance_by=balance_by)
    except (InvalidInput, PhaseClosed, NotAllowed, UploadRejected) as refusal:
        return _refused(view, refusal, sizes)
    db().commit()
    if balance_by:
        flash(ngettext("%(num)s team made, balanced by the values in the file.",
                       "%(num)s teams made, balanced by the values in the file.", len(teams)))
    else:
        flash(ngettext("%(num)s team made.", "%(num)s teams made.", len(teams)))
    return redirect(url_for("teams.page", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/teams/import")
def upload(link_id: int) -> Response | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    file_form = TeamsFileForm()
    if not file_form.validate_on_submit():
        return _page(view, [str(error) for errors in file_form.errors.values() for error in errors]), 400
    try:
        upload = file_form.file.data
        if not upload or not upload.filename:
            raise InvalidInput({"file": N_("Choose the CSV file of teams to upload.")})
        teams = import_teams(db(), assignment.id, _csv_text(upload, "file"), view.person.id, utcnow())
    except (InvalidInput, PhaseClosed, NotAllowed, UploadRejected) as refusal:
        return _refused(view, refusal)
    db().commit()
    flash(ngettext("%(num)s team imported.", "%(num)s teams imported.", len(teams)))
    return redirect(url_for("teams.page", link_id=link_id), 303)


def _csv_text(upload: FileStorage, field: str) -> str:
    """The uploaded CSV as text: at most MAX_CSV_BYTES, and UTF-8 (as spreadsheets save "CSV UTF-8")."""
    try:
        return limited_stream(cast(BinaryIO, upload.stream), MAX_CSV_BYTES).read().decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput({field: N_("The file is not a CSV saved as UTF-8 text; save it as \"CSV UTF-8\" "
                                      "and upload it again.")}) from None


@bp.post("/links/<int:link_id>/teams/move")
def move(link_id: int) -> Response | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    try:
        move_student(db(), assignment.id, whole_number(request.form.get("person")),
                     whole_number(request.form.get("team")), view.person.id, utcnow())
    except (InvalidInput, PhaseClosed, NotAllowed) as refusal:
        return _refused(view, refusal)
    db().commit()
    flash(gettext("Student moved."))
    return redirect(url_for("teams.page", link_id=link_id), 303)
