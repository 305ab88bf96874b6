"""Reading copies: a PDF made by LibreOffice from a version's anonymised DOCX or ODT, stored beside the file."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from assessment.errors import UploadRejected
from assessment.models import SubmissionVersion
from assessment.reading import needs_reading_copy, reading_copy_key
from assessment.storage import FileStorage
from assessment.stripping.pdf import strip_pdf
from assessment.uploads import KNOWN_KINDS

log = logging.getLogger(__name__)
# A cold start of LibreOffice (a new profile every time) takes a few seconds; a document that takes far longer is
# given up rather than left to hold a worker.
CONVERSION_SECONDS = 60.0


class ConversionFailed(Exception):
    """LibreOffice made no PDF of the file: it refused it, crashed, or ran out of time."""


@dataclass(frozen=True)
class LibreOffice:
    """`soffice` run headless, once per file, in a child process with a profile of its own and a time limit."""

    program: str | None  # a path or a name looked up on PATH; None: reading copies are not made here
    seconds: float = CONVERSION_SECONDS

    @property
    def executable(self) -> str | None:
        return shutil.which(self.program) if self.program else None

    @property
    def available(self) -> bool:
        return self.executable is not None

    def to_pdf(self, data: bytes, kind: str) -> bytes:
        executable = self.executable
        if executable is None:
            raise ConversionFailed(f"LibreOffice ({self.program!r}) is not installed")
        with tempfile.TemporaryDirectory(prefix="peerlti-reading-") as work:
            folder = Path(work)
            source = folder / f"submission.{KNOWN_KINDS[kind].extension}"
            source.write_bytes(data)
            # A private profile: parallel conversions never share (and lock) one, and nothing of one file stays for
            # the next. HOME points into the same folder for anything else LibreOffice writes.
            command = [executable, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                       "--norestore", "--nolockcheck", "--nodefault", "--convert-to", "pdf",
                       "--outdir", str(folder / "out"), str(source)]
            environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "LANG": "C.UTF-8"}
            _run(command, environment, self.seconds)
            result = folder / "out" / "submission.pdf"
            if not result.is_file():
                raise ConversionFailed("LibreOffice wrote no PDF")
            return result.read_bytes()


def _run(command: list[str], environment: dict[str, str], seconds: float) -> None:
    # A process group of its own: soffice starts soffice.bin as its child, and a timeout must end both.
    process = subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL,  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ConversionFailed(f"LibreOffice took more than {seconds:g} s") from None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.returncode != 0:
        raise ConversionFailed(f"LibreOffice failed ({process.returncode}): {output[-500:]!r}")


def neutral_pdf(data: bytes) -> bytes:
    """The PDF through the same stripper as an uploaded PDF: no document information, XMP or picture metadata.

    LibreOffice writes its name as producer and creator, and the document's title and author if it has any."""
    try:
        return strip_pdf(data)
    except UploadRejected as error:
        raise ConversionFailed("LibreOffice wrote a PDF the stripper refused") from error


def make_reading_copy(session: Session, version_id: int, storage: FileStorage, office: LibreOffice) -> str | None:
    """Make and store the version's reading copy if it needs one; the copy's key, or None. Safe to repeat.

    1. Only a ready file that has neither a copy nor a failed attempt is converted (see `needs_reading_copy`).
    2. The copy is made from the stored, anonymised file, never from the upload, and its metadata is neutralised.
    3. A file LibreOffice cannot convert is marked, so it is offered as a download instead of being tried again.
    4. Without LibreOffice nothing is recorded: a worker that has it makes the copy when the file is next read."""
    version = session.get(SubmissionVersion, version_id)
    if version is None or not needs_reading_copy(version) or not office.available:
        return version.reading_copy_key if version is not None else None
    assert version.file_key is not None and version.file_kind is not None  # needs_reading_copy checked both
    key = reading_copy_key(version.file_key)
    try:
        copy = neutral_pdf(office.to_pdf(storage.read(version.file_key), version.file_kind))
    except ConversionFailed as failure:
        log.warning("no reading copy of submission version %s: %s", version_id, failure)
        version.reading_copy_failed = True
        session.commit()
        return None
    storage.save(key, copy)
    version.reading_copy_key = key
    session.commit()
    return key
