"""Office documents (DOCX, ODT), zip packages of XML parts, without the names their software recorded."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from lxml import etree

from assessment.errors import UploadRejected
from assessment.messages import N_
from assessment.stripping.neutral import NEUTRAL_INITIALS, NEUTRAL_NAME

# Decompressed size allowed for an office document: generous for real work, fatal for a zip bomb.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_PARTS = 5000

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


def strip_docx(data: bytes) -> bytes:
    return _rewrite_package(data, "a Word document (DOCX)", _scrub_docx_part)


def strip_odt(data: bytes) -> bytes:
    return _rewrite_package(data, "an OpenDocument text (ODT)", _scrub_odt_part)


