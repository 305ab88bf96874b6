"""PDF files keeping only what shows the work: pages, text, pictures, links and comments, and nothing of who made them."""

from __future__ import annotations

import io
import re
import secrets
import warnings
import zlib
from collections.abc import Iterator
from typing import cast

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream, String

from assessment.errors import UploadRejected
from assessment.messages import N_
from assessment.stripping.images import reencode_image
from assessment.stripping.neutral import NEUTRAL_NAME

# The file is rewritten object by object with qpdf (pikepdf), which mends damaged cross-reference tables, writes out only
# what the document still reaches, and keeps text as text; rendering every page to a picture (as mat2 does) would leave
# nothing to select, search or read aloud and would make files many times larger.
#
# What survives, enforced below:
# 1. The trailer keeps only the catalog; the document info (author, title, producer, dates) is gone and the /ID pair is
#    new (random, then a digest of the stripped file), so it neither names nor links back to the author's own copy.
# 2. The catalog, each page and each image keep only the keys listed here; XMP (/Metadata), application data
#    (/PieceInfo), associated files (/AF) and additional actions (/AA) are removed from every object that carries them.
# 3. Actions: only going to a place in the document (/GoTo), following a web or mail link the reader clicks (/URI with
#    http, https or mailto) and viewer commands (/Named) stay; links are part of what the author wrote. Scripts,
#    launching programs, opening or importing other files, posting forms and the rest are removed, wherever they hang.
# 4. Annotations: comments and markup stay with their plain text, their authors (/T) become neutral; attachment
#    pins, sound, movie, screen, rich-media and 3D annotations are removed.
# 5. Signatures are removed whole (the field, its widget and the signature value with the signer's name, contact, place,
#    reason and certificate): the stripped file is a different file, so any signature on it would no longer verify.
# 6. Attachments (/EmbeddedFiles, file attachment pins, /AF), document scripts and XFA forms are removed.
# 7. Every JPEG image is decoded and encoded again with Pillow, so EXIF, XMP, comments and trailing data do not
#    survive; JPEG 2000 images, whose boxes may carry XMP, are decoded and stored as lossless pixels.

# A 2,000-page scan or thesis passes; a file built to make the walk below take minutes does not.
MAX_PAGES = 2000
MAX_OBJECTS = 250_000
# What the drawing instructions of all pages may inflate to: a detailed map or CAD drawing passes, a page compressed
# from a gigabyte of nothing does not (qpdf would take a minute and gigabytes to read it).
MAX_CONTENT_BYTES = 256 * 2**20
# A JPEG of the largest picture accepted (images.MAX_PIXELS) at the highest quality stays well below this.
MAX_JPEG_BYTES = 64 * 2**20

_UNREADABLE = N_(
    "This file could not be read as a PDF; it may be damaged. Export it again as PDF and upload the new file."
)

