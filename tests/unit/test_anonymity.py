"""Anonymity: pseudonyms, neutral names, and uploads that no longer say who wrote or commented on them."""

import io
import re
import zipfile

import docx
import pytest
from lxml import etree
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Popup, Text
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from assessment.anonymity import neutral_filename, pseudonym, strip_identity
from assessment.errors import UploadRejected
from assessment.stripping import package as office_package

AUTHOR = "Ada Lovelace"
SURNAME = b"Lovelace"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# --- pseudonyms --------------------------------------------------------------------------------------------------


def test_a_pseudonym_is_stable_for_the_same_person_and_scope():
    assert pseudonym("secret", "assignment:1", 42) == pseudonym("secret", "assignment:1", 42)


def test_a_pseudonym_is_eight_unambiguous_characters():
    names = {pseudonym("secret", "assignment:1", person) for person in range(2000)}
    for name in names:
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", name), name
        assert not set(name) & set("0O1IL")


def test_different_people_get_different_pseudonyms():
    assert len({pseudonym("secret", "assignment:1", person) for person in range(2000)}) == 2000


def test_the_same_person_is_unrelated_across_scopes_and_secrets():
    first = pseudonym("secret", "assignment:1", 42)
    assert pseudonym("secret", "assignment:2", 42) != first
    assert pseudonym("another secret", "assignment:1", 42) != first
    # The scope and the id cannot be shuffled into each other.
    assert pseudonym("secret", "assignment:14", 2) != pseudonym("secret", "assignment:1", 42)


def test_a_pseudonym_needs_a_secret():
    with pytest.raises(ValueError, match="secret"):
        pseudonym("", "assignment:1", 42)


def test_a_neutral_filename_names_only_the_pseudonym_and_kind():
    assert neutral_filename("K7Q2MX9R", "pdf") == "submission-K7Q2MX9R.pdf"
    assert neutral_filename("K7Q2MX9R", ".DOCX") == "submission-K7Q2MX9R.docx"


@pytest.mark.parametrize(("name", "extension"), [("../etc", "pdf"), ("K7Q2MX9R", "pdf;rm"), ("", "pdf"), ("K7", "")])
def test_a_neutral_filename_refuses_unsafe_parts(name, extension):
    with pytest.raises(ValueError, match="unsafe"):
        neutral_filename(name, extension)


def test_a_pseudonym_is_the_documented_hmac_of_the_scope_and_person_read_in_the_unambiguous_alphabet():
    # HMAC-SHA256 under the secret of "peerlti-pseudonym-v1", NUL, "12:assignment:1", NUL, "42", read as a big-endian
    # number, its base-31 digits from the lowest: a change of the scheme would rename every student in every course.
    assert pseudonym("secret", "assignment:1", 42) == "PP3ZWDKM"
    assert pseudonym("s", "", 0) == "VWFMH8E8"


def test_a_neutral_filename_takes_a_pseudonym_of_up_to_32_letters_and_an_extension_of_up_to_10():
    assert neutral_filename("A" * 32, "abcdefghij") == f"submission-{'A' * 32}.abcdefghij"
    assert neutral_filename("a1", "7z") == "submission-a1.7z"
    for name, extension in (("A" * 33, "pdf"), ("K7", "abcdefghijk"), ("K7-", "pdf"), ("K7", "p-f")):
        with pytest.raises(ValueError) as raised:
            neutral_filename(name, extension)
        assert str(raised.value) == (
            f"unsafe pseudonym or extension for a file name: {name!r}, {extension.lower().lstrip('.')!r}")


def test_a_missing_secret_says_why_one_is_needed():
    with pytest.raises(ValueError) as raised:
        pseudonym("", "assignment:1", 42)
    assert str(raised.value) == "a pseudonym needs a secret, or anyone could recompute who is behind it"


def test_kinds_without_author_records_come_back_unchanged():
    assert strip_identity(b"Written by Ada Lovelace", "txt") == b"Written by Ada Lovelace"


# --- PDF ---------------------------------------------------------------------------------------------------------

PAGE_CONTENT = b"BT /F1 24 Tf 20 100 Td (The essay itself) Tj ET"
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Ada Lovelace</rdf:li>'
    b'</rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def xmp_stream(writer: PdfWriter):
    stream = StreamObject()
    stream.set_data(XMP)
    stream.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    return writer._add_object(stream)


