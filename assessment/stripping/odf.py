"""OpenDocument texts (ODT) rebuilt from the parts that show the work, with nobody named and nothing active inside."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from lxml import etree

from assessment.errors import UploadRejected
from assessment.messages import N_
from assessment.stripping import package as pkg
from assessment.stripping.images import reencode_image
from assessment.stripping.neutral import NEUTRAL_INITIALS, NEUTRAL_NAME

LABEL = "an OpenDocument text (ODT)"
MIMETYPE = b"application/vnd.oasis.opendocument.text"

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
_CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
_DC = "http://purl.org/dc/elements/1.1/"
_XLINK = "http://www.w3.org/1999/xlink"
_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"

# The parts the stored copy keeps, as mat2 keeps them (content, styles, settings, the manifest and mimetype), and
# Pictures/ drawn again; meta.xml is rebuilt with neutral values rather than dropped, since LibreOffice writes one.
# Thumbnails/, Configurations2/, embedded objects (Object N/ and their ObjectReplacements/), manifest.rdf, macros
# (Basic/, Scripts/, Dialogs/) and anything else are left behind.
_XML_PARTS = ("content.xml", "styles.xml", "settings.xml")

# As for DOCX: a hyperlink is the student's content and reaches a server only when the reviewer follows it, so http(s)
# links stay; file://, \\host\share and relative links to the author's disk go (their words stay).
_KEPT_LINK = re.compile(r"https?://|#", re.IGNORECASE)
_SCRIPT_LINK = re.compile(r"\s*(vnd\.sun\.star\.script|macro|javascript|vbscript)\s*:", re.IGNORECASE)
# Elements that link somewhere only when the reader clicks them; any other reference is fetched on opening.
_LINKS = {(_TEXT, "a"), (_DRAW, "a"), (_DRAW, "area-rectangle"), (_DRAW, "area-circle"), (_DRAW, "area-polygon")}
# Embedded objects (formulas, charts, OLE, plug-ins, applets, frames showing another file) and linked sections.
_EMBEDDED = {(_DRAW, "object"), (_DRAW, "object-ole"), (_DRAW, "plugin"), (_DRAW, "applet"),
             (_DRAW, "floating-frame"), (_TEXT, "section-source"), (_OFFICE, "dde-source"),
             (_TEXT, "dde-connection-decls")}
# Fields that show the author's name or address from the program's user data.
_NAME_FIELDS = {"author-name": NEUTRAL_NAME, "initial-creator": NEUTRAL_NAME, "author-initials": NEUTRAL_INITIALS}
# Settings that name the author's printer (and its driver set-up) or the databases on their computer.
_DROPPED_SETTINGS = {"PrinterName", "PrinterSetup", "PrinterPaperFromSetup", "PrintFaxName", "CurrentDatabaseDataSource",
                     "CurrentDatabaseCommand", "CurrentDatabaseCommandType", "EmbeddedDatabaseName"}

_ACTIVE_MACROS = N_(
    "This OpenDocument text contains macros or scripts, which would run on the reviewer's computer. Delete them "
    "(Tools, Macros, Organize Macros) and any events that start them (Tools, Customize, Events), save the document "
    "and upload it again."
)
_UNREADABLE_PICTURE = N_(
    "A picture inside this OpenDocument text could not be read; it may be damaged. Insert the picture again, save "
    "the document and upload the new file."
)


@dataclass
class _Rebuild:
    package: pkg.Package
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # new name -> (media type, data)
    renamed: dict[str, str | None] = field(default_factory=dict)  # old picture name -> new name, None when dropped


def strip_odt(data: bytes) -> bytes:
    return pkg.rebuilt(data, LABEL, _rebuild)


def _rebuild(package: pkg.Package) -> bytes:
    if "content.xml" not in package or "mimetype" not in package or package.read("mimetype", 100).strip() != MIMETYPE:
        raise UploadRejected(pkg.unreadable(LABEL))
    if any(name.split("/", 1)[0] in ("Basic", "Scripts", "Dialogs") for name in package.names):
        raise UploadRejected(_ACTIVE_MACROS)
    rebuild = _Rebuild(package)
    roots = {name: package.xml(name) for name in _XML_PARTS if name in package}
    for name, root in roots.items():
        if name == "settings.xml":
            _scrub_settings(root)
        else:
            _refuse_scripts(root)
            _scrub(root, rebuild)
    version = roots["content.xml"].get(f"{{{_OFFICE}}}version") or "1.2"
    version = version if re.fullmatch(r"1\.[0-9]", version) else "1.2"
    parts = [pkg.Part("mimetype", MIMETYPE, compressed=False)]  # first and stored, as ODF requires
    listed: dict[str, str] = {"content.xml": "text/xml", "meta.xml": "text/xml"}
    parts.append(pkg.Part("content.xml", pkg.xml_bytes(roots["content.xml"])))
    parts.append(pkg.Part("meta.xml", _meta(version)))
    for name in ("styles.xml", "settings.xml"):
        if name in roots:
            parts.append(pkg.Part(name, pkg.xml_bytes(roots[name])))
            listed[name] = "text/xml"
    for name in sorted(rebuild.images):
        media_type, data = rebuild.images[name]
        parts.append(pkg.Part(name, data, compressed=False))
        listed[name] = media_type
    parts.append(pkg.Part("META-INF/manifest.xml", _manifest(version, listed)))
    return pkg.write_package(parts)


def _refuse_scripts(root: etree._Element) -> None:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        # A script bound to an event (opening the document, clicking a picture or a form control), in any language.
        if pkg.local_name(element) in ("event-listener", "event-listeners") and len(element) + len(element.attrib):
            raise UploadRejected(_ACTIVE_MACROS)
        if _SCRIPT_LINK.match(element.get(f"{{{_XLINK}}}href") or ""):
            raise UploadRejected(_ACTIVE_MACROS)


def _scrub(root: etree._Element, rebuild: _Rebuild) -> None:
    doomed: list[etree._Element] = []
    unwrapped: list[etree._Element] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        name = qname.localname
        # dc:creator names the writer of each comment and tracked change; initials likewise.
        if (qname.namespace, name) == (_DC, "creator"):
            pkg.set_text(element, NEUTRAL_NAME)
        elif name in ("creator-initials", "sender-initials"):
            pkg.set_text(element, NEUTRAL_INITIALS)
        elif qname.namespace == _TEXT and name in _NAME_FIELDS:
            pkg.set_text(element, _NAME_FIELDS[name])
        elif qname.namespace == _TEXT and name.startswith("sender-"):
            pkg.set_text(element, "")  # the sender's name, address, e-mail, phone from the user's profile
        elif (qname.namespace, name) in _EMBEDDED:
            doomed.append(element)
            continue
        elif (qname.namespace, name) == (_OFFICE, "binary-data"):
            # A picture written into the XML itself (as flat ODT does) rather than into Pictures/: drawn again too.
            picture = _inline_picture(element.text or "")
            holder = element.getparent()  # the draw:image
            if picture is None:
                doomed.append(element if holder is None else holder)
            else:
                element.text = picture
        for key in list(element.attrib):
            if "rsid" in etree.QName(key).localname:
                del element.attrib[key]  # editing-session ids: they tie drafts of one author together
        href = element.get(f"{{{_XLINK}}}href")
        if href is None:
            continue
        if (qname.namespace, name) in _LINKS:
            if not _KEPT_LINK.match(href):
                if name == "a":
                    unwrapped.append(element)
                else:
                    del element.attrib[f"{{{_XLINK}}}href"]
            continue
        picture = _picture(rebuild, href)
        if picture is not None:
            element.set(f"{{{_XLINK}}}href", picture)
        elif (qname.namespace, name) == (_DRAW, "image"):
            doomed.append(element)  # a linked picture (fetched from the author's server) or one left out
        else:
            del element.attrib[f"{{{_XLINK}}}href"]
    # Comments and processing instructions are nobody's content and can hold anything; entity references were never
    # expanded and their declarations are not written back.
    doomed += [*root.iter(etree.Comment, etree.PI, etree.Entity)]
    for element in doomed:
        frame = element.getparent()
        pkg.remove(element)
        if frame is not None and pkg.local_name(frame) == "frame" and not any(
            pkg.local_name(child) in ("image", "text-box", "object", "object-ole") for child in frame
        ):
            pkg.remove(frame)  # a frame left with nothing to show
    for element in reversed(unwrapped):
        pkg.unwrap(element)


def _picture(rebuild: _Rebuild, href: str) -> str | None:
    """The kept name of a picture inside the package, drawn again from its pixels; None for anything else."""
    name = pkg.resolve("", href.removeprefix("./"))
    if name is None or not name.startswith("Pictures/") or name not in rebuild.package:
        return None
    if name not in rebuild.renamed:
        picture = pkg.redrawn_picture(name, rebuild.package.read(name), _UNREADABLE_PICTURE)
        if picture is not None:
            rebuild.images[picture.name] = (picture.media_type, picture.data)
        rebuild.renamed[name] = picture.name if picture else None
    return rebuild.renamed[name]


def _inline_picture(encoded: str) -> str | None:
    try:
        data = base64.b64decode("".join(encoded.split()), validate=True)
    except binascii.Error:
        return None
    if not data.startswith(pkg.RASTER_MAGIC):
        return None
    image = reencode_image(data, unreadable=_UNREADABLE_PICTURE)
    return base64.b64encode(image.data).decode() if image.format in pkg.IMAGE_TYPES else None


def _scrub_settings(root: etree._Element) -> None:
    doomed = [element for element in root.iter(f"{{{_CONFIG}}}config-item")
              if element.get(f"{{{_CONFIG}}}name") in _DROPPED_SETTINGS]
    for element in [*doomed, *root.iter(etree.Comment, etree.PI, etree.Entity)]:
        pkg.remove(element)


def _meta(version: str) -> bytes:
    # A neutral author and a first edit: no dates, template, printer, title, keywords or user-defined properties.
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<office:document-meta xmlns:office="{_OFFICE}" xmlns:meta="{_META}" xmlns:dc="{_DC}" '
        f'office:version="{version}"><office:meta>'
        f"<meta:initial-creator>{NEUTRAL_NAME}</meta:initial-creator><dc:creator>{NEUTRAL_NAME}</dc:creator>"
        f"<meta:editing-cycles>1</meta:editing-cycles></office:meta></office:document-meta>"
    ).encode()


def _manifest(version: str, listed: dict[str, str]) -> bytes:
    root = etree.Element(f"{{{_MANIFEST}}}manifest", nsmap={"manifest": _MANIFEST})
    root.set(f"{{{_MANIFEST}}}version", version)
    entry = etree.SubElement(root, f"{{{_MANIFEST}}}file-entry")
    entry.set(f"{{{_MANIFEST}}}full-path", "/")
    entry.set(f"{{{_MANIFEST}}}version", version)
    entry.set(f"{{{_MANIFEST}}}media-type", MIMETYPE.decode())
    for name, media_type in listed.items():
        entry = etree.SubElement(root, f"{{{_MANIFEST}}}file-entry")
        entry.set(f"{{{_MANIFEST}}}full-path", name)
        entry.set(f"{{{_MANIFEST}}}media-type", media_type)
    return pkg.xml_bytes(root)
