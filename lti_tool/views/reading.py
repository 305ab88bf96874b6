"""Reading a submitted file in the page: the reader shown on review and staff pages, and the files it loads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, url_for
from werkzeug import Response

from assessment.db import utcnow
from assessment.errors import NotFound
from assessment.messages import N_
from assessment.models import Review, SubmissionVersion
from assessment.peer_review import review_to_read
from assessment.reading import (
    IMAGE_KINDS,
    MAX_TEXT_SHOWN,
    View,
    file_is_ready,
    needs_reading_copy,
    readable_key,
    reading_of,
)
from assessment.reading_copies import LibreOffice
from assessment.services import Viewer, version_file
from lti_tool.database import db
from lti_tool.enqueue import enqueue
from lti_tool.i18n import translate
from lti_tool.views.course import launched_view
from lti_tool.views.files import stored_file_inline

bp = Blueprint("reading", __name__)


@dataclass(frozen=True)
class Reader:
    """What the page shows of one version's file, and where the reader's script finds it."""

    version: SubmissionVersion
    view: View
    reason: str | None  # why it is not shown in the page, translated
    source_url: str  # the PDF or image to show
    status_url: str  # asked while a reading copy is being prepared
    download_url: str | None  # None: the reader may not download it
    text: str | None = None  # a plain-text file's content
    text_cut: bool = False  # the text is longer than shown


def reader_for(version: SubmissionVersion, source_url: str, status_url: str, download_url: str | None) -> Reader:
    """The reader of `version`; a DOCX or ODT without its reading copy gets one ordered now (made at once when tasks
    run in the web process, else by a worker while the page says it is being prepared)."""
    office: LibreOffice = current_app.extensions["peerlti.libreoffice"]
    if office.available and needs_reading_copy(version):
        enqueue("peerlti.make_reading_copy", version.id)
        db().refresh(version)  # a copy made in this process, or a failure recorded
    reading = reading_of(version, office.available)
    text, cut = (_text_of(version) if reading.view is View.TEXT else (None, False))
    return Reader(version=version, view=reading.view, reason=translate(reading.reason) if reading.reason else None,
                  source_url=source_url, status_url=status_url, download_url=download_url, text=text, text_cut=cut)


def _text_of(version: SubmissionVersion) -> tuple[str, bool]:
    assert version.file_key is not None  # a TEXT reading is of a ready file
    data = current_app.extensions["peerlti.submission_deps"].storage.read(version.file_key)
    text = data.decode("utf-8", errors="replace")
    return text[:MAX_TEXT_SHOWN], len(text) > MAX_TEXT_SHOWN


def review_reader(link_id: int, review: Review, version: SubmissionVersion, may_download: bool) -> Reader:
    arguments: dict[str, Any] = {"link_id": link_id, "review_id": review.id}
    return reader_for(version, url_for("reading.review_source", **arguments),
                      url_for("reading.review_status", **arguments),
                      url_for("reviewing.review_file", **arguments) if may_download else None)


def version_reader(link_id: int, version: SubmissionVersion) -> Reader:
    """The reader on staff pages (and an author's own): they may always download."""
    arguments: dict[str, Any] = {"link_id": link_id, "version_id": version.id}
    return reader_for(version, url_for("reading.version_source", **arguments),
                      url_for("reading.version_status", **arguments), url_for("student.download", **arguments))


def _reviewed_version(link_id: int, review_id: int) -> SubmissionVersion:
    view = launched_view(link_id)
    assignment = view.require_assignment()
    item = review_to_read(db(), review_id, view.person.id, utcnow())
    version = item.assessed_version
    if item.assignment_id != assignment.id or version is None or not file_is_ready(version):
        raise NotFound(N_("That file does not exist."))
    return version


def _own_or_staff_version(link_id: int, version_id: int) -> SubmissionVersion:
    view = launched_view(link_id)
    return version_file(db(), view.require_assignment().id, version_id, Viewer(view.person.id, view.is_staff))


@bp.get("/links/<int:link_id>/reviews/<int:review_id>/reading")
def review_source(link_id: int, review_id: int) -> Response:
    """The PDF or image the reviewer reads in the page, whether or not they may download the file."""
    return _source(_reviewed_version(link_id, review_id))


@bp.get("/links/<int:link_id>/reviews/<int:review_id>/reading/status")
def review_status(link_id: int, review_id: int) -> Response:
    return _status(_reviewed_version(link_id, review_id))


@bp.get("/links/<int:link_id>/files/<int:version_id>/reading")
def version_source(link_id: int, version_id: int) -> Response:
    return _source(_own_or_staff_version(link_id, version_id))


@bp.get("/links/<int:link_id>/files/<int:version_id>/reading/status")
def version_status(link_id: int, version_id: int) -> Response:
    return _status(_own_or_staff_version(link_id, version_id))


def _source(version: SubmissionVersion) -> Response:
    key = readable_key(version)
    if key is None or version.file_kind not in ({"pdf"} | IMAGE_KINDS | {"docx", "odt"}):
        raise NotFound(N_("This file cannot be shown in the page."))
    kind = version.file_kind if version.file_kind in IMAGE_KINDS else "pdf"
    return stored_file_inline(key, kind)


def _status(version: SubmissionVersion) -> Response:
    """Whether the file can be shown yet: the reader asks while a reading copy is being prepared."""
    office: LibreOffice = current_app.extensions["peerlti.libreoffice"]
    reading = reading_of(version, office.available)
    response = jsonify(view=reading.view.value, reason=translate(reading.reason) if reading.reason else None)
    response.headers["Cache-Control"] = "no-store"
    return response
