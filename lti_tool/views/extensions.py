"""Staff's Extensions page: extra time or a personal date per student or team, given one by one or from a CSV file.

Course staff (instructors and teaching assistants alike, as for every staff page) give and withdraw extensions: a TA
who marks work is the one students ask, and every extension keeps who gave it and why."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from sqlalchemy import select
from werkzeug import Response

from assessment.db import utcnow
from assessment.errors import AssessmentError, InvalidInput, NotFound, UploadRejected
from assessment.extensions import (
    ExtensionRequest,
    extensions_of,
    grant_extension,
    import_extensions,
    withdraw_extension,
)
from assessment.messages import N_
from assessment.models import CourseRole, Enrollment, Person, Team
from assessment.personal_dates import STEP_NAMES, Step
from assessment.student_dates import dates_by_student
from assessment.uploads import limited_stream
from lti_tool.database import db
from lti_tool.forms import ActionForm, ExtensionForm, ExtensionsFileForm
from lti_tool.i18n import lazy_translate, translate, translate_problems
from lti_tool.views.course import LaunchView, staff_view

bp = Blueprint("extensions", __name__)

MAX_CSV_BYTES = 1024 * 1024


@bp.get("/links/<int:link_id>/extensions")
def page(link_id: int) -> str:
    view = staff_view(link_id)
    form = _form(view)
    chosen = request.args.get("person", "")
    if chosen.isdigit():
        form.who.data = f"person:{chosen}"
    return _page(view, form=form)


def _form(view: LaunchView, formdata: object = None) -> ExtensionForm:
    assignment = view.require_assignment()
    form = ExtensionForm(formdata=formdata)
    students = db().execute(
        select(Person).join(Enrollment, Enrollment.person_id == Person.id)
        .where(Enrollment.course_id == view.course.id, Enrollment.role == CourseRole.STUDENT)
        .order_by(Person.family_name, Person.name, Person.id)).scalars().all()
    teams = db().scalars(select(Team).where(Team.assignment_id == assignment.id).order_by(Team.id)).all()
    form.who.choices = ([(f"person:{person.id}", person.display_name) for person in students]
                        + [(f"team:{team.id}", gettext("Team %(name)s", name=team.name)) for team in teams])
    return form


def _page(view: LaunchView, problems: list[str] | None = None, form: ExtensionForm | None = None) -> str:
    assignment = view.require_assignment()
    own = dates_by_student(db(), assignment)
    return render_template("instructor/extensions.html", view=view, assignment=assignment,
                           extensions=extensions_of(db(), assignment.id), own=own, problems=problems or [],
                           form=form or _form(view), file_form=ExtensionsFileForm(formdata=None), action=ActionForm(),
                           step_names={step: lazy_translate(STEP_NAMES[step], capitalize=True) for step in Step})


def _refused(view: LaunchView, refusal: AssessmentError, form: ExtensionForm | None = None) -> tuple[str, int]:
    """The page again, saying why nothing was saved: every bad line of a file at once."""
    db().rollback()
    problems = list(translate_problems(getattr(refusal, "problems", {})).values())
    if not problems or (isinstance(refusal, InvalidInput) and len(problems) > 1):
        problems.insert(0, translate(refusal.message))
    return _page(view, problems, form), 404 if isinstance(refusal, NotFound) else 400


@bp.post("/links/<int:link_id>/extensions")
def give(link_id: int) -> Response | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    form = _form(view, request.form)
    if not form.validate_on_submit():
        return _page(view, [str(error) for errors in form.errors.values() for error in errors], form), 400
    kind, _, number = (form.who.data or "").partition(":")
    until = form.until.data.replace(tzinfo=ZoneInfo(assignment.timezone)) if form.until.data else None
    extra = timedelta(hours=float(form.extra_hours.data)) if form.extra_hours.data is not None else None
    try:
        grant_extension(db(), ExtensionRequest(
            assignment.id, Step(form.step.data), form.reason.data or "",
            person_id=int(number) if kind == "person" else None, team_id=int(number) if kind == "team" else None,
            extra=extra, until=until), view.person.id, utcnow())
    except InvalidInput as refusal:
        return _refused(view, refusal, form)
    db().commit()
    flash(gettext("Extension given."))
    return redirect(url_for("extensions.page", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/extensions/import")
def upload(link_id: int) -> Response | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    file_form = ExtensionsFileForm()
    if not file_form.validate_on_submit():
        return _page(view, [str(error) for errors in file_form.errors.values() for error in errors]), 400
    try:
        upload = file_form.file.data
        if not upload or not upload.filename:
            raise InvalidInput({"file": N_("Choose the CSV file of extensions to upload.")})
        try:
            text = limited_stream(upload.stream, MAX_CSV_BYTES).read().decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput({"file": N_("The file is not a CSV saved as UTF-8 text; save it as \"CSV UTF-8\" "
                                           "and upload it again.")}) from None
        given = import_extensions(db(), assignment.id, text, view.person.id, utcnow())
    except (InvalidInput, UploadRejected) as refusal:
        return _refused(view, refusal)
    db().commit()
    flash(ngettext("%(num)s extension given.", "%(num)s extensions given.", given))
    return redirect(url_for("extensions.page", link_id=link_id), 303)


@bp.post("/links/<int:link_id>/extensions/<int:extension_id>/withdraw")
def withdraw(link_id: int, extension_id: int) -> Response | tuple[str, int]:
    view = staff_view(link_id)
    assignment = view.require_assignment()
    try:
        withdraw_extension(db(), assignment.id, extension_id)
    except NotFound as refusal:
        return _refused(view, refusal)
    db().commit()
    flash(gettext("Extension withdrawn."))
    return redirect(url_for("extensions.page", link_id=link_id), 303)
