"""Reading copies made by the real LibreOffice: from the anonymised file, neutral metadata, failures kept, and a
conversion that runs too long ended with every process it started."""

from __future__ import annotations

import io
import os
import shutil
import time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from assessment.anonymity import strip_identity
from assessment.models import SubmissionVersion
from assessment.reading_copies import ConversionFailed, LibreOffice, _run, make_reading_copy
from assessment.storage import LocalDirectoryStorage
from tests.support.cohort import create_cohort
from tests.support.documents import AUTHOR, docx_naming_its_author
from tests.support.services import service_missing

KEY = "assignments/a1/S000000/0f1e.docx"


@pytest.fixture
def office() -> LibreOffice:
    if shutil.which("soffice") is None:
        service_missing("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    return LibreOffice("soffice")


@pytest.fixture
def docx_version(session, tmp_path) -> tuple[int, LocalDirectoryStorage]:
    """A version whose stored file is an anonymised DOCX, as a hand-in leaves it."""
    cohort = create_cohort(session, 1, reviews_per_submission=1, reviews_per_student=1)
    storage = LocalDirectoryStorage(tmp_path / "uploads")
    storage.save(KEY, strip_identity(docx_naming_its_author(), "docx"))
    version = session.scalars(select(SubmissionVersion).where(
        SubmissionVersion.submission_id == cohort.submission_ids[0])).one()
    version.file_key, version.file_kind, version.file_name = KEY, "docx", "S000000.docx"
    session.commit()
    return version.id, storage


def test_a_reading_copy_is_a_pdf_of_the_stored_file_with_neutral_metadata_made_once(session, docx_version, office):
    version_id, storage = docx_version

    key = make_reading_copy(session, version_id, storage, office)
    again = make_reading_copy(session, version_id, storage, LibreOffice("no-such-program"))

    assert key == again == "assignments/a1/S000000/0f1e.reading.pdf"
    copy = storage.read(key)
    pdf = PdfReader(io.BytesIO(copy))
    assert "My essay about peer review." in pdf.pages[0].extract_text()
    assert not pdf.metadata and pdf.xmp_metadata is None
    assert AUTHOR.encode() not in copy and b"LibreOffice" not in copy and b"Writer" not in copy
    assert session.get(SubmissionVersion, version_id).reading_copy_key == key


def test_a_file_libreoffice_cannot_convert_in_time_is_marked_and_not_tried_again(session, docx_version, office):
    version_id, storage = docx_version

    assert make_reading_copy(session, version_id, storage, LibreOffice("soffice", seconds=0.05)) is None
    assert make_reading_copy(session, version_id, storage, office) is None

    version = session.get(SubmissionVersion, version_id)
    assert version.reading_copy_failed and version.reading_copy_key is None
    assert not storage.exists("assignments/a1/S000000/0f1e.reading.pdf")


def test_without_libreoffice_nothing_is_recorded_so_a_worker_that_has_it_makes_the_copy_later(session, docx_version):
    version_id, storage = docx_version

    assert make_reading_copy(session, version_id, storage, LibreOffice(None)) is None

    version = session.get(SubmissionVersion, version_id)
    assert version.reading_copy_key is None and not version.reading_copy_failed


def test_a_conversion_that_runs_too_long_is_ended_with_the_processes_it_started(tmp_path):
    pid_file = tmp_path / "child.pid"
    # Like soffice, which runs soffice.bin as its child: the child must not outlive the time limit either.
    command = ["sh", "-c", f"sleep 60 & echo $! > {pid_file}; wait"]
    started = time.monotonic()

    with pytest.raises(ConversionFailed, match=r"more than 0\.5 s"):
        _run(command, {"PATH": os.environ["PATH"]}, 0.5)

    assert time.monotonic() - started < 5
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)  # the killed child is reaped by init a moment later
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"  # a zombie has ended, only its parent has not reaped it yet
    except FileNotFoundError:
        return False
