"""PDF files without the names their software recorded: document info, XMP and annotation authors."""

from __future__ import annotations

import io

from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject, TextStringObject

from assessment.errors import UploadRejected
from assessment.messages import N_
from assessment.stripping.neutral import NEUTRAL_NAME

# Dictionary keys that hold application data or XMP packets, both of which routinely name the author.
_PDF_PRIVATE_KEYS = ("/Metadata", "/PieceInfo")


def strip_pdf(data: bytes) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise UploadRejected(N_("This PDF is protected by a password; upload a copy saved without a password."))
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        _scrub_pdf_objects(writer.root_object)
        # Cloning copies only what the document still reaches, so the unlinked XMP packets and
        # application data are left behind instead of being written out as orphans.
        clean = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf_bytes(writer))))
        clean.metadata = None
        return _pdf_bytes(clean)
    except UploadRejected:
        raise
    # A malformed PDF can fail anywhere inside pypdf, with any exception; to the student each means the same.
    except Exception as error:
        raise UploadRejected(N_(
            "This file could not be read as a PDF; it may be damaged. Export it again as PDF and upload the new file."
        )) from error


def _pdf_bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _scrub_pdf_objects(root: PdfObject) -> None:
    # Walk every object the document reaches (annotations hang off pages, popups off annotations, XMP off anything).
    stack: list[PdfObject] = [root]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            resolved = item.get_object()
            if resolved is None:  # a reference to an object the file does not hold: nothing there to scrub
                continue
            item = resolved
        if isinstance(item, DictionaryObject):
            for key in _PDF_PRIVATE_KEYS:
                item.pop(key, None)
            # /T on a markup annotation is its author; on a form widget it is the field name, which forms need.
            if "/T" in item and item.get("/Subtype") not in (None, "/Widget"):
                item[NameObject("/T")] = TextStringObject(NEUTRAL_NAME)
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)


