"""Files LibreOffice really wrote, stored without a trace of their author and still showing the work."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree
from PIL import Image
from pypdf import PdfReader

from assessment.anonymity import strip_identity
from assessment.errors import UploadRejected
from tests.support import hostile_office, office_corpus
from tests.support.office_corpus import COMMENT, INSERTED, LINK, PARAGRAPHS, PHOTO_SIZE, OfficeCorpus

pytestmark = pytest.mark.slow

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> OfficeCorpus:
    return office_corpus.build(tmp_path_factory)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def traces(data: bytes) -> list[tuple[str, bytes]]:
    """Every planted trace found in any part (decompressed), in any case, and in the records of any picture."""
    found = []
    for name, content in parts(data).items():
        lowered = content.lower()
        found += [(name, needle) for needle in office_corpus.needles() if needle.lower() in lowered]
        if name.lower().endswith((".jpg", ".jpeg", ".png")):
            with Image.open(io.BytesIO(content)) as picture:
                exif = picture.getexif()
                if exif or exif.get_ifd(0x8825) or picture.info.get("comment"):
                    found.append((name, b"image records"))
    return found


def pictures(data: bytes) -> list[tuple[int, int]]:
    sizes = []
    for name, content in parts(data).items():
        if name.startswith(("word/media/", "Pictures/")):
            with Image.open(io.BytesIO(content)) as picture:
                sizes.append(picture.size)
    return sizes


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_the_corpus_really_carries_its_author_in_parts_and_in_the_photo(corpus, kind):
    found = traces(corpus.by_kind()[kind])
    planted = {needle for _, needle in found}
    assert office_corpus.NAME.encode() in planted
    assert b"image records" in planted  # the photo's EXIF Artist and GPS survived LibreOffice
    assert any(name.startswith(("word/media/", "Pictures/")) for name, _ in found)
    assert office_corpus.LOGIN.encode() in planted  # the link to the author's share (and, in the ODT, the template)


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_a_stripped_real_file_carries_no_name_address_path_or_place(corpus, kind):
    assert traces(strip_identity(corpus.by_kind()[kind], kind)) == []


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_a_stripped_real_file_keeps_its_picture_at_its_size(corpus, kind):
    original = corpus.by_kind()[kind]
    assert pictures(strip_identity(original, kind)) == pictures(original) == [PHOTO_SIZE]


def test_a_stripped_real_docx_keeps_its_text_changes_comment_and_web_link(corpus):
    stripped = strip_identity(corpus.docx, "docx")
    document = docx.Document(io.BytesIO(stripped))
    body = etree.fromstring(parts(stripped)["word/document.xml"])
    text = "".join(node.text or "" for node in body.iter(f"{{{W}}}t"))
    assert all(paragraph in text for paragraph in PARAGRAPHS) and INSERTED in text
    assert {change.get(f"{{{W}}}author") for change in body.iter(f"{{{W}}}ins", f"{{{W}}}del")} == {"Anonymous"}
    assert [(comment.author, comment.text) for comment in document.comments] == [("Anonymous", COMMENT)]
    assert [part.target_ref for part in document.part.rels.values() if part.is_external] == [LINK]
    assert (document.core_properties.author, document.core_properties.revision) == ("Anonymous", 1)
    assert len(document.inline_shapes) == 1


def test_a_stripped_real_odt_keeps_its_text_changes_comment_and_web_link(corpus):
    content = etree.fromstring(parts(strip_identity(corpus.odt, "odt"))["content.xml"])
    text = "".join(content.itertext())
    assert all(paragraph in text for paragraph in PARAGRAPHS) and INSERTED in text and COMMENT in text
    assert content.findall(f".//{{{TEXT}}}changed-region")
    links = [link.get("{http://www.w3.org/1999/xlink}href") for link in content.iter(f"{{{TEXT}}}a")]
    assert links == [LINK]
    assert "my notes" in text  # the link to the author's disk is gone, its words are not


def test_libreoffice_opens_the_stripped_files_and_reads_the_same_words(corpus, tmp_path: Path):
    for kind in ("docx", "odt"):
        (tmp_path / f"stripped-{kind}.{kind}").write_bytes(strip_identity(corpus.by_kind()[kind], kind))
    office_corpus.convert(sorted(tmp_path.glob("stripped-*")), "txt:Text", tmp_path, tmp_path / "profile")
    for kind in ("docx", "odt"):
        text = (tmp_path / f"stripped-{kind}.txt").read_text(encoding="utf-8-sig")
        assert all(paragraph in text for paragraph in PARAGRAPHS), kind
        assert INSERTED in text and "my notes" in text, kind


def test_libreoffices_own_odt_with_a_starbasic_macro_is_refused_with_what_to_do(corpus):
    assert any(name.startswith("Basic/") for name in parts(corpus.odt_with_macro))
    with pytest.raises(UploadRejected, match=r"macros or scripts.*Organize Macros"):
        strip_identity(corpus.odt_with_macro, "odt")


def test_libreoffice_opens_hostile_files_once_stripped(tmp_path: Path):
    # Parts, links and objects removed from the middle of a document leave a package a real reader still opens.
    hostile = {"embedded.docx": hostile_office.docx_with_embedded_document(),
               "links.docx": hostile_office.docx_with_links(),
               "objects.odt": hostile_office.odt_with_objects_and_links()}
    for name, data in hostile.items():
        (tmp_path / name).write_bytes(strip_identity(data, name.rpartition(".")[2]))
    office_corpus.convert(sorted(tmp_path / name for name in hostile), "txt:Text", tmp_path, tmp_path / "profile")
    assert "The essay itself" in (tmp_path / "embedded.txt").read_text(encoding="utf-8-sig")
    links = (tmp_path / "links.txt").read_text(encoding="utf-8-sig")
    assert "web source" in links and "notes on a share" in links
    objects = (tmp_path / "objects.txt").read_text(encoding="utf-8-sig")
    assert "The essay itself" in objects and "Anonymous" in objects


def test_the_corpus_pdf_is_the_same_essay_and_names_its_author_as_the_others_do(corpus):
    reader = PdfReader(io.BytesIO(corpus.pdf))
    assert "LibreOffice" in str(reader.metadata.producer)
    assert PARAGRAPHS[0] in "".join(page.extract_text() for page in reader.pages)
    assert reader.metadata.author == office_corpus.NAME
    annotations = [annotation.get_object() for annotation in reader.pages[0]["/Annots"]]
    assert any(office_corpus.NAME in str(annotation.get("/T", "")) for annotation in annotations)
    assert any(office_corpus.NAME.encode() in image.data for image in reader.pages[0].images)
