"""Office files built by hand with what no real producer writes for a student: hidden records, links, objects, macros."""

from __future__ import annotations

import io
import zipfile

import docx
from PIL import Image

from tests.support.office_corpus import EMAIL, LOGIN, NAME, needles, photo

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
NAMESPACES = (
    f'xmlns:w="{W}" xmlns:r="{R}" xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def traces(data: bytes) -> list[tuple[str, bytes]]:
    return [(name, needle) for name, content in parts(data).items() for needle in needles()
            if needle.lower() in content.lower()]


def rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def hostile_docx(*, extra: dict[str, bytes] | None = None, rels: str = "", root_rels: str = "", body: str = "",
                 settings: str = "") -> bytes:
    """python-docx's own template (it already holds customXml, a thumbnail and webSettings) plus what is asked."""
    document = docx.Document()
    document.add_paragraph("The essay itself")
    saved = io.BytesIO()
    document.save(saved)
    files = parts(saved.getvalue())
    files["docProps/thumbnail.jpeg"] = photo()  # a thumbnail with its own EXIF, as phones' editors write them
    files["customXml/item1.xml"] = f"<root><author>{NAME}</author><account>{EMAIL}</account></root>".encode()
    files["word/_rels/document.xml.rels"] = files["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", rels.encode() + b"</Relationships>")
    files["_rels/.rels"] = files["_rels/.rels"].replace(b"</Relationships>", root_rels.encode() + b"</Relationships>")
    xml = files["word/document.xml"].decode()
    head, tail = xml.split("<w:body>", 1)
    for declaration in NAMESPACES.split(" "):
        if declaration.split("=")[0] + "=" not in head:
            head = head.replace(f'xmlns:w="{W}"', f'xmlns:w="{W}" {declaration}')
    files["word/document.xml"] = (head + "<w:body>" + body + tail).encode()
    files["word/settings.xml"] = files["word/settings.xml"].replace(b"</w:settings>", settings.encode() + b"</w:settings>")
    files.update(extra or {})
    return rezip(files)


def relationship(rel_id: str, kind: str, target: str, external: bool = False) -> str:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rel_id}" Type="{REL}{kind}" Target="{target}"{mode}/>'


def embedded_docx() -> bytes:
    inner = docx.Document()
    inner.add_paragraph("an embedded document")
    inner.core_properties.author = NAME
    saved = io.BytesIO()
    inner.save(saved)
    return saved.getvalue()


def attached_template() -> str:
    return '<w:attachedTemplate r:id="rId1"/>'


def rels_part(*relationships: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships">' + "".join(relationships)
            + "</Relationships>").encode()


