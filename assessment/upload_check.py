"""Checking one uploaded file: its kind, its archive's size limits, then its identity stripped; run in a child."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from assessment.anonymity import strip_identity
from assessment.errors import UploadRejected
from assessment.messages import N_, Message
from assessment.uploads import identify

# Limits read from a package's directory before any part of it is unpacked: a bomb is refused at a glance.
MAX_ENTRIES = 10_000
MAX_UNPACKED_TOTAL = 200 * 1024 * 1024
MAX_XML_PART = 32 * 1024 * 1024  # parsing XML takes several times its size in memory
# A part that unpacks to more than 1 MB at a ratio above this is not text nor a picture: real documents stay far
# below it (XML compresses about 10:1), a zip bomb far above (hundreds or thousands to one).
MAX_RATIO = 100
_RATIO_FROM = 1024 * 1024
_PACKAGE_KINDS = ("docx", "odt")


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    extension: str
    data: bytes  # the file without its author's identity


def check_upload(data: bytes, claimed_name: str, allowed: Collection[str]) -> CheckedFile:
    """The file's kind (from its content; its name must agree) and the file stripped; UploadRejected says why not."""
    kind = identify(claimed_name, data, allowed)
    if kind.name in _PACKAGE_KINDS:
        ensure_package_within_limits(data, kind.label)
    return CheckedFile(kind.name, kind.extension, strip_identity(data, kind.name))


def ensure_package_within_limits(data: bytes, label: str) -> None:
    """Refuse a zip package whose directory announces too many parts, too much data, or a bomb's expansion."""
    too_big = UploadRejected(N_(
        "This %(kind)s file unpacks to far more data than a document holds, so it was not opened. Save it again "
        "from your word processor, make it smaller (for example by compressing its pictures) and upload it again.",
        kind=label))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return  # the stripper says it is damaged, in its own words
    if len(entries) > MAX_ENTRIES or sum(entry.file_size for entry in entries) > MAX_UNPACKED_TOTAL:
        raise too_big
    for entry in entries:
        if entry.filename.lower().endswith((".xml", ".rels")) and entry.file_size > MAX_XML_PART:
            raise too_big
        if entry.file_size > _RATIO_FROM and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise too_big


def message_to_json(message: Message) -> dict[str, Any]:
    """A domain message as data (its template and parameters, nested messages too), translated when shown."""
    return {"template": message.template,
            "params": {name: {"message": message_to_json(value)} if isinstance(value, Message) else value
                       for name, value in message.params.items()}}


def message_from_json(stored: dict[str, Any]) -> Message:
    params = {name: message_from_json(value["message"]) if isinstance(value, dict) else value
              for name, value in stored.get("params", {}).items()}
    return Message(stored["template"], params)
