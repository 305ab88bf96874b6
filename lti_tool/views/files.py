"""Sending a stored file: as a download under its neutral name, or to the page's reader, never as a page."""

from __future__ import annotations

from flask import Response, current_app

from assessment.uploads import KNOWN_KINDS


def _streamed(key: str, mimetype: str) -> Response:
    # Opened before the response starts, so a missing file or a store that does not answer is a clear page (404,
    # 503); then sent in chunks, never whole in memory, and closed whether or not the browser read it to the end.
    stored = current_app.extensions["peerlti.submission_deps"].storage.open(key)
    response = current_app.response_class(stored.chunks(), mimetype=mimetype)
    response.call_on_close(stored.close)
    response.content_length = stored.size
    response.headers["Cache-Control"] = "private, no-store"
    return response


def stored_file_download(key: str, name: str, kind_name: str | None) -> Response:
    kind = KNOWN_KINDS.get(kind_name or "")
    response = _streamed(key, kind.media_type if kind else "application/octet-stream")
    # Attachment plus nosniff: an uploaded text file full of HTML must never run as a page of the tool.
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def stored_file_inline(key: str, kind_name: str) -> Response:
    """A stored PDF or image for the page's reader to show: inline, but never a page of the tool of its own."""
    kind = KNOWN_KINDS[kind_name]
    response = _streamed(key, kind.media_type)
    response.headers["Content-Disposition"] = f'inline; filename="submission.{kind.extension}"'
    # Opened on its own, the file runs nothing and reaches nothing (a PDF's scripts and links included).
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