_CATALOG_KEYS = frozenset({
    "/Type", "/Version", "/Extensions", "/Pages", "/PageLabels", "/Names", "/Dests", "/ViewerPreferences",
    "/PageLayout", "/PageMode", "/Outlines", "/OpenAction", "/URI", "/AcroForm", "/StructTreeRoot", "/MarkInfo",
    "/Lang", "/OutputIntents", "/OCProperties",
})
# Article beads (/B) lead to thread records with their own author field; /ID and /PZ are web-capture records.
_PAGE_KEYS = frozenset({
    "/Type", "/Parent", "/Resources", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox", "/Contents",
    "/Rotate", "/Group", "/Thumb", "/Annots", "/StructParents", "/Tabs", "/UserUnit",
})
# /OPI names the high-resolution original on the author's disk; /Alternates and /ID are other copies and records.
_IMAGE_KEYS = frozenset({
    "/Type", "/Subtype", "/Width", "/Height", "/ColorSpace", "/BitsPerComponent", "/Intent", "/ImageMask", "/Mask",
    "/Decode", "/Interpolate", "/SMask", "/SMaskInData", "/StructParent", "/OC", "/Filter", "/DecodeParms", "/Length",
})
# Name trees other than named destinations hold scripts, attachments, page templates and web-capture records.
_NAME_TREES = frozenset({"/Dests"})
# Gone from every object: XMP, application data, associated and embedded files, additional actions, scripts,
# a form XObject's reference to an outside file, and a comment's rich-text copy (its plain /Contents stays, and
# viewers show that instead).
_PRIVATE_KEYS = frozenset({"/Metadata", "/PieceInfo", "/AF", "/AA", "/JS", "/EF", "/RF", "/OPI", "/Ref", "/RC"})
_SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named"})
# A web or mail link; file:// and UNC links would make the reader's machine reach the author's share, javascript: runs.
_SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")
_ACTION_KEYS = frozenset({"/A", "/PA", "/OpenAction", "/Next"})
_ANNOTATIONS = frozenset({
    "/Text", "/Link", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine", "/Highlight", "/Underline",
    "/Squiggly", "/StrikeOut", "/Stamp", "/Caret", "/Ink", "/Popup", "/Widget", "/Redact", "/Watermark",
})
# Annotations whose /T is the name of whoever wrote them (on a form widget /T is the field's name, which the form needs).
_AUTHORED_ANNOTATIONS = _ANNOTATIONS - {"/Widget", "/Link"}
_DEVICE_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/Lab": 3, "/DeviceCMYK": 4}
_MAX_PIXEL_BYTES = 1 << 30
_FIELD_DEPTH = 32  # form fields inherit their type from parents; a longer chain is a loop or an attack


def strip_pdf(data: bytes) -> bytes:
    try:
        # qpdf's warnings about a damaged or odd file (it mends what it can) are for a person at a terminal.
        with warnings.catch_warnings(action="ignore"), pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise UploadRejected(N_(
                    "This PDF has more than %(max)s pages, too many to accept; split it and upload the part to be "
                    "reviewed.", max=MAX_PAGES,
                ))
            _externalize_inline_images(pdf)
            _keep_only(pdf.trailer, {"/Root"})
            _keep_only(pdf.Root, _CATALOG_KEYS)
            _scrub_catalog(pdf.Root)
            for item in _reachable(pdf.Root):
                _scrub(item)
            # qpdf keeps the first /ID string it finds; the second becomes a digest of the stripped file (by default
            # it would be one of the time of writing, the same for every file written in that second).
            pdf.trailer.ID = Array([String(secrets.token_bytes(16)), String(secrets.token_bytes(16))])
            out = io.BytesIO()
            pdf.save(out, fix_metadata_version=False, preserve_pdfa=False, deterministic_id=True)
            return out.getvalue()
    except pikepdf.PasswordError as error:
        raise UploadRejected(
            N_("This PDF is protected by a password; upload a copy saved without a password.")
        ) from error
    except UploadRejected:
        raise
    # A malformed PDF can fail anywhere inside qpdf or Pillow, with any exception (MemoryError too: refusing one file
    # is better than taking the process down); to the student each means the same.
    except Exception as error:
        raise UploadRejected(_UNREADABLE) from error


def _externalize_inline_images(pdf: pikepdf.Pdf) -> None:
    """Inline images become image objects, so the walk re-encodes them like the rest; pages without any are not
    parsed, and drawing instructions are inflated no further than the limit."""
    budget = MAX_CONTENT_BYTES
    for page in pdf.pages:
        has_inline_image = False
        for stream in _drawing_streams(page.obj):
            size, found = _inflate_and_look_for_inline_images(stream, budget)
            budget -= size
            if budget < 0:
                raise UploadRejected(N_(
                    "This PDF's pages expand to more than %(max)s MB, too large to accept; export it again, "
                    "for example with smaller or simpler drawings, and upload the new file.",
                    max=MAX_CONTENT_BYTES // 2**20,
                ))
            has_inline_image |= found
        if has_inline_image:
            page.externalize_inline_images()


