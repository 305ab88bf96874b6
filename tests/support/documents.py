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
