"""Word documents (DOCX) rebuilt from the parts that show the work, with nobody named and nothing active inside."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from lxml import etree

from assessment.errors import UploadRejected
from assessment.messages import N_
from assessment.stripping import package as pkg
from assessment.stripping.neutral import NEUTRAL_INITIALS, NEUTRAL_NAME

LABEL = "a Word document (DOCX)"

_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_REFERENCES = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
               "http://purl.oclc.org/ooxml/officeDocument/relationships")  # r:id and friends, transitional and strict
_W = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main", "http://purl.oclc.org/ooxml/wordprocessingml/main")
_TYPE_PREFIXES = ("http://schemas.openxmlformats.org/", "http://purl.oclc.org/ooxml/", "http://schemas.microsoft.com/office/")
_MAIN_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_CORE_TYPE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_APP_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."

# What the stored copy keeps, by relationship type (the last segment of its URI), with the content type its part is
# listed under. mat2 keeps the same body, notes, header, footer, style and font parts, and drops customXml, people,
# webSettings, printer settings and custom properties; unlike mat2 this keeps numbering (lists would lose their
# numbers), the theme (theme fonts and colours) and comments (the reviewer reads them), and rebuilds the property
# parts rather than emptying them. Everything else (customXml, people, glossary, thumbnails, embedded objects and
# packages, fonts, printer settings, templates, sub-documents, frames, charts, ActiveX, macros) is left behind.
_KEPT_PARTS = {
    "styles": _WML + "styles+xml",
    "numbering": _WML + "numbering+xml",
    "fontTable": _WML + "fontTable+xml",
    "settings": _WML + "settings+xml",
    "footnotes": _WML + "footnotes+xml",
    "endnotes": _WML + "endnotes+xml",
    "header": _WML + "header+xml",
    "footer": _WML + "footer+xml",
    "comments": _WML + "comments+xml",
    "commentsExtended": _WML + "commentsExtended+xml",
    "commentsIds": _WML + "commentsIds+xml",
    "theme": "application/vnd.openxmlformats-officedocument.theme+xml",
}
_MAIN_CONTENT_TYPE = _WML + "document.main+xml"

# An external hyperlink is the student's own content and reaches a server only when the reviewer chooses to follow
# it, so http(s) links stay. Every other external relationship is fetched or opened by the reviewer's program on its
# own (linked pictures, templates, sub-documents, frames, OLE links) and would tell the student's server who reads the
# file and when; file:// and \\host\share links would do the same through the reviewer's network login. They go.
_KEPT_LINK = re.compile(r"https?://", re.IGNORECASE)
# Schemes Windows hands to a program rather than a browser: mhtml: and ms-msdt: carried the "Follina" attack.
_ACTIVE_TARGET = re.compile(r"\s*(mhtml|ms-[a-z0-9-]+|vbscript|javascript)\s*:", re.IGNORECASE)
# Field codes that run a program (DDE) when the document is opened.
_ACTIVE_FIELD = re.compile(r"^\s*DDE(AUTO)?\b", re.IGNORECASE)
_NAME_FIELD = re.compile(r"^\s*(AUTHOR|USERNAME|USERINITIALS|USERADDRESS|LASTSAVEDBY)\b", re.IGNORECASE)
# Field codes that fetch a picture, text or data from outside the file when Word updates them (a picture pasted from a
# web page is an INCLUDEPICTURE): the reviewer's computer would contact the author's server or share.
_LINKED_FIELD = re.compile(r"^\s*(INCLUDEPICTURE|INCLUDETEXT|INCLUDE|LINK|IMPORT|DATABASE)\b", re.IGNORECASE)
_HYPERLINK_FIELD = re.compile(r"^\s*HYPERLINK\s+(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_WEB_TARGET = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_BOUND_PROPERTY = re.compile(r":(creator|lastModifiedBy|Company|Manager)\b", re.IGNORECASE)
_PATH_LIKE = re.compile(r"^[A-Za-z]:[\\/]|^\\\\|^/|^file:", re.IGNORECASE)

# Elements that are nothing but a pointer to a part that is not kept: removed whole. Charts and diagrams take the
# drawing that holds them, which would otherwise show an empty, broken frame.
_REFERENCE_ONLY = {"OLEObject", "subDoc", "altChunk", "control", "embedRegular", "embedBold", "embedItalic",
                   "embedBoldItalic", "externalData", "attachedTemplate", "saveThroughXslt", "svgBlip", "dataSource",
                   "headerSource", "sourceFileName", "recipientData", "odso", "legacyDrawingHF"}
_IN_DRAWING = {"chart", "relIds", "contentPart"}
# Settings that name or track the author, or point outside the document: template, document variables, editing
# sessions (rsids link drafts of one author across files), mail merge sources, schemas, document ids.
_DROPPED_SETTINGS = {"attachedTemplate", "docVars", "rsids", "mailMerge", "attachedSchema", "saveThroughXslt",
                     "docId", "writeProtection", "embedTrueTypeFonts", "embedSystemFonts", "saveSubsetFonts"}
# Wrappers that tag words with who or what they are (a smart tag "PersonName", SharePoint bindings): their words stay.
_UNWRAPPED = {"smartTag", "customXml"}
_DROPPED_ANYWHERE = {"smartTagPr", "customXmlPr", "dataBinding"}

_ACTIVE_MACROS = N_(
    "This Word document contains macros, which would run on the reviewer's computer. "
    "Save it as a Word Document (.docx) without macros and upload that file."
)
_ACTIVE_EMBEDDED = N_(
    "This Word document contains an embedded object or program (OLE), which could run on the reviewer's computer. "
    "Delete the object, or paste it as a picture instead (Paste Special, then Picture), save the document and upload "
    "it again."
)
_ACTIVE_LINKED = N_(
    "This Word document links to an object or program outside the file, which would be opened on the reviewer's "
    "computer. Remove the linked object (in Word: File, Info, Edit Links to Files, Break Link), save the document "
    "and upload it again."
)
_ACTIVE_CONTROL = N_(
    "This Word document contains form controls or fields that run programs (ActiveX or DDE). Delete them, save the "
    "document and upload it again."
)
_UNREADABLE_PICTURE = N_(
    "A picture inside this Word document could not be read; it may be damaged. Insert the picture again, save the "
    "document and upload the new file."
)


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str
    external: bool

    @property
    def kind(self) -> str:
        return self.type.rstrip("/").rsplit("/", 1)[-1] if self.type.startswith(_TYPE_PREFIXES) else ""


@dataclass
class _Rebuild:
    package: pkg.Package
    xml_parts: dict[str, tuple[str, etree._Element]] = field(default_factory=dict)  # name -> (content type, root)
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # new name -> (content type, data)
    renamed: dict[str, str | None] = field(default_factory=dict)  # old image name -> new name, None when dropped
    relationships: dict[str, list[Relationship]] = field(default_factory=dict)  # part -> what it keeps


def strip_docx(data: bytes) -> bytes:
    return pkg.rebuilt(data, LABEL, _rebuild)


def _rebuild(package: pkg.Package) -> bytes:
    _refuse_active_content(package)
    rebuild = _Rebuild(package)
    root_relationships = _relationships(package, "")
    main = next((rel for rel in root_relationships if rel.kind == "officeDocument" and not rel.external),
                # Without the package's own index, the body is where every producer puts it.
                Relationship("rId1", _MAIN_TYPE, "word/document.xml", external=False))
    main_name = pkg.resolve("", main.target)
    if main_name is None or main_name not in package:
        raise UploadRejected(pkg.unreadable(LABEL))
    rebuild.xml_parts[main_name] = (_MAIN_CONTENT_TYPE, package.xml(main_name))
    queue = [main_name]
    while queue:
        source = queue.pop()
        kept: list[Relationship] = []
        for rel in _relationships(package, source):
            if rel.external:
                if rel.kind == "hyperlink" and _KEPT_LINK.match(rel.target):
                    kept.append(rel)
                continue
            name = pkg.resolve(source, rel.target)
            if name is None or name not in package:
                continue
            if rel.kind == "image":
                new_name = _image(rebuild, name)
                if new_name is not None:
                    kept.append(Relationship(rel.id, rel.type, _relative(source, new_name), external=False))
            elif rel.kind in _KEPT_PARTS:
                kept.append(rel)
                if name not in rebuild.xml_parts:
                    rebuild.xml_parts[name] = (_KEPT_PARTS[rel.kind], package.xml(name))
                    queue.append(name)
        rebuild.relationships[source] = kept
    for name, (_, root) in rebuild.xml_parts.items():
        fields = _fields(root)
        if any(_ACTIVE_FIELD.match(found.code) for found in fields):
            raise UploadRejected(_ACTIVE_CONTROL)
        for found in fields:
            if _fetches_from_outside(found.code):
                _unlink(found)
        _neutralise_name_fields(fields)
        _neutralise_bound_properties(root)
        _scrub(root, {rel.id for rel in rebuild.relationships.get(name, [])})
    return _write(rebuild, main, main_name)


def _refuse_active_content(package: pkg.Package) -> None:
    names = package.names
    if any(name.lower().rsplit("/", 1)[-1] in ("vbaproject.bin", "vbadata.xml") for name in names):
        raise UploadRejected(_ACTIVE_MACROS)
    if any("/embeddings/" in f"/{name.lower()}" and name.lower().endswith(".bin") for name in names):
        raise UploadRejected(_ACTIVE_EMBEDDED)
    if any("/activex/" in f"/{name.lower()}" for name in names):
        raise UploadRejected(_ACTIVE_CONTROL)
    for rels_name in (name for name in names if name.endswith(".rels")):
        for rel in _parse_relationships(package, rels_name):
            if _ACTIVE_TARGET.match(rel.target) or (rel.kind == "oleObject" and rel.external):
                raise UploadRejected(_ACTIVE_LINKED)
            if rel.kind == "oleObject":
                raise UploadRejected(_ACTIVE_EMBEDDED)
            if rel.kind in ("control", "activeXControlBinary", "vbaProject"):
                raise UploadRejected(_ACTIVE_CONTROL if rel.kind != "vbaProject" else _ACTIVE_MACROS)


@dataclass
class _Field:
    instruction: list[str] = field(default_factory=list)
    shown: list[etree._Element] = field(default_factory=list)  # the w:t elements of its last computed result
    in_result: bool = False
    controls: list[etree._Element] = field(default_factory=list)  # its w:fldChar and w:instrText elements
    simple: etree._Element | None = None  # the w:fldSimple that holds it, for a simple field

    @property
    def code(self) -> str:
        return "".join(self.instruction)


def _fields(root: etree._Element) -> list[_Field]:
    """Every field of the part, simple or spread over runs (begin, code, separate, result, end), nested or not."""
    found: list[_Field] = []
    open_fields: list[_Field] = []
    for element in root.iter():
        name = pkg.local_name(element)
        if name == "fldSimple":
            simple = _Field([_attribute(element, "instr")], simple=element)
            simple.shown = [text for text in element.iter() if pkg.local_name(text) == "t"]
            found.append(simple)
        elif name == "fldChar":
            kind = _attribute(element, "fldCharType")
            if kind == "begin":
                open_fields.append(_Field(controls=[element]))
                found.append(open_fields[-1])
            elif kind == "separate" and open_fields:
                open_fields[-1].in_result = True
                open_fields[-1].controls.append(element)
            elif kind == "end" and open_fields:
                open_fields.pop().controls.append(element)
        elif name == "instrText" and open_fields:
            open_fields[-1].instruction.append(element.text or "")
            open_fields[-1].controls.append(element)
        elif name == "t" and open_fields and open_fields[-1].in_result:
            open_fields[-1].shown.append(element)
    return found


def _attribute(element: etree._Element, local_name: str) -> str:
    return next((str(value) for key, value in element.attrib.items() if etree.QName(key).localname == local_name), "")


def _fetches_from_outside(code: str) -> bool:
    if _LINKED_FIELD.match(code):
        return True
    hyperlink = _HYPERLINK_FIELD.match(code)
    if hyperlink is None:
        return False
    rest = hyperlink.group("rest").strip()
    # \l names a bookmark in this document; web and mail addresses are the student's own links, opened on a click.
    return not rest.startswith("\\l") and not _WEB_TARGET.match(rest.strip('"'))


def _unlink(found: _Field) -> None:
    # What the field last showed stays, as plain content: the result of a linked picture is the picture stored in the
    # file (its outside link, a relationship, is dropped with the other external ones).
    if found.simple is not None:
        pkg.unwrap(found.simple)
    for control in found.controls:
        pkg.remove(control)


def _neutralise_name_fields(fields: list[_Field]) -> None:
    # AUTHOR, USERNAME and friends show the name from the author's profile, filled in by Word, not typed by them.
    for found in fields:
        match = _NAME_FIELD.match(found.code)
        if match and found.shown:
            found.shown[0].text = NEUTRAL_INITIALS if match.group(1).upper() == "USERINITIALS" else NEUTRAL_NAME
            for text in found.shown[1:]:
                text.text = ""


def _neutralise_bound_properties(root: etree._Element) -> None:
    # Word's cover pages and "Document Property" quick parts are content controls bound to the properties (author,
    # last editor, company, manager): they show the name the properties held, copied into the text.
    for binding in root.iter(*(f"{{{namespace}}}dataBinding" for namespace in _W)):
        match = _BOUND_PROPERTY.search(_attribute(binding, "xpath"))
        properties = binding.getparent()  # w:sdtPr, inside the w:sdt that holds the shown content
        control = properties.getparent() if properties is not None else None
        if match is None or control is None:
            continue
        value = "" if match.group(1).lower() in ("company", "manager") else NEUTRAL_NAME
        shown = [text for content in control if pkg.local_name(content) == "sdtContent"
                 for text in content.iter(*(f"{{{namespace}}}t" for namespace in _W))]
        for position, text in enumerate(shown):
            text.text = value if position == 0 else ""


def _relationships(package: pkg.Package, source: str) -> list[Relationship]:
    directory, _, base = source.rpartition("/")
    rels_name = f"{directory}/_rels/{base}.rels" if directory else f"_rels/{base}.rels"
    return _parse_relationships(package, rels_name) if rels_name in package else []


def _parse_relationships(package: pkg.Package, rels_name: str) -> list[Relationship]:
    root = package.xml(rels_name)
    found = []
    for element in root.iter(f"{{{_RELATIONSHIPS}}}Relationship"):
        rel_id, rel_type, target = element.get("Id"), element.get("Type"), element.get("Target")
        if rel_id and rel_type and target is not None:
            found.append(Relationship(rel_id, rel_type, target, (element.get("TargetMode") or "") == "External"))
    return found


def _image(rebuild: _Rebuild, name: str) -> str | None:
    """The name the picture is stored under after it is drawn again from its pixels; None for a picture that is left
    out (vector drawings, EMF, WMF and SVG, which Pillow cannot redraw and which can carry anything)."""
    if name not in rebuild.renamed:
        picture = pkg.redrawn_picture(name, rebuild.package.read(name), _UNREADABLE_PICTURE)
        if picture is not None:
            rebuild.images[picture.name] = (picture.media_type, picture.data)
        rebuild.renamed[name] = picture.name if picture else None
    return rebuild.renamed[name]


def _relative(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


def _scrub(root: etree._Element, kept_ids: set[str]) -> None:
    doomed: list[etree._Element] = []
    unwrapped: list[etree._Element] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = pkg.local_name(element)
        namespace = etree.QName(element).namespace
        for key in list(element.attrib):
            qname = etree.QName(key)
            if qname.namespace in _W:
                if qname.localname == "author":
                    element.set(key, NEUTRAL_NAME)
                elif qname.localname == "initials":
                    element.set(key, NEUTRAL_INITIALS)
                elif qname.localname.startswith("rsid"):
                    del element.attrib[key]
            elif qname.namespace in _REFERENCES and element.get(key) not in kept_ids:
                if name in _REFERENCE_ONLY:
                    doomed.append(element)
                elif name in _IN_DRAWING:
                    doomed.append(_drawing_of(element))
                elif name == "hyperlink":
                    unwrapped.append(element)
                else:
                    del element.attrib[key]
            elif qname.localname == "href" or (qname.localname == "title" and name == "imagedata"):
                del element.attrib[key]  # VML keeps the picture's original path and file name here
            elif name in ("docPr", "cNvPr") and qname.localname in ("descr", "title", "name") \
                    and _PATH_LIKE.match(element.get(key) or ""):
                element.set(key, "")  # older Word fills the alt text with the picture's path on the author's disk
        if namespace in _W:
            if name in _UNWRAPPED:
                unwrapped.append(element)
            elif name in _DROPPED_ANYWHERE or (root.tag.endswith("}settings") and element.getparent() is root
                                               and name in _DROPPED_SETTINGS):
                doomed.append(element)
        elif name in ("docId", "person", "presenceInfo"):  # w14/w15 document ids and people, whatever the part
            doomed.append(element)
    # XML comments and processing instructions are nobody's content and can hold anything; entity references were
    # never expanded and their declarations are not written back, so they would leave the part unreadable.
    doomed += [*root.iter(etree.Comment, etree.PI, etree.Entity)]
    for element in doomed:
        pkg.remove(element)
    for element in reversed(unwrapped):  # innermost first, so an outer wrapper still holds its children
        pkg.unwrap(element)


def _drawing_of(element: etree._Element) -> etree._Element:
    for ancestor in element.iterancestors():
        if pkg.local_name(ancestor) in ("drawing", "pict", "object"):
            return ancestor
    return element


def _write(rebuild: _Rebuild, main: Relationship, main_name: str) -> bytes:
    parts = [pkg.Part("[Content_Types].xml", _content_types(rebuild)),
             pkg.Part("_rels/.rels", _rels_xml([
                 Relationship("rId1", main.type, main_name, external=False),
                 Relationship("rId2", _CORE_TYPE, "docProps/core.xml", external=False),
                 Relationship("rId3", _APP_TYPE, "docProps/app.xml", external=False),
             ])),
             pkg.Part("docProps/core.xml", _core_properties()),
             pkg.Part("docProps/app.xml", _APP_PROPERTIES)]
    for name in sorted(rebuild.xml_parts):
        parts.append(pkg.Part(name, pkg.xml_bytes(rebuild.xml_parts[name][1])))
        kept = rebuild.relationships.get(name)
        if kept:
            directory, _, base = name.rpartition("/")
            parts.append(pkg.Part(f"{directory}/_rels/{base}.rels" if directory else f"_rels/{base}.rels",
                                  _rels_xml(kept)))
    for name in sorted(rebuild.images):
        parts.append(pkg.Part(name, rebuild.images[name][1], compressed=False))
    return pkg.write_package(parts)


def _rels_xml(relationships: list[Relationship]) -> bytes:
    root = etree.Element(f"{{{_RELATIONSHIPS}}}Relationships", nsmap={None: _RELATIONSHIPS})  # type: ignore[dict-item]
    for rel in relationships:
        element = etree.SubElement(root, f"{{{_RELATIONSHIPS}}}Relationship", Id=rel.id, Type=rel.type,
                                   Target=rel.target)
        if rel.external:
            element.set("TargetMode", "External")
    return pkg.xml_bytes(root)


def _content_types(rebuild: _Rebuild) -> bytes:
    namespace = "http://schemas.openxmlformats.org/package/2006/content-types"
    root = etree.Element(f"{{{namespace}}}Types", nsmap={None: namespace})  # type: ignore[dict-item]
    defaults = {"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml"}
    for name, (content_type, _) in rebuild.images.items():
        defaults[name.rpartition(".")[2].lower()] = content_type
    for extension, content_type in sorted(defaults.items()):
        etree.SubElement(root, f"{{{namespace}}}Default", Extension=extension, ContentType=content_type)
    overrides = {"docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
                 "docProps/app.xml": "application/vnd.openxmlformats-officedocument.extended-properties+xml"}
    overrides.update({name: content_type for name, (content_type, _) in rebuild.xml_parts.items()})
    for name, content_type in sorted(overrides.items()):
        etree.SubElement(root, f"{{{namespace}}}Override", PartName=f"/{name}", ContentType=content_type)
    return pkg.xml_bytes(root)


def _core_properties() -> bytes:
    # Only who (a neutral name) and a first revision: no title, subject, keywords, dates, category or language.
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:creator>" + NEUTRAL_NAME.encode() + b"</dc:creator>"
        b"<cp:lastModifiedBy>" + NEUTRAL_NAME.encode() + b"</cp:lastModifiedBy>"
        b"<cp:revision>1</cp:revision></cp:coreProperties>"
    )


# No company, manager, template, application or editing time: empty, as mat2 writes it.
_APP_PROPERTIES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"/>'
)