def authored_pdf(encrypt_with: dict | None = None) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(300, 200)
    content = StreamObject()
    content.set_data(PAGE_CONTENT)
    page[NameObject("/Contents")] = writer._add_object(content)
    page[NameObject("/Metadata")] = xmp_stream(writer)
    writer.root_object[NameObject("/Metadata")] = xmp_stream(writer)
    writer.add_metadata({
        "/Author": AUTHOR, "/Creator": f"Word for {AUTHOR}", "/Producer": "Lovelace PDF", "/StudentName": AUTHOR,
        "/Title": f"Essay by {AUTHOR}",
    })
    note = Text(rect=(10, 10, 40, 40), text="Check this paragraph")
    note[NameObject("/T")] = TextStringObject(AUTHOR)
    writer.add_annotation(0, note)
    popup = Popup(rect=(50, 50, 150, 100), parent=note)
    popup[NameObject("/T")] = TextStringObject(AUTHOR)
    writer.add_annotation(0, popup)
    # A form field: its /T is the field's name, which the form needs.
    field = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Tx"),
        NameObject("/T"): TextStringObject("answer_box"),
        NameObject("/Rect"): ArrayObject([FloatObject(100), FloatObject(10), FloatObject(200), FloatObject(30)]),
        NameObject("/F"): NumberObject(4),
    })
    writer.add_annotation(0, field)
    if encrypt_with:
        writer.encrypt(**encrypt_with)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def all_annotations(reader: PdfReader) -> list[DictionaryObject]:
    return [annotation.get_object() for page in reader.pages for annotation in page.get("/Annots", [])]


def test_the_test_pdf_really_names_its_author():
    data = authored_pdf()
    assert data.count(SURNAME) >= 5
    assert PdfReader(io.BytesIO(data)).metadata.author == AUTHOR


def test_a_stripped_pdf_names_no_author_anywhere():
    stripped = strip_identity(authored_pdf(), "pdf")
    assert SURNAME not in stripped
    reader = PdfReader(io.BytesIO(stripped))
    assert not reader.metadata
    assert reader.xmp_metadata is None
    assert "/Metadata" not in reader.trailer["/Root"]
    assert all("/Metadata" not in page for page in reader.pages)
    authors = {str(annotation.get("/T")) for annotation in all_annotations(reader) if annotation["/Subtype"] != "/Widget"}
    assert authors == {"Anonymous"}


def test_stripping_keeps_the_pages_their_content_comments_and_form_fields():
    reader = PdfReader(io.BytesIO(strip_identity(authored_pdf(), "pdf")))
    assert len(reader.pages) == 1
    assert reader.pages[0].mediabox.width == 300
    assert reader.pages[0].get_contents().get_data() == PAGE_CONTENT
    annotations = all_annotations(reader)
    assert [str(annotation["/Subtype"]) for annotation in annotations] == ["/Text", "/Popup", "/Widget"]
    assert annotations[0]["/Contents"] == "Check this paragraph"
    assert annotations[2]["/T"] == "answer_box"


def test_a_pdf_with_only_an_owner_password_is_stripped_and_saved_unprotected():
    data = authored_pdf({"user_password": "", "owner_password": "owner", "algorithm": "AES-128"})
    stripped = strip_identity(data, "pdf")
    reader = PdfReader(io.BytesIO(stripped))
    assert not reader.is_encrypted
    assert SURNAME not in stripped
    assert reader.pages[0].get_contents().get_data() == PAGE_CONTENT


def test_a_pdf_that_needs_a_password_to_open_is_refused_with_what_to_do():
    data = authored_pdf({"user_password": "letmein", "algorithm": "AES-128"})
    with pytest.raises(UploadRejected, match="protected by a password; upload a copy saved without a password"):
        strip_identity(data, "pdf")


@pytest.mark.parametrize("data", [b"%PDF-1.7\nthis is not really a pdf", b"", b"\x00" * 100])
def test_a_corrupt_pdf_is_refused_as_unreadable(data):
    with pytest.raises(UploadRejected, match="could not be read as a PDF"):
        strip_identity(data, "pdf")


