"""Images rebuilt from their pixels: camera, author and location records and trailing data never survive."""

import io

import pytest
from PIL import Image, PngImagePlugin

from assessment.anonymity import strip_identity
from assessment.errors import UploadRejected
from assessment.stripping import images
from assessment.stripping.images import reencode_image

AUTHOR = "Ada Lovelace"
PLANTED = [b"Lovelace", b"ada@example.edu", b"C:\\Users\\ada", b"51.5072"]
ARTIST, GPS_INFO, ORIENTATION, IMAGE_DESCRIPTION = 0x013B, 0x8825, 0x0112, 0x010E
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Ada Lovelace ada@example.edu</dc:creator></x:xmpmeta>'


def exif(orientation: int = 1) -> Image.Exif:
    record = Image.Exif()
    record[ARTIST] = AUTHOR
    record[IMAGE_DESCRIPTION] = "C:\\Users\\ada\\Pictures\\essay.jpg; ada@example.edu"
    record[ORIENTATION] = orientation
    record.get_ifd(GPS_INFO).update({1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    record[0x9286] = "51.5072 N"  # a user comment, as some phones write the place
    return record


def picture(width: int = 40, height: int = 20) -> Image.Image:
    """A picture whose left half is red and right half blue, so turning it shows in its pixels."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    return image


def jpeg(orientation: int = 1, trailer: bytes = b"") -> bytes:
    out = io.BytesIO()
    picture().save(out, "JPEG", quality=95, exif=exif(orientation), xmp=XMP, comment=b"Photo by Ada Lovelace")
    return out.getvalue() + trailer


def png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", AUTHOR)
    info.add_itxt("Comment", "scanned by ada@example.edu at 51.5072", lang="en")
    info.add_text("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    picture().save(out, "PNG", pnginfo=info, exif=exif())
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    picture().save(out, "WEBP", exif=exif(), xmp=XMP, lossless=True)
    return out.getvalue()


def assert_no_planted_identity(data: bytes) -> None:
    for planted in PLANTED:
        assert planted not in data, planted


def colour_at(data: bytes, x: int, y: int) -> tuple[int, ...]:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").getpixel((x, y))


def is_reddish(colour: tuple[int, ...]) -> bool:
    return colour[0] > 150 and colour[2] < 90


@pytest.mark.parametrize("planted_in", ["png", "jpeg"])
def test_the_planted_records_are_really_in_the_originals(planted_in):
    original = png() if planted_in == "png" else jpeg()
    assert all(planted in original for planted in PLANTED[:2])


def test_a_stripped_jpeg_keeps_no_exif_xmp_comment_or_gps_and_keeps_its_picture():
    stripped = strip_identity(jpeg(), "jpeg")
    assert_no_planted_identity(stripped)
    with Image.open(io.BytesIO(stripped)) as image:
        assert image.format == "JPEG" and image.size == (40, 20)
        assert not image.getexif() and "xmp" not in image.info and "comment" not in image.info
    assert is_reddish(colour_at(stripped, 5, 10))


def test_a_sideways_phone_photo_is_turned_upright_in_its_pixels_and_loses_its_orientation_record():
    stripped = strip_identity(jpeg(orientation=6), "jpeg")  # 6: to be shown turned 90° clockwise
    with Image.open(io.BytesIO(stripped)) as image:
        assert image.size == (20, 40)
        assert ORIENTATION not in image.getexif()
    # Turned clockwise, the red left half becomes the top half.
    assert is_reddish(colour_at(stripped, 10, 5)) and not is_reddish(colour_at(stripped, 10, 35))


def test_everything_after_the_picture_is_dropped_such_as_a_motion_photo_video():
    video = b"\x00\x00\x00\x18ftypmp42" + b"Ada Lovelace ada@example.edu GPS 51.5072" * 50
    original = jpeg(trailer=video)
    stripped = strip_identity(original, "jpeg")
    assert_no_planted_identity(stripped)
    assert b"ftypmp42" not in stripped
    assert len(stripped) < len(original) - len(video) // 2


def test_a_second_picture_hidden_in_a_multi_picture_file_is_dropped():
    second = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 255, 0)).save(second, "JPEG", exif=exif())
    stripped = strip_identity(jpeg() + second.getvalue(), "jpeg")
    assert_no_planted_identity(stripped)
    assert stripped.count(b"\xff\xd8") == 1


def test_a_stripped_png_keeps_no_text_chunks_exif_or_xmp_and_keeps_its_pixels():
    original = png()
    stripped = strip_identity(original, "png")
    assert_no_planted_identity(stripped)
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"):
        assert chunk not in stripped
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(stripped)) as after:
        assert after.format == "PNG" and after.tobytes() == before.tobytes()


def test_a_png_keeps_its_transparency():
    out = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(out, "PNG")
    with Image.open(io.BytesIO(strip_identity(out.getvalue(), "png"))) as image:
        assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0


def test_a_webp_inside_a_document_is_reencoded_as_webp_without_its_records():
    again = reencode_image(webp())
    assert again.format == "WEBP"
    assert_no_planted_identity(again.data)


@pytest.mark.parametrize(("kind", "make"), [("png", png), ("jpeg", jpeg)])
def test_a_truncated_image_is_refused_as_damaged(kind, make):
    label = {"png": "a PNG image", "jpeg": "a JPEG image"}[kind]
    with pytest.raises(UploadRejected, match=f"could not be read as {label}"):
        strip_identity(make()[:60], kind)


def test_an_image_of_another_format_named_as_png_is_refused():
    with pytest.raises(UploadRejected, match="could not be read as a PNG image"):
        strip_identity(jpeg(), "png")


def test_an_image_just_within_the_pixel_limit_passes_and_one_pixel_more_is_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 40 * 20)
    assert strip_identity(jpeg(), "jpeg")
    monkeypatch.setattr(images, "MAX_PIXELS", 40 * 20 - 1)
    with pytest.raises(UploadRejected, match="larger than"):
        strip_identity(jpeg(), "jpeg")


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding_it():
    out = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(out, "PNG")  # 900 megapixels, a ~100 KB file
    assert len(out.getvalue()) < 200_000
    with pytest.raises(UploadRejected, match="larger than 64 megapixels"):
        strip_identity(out.getvalue(), "png")
