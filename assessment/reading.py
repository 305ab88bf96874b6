"""How a submitted file is read in the browser: which view fits it, and whether it may be served at all."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from assessment.messages import N_, Message
from assessment.models import SubmissionVersion

IMAGE_KINDS = frozenset({"png", "jpeg"})
# Word-processor files are read as a PDF made from them (a reading copy), where LibreOffice is installed.
CONVERTIBLE_KINDS = frozenset({"docx", "odt"})
# A text file longer than this is shown up to here, with the rest left to the download.
MAX_TEXT_SHOWN = 200_000


class View(enum.StrEnum):
    PDF = "pdf"  # drawn by pdf.js: the file itself, or its reading copy
    IMAGE = "image"
    TEXT = "text"
    PREPARING = "preparing"  # the reading copy is being made
    UNAVAILABLE = "unavailable"  # cannot be shown in the page: `reason` says why


@dataclass(frozen=True)
class Reading:
    view: View
    reason: Message | None = None


NO_CONVERTER = N_("This file cannot be shown in the page, because the server has no LibreOffice to turn it into a "
                  "PDF.")
CONVERSION_FAILED = N_("This file cannot be shown in the page, because it could not be turned into a PDF.")
NOT_READY = N_("This file is not ready to be read yet.")


def file_is_ready(version: SubmissionVersion) -> bool:
    """The one check that a version's file (and so its reading copy) may be served: it is stored, anonymised.

    Every route that serves a submitted file, or a copy made from it, asks here."""
    return version.file_key is not None


def reading_of(version: SubmissionVersion, can_convert: bool) -> Reading:
    """How the version's file is read in the page; `can_convert` tells whether LibreOffice is there to make copies."""
    if not file_is_ready(version):
        return Reading(View.UNAVAILABLE, NOT_READY)
    kind = version.file_kind or ""
    if kind == "pdf":
        return Reading(View.PDF)
    if kind in IMAGE_KINDS:
        return Reading(View.IMAGE)
    if kind == "txt":
        return Reading(View.TEXT)
    if kind in CONVERTIBLE_KINDS:
        if version.reading_copy_key is not None:
            return Reading(View.PDF)
        if version.reading_copy_failed:
            return Reading(View.UNAVAILABLE, CONVERSION_FAILED)
        return Reading(View.PREPARING) if can_convert else Reading(View.UNAVAILABLE, NO_CONVERTER)
    return Reading(View.UNAVAILABLE, N_("Files of this type cannot be shown in the page."))


def needs_reading_copy(version: SubmissionVersion) -> bool:
    """A ready word-processor file with no reading copy yet, and no failed attempt at one."""
    return (file_is_ready(version) and version.file_kind in CONVERTIBLE_KINDS
            and version.reading_copy_key is None and not version.reading_copy_failed)


def readable_key(version: SubmissionVersion) -> str | None:
    """The storage key of what the page shows: the file itself, or its reading copy; None when there is nothing."""
    if not file_is_ready(version):
        return None
    if version.file_kind in CONVERTIBLE_KINDS:
        return version.reading_copy_key
    return version.file_key


def reading_copy_key(file_key: str) -> str:
    """Where a file's reading copy is stored: beside it, one name per file, so making it twice writes one copy."""
    stem = file_key.rsplit(".", 1)[0]
    return f"{stem}.reading.pdf"


def may_download_under_review(reviewers_may_download: bool, is_peer_review: bool, viewer_is_staff: bool) -> bool:
    """Whether the holder of a review may download the file it is about: staff always, authors assessing their own
    work always, peer reviewers unless the assignment lets them read it in the page only."""
    return viewer_is_staff or not is_peer_review or reviewers_may_download


DOWNLOAD_TURNED_OFF = N_("The instructor chose that reviewers read the work in the page only, so this file cannot be "
                         "downloaded. Go back to the review to read it.")
