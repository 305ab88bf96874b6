"""Looking for a name everywhere inside a PDF: the file's bytes, every string, and every stream with its filters undone."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pikepdf

_CODECS = ("/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode")


def decoded(stream: pikepdf.Stream) -> bytes:
    """The stream with Flate, LZW and ASCII filters undone, and image codecs left as they are, so a JPEG's own
    records show."""
    value = stream.get("/Filter")
    filters = [value] if isinstance(value, pikepdf.Name) else list(value or [])
    while filters and str(filters[-1]) in _CODECS:
        filters.pop()
    if not filters:
        return stream.read_raw_bytes()
    with pikepdf.new() as scratch:
        outer = scratch.make_stream(stream.read_raw_bytes(), Filter=pikepdf.Array(filters))
        try:
            return outer.read_bytes()
        except pikepdf.PdfError:
            return stream.read_raw_bytes()


def _is_indirect(value: object) -> bool:
    return isinstance(value, pikepdf.Object) and value.is_indirect


def _texts(item: pikepdf.Object) -> Iterator[bytes]:
    if isinstance(item, pikepdf.String):
        yield bytes(item)
        yield str(item).encode("utf-8", "replace")  # a UTF-16 text string, as the text it spells
    elif isinstance(item, pikepdf.Name):
        yield str(item).encode()
    elif isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
        for key, value in item.items():
            yield key.encode()
            if not _is_indirect(value):  # indirect values are objects of their own, visited once
                yield from _texts(value)
    elif isinstance(item, pikepdf.Array):
        for value in item:
            if not _is_indirect(value):
                yield from _texts(value)


def every_part(data: bytes) -> Iterator[bytes]:
    """The file's bytes, then each object's strings and names, then each stream inflated: orphans included."""
    yield data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        yield from _texts(pdf.trailer)
        for item in pdf.objects:
            yield from _texts(item)
            if isinstance(item, pikepdf.Stream):
                yield decoded(item)


def traces_of(data: bytes, planted: tuple[str, ...]) -> set[str]:
    """Which of the planted words appear anywhere in the PDF, in any case, as UTF-8, Latin-1 or UTF-16 text."""
    found = set()
    for part in every_part(data):
        lowered = part.lower()
        for word in planted:
            for encoding in ("utf-8", "utf-16-be", "utf-16-le"):
                if word.lower().encode(encoding) in lowered:
                    found.add(word)
    return found
