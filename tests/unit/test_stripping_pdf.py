"""The PDF stripper's limits and its odd inputs: pictures inlined or in JPEG 2000, huge or damaged files."""

import io
import struct
import zlib

import pikepdf
import pytest
from pikepdf import Dictionary, Name
from PIL import Image

from assessment.anonymity import strip_identity
from assessment.errors import UploadRejected
from assessment.stripping import pdf as pdf_stripper
from tests.support import pdf_corpus
from tests.support.pdf_corpus import PLANTED, XMP
from tests.support.pdf_traces import traces_of

UNREADABLE = "could not be read as a PDF"


def pdf_of(pages: int = 1, build=None) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(200, 200))
    if build:
        build(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def images_in(data: bytes) -> list[tuple[int, int, str]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [(int(item.Width), int(item.Height), str(item.Filter)) for item in pdf.objects
                if isinstance(item, pikepdf.Stream) and item.get("/Subtype") == "/Image"]


def test_a_pdf_with_as_many_pages_as_allowed_is_stripped(monkeypatch):
    monkeypatch.setattr(pdf_stripper, "MAX_PAGES", 3)
    with pikepdf.open(io.BytesIO(strip_identity(pdf_of(pages=3), "pdf"))) as stripped:
        assert len(stripped.pages) == 3


def test_a_pdf_with_more_pages_than_allowed_is_refused_with_the_limit(monkeypatch):
    monkeypatch.setattr(pdf_stripper, "MAX_PAGES", 3)
    with pytest.raises(UploadRejected, match="more than 3 pages"):
        strip_identity(pdf_of(pages=4), "pdf")


def with_resources(count: int):
    # Kept where a page may keep them: private keys would be dropped before their objects are followed.
    def build(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Resources = Dictionary(Properties=Dictionary({
            f"/P{n}": pdf.make_indirect(Dictionary(N=n)) for n in range(count)
        }))
    return build


def test_a_pdf_within_the_object_limit_is_stripped(monkeypatch):
    monkeypatch.setattr(pdf_stripper, "MAX_OBJECTS", 60)
    with pikepdf.open(io.BytesIO(strip_identity(pdf_of(build=with_resources(50)), "pdf"))) as stripped:
        assert len(stripped.pages[0].Resources.Properties) == 50


def test_a_pdf_reaching_more_objects_than_allowed_is_refused(monkeypatch):
    monkeypatch.setattr(pdf_stripper, "MAX_OBJECTS", 60)
    with pytest.raises(UploadRejected, match=UNREADABLE):
        strip_identity(pdf_of(build=with_resources(60)), "pdf")


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_a_cut_off_or_garbled_pdf_is_either_mended_or_refused_never_an_error(fraction):
    data = pdf_corpus.photo_pdf().data
    cut = int(len(data) * fraction)
    for damaged in (data[:cut], data[:cut] + b"\x00garbage\xff" * 3 + data[cut + 30:]):
        try:
            result = strip_identity(damaged, "pdf")
        except UploadRejected as refusal:
            assert UNREADABLE in str(refusal)
        else:
            assert traces_of(result, PLANTED) == set()


def test_a_jpeg_inlined_in_the_page_is_reencoded_without_its_records():
    photo = pdf_corpus.camera_jpeg(64, 48)

    def build(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].Contents = pdf.make_stream(
            b"q 64 0 0 48 10 10 cm BI /W 64 /H 48 /CS /RGB /BPC 8 /F /DCT ID " + photo + b" EI Q"
        )

    original = pdf_of(build=build)
    assert traces_of(original, PLANTED)
    stripped = strip_identity(original, "pdf")
    assert traces_of(stripped, PLANTED) == set()
    assert images_in(stripped) == [(64, 48, "/DCTDecode")]


def jpeg2000_with_xmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG2000")
    return out.getvalue() + struct.pack(">I", 8 + len(XMP)) + b"xml " + XMP


def test_a_jpeg_2000_picture_is_kept_as_lossless_pixels_without_its_xmp_box():
    def build(pdf: pikepdf.Pdf) -> None:
        image = pdf.make_stream(jpeg2000_with_xmp(), Type=Name.XObject, Subtype=Name.Image, Width=40, Height=30,
                                Filter=Name.JPXDecode)
        pdf.pages[0].Resources = Dictionary(XObject=Dictionary(Im1=image))
        pdf.pages[0].Contents = pdf.make_stream(b"q 40 0 0 30 10 10 cm /Im1 Do Q")

    original = pdf_of(build=build)
    assert traces_of(original, PLANTED)
    stripped = strip_identity(original, "pdf")
    assert traces_of(stripped, PLANTED) == set()
    assert images_in(stripped) == [(40, 30, "/FlateDecode")]
    with pikepdf.open(io.BytesIO(stripped)) as pdf:
        picture = pikepdf.PdfImage(pdf.pages[0].Resources.XObject.Im1).as_pil_image()
        assert picture.size == (40, 30)
        red, green, blue = picture.convert("RGB").getpixel((20, 15))
        assert red > 150 and green < 90 and blue < 90


def test_a_pdf_whose_jpeg_is_not_a_picture_is_refused_as_unreadable():
    def build(pdf: pikepdf.Pdf) -> None:
        image = pdf.make_stream(b"\xff\xd8 not a picture at all", Type=Name.XObject, Subtype=Name.Image, Width=4,
                                Height=4, ColorSpace=Name.DeviceRGB, BitsPerComponent=8, Filter=Name.DCTDecode)
        pdf.pages[0].Resources = Dictionary(XObject=Dictionary(Im1=image))

    with pytest.raises(UploadRejected, match=UNREADABLE):
        strip_identity(pdf_of(build=build), "pdf")


def flate_image(pdf: pikepdf.Pdf, data: bytes, **extra) -> pikepdf.Stream:
    return pdf.make_stream(data, Type=Name.XObject, Subtype=Name.Image, Width=8, Height=4,
                           ColorSpace=Name.DeviceRGB, BitsPerComponent=8, Filter=Name.FlateDecode, **extra)


PIXELS = bytes(range(96))  # 8 x 4 RGB


def test_bytes_hidden_after_a_pictures_last_row_are_cut_off_and_the_picture_stays():
    hidden = b" notes by Alice Smith, alice.smith@example.edu"

    def build(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].Resources = Dictionary(XObject=Dictionary(
            Im1=flate_image(pdf, zlib.compress(PIXELS + hidden)),  # inside the compressed data
            Im2=flate_image(pdf, zlib.compress(PIXELS) + hidden),  # after the end of the compressed data
        ))

    original = pdf_of(build=build)
    assert traces_of(original, PLANTED)
    stripped = strip_identity(original, "pdf")
    assert traces_of(stripped, PLANTED) == set()
    with pikepdf.open(io.BytesIO(stripped)) as pdf:
        for image in pdf.pages[0].Resources.XObject.values():
            assert image.read_bytes() == PIXELS


def test_a_picture_with_a_png_predictor_keeps_its_pixels_exactly():
    rows = b"".join(b"\x00" + PIXELS[row * 24:(row + 1) * 24] for row in range(4))  # predictor byte 0: "none"

    def build(pdf: pikepdf.Pdf) -> None:
        image = flate_image(pdf, zlib.compress(rows),
                            DecodeParms=Dictionary(Predictor=15, Colors=3, BitsPerComponent=8, Columns=8))
        pdf.pages[0].Resources = Dictionary(XObject=Dictionary(Im1=image))

    stripped = strip_identity(pdf_of(build=build), "pdf")
    with pikepdf.open(io.BytesIO(stripped)) as pdf:
        assert pdf.pages[0].Resources.XObject.Im1.read_bytes() == PIXELS


def test_a_page_thumbnail_jpeg_without_a_subtype_is_reencoded_too():
    def build(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Thumb = pdf.make_stream(
            pdf_corpus.camera_jpeg(16, 12), Width=16, Height=12, ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
            Filter=Name.DCTDecode,
        )

    original = pdf_of(build=build)
    assert traces_of(original, PLANTED)
    stripped = strip_identity(original, "pdf")
    assert traces_of(stripped, PLANTED) == set()
    with pikepdf.open(io.BytesIO(stripped)) as pdf, Image.open(io.BytesIO(pdf.pages[0].Thumb.read_raw_bytes())) as thumb:
        assert thumb.size == (16, 12)


def test_a_popup_without_a_subtype_reached_from_its_comment_loses_its_author_too():
    def build(pdf: pikepdf.Pdf) -> None:
        popup = pdf.make_indirect(Dictionary(Type=Name.Annot, Rect=pikepdf.Array([0, 0, 10, 10]),
                                             T=pikepdf.String(pdf_corpus.AUTHOR)))
        note = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Text, Rect=pikepdf.Array([0, 0, 10, 10]),
                                            Popup=popup, Contents=pikepdf.String("Check this")))
        pdf.pages[0].obj.Annots = pikepdf.Array([note])

    stripped = strip_identity(pdf_of(build=build), "pdf")
    assert traces_of(stripped, PLANTED) == set()
    with pikepdf.open(io.BytesIO(stripped)) as pdf:
        assert str(pdf.pages[0].Annots[0].Popup.T) == "Anonymous"


def drawing_of(size: int):
    def build(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].Contents = pdf.make_stream(b"")
        pdf.pages[0].Contents.write(zlib.compress(b" " * size), filter=Name.FlateDecode)
    return build


def test_pages_whose_drawing_inflates_to_the_limit_are_stripped(monkeypatch):
    monkeypatch.setattr(pdf_stripper, "MAX_CONTENT_BYTES", 3 * 2**20)
    strip_identity(pdf_of(build=drawing_of(3 * 2**20)), "pdf")


def test_pages_whose_drawing_inflates_past_the_limit_are_refused_without_inflating_it_all(monkeypatch):
    monkeypatch.setattr(pdf_stripper, "MAX_CONTENT_BYTES", 3 * 2**20)
    with pytest.raises(UploadRejected, match="expand to more than 3 MB"):
        strip_identity(pdf_of(build=drawing_of(3 * 2**20 + 1)), "pdf")


def test_a_jpeg_inlined_in_a_drawing_the_page_uses_is_reencoded_too():
    photo = pdf_corpus.camera_jpeg(64, 48)

    def build(pdf: pikepdf.Pdf) -> None:
        form = pdf.make_stream(b"q 64 0 0 48 0 0 cm BI /W 64 /H 48 /CS /RGB /BPC 8 /F /DCT ID " + photo + b" EI Q",
                               Type=Name.XObject, Subtype=Name.Form, BBox=pikepdf.Array([0, 0, 100, 100]),
                               Resources=Dictionary())
        pdf.pages[0].Resources = Dictionary(XObject=Dictionary(Fm1=form))
        pdf.pages[0].Contents = pdf.make_stream(b"/Fm1 Do")

    stripped = strip_identity(pdf_of(build=build), "pdf")
    assert traces_of(stripped, PLANTED) == set()
    assert images_in(stripped) == [(64, 48, "/DCTDecode")]


def wrapped_jpeg(data: bytes):
    def build(pdf: pikepdf.Pdf) -> None:
        image = pdf.make_stream(zlib.compress(data), Type=Name.XObject, Subtype=Name.Image, Width=64, Height=48,
                                ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
                                Filter=pikepdf.Array([Name.FlateDecode, Name.DCTDecode]))
        pdf.pages[0].Resources = Dictionary(XObject=Dictionary(Im1=image))
    return build


def test_a_jpeg_behind_flate_within_the_size_limit_is_reencoded(monkeypatch):
    photo = pdf_corpus.camera_jpeg(64, 48)
    monkeypatch.setattr(pdf_stripper, "MAX_JPEG_BYTES", len(photo))
    assert images_in(strip_identity(pdf_of(build=wrapped_jpeg(photo)), "pdf")) == [(64, 48, "/DCTDecode")]


def test_a_jpeg_behind_flate_inflating_past_the_size_limit_is_refused(monkeypatch):
    photo = pdf_corpus.camera_jpeg(64, 48)
    monkeypatch.setattr(pdf_stripper, "MAX_JPEG_BYTES", len(photo) - 1)
    with pytest.raises(UploadRejected, match=UNREADABLE):
        strip_identity(pdf_of(build=wrapped_jpeg(photo)), "pdf")
