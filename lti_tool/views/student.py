"""Student pages: the activity's home, handing in work, and downloading one's own files."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError
from werkzeug import Response

from assessment.db import utcnow
from assessment.errors import AssessmentError, Conflict, InvalidInput, PhaseClosed, StorageUnavailable
from assessment.reading import needs_reading_copy
from assessment.services import (
    HandIn,
    SubmissionDeps,
    UploadedFile,
    Viewer,
    discard_upload,
    newer_version_conflict,
    submit,
    version_file,
)
from assessment.uploads import read_limited
from lti_tool.database import db
from lti_tool.enqueue import enqueue
from lti_tool.forms import SubmissionForm
from lti_tool.views.course import launched_view
from lti_tool.views.files import stored_file_download
from lti_tool.views.form_errors import show_problems
from lti_tool.views.student_home import home

bp = Blueprint("student", __name__)


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
        except (PhaseClosed, Conflict) as refusal:
            # The assignment takes no work now, or another tab handed in at the same moment: the page says why, 409.
            db().rollback()
            form.form_errors.append(refusal.message)
            return home(view, form), 409
        except StorageUnavailable as refusal:
            # The server could not write the file (507 Insufficient Storage): the page keeps the form to retry.
            db().rollback()
            form.form_errors.append(refusal.message)
            return home(view, form), 507
        except AssessmentError as refusal:
            db().rollback()
            form.form_errors.append(refusal.message)
        else:
            try:
                db().commit()
            except Exception as failure:
                # Nothing was kept, so the file this request wrote goes too; a lost race the locks did not settle
                # (SQLite has none) is told as such, anything else stays an error.
                db().rollback()
                discard_upload(version, _deps().storage)
                if not isinstance(failure, IntegrityError):
                    raise
                form.form_errors.append(newer_version_conflict().message)
                return home(view, form), 409
            if needs_reading_copy(version) and current_app.extensions["peerlti.libreoffice"].available:
                # Made ahead, so reviewers read the DOCX or ODT at once (the reader also orders it if missing).
                enqueue("peerlti.make_reading_copy", version.id)
            flash(gettext("Submitted: version %(number)s (late).", number=version.number) if version.is_late
                  else gettext("Submitted: version %(number)s.", number=version.number))
            return redirect(url_for("landing.resource_link", link_id=link_id), 303)
    return home(view, form), 400


@bp.get("/links/<int:link_id>/files/<int:version_id>")
def download(link_id: int, version_id: int) -> Response:
    view = launched_view(link_id)
    assignment = view.require_assignment()
    version = version_file(db(), assignment.id, version_id, Viewer(view.person.id, view.is_staff))
    assert version.file_key is not None  # version_file answers NotFound for a version without a file
    return stored_file_download(version.file_key, version.file_name or "submission", version.file_kind)


def _deps() -> SubmissionDeps:
    return current_app.extensions["peerlti.submission_deps"]
