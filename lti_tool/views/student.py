"""Student pages: the activity's home, handing in work, and downloading one's own files."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from werkzeug import Response

from assessment.calibration_training import examples, student_status
from assessment.db import utcnow
from assessment.errors import AssessmentError, InvalidInput
from assessment.peer_review import my_peer_reviews
from assessment.services import HandIn, SubmissionDeps, UploadedFile, Viewer, own_submission, submit, version_file
from assessment.uploads import read_limited
from lti_tool.database import db
from lti_tool.forms import ActionForm, SubmissionForm
from lti_tool.views.course import LaunchView, launched_view
from lti_tool.views.files import stored_file_download
from lti_tool.views.form_errors import show_problems

bp = Blueprint("student", __name__)


def home(view: LaunchView, form: SubmissionForm | None = None) -> str:
    if view.assignment is None:
        return render_template("student/not_set_up.html", view=view)
    now = utcnow()
    assignment = view.assignment
    return render_template(
        "student/home.html",
        view=view,
        assignment=assignment,
        phase=assignment.phase_at(now),
        submission=own_submission(db(), assignment.id, view.person.id),
        form=form or SubmissionForm(formdata=None),
        action_form=ActionForm(),
        calibration=student_status(db(), assignment, view.person.id),
        has_examples=bool(examples(db(), assignment.id)),
        reviews=my_peer_reviews(db(), assignment.id, view.person.id),
        now=now,
    )


@bp.post("/links/<int:link_id>/submission")
def hand_in(link_id: int) -> Response | tuple[str, int]:
    view = launched_view(link_id)
    assignment = view.require_assignment()
    form = SubmissionForm()
    if form.validate_on_submit():
        try:
            upload = form.file.data
            file = None
            if upload and upload.filename:
                data = read_limited(upload.stream, assignment.max_file_mb * 1024 * 1024)
                file = UploadedFile(filename=upload.filename, data=data)
            version = submit(db(), HandIn(assignment_id=assignment.id, author_id=view.person.id,
                                          text_html=form.text.data or "", file=file), utcnow(), _deps())
        except InvalidInput as refusal:
            db().rollback()
            show_problems(form, refusal.problems)
        except AssessmentError as refusal:
            db().rollback()
            form.form_errors.append(refusal.message)
        else:
            db().commit()
            flash(f"Submitted: version {version.number}" + (" (late)." if version.is_late else "."))
            return redirect(url_for("landing.resource_link", link_id=link_id), 303)
    return home(view, form), 400


@bp.get("/links/<int:link_id>/files/<int:version_id>")
def download(link_id: int, version_id: int) -> Response:
    view = launched_view(link_id)
    assignment = view.require_assignment()
    version = version_file(db(), assignment.id, version_id, Viewer(view.person.id, view.is_staff))
    return stored_file_download(version.file_key, version.file_name or "submission", version.file_kind)


def _deps() -> SubmissionDeps:
    return current_app.extensions["peerlti.submission_deps"]