def _drawing_streams(page: pikepdf.Object) -> Iterator[pikepdf.Object]:
    """The page's content streams and the form XObjects it draws, nested ones included."""
    contents = page.get("/Contents")
    yield from (item for item in (contents if isinstance(contents, Array) else [contents]) if isinstance(item, Stream))
    stack, seen = [page.get("/Resources")], set()
    while stack:
        resources = stack.pop()
        if not isinstance(resources, Dictionary) or not isinstance(resources.get("/XObject"), Dictionary):
            continue
        for form in resources.XObject.values():
            if isinstance(form, Stream) and _name(form, "/Subtype") == "/Form" and form.objgen not in seen:
                seen.add(form.objgen)
                yield form
                stack.append(form.get("/Resources"))


_INLINE_IMAGE = re.compile(rb"(?:^|[\s\]>)}])BI[\s/]")


def _may_hold_inline_image(data: bytes) -> bool:
    return b"BI" in data and bool(_INLINE_IMAGE.search(data))  # `in` first: it is many times faster than the pattern


def _inflate_and_look_for_inline_images(stream: pikepdf.Object, limit: int) -> tuple[int, bool]:
    """How many bytes the stream inflates to (counting stops past `limit`), and whether it may hold an inline image."""
    filters = _filters(stream)
    if filters != ["/FlateDecode"]:
        data = stream.read_raw_bytes() if not filters else stream.read_bytes()  # rare for drawings: no bomb filter
        return len(data), _may_hold_inline_image(data)
    inflater = zlib.decompressobj()
    pending, size, found, tail = stream.read_raw_bytes(), 0, False, b""
    try:
        while pending and not inflater.eof and size <= limit:
            chunk = inflater.decompress(pending, 2**20)  # a megabyte at a time, whatever the stream claims
            pending = inflater.unconsumed_tail
            found = found or _may_hold_inline_image(tail + chunk)
            size, tail = size + len(chunk), chunk[-4:]
            if not chunk and not pending:
                break
    except zlib.error:
        return size, True  # damaged: qpdf reads what it can, no more than has come out so far
    return size, found


def _keep_only(dictionary: pikepdf.Object, allowed: frozenset[str] | set[str]) -> None:
    for key in list(dictionary.keys()):
        if key not in allowed:
            del dictionary[key]


def _name(dictionary: pikepdf.Object, key: str) -> str | None:
    value = dictionary.get(key)
    return str(value) if isinstance(value, Name) else None


def _scrub_catalog(catalog: pikepdf.Object) -> None:
    names = catalog.get("/Names")
    if isinstance(names, Dictionary):
        _keep_only(names, _NAME_TREES)
    form = catalog.get("/AcroForm")
    if isinstance(form, Dictionary):
        # XFA is a second, scriptable form inside the file; the signature flags describe fields removed below.
        for key in ("/XFA", "/SigFlags"):
            if key in form:
                del form[key]
        if isinstance(form.get("/Fields"), Array):
            form.Fields = _without_signatures(form.Fields)


def _without_signatures(fields: pikepdf.Object) -> Array:
    kept = Array()
    for field in fields:
        if not isinstance(field, Dictionary) or _is_signature(field):
            continue
        if isinstance(field.get("/Kids"), Array):
            field.Kids = _without_signatures(field.Kids)
        kept.append(field)
    return kept


def _is_signature(field: pikepdf.Object) -> bool:
    node: object = field
    for _ in range(_FIELD_DEPTH):
        if not isinstance(node, Dictionary):
            return False
        if "/FT" in node:
            return _name(node, "/FT") == "/Sig"
        node = node.get("/Parent")
    return False


