"""Sending a stored file as a download under its neutral name, never to be rendered inline."""

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
