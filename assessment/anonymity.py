"""Anonymity: stable pseudonyms, neutral file names, and uploaded files stripped of who wrote them."""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import struct
import zipfile
from collections.abc import Callable

from lxml import etree
from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject, TextStringObject

from assessment.errors import UploadRejected
from assessment.messages import N_

# No 0/O, 1/I/L: a pseudonym is read aloud and typed by people, who confuse those.
PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PSEUDONYM_LENGTH = 8
NEUTRAL_NAME = "Anonymous"
NEUTRAL_INITIALS = "A"
# Decompressed size allowed for an office document: generous for real work, fatal for a zip bomb.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_PARTS = 5000


def pseudonym(secret: str, scope: str, person_id: int) -> str:
    """The same person in the same scope always gets the same name; across scopes the names are unrelated."""
    if not secret:
        raise ValueError("a pseudonym needs a secret, or anyone could recompute who is behind it")
    # Versioned and length-prefixed so ("a:1", 2) and ("a", "1:2")-like inputs can never collide,
    # and so this HMAC never equals one computed elsewhere with the same secret.
    message = f"peerlti-pseudonym-v1\x00{len(scope)}:{scope}\x00{person_id}".encode()
    number = int.from_bytes(hmac.new(secret.encode(), message, hashlib.sha256).digest(), "big")
    letters = []
    for _ in range(PSEUDONYM_LENGTH):
        number, index = divmod(number, len(PSEUDONYM_ALPHABET))
        letters.append(PSEUDONYM_ALPHABET[index])
    return "".join(letters)


def neutral_filename(pseudonym: str, extension: str) -> str:
    """A download name that says nothing about the author: `submission-K7Q2MX9R.pdf`."""
    extension = extension.lower().lstrip(".")
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", pseudonym) or not re.fullmatch(r"[a-z0-9]{1,10}", extension):
        raise ValueError(f"unsafe pseudonym or extension for a file name: {pseudonym!r}, {extension!r}")
    return f"submission-{pseudonym}.{extension}"


def strip_identity(data: bytes, kind: str) -> bytes:
    """The file without the names its software recorded; the content the student wrote is left as it is.

    Handles pdf, docx, odt, png and jpeg; other kinds (plain text) carry no such records and come back unchanged.
    """
    stripper = _STRIPPERS.get(kind)
    return stripper(data) if stripper else data


# --- PDF ---------------------------------------------------------------------------------------------------------

# Dictionary keys that hold application data or XMP packets, both of which routinely name the author.
_PDF_PRIVATE_KEYS = ("/Metadata", "/PieceInfo")


def _strip_pdf(data: bytes) -> bytes:
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


# --- Office documents (DOCX, ODT): zip packages of XML parts -----------------------------------------------------

_W_NAMESPACES = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",  # the "strict" flavour of the same vocabulary
)
_W_AUTHOR = tuple(f"{{{ns}}}author" for ns in _W_NAMESPACES)
_W_INITIALS = tuple(f"{{{ns}}}initials" for ns in _W_NAMESPACES)
_W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
_DC = "http://purl.org/dc/elements/1.1/"
_CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_ATTACHED_TEMPLATE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _scrub_docx_part(root: etree._Element) -> bool:
    changed = False
    for element in root.iter():
        # Comment and tracked-change authors (w:comment, w:ins, w:del, w:rPrChange, ...) in every part.
        for name in _W_AUTHOR:
            changed |= _set_attribute(element, name, NEUTRAL_NAME)
        for name in _W_INITIALS:
            changed |= _set_attribute(element, name, NEUTRAL_INITIALS)
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == f"{{{_W15}}}person":
            changed |= _set_attribute(element, f"{{{_W15}}}author", NEUTRAL_NAME)
        elif tag in (f"{{{_DC}}}creator", f"{{{_CP}}}lastModifiedBy"):
            changed |= _set_text(element, NEUTRAL_NAME)
        elif tag == f"{{{_CP}}}revision":
            changed |= _set_text(element, "1")
        elif tag in (f"{{{_EXTENDED}}}Company", f"{{{_EXTENDED}}}Manager"):
            changed |= _set_text(element, "")
        elif tag == f"{{{_RELATIONSHIPS}}}Relationship" and element.get("Type") == _ATTACHED_TEMPLATE:
            # The template path is often C:\Users\<login>\...\Normal.dotm: a name in all but form.
            changed |= _set_attribute(element, "Target", "Normal.dotm")
    # Presence records carry the author's account (e-mail, directory id); custom properties are free-form.
    doomed = [*root.iter(f"{{{_W15}}}presenceInfo"), *root.iter(f"{{{_CUSTOM}}}property")]
    for element in doomed:
        _remove(element)
    return changed or bool(doomed)


def _scrub_odt_part(root: etree._Element) -> bool:
    changed = False
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        # dc:creator names the author in meta.xml, and the writer of each annotation and tracked change in content.xml.
        if tag in (f"{{{_DC}}}creator", f"{{{_META}}}initial-creator", f"{{{_META}}}printed-by"):
            changed |= _set_text(element, NEUTRAL_NAME)
        elif tag == f"{{{_META}}}creator-initials" or tag.endswith("}sender-initials"):
            changed |= _set_text(element, NEUTRAL_INITIALS)
    doomed = list(root.iter(f"{{{_META}}}user-defined"))
    for element in doomed:
        _remove(element)
    return changed or bool(doomed)


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:  # the part's root element has no parent to be removed from; it stays
        parent.remove(element)


def _set_attribute(element: etree._Element, name: str, value: str) -> bool:
    if element.get(name) is None or element.get(name) == value:
        return False
    element.set(name, value)
    return True


