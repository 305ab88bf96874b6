"""Images rebuilt from their pixels alone: no camera, editor or location record and no trailing data survives."""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

from assessment.errors import UploadRejected
from assessment.messages import N_, Message

# A 48-megapixel phone photo passes; a header claiming a gigapixel (a decompression bomb) does not.
MAX_PIXELS = 64_000_000
# Pillow's format names for the kinds that are re-encoded as themselves; others become PNG (lossless).
_KEPT_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "GIF", "TIFF": "PNG", "BMP": "PNG"}
_UNREADABLE = {
    "png": N_("This file could not be read as a PNG image; it may be damaged. Save it again and upload the new file."),
    "jpeg": N_("This file could not be read as a JPEG image; it may be damaged. Save it again and upload the new file."),
}
_UNREADABLE_IMAGE = N_("This image could not be read; it may be damaged. Save it again and upload the new file.")


@dataclass(frozen=True)
class ReencodedImage:
    """An image's new bytes, and the format they are in (which may differ from the original's, e.g. TIFF → PNG)."""

    data: bytes
    format: str


def strip_image(data: bytes, kind: str) -> bytes:
    """An uploaded PNG or JPEG, decoded and encoded again in its own format, turned the way it is meant to be seen."""
    image = reencode_image(data, unreadable=_UNREADABLE.get(kind, _UNREADABLE_IMAGE))
    expected = {"png": "PNG", "jpeg": "JPEG"}.get(kind)
    if expected is not None and image.format != expected:
        raise UploadRejected(_UNREADABLE.get(kind, _UNREADABLE_IMAGE))
    return image.data


def reencode_image(data: bytes, unreadable: Message = _UNREADABLE_IMAGE, *, turn_upright: bool = True) -> ReencodedImage:
    """Decode the image and write its pixels again: EXIF (GPS, artist, camera serial), XMP, IPTC, comments, text chunks,
    thumbnails and anything after the image (phone "motion photo" video, second images) are left behind.

    The EXIF orientation is applied to the pixels, so the picture still shows the right way up without EXIF; unless
    `turn_upright` is false, for an image whose container ignores EXIF (a PDF draws the pixels as they are stored).
    JPEGs keep their quantisation tables and subsampling, so the new copy looks as the original did.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as original:
                if original.width * original.height > MAX_PIXELS:
                    raise UploadRejected(_too_large())
                source_format = original.format or ""
                target = _KEPT_FORMATS.get(source_format)
                if target is None:
                    raise UploadRejected(unreadable)
                options = _encoder_options(original, target)
                original.load()
                upright = ImageOps.exif_transpose(original) if turn_upright else original
                out = io.BytesIO()
                _save(upright, out, target, options)
                return ReencodedImage(out.getvalue(), target)
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:  # Pillow's own, larger, limit
        raise UploadRejected(_too_large()) from error
    # A damaged or hostile image fails anywhere inside Pillow's decoders, with any exception; to the student each
    # means the same (struct.error escapes from truncated headers). MemoryError too: refusing one file is better than
    # taking the process down.
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, MemoryError,
            struct.error) as error:
        raise UploadRejected(unreadable) from error


def _too_large() -> Message:
    return N_("This image is larger than %(megapixels)s megapixels; make it smaller and upload it again.",
              megapixels=MAX_PIXELS // 1_000_000)


def _encoder_options(image: Image.Image, target: str) -> dict[str, object]:
    options: dict[str, object] = {}
    icc = image.info.get("icc_profile")
    if icc and target in ("JPEG", "PNG", "WEBP"):
        options["icc_profile"] = icc  # colours, not people: kept so the picture looks the same
    if target == "JPEG" and isinstance(image, JpegImagePlugin.JpegImageFile) and image.mode in ("L", "RGB", "CMYK"):
        options["qtables"] = image.quantization
        options["subsampling"] = JpegImagePlugin.get_sampling(image)
    elif target == "JPEG":
        options["quality"] = 92
    if target == "PNG" and "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    if target == "WEBP":
        options["lossless"] = bool(image.info.get("lossless", False))
        options["quality"] = 90
    return options


def _save(image: Image.Image, out: io.BytesIO, target: str, options: dict[str, object]) -> None:
    if target == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    if options.get("subsampling") == -1:  # Pillow could not tell: let it choose
        options.pop("subsampling")
    # Encoders fall back on what the decoder read (comment, EXIF, XMP, DPI text) for anything not given: only the
    # options chosen above may reach the new file.
    image.info = {}
    # Only the first frame of an animation or a multi-picture file: the work is a still picture.
    image.save(out, target, **options)
