"""Zip packages of office documents read within limits, and written back holding only the parts chosen."""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

from assessment.errors import UploadRejected
from assessment.messages import N_, Message
from assessment.stripping.images import reencode_image

# Limits on what a package may claim and what it may unpack to: generous for real work (a thesis with a hundred
# photos), fatal for a zip bomb (the 284 KB DOCX that expanded to 190 MB of XML).
MAX_PARTS = 2000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_XML_PART_BYTES = 32 * 1024 * 1024
# Deflate reaches about 1000:1 at most; text and XML of real documents compress 5-30:1. Parts below a megabyte are
# let through whatever their ratio: a page of blank table cells is small however much it compresses.
MAX_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024

# Entities are never expanded and no DTD or network is touched: "billion laughs" and external entities stay inert.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


# How a damaged or hostile archive fails inside zipfile and zlib (bad CRC, unknown compression method or version,
# encryption, truncation, corrupt deflate data, a directory naming a part that is not there); to the student each
# means the same.
DAMAGED: tuple[type[Exception], ...] = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError,
                                        RuntimeError, EOFError, OSError, ValueError, KeyError)


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes
    compressed: bool = True


def unreadable(label: str) -> Message:
    return N_("This file could not be read as %(kind)s; it may be damaged. Save it again and upload the new file.",
              kind=label)


def too_large(label: str) -> Message:
    # One message for every size limit: whichever one a file passes, the student's remedy is the same.
    return N_(
        "This file unpacks to far more data than %(kind)s holds, so it was not opened. Save it again from your word "
        "processor, make it smaller (for example by compressing its pictures) and upload it again.",
        kind=label,
    )


class Package:
    """The parts of a zip package, each read at most once and never beyond the limits above."""

    def __init__(self, archive: zipfile.ZipFile, label: str) -> None:
        self._archive = archive
        self._label = label
        entries = archive.infolist()
        names = [entry.filename for entry in entries]
        if len(entries) > MAX_PARTS or len(set(names)) != len(names):
            raise UploadRejected(unreadable(label))
        # The declared sizes first (cheap, and they stop an honest bomb before anything is inflated); the reads
        # below are bounded as well, since a crafted header can declare less than its data inflates to.
        if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
            raise UploadRejected(too_large(label))
        for entry in entries:
            if entry.file_size > MAX_PART_BYTES or _ratio_too_high(entry.file_size, entry.compress_size):
                raise UploadRejected(too_large(label))
        self._entries = {entry.filename: entry for entry in entries if not entry.is_dir()}
        self._unpacked = 0

    @property
    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def read(self, name: str, limit: int = MAX_PART_BYTES) -> bytes:
        entry = self._entries[name]
        with self._archive.open(entry) as stream:
            data = stream.read(min(limit, MAX_PART_BYTES) + 1)
        self._unpacked += len(data)
        if len(data) > limit or self._unpacked > MAX_UNPACKED_BYTES:
            raise UploadRejected(too_large(self._label))
        if _ratio_too_high(len(data), entry.compress_size):
            raise UploadRejected(too_large(self._label))
        return data

    def xml(self, name: str) -> etree._Element:
        data = self.read(name, MAX_XML_PART_BYTES)
        try:
            return etree.fromstring(data, XML_PARSER)
        except etree.XMLSyntaxError as error:
            raise UploadRejected(unreadable(self._label)) from error


def _ratio_too_high(size: int, compressed: int) -> bool:
    return size > RATIO_FROM_BYTES and size > MAX_RATIO * max(compressed, 1)


def open_package(data: bytes, label: str) -> tuple[zipfile.ZipFile, Package]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except DAMAGED as error:
        raise UploadRejected(unreadable(label)) from error
    try:
        return archive, Package(archive, label)
    except DAMAGED as error:
        archive.close()
        raise UploadRejected(unreadable(label)) from error
    except BaseException:
        archive.close()
        raise


def rebuilt(data: bytes, label: str, rebuild: Callable[[Package], bytes]) -> bytes:
    """`rebuild` applied to the package in `data`; whatever it cannot read is refused as damaged, in the kind's name."""
    archive, package = open_package(data, label)
    with archive:
        try:
            return rebuild(package)
        except UploadRejected:
            raise
        except DAMAGED as error:
            raise UploadRejected(unreadable(label)) from error


# Pictures drawn again from their pixels keep their format when it is one of these; the name's extension follows it.
IMAGE_TYPES = {"JPEG": ("image/jpeg", ("jpg", "jpeg")), "PNG": ("image/png", ("png",)), "GIF": ("image/gif", ("gif",)),
               "WEBP": ("image/webp", ("webp",))}
RASTER_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")


@dataclass(frozen=True)
class Picture:
    name: str  # its name in the rebuilt package
    media_type: str
    data: bytes


def redrawn_picture(name: str, data: bytes, unreadable_picture: Message) -> Picture | None:
    """A picture of the package drawn again from its pixels, under a name whose extension says its format; None for
    one left out (vector drawings: EMF, WMF, SVM and SVG cannot be redrawn from pixels and can carry anything)."""
    if not data.startswith(RASTER_MAGIC):
        return None
    image = reencode_image(data, unreadable=unreadable_picture)
    if image.format not in IMAGE_TYPES:
        return None
    media_type, extensions = IMAGE_TYPES[image.format]
    stem, dot, extension = name.rpartition(".")
    new_name = name if dot and extension.lower() in extensions else f"{stem or name}.{extensions[0]}"
    return Picture(new_name, media_type, image.data)


def write_package(parts: Iterable[Part]) -> bytes:
    """A new zip of exactly these parts, in this order, with nothing of the original archive's own records:
    fixed timestamps, no comments, no extra fields, no file-system owner (as mat2 writes its archives)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for part in parts:
            info = zipfile.ZipInfo(part.name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if part.compressed else zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, part.data)
    return out.getvalue()


def xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def resolve(source: str, target: str) -> str | None:
    """The part a relative reference from part `source` points at, or None when it leaves the package."""
    if target.startswith("/"):
        path = posixpath.normpath(target.lstrip("/"))
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
    if path.startswith("../") or path in ("..", ".", ""):
        return None
    return path


def remove(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        # Text after the element belongs to the parent's flow: keep it.
        if element.tail:
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)


def unwrap(element: etree._Element) -> None:
    """Replace the element by its content: a link that must go leaves its words in place."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    children = list(element)
    if element.text:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.text
        else:
            parent.text = (parent.text or "") + element.text
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    tail = element.tail
    if tail:
        last = children[-1] if children else element.getprevious()
        if last is not None:
            last.tail = (last.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def set_text(element: etree._Element, value: str) -> None:
    for child in list(element):
        element.remove(child)
    element.text = value


def local_name(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""
