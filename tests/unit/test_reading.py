"""Which reader a submitted file gets, and the one check that its file may be served."""

from __future__ import annotations

import pytest

from assessment.models import SubmissionVersion
from assessment.reading import (
    CONVERSION_FAILED,
    DOWNLOAD_TURNED_OFF,
    NO_CONVERTER,
    NOT_READY,
    View,
    may_download_under_review,
    needs_reading_copy,
    readable_key,
    reading_copy_key,
    reading_of,
)

KEY = "assignments/a1/K7Q2MX9R/0f1e.docx"


def _version(kind: str | None, key: str | None = KEY, copy: str | None = None, failed: bool = False):
    return SubmissionVersion(file_kind=kind, file_key=key, reading_copy_key=copy, reading_copy_failed=failed)


@pytest.mark.parametrize(("kind", "view"), [("pdf", View.PDF), ("png", View.IMAGE), ("jpeg", View.IMAGE),
                                            ("txt", View.TEXT)])
def test_pdfs_images_and_text_are_read_as_they_are(kind, view):
    assert reading_of(_version(kind), can_convert=False).view is view
    assert readable_key(_version(kind)) == KEY


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_a_word_processor_file_is_prepared_then_read_as_its_reading_copy(kind):
    waiting = _version(kind)
    copied = _version(kind, copy="assignments/a1/K7Q2MX9R/0f1e.reading.pdf")

    assert reading_of(waiting, can_convert=True).view is View.PREPARING and needs_reading_copy(waiting)
    assert readable_key(waiting) is None
    assert reading_of(copied, can_convert=True).view is View.PDF and not needs_reading_copy(copied)
    assert readable_key(copied) == copied.reading_copy_key


def test_without_libreoffice_or_after_a_failed_conversion_a_docx_says_why_it_is_not_shown():
    assert reading_of(_version("docx"), can_convert=False).reason == NO_CONVERTER
    failed = _version("docx", failed=True)
    assert reading_of(failed, can_convert=True).reason == CONVERSION_FAILED and not needs_reading_copy(failed)
    assert reading_of(failed, can_convert=True).view is View.UNAVAILABLE


@pytest.mark.parametrize("kind", ["pdf", "png", "txt", "docx"])
def test_a_file_that_is_not_ready_is_never_served_nor_copied(kind):
    version = _version(kind, key=None, copy="assignments/a1/K7Q2MX9R/0f1e.reading.pdf")

    assert reading_of(version, can_convert=True).reason == NOT_READY
    assert readable_key(version) is None and not needs_reading_copy(version)


def test_a_reading_copy_is_stored_beside_its_file_under_one_name_per_file():
    assert reading_copy_key(KEY) == "assignments/a1/K7Q2MX9R/0f1e.reading.pdf"


@pytest.mark.parametrize(("allowed", "peer", "staff", "may"), [
    (True, True, False, True),
    (False, True, False, False),
    (False, True, True, True),  # staff always
    (False, False, False, True),  # an author assessing their own work
])
def test_only_peer_reviewers_lose_the_download_when_the_assignment_turns_it_off(allowed, peer, staff, may):
    assert may_download_under_review(allowed, is_peer_review=peer, viewer_is_staff=staff) is may


def test_each_reason_a_file_is_not_shown_is_told_in_words():
    assert NOT_READY == "This file is not ready to be read yet."
    assert NO_CONVERTER == ("This file cannot be shown in the page, because the server has no LibreOffice to turn it "
                            "into a PDF.")
    assert CONVERSION_FAILED == "This file cannot be shown in the page, because it could not be turned into a PDF."
    assert DOWNLOAD_TURNED_OFF == ("The instructor chose that reviewers read the work in the page only, so this file "
                                   "cannot be downloaded. Go back to the review to read it.")


@pytest.mark.parametrize("kind", ["zip", "", None])
def test_a_file_of_another_type_is_not_shown_and_says_so(kind):
    reading = reading_of(_version(kind), can_convert=True)

    assert reading.view is View.UNAVAILABLE
    assert reading.reason == "Files of this type cannot be shown in the page."
    assert reading.reason.template == "Files of this type cannot be shown in the page."
    assert readable_key(_version(kind)) == KEY and not needs_reading_copy(_version(kind))


def test_a_made_reading_copy_is_read_even_after_a_failed_attempt():
    version = _version("odt", copy="assignments/a1/K7Q2MX9R/0f1e.reading.pdf", failed=True)

    assert reading_of(version, can_convert=False).view is View.PDF and not needs_reading_copy(version)


@pytest.mark.parametrize("kind", ["pdf", "png", "txt"])
def test_only_word_processor_files_need_a_reading_copy(kind):
    assert not needs_reading_copy(_version(kind))


def test_a_reading_copy_replaces_only_the_last_extension():
    assert reading_copy_key("assignments/a.1/K7Q2.tar.gz") == "assignments/a.1/K7Q2.tar.reading.pdf"
    assert reading_copy_key("assignments/a1/K7Q2") == "assignments/a1/K7Q2.reading.pdf"


def test_a_file_not_ready_or_without_a_converter_is_unavailable_in_the_page():
    assert reading_of(_version("pdf", key=None), can_convert=True).view is View.UNAVAILABLE
    assert reading_of(_version("docx"), can_convert=False).view is View.UNAVAILABLE
