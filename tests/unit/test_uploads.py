"""Uploads are read within their size limit and known by their content, whatever their name says."""

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator

import docx
import pytest
from pypdf import PdfWriter

from assessment.errors import UploadRejected
from assessment.uploads import KNOWN_KINDS, identify, limited_stream

MB = 1024 * 1024
PDF_AND_DOCX = ("pdf", "docx")


def real_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def real_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("An essay")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, content in entries.items():
            package.writestr(name, content)
    return out.getvalue()


def real_odt() -> bytes:
    return zip_of({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"})


def real_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) + chunk(
        b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\xff\xd9"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(200)


@pytest.mark.parametrize(("filename", "data", "kind"), [
    ("essay.pdf", real_pdf(), "pdf"),
    ("ESSAY.PDF", real_pdf(), "pdf"),
    ("C:\\Users\\student\\Documents\\essay.pdf", real_pdf(), "pdf"),
    ("essay.docx", real_docx(), "docx"),
    ("essay.odt", real_odt(), "odt"),
    ("notes.txt", "Plain notes, with accents: é, ü, 漢字.\n".encode(), "txt"),
    ("scan.png", real_png(), "png"),
    ("photo.jpg", JPEG, "jpeg"),
    ("photo.jpeg", JPEG, "jpeg"),
])
def test_files_are_known_by_their_content_when_their_name_agrees(filename, data, kind):
    assert identify(filename, data, KNOWN_KINDS) is KNOWN_KINDS[kind]


def test_known_kinds_carry_their_extension_and_media_type():
    assert KNOWN_KINDS["docx"].extension == "docx"
    assert KNOWN_KINDS["jpeg"].extension == "jpg"
    assert KNOWN_KINDS["pdf"].media_type == "application/pdf"
    assert set(KNOWN_KINDS) == {"pdf", "docx", "odt", "txt", "png", "jpeg"}


@pytest.mark.parametrize("program", [
    ELF,
    b"MZ\x90\x00" + bytes(200),
    b"\xcf\xfa\xed\xfe" + bytes(200),
    b"#!/bin/sh\nrm -rf ~\n",
])
def test_a_program_renamed_pdf_is_refused_as_a_program(program):
    with pytest.raises(UploadRejected) as raised:
        identify("essay.pdf", program, PDF_AND_DOCX)
    assert raised.value.message == (
        "This file is a program, not a PDF. Upload your work itself, saved as one of: PDF, DOCX."
    )


def test_a_script_is_a_program_even_where_text_is_accepted():
    with pytest.raises(UploadRejected, match="This file is a program, not a TXT"):
        identify("notes.txt", b"#!/usr/bin/env python\nprint('hi')\n", ("txt",))


def test_a_png_named_pdf_is_refused_naming_both_kinds_and_what_is_accepted():
    with pytest.raises(UploadRejected) as raised:
        identify("essay.pdf", real_png(), PDF_AND_DOCX)
    assert raised.value.message == (
        "This file is a PNG, not a PDF. Files of type PNG are not accepted here; accepted: PDF, DOCX."
    )


def test_a_kind_that_is_not_accepted_here_is_refused():
    with pytest.raises(UploadRejected) as raised:
        identify("scan.png", real_png(), PDF_AND_DOCX)
    assert raised.value.message == "Files of type PNG are not accepted here; accepted: PDF, DOCX."


def test_an_accepted_kind_under_the_wrong_name_must_be_renamed():
    with pytest.raises(UploadRejected) as raised:
        identify("essay.pdf", real_docx(), PDF_AND_DOCX)
    assert raised.value.message == (
        "This file is a DOCX, but its name ends in .pdf. Rename it to end in .docx and upload it again."
    )


def test_a_name_without_an_extension_must_be_given_one():
    with pytest.raises(UploadRejected, match=re.escape("its name has no extension. Rename it to end in .pdf")):
        identify("essay", real_pdf(), PDF_AND_DOCX)


def test_a_word_document_with_macros_is_refused():
    docm = zip_of({"word/document.xml": b"<w:document/>", "word/vbaProject.bin": b"\x00macro"})
    with pytest.raises(UploadRejected, match="Files of type DOCM"):
        identify("essay.docx", docm, PDF_AND_DOCX)


def test_other_archives_and_office_files_are_named_in_the_refusal():
    with pytest.raises(UploadRejected, match=re.escape("Files of type ZIP are not accepted here; accepted: PDF, DOCX.")):
        identify("essay.zip", zip_of({"essay.pdf": real_pdf()}), PDF_AND_DOCX)
    with pytest.raises(UploadRejected, match="Files of type GIF are not accepted here"):
        identify("figure.gif", b"GIF89a" + bytes(100), PDF_AND_DOCX)


def test_text_is_refused_where_only_documents_are_accepted():
    with pytest.raises(UploadRejected, match=re.escape("This file is a TXT, not a PDF. Files of type TXT are not accepted")):
        identify("essay.pdf", b"just some words", PDF_AND_DOCX)


@pytest.mark.parametrize("data", [b"caf\xe9 in Latin-1", b"text\x00with a NUL", bytes(range(256))])
def test_bytes_that_are_not_utf8_text_nor_a_known_format_are_unrecognised(data):
    with pytest.raises(UploadRejected) as raised:
        identify("notes.txt", data, ("txt",))
    assert raised.value.message == "The type of this file could not be recognised. Accepted file types: TXT."


def test_an_empty_file_is_refused():
    with pytest.raises(UploadRejected, match="The file is empty"):
        identify("essay.pdf", b"", PDF_AND_DOCX)


def test_asking_for_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown file kinds"):
        identify("essay.pdf", real_pdf(), ("pdf", "exe"))


class CountingStream:
    """A stream backed by a generator of chunks that remembers how much was read from it."""

    def __init__(self, total: int, piece: int = 50_000) -> None:
        self.read_bytes = 0
        self._chunks = self._generate(total, piece)
        self._pending = b""

    def seekable(self) -> bool:
        return False  # as a socket: it can only be read on

    @staticmethod
    def _generate(total: int, piece: int) -> Iterator[bytes]:
        while total > 0:
            size = min(piece, total)
            total -= size
            yield b"x" * size

    def read(self, size: int = -1) -> bytes:
        assert size >= 0, "the whole stream was asked for"
        if not self._pending:
            self._pending = next(self._chunks, b"")
        data, self._pending = self._pending[:size], self._pending[size:]
        self.read_bytes += len(data)
        return data


def test_reading_stops_as_soon_as_the_limit_is_passed():
    stream = CountingStream(total=500 * MB)
    with pytest.raises(UploadRejected) as raised:
        limited_stream(stream, 20 * MB)
    assert raised.value.message == "The file is larger than the 20 MB limit."
    assert stream.read_bytes == 20 * MB + 1


def test_a_file_within_the_limit_is_copied_whole_despite_short_reads():
    stream = CountingStream(total=3 * MB + 7, piece=1000)
    with limited_stream(stream, 20 * MB) as copy:
        assert copy.read() == b"x" * (3 * MB + 7)


def test_a_file_exactly_at_the_limit_is_accepted():
    with limited_stream(CountingStream(total=1024, piece=100), 1024, chunk_size=100) as copy:
        assert copy.read() == b"x" * 1024
    with pytest.raises(UploadRejected, match="larger than the 1 KB limit"):
        limited_stream(CountingStream(total=1025, piece=100), 1024, chunk_size=100)


def test_a_seekable_upload_is_measured_in_place_not_read():
    upload = io.BytesIO(b"x" * 1024)
    assert limited_stream(upload, 1024) is upload
    assert upload.tell() == 0
    upload.seek(10)
    with pytest.raises(UploadRejected, match="larger than the 1 KB limit"):
        limited_stream(io.BytesIO(b"x" * 1025), 1024)
    assert limited_stream(upload, 1014).read() == b"x" * 1014  # measured from where it stands
