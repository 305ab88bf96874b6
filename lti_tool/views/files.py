"""Sending a stored file: as a download under its neutral name, or to the page's reader, never as a page."""

from __future__ import annotations

from flask import Response, current_app

from assessment.uploads import KNOWN_KINDS


def stored_file_download(key: str, name: str, kind_name: str | None) -> Response:
    data = current_app.extensions["peerlti.submission_deps"].storage.read(key)
    kind = KNOWN_KINDS.get(kind_name or "")
    response = current_app.response_class(data, mimetype=kind.media_type if kind else "application/octet-stream")
    # Attachment plus nosniff: an uploaded text file full of HTML must never run as a page of the tool.
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def stored_file_inline(key: str, kind_name: str) -> Response:
    """A stored PDF or image for the page's reader to show: inline, but never a page of the tool of its own."""
    kind = KNOWN_KINDS[kind_name]
    data = current_app.extensions["peerlti.submission_deps"].storage.read(key)
    response = current_app.response_class(data, mimetype=kind.media_type)
    response.headers["Content-Disposition"] = f'inline; filename="submission.{kind.extension}"'
    response.headers["Cache-Control"] = "private, no-store"
    # Opened on its own, the file runs nothing and reaches nothing (a PDF's scripts and links included).
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
