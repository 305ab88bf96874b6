"""Which reader a submitted file gets, and the one check that its file may be served."""

from __future__ import annotations

import pytest

from assessment.models import SubmissionVersion
from assessment.reading import (
    CONVERSION_FAILED,
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