# --- DOCX --------------------------------------------------------------------------------------------------------

TRACKED_INSERTION = (
    f'<w:ins xmlns:w="{W}" w:id="901" w:author="{AUTHOR}" w:date="2026-03-01T10:00:00Z">'
    '<w:r><w:t xml:space="preserve"> and an inserted clause</w:t></w:r></w:ins>'
)
TRACKED_DELETION = (
    f'<w:del xmlns:w="{W}" w:id="902" w:author="{AUTHOR}" w:date="2026-03-01T10:00:00Z">'
    '<w:r><w:delText>removed words</w:delText></w:r></w:del>'
)
FORMAT_CHANGE = (
    f'<w:rPr xmlns:w="{W}"><w:b/><w:rPrChange w:id="903" w:author="{AUTHOR}" w:date="2026-03-01T10:00:00Z">'
    '<w:rPr/></w:rPrChange></w:rPr>'
)
PEOPLE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">'
    f'<w15:person w15:author="{AUTHOR}"><w15:presenceInfo w15:providerId="AD" '
    'w15:userId="S::ada.lovelace@example.edu::1234"/></w15:person></w15:people>'
)
SETTINGS_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"'
    ' Target="file:///C:/Users/ada.lovelace/AppData/Roaming/Microsoft/Templates/Normal.dotm" TargetMode="External"/>'
    '</Relationships>'
)


def authored_docx() -> bytes:
    document = docx.Document()
    paragraph = document.add_paragraph("The essay itself")
    document.add_comment(paragraph.runs, text="Needs a source", author=AUTHOR, initials="AL")
    paragraph._p.append(etree.fromstring(TRACKED_INSERTION))
    paragraph._p.append(etree.fromstring(TRACKED_DELETION))
    paragraph.runs[0]._r.insert(0, etree.fromstring(FORMAT_CHANGE))
    header = document.sections[0].header.paragraphs[0]
    header.text = "Header"
    header._p.append(etree.fromstring(TRACKED_INSERTION.replace('w:id="901"', 'w:id="904"')))
    document.core_properties.author = AUTHOR
    document.core_properties.last_modified_by = AUTHOR
    document.core_properties.revision = 17
    saved = io.BytesIO()
    document.save(saved)
    return with_parts(saved.getvalue(), {
        "word/people.xml": PEOPLE.encode(),
        "word/_rels/settings.xml.rels": SETTINGS_RELS.encode(),
    }, app_company="Lovelace Analytical Engines", app_manager=AUTHOR)


def with_parts(data: bytes, extra: dict[str, bytes], app_company: str, app_manager: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry)
            if entry.filename == "docProps/app.xml":
                content = content.replace(b"<Company/>", f"<Company>{app_company}</Company>".encode())
                content = content.replace(b"<Manager/>", f"<Manager>{app_manager}</Manager>".encode())
            target.writestr(entry.filename, content)
        for name, content in extra.items():
            target.writestr(name, content)
    return out.getvalue()


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def test_the_test_docx_really_names_its_author_in_many_parts():
    named = [name for name, content in parts(authored_docx()).items() if SURNAME in content]
    expected = {"docProps/core.xml", "docProps/app.xml", "word/comments.xml", "word/document.xml", "word/people.xml"}
    assert expected <= set(named)
    assert any(name.startswith("word/header") for name in named)


def test_a_stripped_docx_names_no_author_in_any_part():
    stripped = parts(strip_identity(authored_docx(), "docx"))
    for name, content in stripped.items():
        assert SURNAME not in content, name
        assert b"ada.lovelace" not in content, name


def test_a_stripped_docx_keeps_its_text_comments_and_tracked_changes_under_a_neutral_author():
    stripped = strip_identity(authored_docx(), "docx")
    document = docx.Document(io.BytesIO(stripped))
    assert document.paragraphs[0].text.startswith("The essay itself")
    assert document.core_properties.author == "Anonymous"
    assert document.core_properties.last_modified_by == "Anonymous"
    assert document.core_properties.revision == 1
    comment = next(iter(document.comments))
    assert (comment.author, comment.initials, comment.text) == ("Anonymous", "A", "Needs a source")
    body = etree.fromstring(parts(stripped)["word/document.xml"])
    changes = body.findall(f".//{{{W}}}ins") + body.findall(f".//{{{W}}}del") + body.findall(f".//{{{W}}}rPrChange")
    assert len(changes) == 3
    assert {change.get(f"{{{W}}}author") for change in changes} == {"Anonymous"}
    assert body.find(f".//{{{W}}}ins//{{{W}}}t").text == " and an inserted clause"


