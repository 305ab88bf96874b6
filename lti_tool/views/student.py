"""Student pages: the activity's home, handing in work, and downloading one's own files."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, url_for
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError
from werkzeug import Response

from assessment.assignment_settings import AllocationMode
from assessment.db import utcnow
from assessment.errors import (
    AssessmentError,
    Conflict,
    InvalidInput,
    NotAllowed,
    PhaseClosed,
    StorageUnavailable,
    StorageUnreachable,
)
from assessment.file_checks import own_check, refusal_of
from assessment.messages import N_, Message
from assessment.models import Assignment, FileCheck, FileCheckStatus
from assessment.peer_review import serve_latecomers
from assessment.reminder_outbox import set_reminders_off
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
from assessment.uploads import limited_stream
from lti_tool.database import db
from lti_tool.enqueue import enqueue
from lti_tool.forms import ReminderEmailsForm, SubmissionForm
from lti_tool.views.course import launched_view
from lti_tool.views.files import stored_file_download
from lti_tool.views.form_errors import show_problems
from lti_tool.views.student_home import home, resume_abandoned

bp = Blueprint("student", __name__)


@bp.post("/links/<int:link_id>/reminders")
def reminder_emails(link_id: int) -> Response:
    """A student turns reminder e-mails from this course off, or back on; in any phase, as it changes no work."""
    view = launched_view(link_id)
    if view.is_staff:
        raise NotAllowed(N_("Reminder e-mails are for the course's students; staff get a daily summary instead."))
    form = ReminderEmailsForm()
    if not form.validate_on_submit():
        raise InvalidInput({"emails": N_("Choose whether to get reminder e-mails, then send the form again.")})
    off = form.emails.data == "off"
    set_reminders_off(db(), view.person.id, view.course.id, off)
    db().commit()
    flash(gettext("You will get no reminder e-mails from this course.") if off
          else gettext("You will get reminder e-mails before each deadline."))
    return redirect(url_for("landing.resource_link", link_id=link_id), 303)


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
                # Measured, not read: the file goes to storage in chunks, never whole in memory.
                data = limited_stream(upload.stream, assignment.max_file_mb * 1024 * 1024)
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
            # The server could not write the file (507 Insufficient Storage; 503 when the file store does not
            # answer): the page keeps the form to retry.
            db().rollback()
            form.form_errors.append(refusal.message)
            return home(view, form), 503 if isinstance(refusal, StorageUnreachable) else 507
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
            if isinstance(version, FileCheck):
                reason = _check_handed_in(version)
                if reason is not None:
                    # Eager tasks (no broker) checked the file already: refused, it is told on the form, as before.
                    form.form_errors.append(reason)
                    return home(view, form), 400
                if version.status is FileCheckStatus.CHECKING:
                    flash(gettext("Handed in: version %(number)s. Your file is being checked; this page shows the "
                                  "result as soon as it is done.", number=version.number))
                    return redirect(url_for("landing.resource_link", link_id=link_id), 303)
            _serve_if_allocated(assignment)
            flash(gettext("Submitted: version %(number)s (late).", number=version.number) if version.is_late
                  else gettext("Submitted: version %(number)s.", number=version.number))
            return redirect(url_for("landing.resource_link", link_id=link_id), 303)
    return home(view, form), 400


def _serve_if_allocated(assignment: Assignment) -> None:
    """Work handed in after a static allocation gets its reviewers at once (and its author their reviews); a file
    still being checked is served when its author asks for reviews."""
    if assignment.allocation_mode is AllocationMode.STATIC:
        serve_latecomers(db(), assignment.id, utcnow())
        db().commit()


def _check_handed_in(check: FileCheck) -> Message | None:
    """Send the file to its check (run here and now when tasks are eager); why it was refused, if it already was."""
    enqueue("peerlti.check_file", check.id)
    db().refresh(check)  # the check ended in the task's own transaction, if it ran here
    return refusal_of(check) if check.status is FileCheckStatus.REFUSED else None


@bp.get("/links/<int:link_id>/hand-ins/<int:check_id>/status")
def check_status(link_id: int, check_id: int) -> Response:
    """How the check of one's own hand-in stands, for the page that waits on it: {"status": "checking" | ...}."""
    view = launched_view(link_id)
    assignment = view.require_assignment()
    check = own_check(db(), check_id, assignment.id, view.person.id)
    resume_abandoned([check])
    response = jsonify(status=check.status.value)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/links/<int:link_id>/files/<int:version_id>")
def download(link_id: int, version_id: int) -> Response:
    view = launched_view(link_id)
    assignment = view.require_assignment()
    version = version_file(db(), assignment.id, version_id, Viewer(view.person.id, view.is_staff))
    assert version.file_key is not None  # version_file answers NotFound for a version without a file
    return stored_file_download(version.file_key, version.file_name or "submission", version.file_kind)


def _deps() -> SubmissionDeps:
    return current_app.extensions["peerlti.submission_deps"]
