"""PDFs made by real producers lose every trace of their author when stripped, and still read the same."""

import io
import shutil

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader

from assessment.anonymity import strip_identity
from tests.support import pdf_corpus
from tests.support.pdf_corpus import PLANTED, CorpusFile, ImageShape
from tests.support.pdf_traces import decoded, every_part, traces_of

MAKERS = {
    "annotated": pdf_corpus.annotated_pdf,
    "attachment": pdf_corpus.attachment_pdf,
    "active content": pdf_corpus.active_content_pdf,
    "photo": pdf_corpus.photo_pdf,
    "img2pdf": pdf_corpus.img2pdf_pdf,
    "pillow": pdf_corpus.pillow_pdf,
    "signed": pdf_corpus.signed_pdf,
}
SOFFICE = shutil.which("soffice")


@pytest.fixture(scope="module", params=[*MAKERS, pytest.param("libreoffice", marks=pytest.mark.slow)])
def original(request) -> CorpusFile:
    if request.param != "libreoffice":
        return MAKERS[request.param]()
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return pdf_corpus.libreoffice_pdf(SOFFICE)


@pytest.fixture(scope="module")
def stripped(original) -> bytes:
    return strip_identity(original.data, "pdf")


def texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def image_shapes(data: bytes) -> list[ImageShape]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return sorted(ImageShape(int(item.Width), int(item.Height)) for item in pdf.objects
                      if isinstance(item, pikepdf.Stream) and item.get("/Subtype") == "/Image")


def opened(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def test_each_original_names_its_author_in_many_places(original):
    assert len(traces_of(original.data, PLANTED)) >= 4


def test_a_stripped_file_keeps_no_name_address_path_or_place_of_its_author(stripped):
    assert traces_of(stripped, PLANTED) == set()


def test_a_stripped_file_keeps_its_pages_text_and_pictures(original, stripped):
    assert len(PdfReader(io.BytesIO(stripped)).pages) == original.pages
    assert texts(stripped) == texts(original.data)
    assert original.says in texts(stripped)[0]
    assert image_shapes(stripped) == sorted(original.images)


def test_a_stripped_file_has_no_document_info_xmp_or_producer_and_a_new_random_id(original, stripped):
    with opened(stripped) as pdf, opened(original.data) as before:
        assert set(pdf.trailer.keys()) <= {"/Root", "/ID", "/Size"}
        assert "/Metadata" not in pdf.Root
        assert not any("/Metadata" in item for item in pdf.objects if isinstance(item, pikepdf.Dictionary | pikepdf.Stream))
        assert b"/Producer" not in stripped and b"pikepdf" not in stripped.lower()
        new_id = [bytes(part) for part in pdf.trailer.ID]
        assert not set(new_id) & {bytes(old) for old in before.trailer.get("/ID", [])}
    with opened(strip_identity(original.data, "pdf")) as again:
        assert bytes(again.trailer.ID[0]) != new_id[0]


def test_comments_keep_their_text_and_lose_their_authors():
    stripped = strip_identity(pdf_corpus.annotated_pdf().data, "pdf")
    with opened(stripped) as pdf:
        annotations = list(pdf.pages[0].Annots)
        assert [str(annotation.Subtype) for annotation in annotations] == ["/Text", "/Popup", "/Highlight"]
        assert {str(annotation.T) for annotation in annotations} == {"Anonymous"}
        assert str(annotations[0].Contents) == "Check this paragraph"
        assert "/PieceInfo" not in pdf.pages[0]


def test_attachments_are_gone_however_they_were_attached():
    stripped = strip_identity(pdf_corpus.attachment_pdf().data, "pdf")
    with opened(stripped) as pdf:
        assert len(pdf.attachments) == 0
        assert "/AF" not in pdf.Root
        assert "/Annots" not in pdf.pages[0] or len(pdf.pages[0].Annots) == 0
        assert not any(item.get("/Type") == "/EmbeddedFile" for item in pdf.objects if isinstance(item, pikepdf.Stream))


def test_scripts_and_actions_that_reach_outside_are_gone_and_links_stay():
    original = pdf_corpus.active_content_pdf()
    stripped = strip_identity(original.data, "pdf")
    with opened(stripped) as pdf:
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root
        assert "/Names" not in pdf.Root or "/JavaScript" not in pdf.Root.Names
        assert "/AA" not in pdf.pages[0]
        actions = [annotation.A for annotation in pdf.pages[0].Annots if "/A" in annotation]
        assert [str(action.S) for action in actions] == ["/GoTo", "/URI", "/GoTo"]
        assert all("/Next" not in action for action in actions)
        assert str(actions[1].URI) == original.kept_link
        assert actions[2].D[0].objgen == pdf.pages[1].objgen
    for word in (b"JavaScript", b"/JS", b"Launch", b"GoToR", b"GoToE", b"SubmitForm"):
        assert word not in b"".join(every_part(stripped)), word


def test_signatures_are_removed_whole_with_their_signers_records():
    original = pdf_corpus.signed_pdf().data
    with opened(original) as before:
        assert any(str(field.get("/FT")) == "/Sig" for field in before.Root.AcroForm.Fields)
    with opened(strip_identity(original, "pdf")) as pdf:
        fields = list(pdf.Root.AcroForm.get("/Fields", [])) if "/AcroForm" in pdf.Root else []
        assert fields == []
        assert not any(item.get("/Type") == "/Sig" or "/ByteRange" in item
                       for item in pdf.objects if isinstance(item, pikepdf.Dictionary))
        assert texts(strip_identity(original, "pdf"))[0].startswith(pdf_corpus.ESSAY_TEXT)


def test_a_photo_in_a_pdf_is_still_a_jpeg_of_the_same_size_without_exif_or_trailer():
    stripped = strip_identity(pdf_corpus.photo_pdf().data, "pdf")
    with opened(stripped) as pdf:
        jpegs = [item for item in pdf.objects if isinstance(item, pikepdf.Stream) and item.get("/Subtype") == "/Image"
                 and str(item.Filter if isinstance(item.Filter, pikepdf.Name) else item.Filter[-1]) == "/DCTDecode"]
        assert len(jpegs) == 2
        for stream in jpegs:
            data = decoded(stream)
            assert b"Exif" not in data and b"ftypmp42" not in data
            assert data.endswith(b"\xff\xd9")
            with Image.open(io.BytesIO(data)) as picture:
                assert picture.size == (64, 48)
                assert not picture.getexif()
                red, _, blue = picture.convert("RGB").getpixel((5, 5))
                assert red > 150 and blue < 90  # the left half is still red: the pixels are not turned



def test_a_sideways_photo_stays_turned_by_its_page_and_its_pixels_stay_as_stored():
    original = pdf_corpus.img2pdf_pdf().data
    with opened(original) as before:
        assert before.pages[0].Rotate == 90
    with opened(strip_identity(original, "pdf")) as pdf:
        assert pdf.pages[0].Rotate == 90
        image = next(iter(pdf.pages[0].Resources.XObject.values()))
        assert (image.Width, image.Height) == (64, 48)
        with Image.open(io.BytesIO(decoded(image))) as picture:
            red, _, blue = picture.convert("RGB").getpixel((5, 5))
            assert red > 150 and blue < 90
