"""Small real documents for upload tests: a PDF and a DOCX that name their author everywhere they can."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

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