def _reachable(root: pikepdf.Object) -> Iterator[pikepdf.Object]:
    """Every dictionary, stream and array the document reaches from its catalog, each object once."""
    stack: list[object] = [root]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        item = stack.pop()
        if not isinstance(item, Dictionary | Stream | Array):
            continue
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        visited += 1
        if visited > MAX_OBJECTS:
            raise UploadRejected(_UNREADABLE)
        yield item  # scrubbed before its values are followed, so what it no longer reaches is never visited
        stack.extend(item.values() if isinstance(item, Dictionary | Stream) else item)


def _scrub(item: pikepdf.Object) -> None:
    if isinstance(item, Array):
        return
    keys = item.keys()  # asked once: each question to the object is a call into qpdf, and a file has many objects
    for key in keys & _PRIVATE_KEYS:
        del item[key]
    for key in keys & _ACTION_KEYS:
        action = item[key]
        # An /A dictionary without /S is a structure element's attributes, not an action.
        if isinstance(action, Dictionary) and "/S" in action and not _is_safe_action(action):
            del item[key]
        elif key == "/Next" and isinstance(action, Array):
            item.Next = Array([step for step in action if _is_safe_action(step)])
    kind = _name(item, "/Type") if "/Type" in keys else None
    subtype = _name(item, "/Subtype") if "/Subtype" in keys else None
    if kind == "/Sig" or "/ByteRange" in keys:
        # A signature value reached some other way than through a form field: the signer's records are emptied.
        _keep_only(item, {"/Type"})
    elif kind == "/Page":
        _keep_only(item, _PAGE_KEYS)
    if "/Annots" in keys and isinstance(item.Annots, Array):
        item.Annots = Array([annotation for annotation in item.Annots if _kept_annotation(annotation)])
    # A popup reached from its comment, not the page, may lack its /Subtype in a sloppy file; /Type says enough.
    if "/T" in keys and (subtype in _AUTHORED_ANNOTATIONS or (kind == "/Annot" and subtype not in ("/Widget", "/Link"))):
        item.T = String(NEUTRAL_NAME)
    if isinstance(item, Stream):
        if subtype == "/Image":
            _keep_only(item, _IMAGE_KEYS)
            _trim_pixels(item)
        # By its filter, not its /Subtype: JPEG bytes are a JPEG, with its EXIF, wherever the stream hangs.
        _reencode(item)


def _is_safe_action(action: pikepdf.Object) -> bool:
    if not isinstance(action, Dictionary) or _name(action, "/S") not in _SAFE_ACTIONS:
        return False
    if _name(action, "/S") != "/URI":
        return True
    target = action.get("/URI")
    return isinstance(target, String) and bytes(target).strip().lower().startswith(
        tuple(scheme.encode() for scheme in _SAFE_URI_SCHEMES)
    )


def _kept_annotation(annotation: object) -> bool:
    return (isinstance(annotation, Dictionary) and _name(annotation, "/Subtype") in _ANNOTATIONS
            and not _is_signature(annotation))


def _filters(image: pikepdf.Object) -> list[str]:
    value = image.get("/Filter")
    if isinstance(value, Name):
        return [str(value)]
    return [str(item) for item in value] if isinstance(value, Array) else []


def _reencode(image: pikepdf.Object) -> None:
    filters = _filters(image)
    if not filters or filters[-1] not in ("/DCTDecode", "/JPXDecode"):
        return  # raw pixels behind lossless filters carry no records of their own
    if filters[-1] == "/DCTDecode":
        encoded = _codec_bytes(image, filters)
        # A PDF draws the pixels as stored, whatever EXIF says: turning them would swap the image's width and height.
        fresh = reencode_image(encoded, _UNREADABLE, turn_upright=False)
        if "/DecodeParms" in image:
            del image["/DecodeParms"]
        image.write(fresh.data, filter=Name.DCTDecode)
    else:
        _store_as_pixels(image)