def png(size: tuple[int, int] = (60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def ole_package_with_program() -> bytes:
    # An OLE "Package" object's native data: the file name and the program itself (an MZ header is enough to show it).
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24 + b"\x02\x00invoice.exe\x00" + b"MZ\x90\x00" + b"\x00" * 64


ODF = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
    'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'office:version="1.3"'
)


def hostile_odt(*, body: str = "", scripts: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    content = (f"<office:document-content {ODF}>{scripts}<office:body><office:text><text:p>The essay itself</text:p>"
               f"{body}</office:text></office:body></office:document-content>")
    meta = (f"<office:document-meta {ODF}><office:meta><meta:initial-creator>{NAME}</meta:initial-creator>"
            f'<meta:template xlink:href="../../../../C:/Users/{LOGIN}/Templates/Essay.ott"/>'
            f"<meta:printed-by>{NAME}</meta:printed-by></office:meta></office:document-meta>")
    settings = (f"<office:document-settings {ODF}><office:settings><config:config-item-set "
                'config:name="ooo:configuration-settings"><config:config-item config:name="PrinterName" '
                'config:type="string">PRN-ASMITH-4200</config:config-item><config:config-item '
                'config:name="PrinterSetup" config:type="base64Binary">UFJOLUFTTUlUSC00MjAw</config:config-item>'
                '<config:config-item config:name="TabsRelativeToIndent" config:type="boolean">true</config:config-item>'
                "</config:config-item-set></office:settings></office:document-settings>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("meta.xml", meta)
        archive.writestr("settings.xml", settings)
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_with_embedded_document() -> bytes:
    """An embedded Word document with its own properties, shown by its preview picture."""
    return hostile_docx(
        extra={"word/embeddings/Microsoft_Word_Document.docx": embedded_docx(), "word/media/preview.png": png()},
        rels=relationship("rId90", "package", "embeddings/Microsoft_Word_Document.docx")
        + relationship("rId91", "image", "media/preview.png"),
        body='<w:p><w:r><w:object><v:shape id="s1" style="width:40pt;height:30pt"><v:imagedata r:id="rId91" '
             'o:title="C:/Users/alice.smith/Desktop/draft"/></v:shape><o:OLEObject Type="Embed" ProgID="Word.Document.12" '
             'ShapeID="s1" r:id="rId90"/></w:object></w:r></w:p>',
    )


def docx_with_links() -> bytes:
    """Hyperlinks to the web, a share and a UNC path; a linked picture, sub-document, frame and template."""
    return hostile_docx(
        rels=relationship("rId80", "hyperlink", "https://example.org/source", external=True)
        + relationship("rId81", "hyperlink", "file://fileserver.example.edu/home/alice.smith/notes.docx", external=True)
        + relationship("rId82", "hyperlink", "\\\\fileserver.example.edu\\alice.smith\\notes.docx", external=True)
        + relationship("rId83", "image", "http://tracker.example.edu/alice.smith.png", external=True)
        + relationship("rId84", "subDocument", "file:///C:/Users/alice.smith/chapter2.docx", external=True)
        + relationship("rId85", "frame", "http://tracker.example.edu/alice.smith/frame.html", external=True),
        body='<w:p><w:hyperlink r:id="rId80"><w:r><w:t>web source</w:t></w:r></w:hyperlink>'
             '<w:hyperlink r:id="rId81"><w:r><w:t>notes on a share</w:t></w:r></w:hyperlink>'
             '<w:hyperlink r:id="rId82"><w:r><w:t>notes by UNC</w:t></w:r></w:hyperlink>'
             '<w:r><w:drawing><a:blip r:link="rId83"/></w:drawing></w:r><w:subDoc r:id="rId84"/></w:p>',
        settings=attached_template(),
        extra={"word/_rels/settings.xml.rels": rels_part(
            relationship("rId1", "attachedTemplate", "http://templates.example.edu/alice.smith/macros.dotm", True))},
    )


def odt_with_objects_and_links() -> bytes:
    """An embedded formula, a linked picture, a photo, a thumbnail, author fields and an XML comment."""
    inner_meta = (f"<office:document-meta {ODF}><office:meta><dc:creator>{NAME}</dc:creator></office:meta>"
                  "</office:document-meta>")
    body = ('<text:p><draw:frame><draw:object xlink:href="./Object 1"/>'
            '<draw:image xlink:href="./ObjectReplacements/Object 1"/>'
            '</draw:frame><draw:frame><draw:image xlink:href="http://tracker.example.edu/alice.smith.png"/></draw:frame>'
            '<draw:frame><draw:image xlink:href="Pictures/photo.jpg"/></draw:frame></text:p>'
            f"<!-- {EMAIL} --><text:p><text:author-name>{NAME}</text:author-name> "
            f"<text:sender-email>{EMAIL}</text:sender-email></text:p>")
    return hostile_odt(body=body, extra={
        "Thumbnails/thumbnail.png": png(), "Object 1/meta.xml": inner_meta.encode(),
        "Object 1/content.xml": b"<math/>", "ObjectReplacements/Object 1": b"SVM1" + NAME.encode(),
        "Pictures/photo.jpg": photo(), "Configurations2/accelerator/current.xml": b"<x/>", "manifest.rdf": b"<rdf/>",
    })
