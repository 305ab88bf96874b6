"""Uploaded files: read within a size limit, and known by their content rather than by their name."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from typing import BinaryIO

import filetype

from assessment.errors import UploadRejected
from assessment.messages import N_, Message

MB = 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    name: str
    extension: str  # the one given to stored and downloaded copies
    media_type: str
    other_extensions: tuple[str, ...] = ()  # also accepted on uploads: people name JPEGs .jpeg as often as .jpg

    @property
    def label(self) -> str:
        return self.name.upper()

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.extension, *self.other_extensions)


KNOWN_KINDS: dict[str, FileKind] = {
    kind.name: kind
    for kind in (
        FileKind("pdf", "pdf", "application/pdf"),
        FileKind("docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        FileKind("odt", "odt", "application/vnd.oasis.opendocument.text"),
        FileKind("txt", "txt", "text/plain", ("text",)),
        FileKind("png", "png", "image/png"),
        FileKind("jpeg", "jpg", "image/jpeg", ("jpeg",)),
    )
}

_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# Content types filetype reports under another name than ours.
_FILETYPE_NAMES = {"pdf": "pdf", "png": "png", "apng": "png", "jpg": "jpeg"}


def limited_stream(stream: BinaryIO, limit_bytes: int, chunk_size: int = 64 * 1024) -> BinaryIO:
    """`stream` at its start if it holds at most `limit_bytes`, else UploadRejected; never read whole into memory.

    A seekable stream (the web server's spooled upload) is measured in place; any other is copied in chunks into a
    temporary file that stays in memory only while small, refused as soon as it passes the limit."""
    if stream.seekable():
        start = stream.tell()
        size = stream.seek(0, io.SEEK_END) - start
        stream.seek(start)
        if size > limit_bytes:
            raise UploadRejected(N_("The file is larger than the %(limit)s limit.", limit=_size(limit_bytes)))
        return stream
    copy = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - handed to the caller, open
    copied = 0
    while chunk := stream.read(min(chunk_size, limit_bytes + 1 - copied)):
        copied += len(chunk)
        if copied > limit_bytes:
            copy.close()
            raise UploadRejected(N_("The file is larger than the %(limit)s limit.", limit=_size(limit_bytes)))
        copy.write(chunk)
    copy.seek(0)
    return copy  # type: ignore[return-value]  # a binary file object, as typeshed does not say of SpooledTemporaryFile


def identify(filename: str, data: bytes, allowed: Collection[str]) -> FileKind:
    """The kind of an upload, from its content; its name must agree, and the kind must be one of `allowed`."""
    unknown = [name for name in allowed if name not in KNOWN_KINDS]
    if unknown:
        raise ValueError(f"unknown file kinds: {unknown}")
    accepted = ", ".join(kind.label for kind in KNOWN_KINDS.values() if kind.name in allowed)
    extension = _extension(filename)
    claimed = next((kind for kind in KNOWN_KINDS.values() if extension in kind.extensions), None)
    claimed_text = _a(claimed.label) if claimed else N_("a document")

    # 1. Nothing to look at.
    if not data:
        raise UploadRejected(N_("The file is empty. Check you chose the right file, then upload it again."))
    # 2. Programs first: whatever they are named, they are never work to assess.
    if _is_program(data):
        raise UploadRejected(N_(
            "This file is a program, not %(claimed)s. Upload your work itself, saved as one of: %(accepted)s.",
            claimed=claimed_text, accepted=accepted,
        ))
    # 3. What the content is.
    found, label = _content_kind(data)
    if found is None or found.name not in allowed:
        if label is None:
            raise UploadRejected(N_(
                "The type of this file could not be recognised. Accepted file types: %(accepted)s.", accepted=accepted
            ))
        if claimed and claimed.label != label:
            raise UploadRejected(N_(
                "This file is %(found)s, not %(claimed)s. Files of type %(kind)s are not accepted here; "
                "accepted: %(accepted)s.",
                found=_a(label), claimed=claimed_text, kind=label, accepted=accepted,
            ))
        raise UploadRejected(N_(
            "Files of type %(kind)s are not accepted here; accepted: %(accepted)s.", kind=label, accepted=accepted
        ))
    # 4. The name must say the same, so nobody downloads a file that opens as something other than it says.
    if extension not in found.extensions:
        if not extension:
            raise UploadRejected(N_(
                "This file is %(found)s, but its name has no extension. Rename it to end in .%(extension)s "
                "and upload it again.",
                found=_a(found.label), extension=found.extension,
            ))
        raise UploadRejected(N_(
            "This file is %(found)s, but its name ends in .%(named)s. Rename it to end in .%(extension)s "
            "and upload it again.",
            found=_a(found.label), named=extension, extension=found.extension,
        ))
    return found


def _content_kind(data: bytes) -> tuple[FileKind | None, str | None]:
    """The known kind the content is, if any, and a label for it (also for kinds we do not take)."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data)
    guess = filetype.guess(data)
    if guess is not None:
        name = _FILETYPE_NAMES.get(guess.extension)
        if name is not None:
            return KNOWN_KINDS[name], KNOWN_KINDS[name].label
        return None, guess.extension.upper()
    if _is_text(data):
        return KNOWN_KINDS["txt"], KNOWN_KINDS["txt"].label
    return None, None


def _zip_kind(data: bytes) -> tuple[FileKind | None, str | None]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            if "mimetype" in names:
                with package.open("mimetype") as entry:
                    mimetype = entry.read(100).strip()
                if mimetype == _ODT_MIMETYPE:
                    return KNOWN_KINDS["odt"], KNOWN_KINDS["odt"].label
            if "word/document.xml" in names:
                if any(name.lower().endswith("vbaproject.bin") for name in names):
                    # Macros would run on every reviewer's computer.
                    return None, "DOCM (Word with macros)"
                return KNOWN_KINDS["docx"], KNOWN_KINDS["docx"].label
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
        return None, "ZIP"
    guess = filetype.guess(data)
    return None, guess.extension.upper() if guess is not None else "ZIP"


def _is_program(data: bytes) -> bool:
    head = data[:4]
    return (
        head == b"\x7fELF"  # Linux and most Unix
        or head[:2] == b"MZ"  # Windows .exe and .dll
        or head in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")  # Mach-O
        or head == b"\xca\xfe\xba\xbe"  # universal Mach-O (and Java classes, programs too)
        or data.lstrip(b"\xef\xbb\xbf")[:2] == b"#!"  # a script
    )


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _extension(filename: str) -> str:
    # Some browsers send the full client path; only the last component is the name.
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[1].lower() if "." in base.strip(".") else ""


def _a(label: str) -> Message:
    # "an ODT", "a PDF": the article follows how the first letter is said (languages without articles drop it).
    return N_("an %(kind)s", kind=label) if label[:1] in "AEFHILMNORSX" else N_("a %(kind)s", kind=label)


def _size(limit_bytes: int) -> str:
    if limit_bytes >= MB:
        return f"{limit_bytes / MB:.1f}".removesuffix(".0") + " MB"
    if limit_bytes >= 1024:
        return f"{limit_bytes / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{limit_bytes} bytes"