def _set_text(element: etree._Element, value: str) -> bool:
    if (element.text or "") == value and not len(element):
        return False
    for child in list(element):
        element.remove(child)
    element.text = value
    return True


def _rewrite_package(data: bytes, label: str, scrub: Callable[[etree._Element], bool]) -> bytes:
    unreadable = N_(
        "This file could not be read as %(kind)s; it may be damaged. Save it again and upload the new file.", kind=label
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
            names = [entry.filename for entry in entries]
            if len(entries) > MAX_PARTS or len(set(names)) != len(names):
                raise UploadRejected(unreadable)
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
                raise UploadRejected(N_(
                    "This file unpacks to more than %(max)s MB, too large to accept; "
                    "make it smaller, for example by compressing its pictures, and upload it again.",
                    max=MAX_UNPACKED_BYTES // 2**20,
                ))
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as rewritten:
                # Same order and same compression per part: ODF needs its `mimetype` first and stored.
                for entry in entries:
                    content = package.read(entry)
                    if entry.filename.lower().endswith((".xml", ".rels")) and content:
                        root = etree.fromstring(content, _XML_PARSER)
                        if scrub(root):
                            content = etree.tostring(
                                root.getroottree(), xml_declaration=True, encoding="UTF-8", standalone=True
                            )
                    fresh = zipfile.ZipInfo(entry.filename, date_time=entry.date_time)
                    fresh.compress_type = entry.compress_type
                    fresh.external_attr = entry.external_attr
                    rewritten.writestr(fresh, content)
            return out.getvalue()
    except UploadRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, etree.XMLSyntaxError, NotImplementedError, EOFError,
            OSError, ValueError, RuntimeError) as error:
        # NotImplementedError: an unsupported compression method; RuntimeError: an encrypted entry.
        raise UploadRejected(unreadable) from error


def _strip_docx(data: bytes) -> bytes:
    return _rewrite_package(data, "a Word document (DOCX)", _scrub_docx_part)


def _strip_odt(data: bytes) -> bytes:
    return _rewrite_package(data, "an OpenDocument text (ODT)", _scrub_odt_part)


# --- Images: phone photos carry the camera owner, and often where the photo was taken -----------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Text chunks hold Author and free comments; eXIf holds camera data and GPS; tIME is when it was edited.
_PNG_DROPPED = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def _strip_png(data: bytes) -> bytes:
    unreadable = N_("This file could not be read as a PNG image; it may be damaged. Save it again and upload the new file.")
    if not data.startswith(_PNG_SIGNATURE):
        raise UploadRejected(unreadable)
    kept = [_PNG_SIGNATURE]
    position = len(_PNG_SIGNATURE)
    while position < len(data):
        if position + 12 > len(data):
            raise UploadRejected(unreadable)
        (length,) = struct.unpack(">I", data[position:position + 4])
        chunk_type = data[position + 4:position + 8]
        end = position + 12 + length
        if end > len(data):
            raise UploadRejected(unreadable)
        if chunk_type not in _PNG_DROPPED:
            kept.append(data[position:end])
        position = end
        if chunk_type == b"IEND":
            break
    return b"".join(kept)


# JPEG segments kept before the image data: JFIF (APP0), the colour profile (APP2) and Adobe's colour
# transform (APP14); EXIF/XMP (APP1), IPTC (APP13), comments and every other application segment go.
_JPEG_KEPT_MARKERS = {0xE0, 0xE2, 0xEE}
_EXIF_ORIENTATION = 0x0112


def _strip_jpeg(data: bytes) -> bytes:
    unreadable = N_("This file could not be read as a JPEG image; it may be damaged. Save it again and upload the new file.")
    if not data.startswith(b"\xff\xd8"):
        raise UploadRejected(unreadable)
    kept = [b"\xff\xd8"]
    orientation: int | None = None
    position = 2
    while True:
        if position + 4 > len(data) or data[position] != 0xFF:
            raise UploadRejected(unreadable)
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers that stand alone, without a length
            kept.append(data[position:position + 2])
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        end = position + 2 + length
        if length < 2 or end > len(data):
            raise UploadRejected(unreadable)
        segment = data[position:end]
        if marker == 0xDA:  # start of scan: the compressed image follows, with no more metadata segments
            kept.append(data[position:])
            break
        if marker == 0xE1 and orientation is None:
            orientation = _exif_orientation(segment[4:])
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE) or marker in _JPEG_KEPT_MARKERS:
            kept.append(segment)
        position = end
    if orientation not in (None, 1):
        # Keep only which way is up, or a phone photo of handwritten work would show sideways.
        # EXIF belongs right after the JFIF header when there is one, else right after the start of image.
        after = 2 if len(kept) > 1 and kept[1].startswith(b"\xff\xe0") else 1
        kept.insert(after, _orientation_segment(orientation))
    return b"".join(kept)


def _exif_orientation(payload: bytes) -> int | None:
    if not payload.startswith(b"Exif\x00\x00") or len(payload) < 14:
        return None
    tiff = payload[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    try:
        (first_ifd,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[first_ifd:first_ifd + 2])
        for index in range(count):
            start = first_ifd + 2 + 12 * index
            tag, kind, _, value = struct.unpack(order + "HHIH", tiff[start:start + 10])
            if tag == _EXIF_ORIENTATION and kind == 3:
                return value if 1 <= value <= 8 else None
    except struct.error:
        return None
    return None


def _orientation_segment(orientation: int) -> bytes:
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", _EXIF_ORIENTATION, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + b"MM\x00\x2a" + struct.pack(">I", 8) + ifd
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


_STRIPPERS: dict[str, Callable[[bytes], bytes]] = {
    "pdf": _strip_pdf,
    "docx": _strip_docx,
    "odt": _strip_odt,
    "png": _strip_png,
    "jpeg": _strip_jpeg,
}