def test_a_stripped_docx_has_no_company_manager_template_or_people_list():
    stripped = parts(strip_identity(authored_docx(), "docx"))
    app = etree.fromstring(stripped["docProps/app.xml"])
    assert len(app) == 0  # no Company, Manager, Template or application name at all
    assert "word/_rels/settings.xml.rels" not in stripped
    assert b"attachedTemplate" not in stripped["word/settings.xml"]
    assert "word/people.xml" not in stripped


def test_a_corrupt_docx_is_refused_as_unreadable():
    with pytest.raises(UploadRejected, match="could not be read as a Word document"):
        strip_identity(b"PK\x03\x04 not really a zip", "docx")
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(authored_docx())) as source, zipfile.ZipFile(damaged, "w") as target:
        for entry in source.infolist():
            content = source.read(entry)
            target.writestr(entry.filename, b"<w:document><unclosed" if entry.filename == "word/document.xml" else content)
    with pytest.raises(UploadRejected, match="could not be read as a Word document"):
        strip_identity(damaged.getvalue(), "docx")


def test_a_docx_that_unpacks_beyond_the_limit_is_refused_before_it_is_unpacked(monkeypatch):
    monkeypatch.setattr(office_package, "MAX_UNPACKED_BYTES", 3 * 1024 * 1024)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/document.xml", b"<a/>")
        package.writestr("word/media/huge.bin", b"\x00" * (4 * 1024 * 1024))
    assert len(bomb.getvalue()) < 10_000
    with pytest.raises(UploadRejected, match="unpacks to far more data than a Word document"):
        strip_identity(bomb.getvalue(), "docx")


def test_entities_in_a_docx_part_are_not_expanded():
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b'<w:document xmlns:w="' + W.encode() + b'"><w:ins w:author="Ada Lovelace">&secret;</w:ins></w:document>'
    )
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("word/document.xml", evil)
    stripped = parts(strip_identity(package.getvalue(), "docx"))["word/document.xml"]
    assert b"root:" not in stripped
    assert SURNAME not in stripped


# --- ODT ---------------------------------------------------------------------------------------------------------

ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)


def authored_odt() -> bytes:
    content = (
        f'<office:document-content {ODF_NS}><office:body><office:text><text:p>The essay itself'
        f'<office:annotation><dc:creator>{AUTHOR}</dc:creator><meta:creator-initials>AL</meta:creator-initials>'
        '<text:p>Needs a source</text:p></office:annotation></text:p>'
        f'<text:tracked-changes><text:changed-region text:id="c1"><text:insertion><office:change-info>'
        f'<dc:creator>{AUTHOR}</dc:creator></office:change-info></text:insertion></text:changed-region>'
        '</text:tracked-changes></office:text></office:body></office:document-content>'
    )
    meta = (
        f'<office:document-meta {ODF_NS}><office:meta><meta:initial-creator>{AUTHOR}</meta:initial-creator>'
        f'<dc:creator>{AUTHOR}</dc:creator><meta:user-defined meta:name="Student">{AUTHOR}</meta:user-defined>'
        '</office:meta></office:document-meta>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        package.writestr("content.xml", content)
        package.writestr("meta.xml", meta)
        package.writestr("META-INF/manifest.xml", "<manifest/>")
    return out.getvalue()


def test_a_stripped_odt_names_no_author_and_keeps_its_mimetype_first_and_uncompressed():
    stripped = strip_identity(authored_odt(), "odt")
    with zipfile.ZipFile(io.BytesIO(stripped)) as package:
        first = package.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        for name in package.namelist():
            assert SURNAME not in package.read(name), name
        content = package.read("content.xml")
    assert b"Needs a source" in content and b"The essay itself" in content
    assert content.count(b"Anonymous") == 2
