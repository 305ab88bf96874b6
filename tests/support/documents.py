"""Real documents for upload tests: files that name their author everywhere they can, large ones, and a bomb."""

from __future__ import annotations

import io
import random
import struct
import zlib

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

AUTHOR = "Amara Okafor"


def pdf_naming_its_author(author: str = AUTHOR) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": author, "/Creator": f"{author}'s laptop", "/Title": "Essay 1"})
    note = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/Text"),
        NameObject("/Rect"): ArrayObject([FloatObject(10), FloatObject(10), FloatObject(30), FloatObject(30)]),
        NameObject("/T"): TextStringObject(author),
        NameObject("/Contents"): TextStringObject("Check this paragraph"),
    })
    writer.add_annotation(page_number=0, annotation=note)
    page.compress_content_streams()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_naming_its_author(author: str = AUTHOR) -> bytes:
    from docx import Document

    document = Document()
    paragraph = document.add_paragraph("My essay about peer review.")
    document.core_properties.author = author
    document.core_properties.last_modified_by = author
    document.add_comment(paragraph.runs, text="Rewrite this", author=author, initials="AO")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


ELF_PROGRAM = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"payload" * 100


def docx_bomb(unpacked_mb: int = 190) -> bytes:
    """A small DOCX whose body unpacks to `unpacked_mb` MB of XML: a decompression bomb, built without ever holding
    its unpacked body in memory (each part is streamed into the package)."""
    import zipfile

    paragraph = b"<w:p><w:r><w:t>peer review</w:t></w:r></w:p>" * 1024
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_naming_its_author())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for entry in source.infolist():
            if entry.filename != "word/document.xml":
                bomb.writestr(entry, source.read(entry))
                continue
            with bomb.open("word/document.xml", "w", force_zip64=True) as body:
                body.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="'
                           b'http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
                written = 0
                while written < unpacked_mb * 1024 * 1024:
                    body.write(paragraph)
                    written += len(paragraph)
                body.write(b"</w:body></w:document>")
    return out.getvalue()


MB = 1024 * 1024


def _noise(rng: random.Random, size: int) -> bytes:
    # Photographs compress little; noise not at all, so the files reach their size with real pixel data.
    return rng.randbytes(size)


def _png(rng: random.Random, width: int, height: int) -> bytes:
    rows = b"".join(b"\x00" + _noise(rng, width * 3) for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1))
            + chunk(b"IEND", b""))


def pdf_with_images(images: int = 50, total_mb: float = 10, seed: int = 1) -> bytes:
    """A PDF of `images` pages, each showing one picture (Flate-compressed RGB), `total_mb` in all, naming an author."""
    rng = random.Random(seed)
    side = int((total_mb * MB / images / 3) ** 0.5)
    writer = PdfWriter()
    writer.add_metadata({"/Author": "Amara Okafor", "/Title": "Lab report"})
    for number in range(images):
        page = writer.add_blank_page(width=400, height=400)
        image = StreamObject()
        image.update({
            NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(side), NameObject("/Height"): NumberObject(side),
            NameObject("/ColorSpace"): NameObject("/DeviceRGB"), NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): NameObject("/FlateDecode"),
        })
        image.set_data(zlib.compress(_noise(rng, side * side * 3), 1))
        name = NameObject(f"/Im{number}")
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/XObject"): DictionaryObject({name: writer._add_object(image)})})
        content = DecodedStreamObject()
        content.set_data(f"q 380 0 0 380 10 10 cm {name} Do Q".encode())
        page[NameObject("/Contents")] = ArrayObject([writer._add_object(content)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_with_images(images: int = 20, total_mb: float = 5, seed: int = 2) -> bytes:
    """A DOCX with `images` PNG pictures, `total_mb` in all, whose properties name an author."""
    from docx import Document
    from docx.shared import Cm

    rng = random.Random(seed)
    side = int((total_mb * MB / images / 3) ** 0.5)
    document = Document()
    document.core_properties.author = "Amara Okafor"
    for number in range(images):
        document.add_paragraph(f"Figure {number + 1}: a measurement of the experiment.")
        document.add_picture(io.BytesIO(_png(rng, side, side)), width=Cm(8))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