def _trim_pixels(image: pikepdf.Object) -> None:
    """Bytes after the last row of pixels are never drawn and could carry anything: they are cut off."""
    row = _row_bytes(image)
    if _filters(image) != ["/FlateDecode"] or row is None:
        return  # other filters: rare for pictures, and left as they are
    parameters = image.get("/DecodeParms")
    if isinstance(parameters, Dictionary) and int(parameters.get("/Predictor", 1)) >= 10:
        row += 1  # PNG predictors start each row with a byte naming the predictor
    expected = row * int(image.Height)
    if expected > _MAX_PIXEL_BYTES:
        return
    inflater = zlib.decompressobj()
    # Inflated no further than the picture needs, so a stream that would inflate to gigabytes costs nothing.
    pixels = inflater.decompress(image.read_raw_bytes(), expected)
    if inflater.decompress(inflater.unconsumed_tail, 1) or inflater.unused_data:
        image.write(zlib.compress(pixels), filter=Name.FlateDecode, decode_parms=cast(Dictionary | None, parameters))


def _row_bytes(image: pikepdf.Object) -> int | None:
    components: object = 1
    bits: object = 1
    if image.get("/ImageMask") is not True:
        components, bits = _components(image.get("/ColorSpace")), image.get("/BitsPerComponent")
    width = image.get("/Width")
    if not isinstance(components, int) or not isinstance(bits, int) or not isinstance(width, int):
        return None
    return (width * components * bits + 7) // 8


def _components(space: object) -> int | None:
    if isinstance(space, Name):
        return _DEVICE_COMPONENTS.get(str(space))
    if not isinstance(space, Array) or not len(space):
        return None
    family = str(space[0])
    if family == "/ICCBased" and isinstance(space[1], Stream):
        count = space[1].get("/N")
        return count if isinstance(count, int) else None
    if family == "/DeviceN" and isinstance(space[1], Array):
        return len(space[1])
    return 1 if family in ("/Indexed", "/Separation") else _DEVICE_COMPONENTS.get(family)


def _codec_bytes(image: pikepdf.Object, filters: list[str]) -> bytes:
    """The JPEG bytes themselves, with any lossless filters around them (Flate, ASCII85, ...) undone."""
    raw = image.read_raw_bytes()
    if len(filters) == 1:
        return raw
    if filters == ["/FlateDecode", "/DCTDecode"]:
        inflater = zlib.decompressobj()
        # Inflated no further than any real photo needs: a stream inflating to gigabytes costs nothing.
        encoded = inflater.decompress(raw, MAX_JPEG_BYTES + 1)
        if len(encoded) > MAX_JPEG_BYTES:
            raise UploadRejected(_UNREADABLE)
        return encoded
    parameters = image.get("/DecodeParms")
    with pikepdf.new() as scratch:
        outer = scratch.make_stream(raw, Filter=Array([Name(name) for name in filters[:-1]]))
        if isinstance(parameters, Array):
            outer.DecodeParms = Array(list(parameters)[:-1])
        return outer.read_bytes()


def _store_as_pixels(image: pikepdf.Object) -> None:
    picture = pikepdf.PdfImage(cast(Stream, image)).as_pil_image()
    if picture.mode not in ("L", "RGB", "CMYK"):
        picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
    if picture.mode == "RGBA":
        alpha = picture.getchannel("A")
        picture = picture.convert("RGB")
        owner = cast(pikepdf.Pdf, image.owner)  # pikepdf's stubs type every attribute as a PDF object
        mask = owner.make_stream(
            zlib.compress(alpha.tobytes()), Type=Name.XObject, Subtype=Name.Image, Width=alpha.width,
            Height=alpha.height, ColorSpace=Name.DeviceGray, BitsPerComponent=8, Filter=Name.FlateDecode,
        )
        image.SMask = mask
    for key in ("/SMaskInData", "/Decode", "/DecodeParms"):
        if key in image:
            del image[key]
    image.ColorSpace = {"L": Name.DeviceGray, "RGB": Name.DeviceRGB, "CMYK": Name.DeviceCMYK}[picture.mode]
    image.BitsPerComponent = 8
    image.write(zlib.compress(picture.tobytes()), filter=Name.FlateDecode)
