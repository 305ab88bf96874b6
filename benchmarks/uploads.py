"""Benchmark of checking uploaded files in the limited child process: a 10 MB PDF with 50 pictures, a 5 MB DOCX with
20 pictures, and a decompression bomb that must be stopped within 2 s and 256 MB."""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import struct
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/uploads.py`

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject, StreamObject

from assessment.upload_check import CheckedFile
from config.settings import FileCheckLimits
from tests.support.documents import docx_bomb
from workers.isolation import run_isolated

MB = 1024 * 1024
BOMB_SECONDS = 2.0
BOMB_MEMORY = 256 * MB


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


def measure(name: str, data: bytes, filename: str, limits: FileCheckLimits, repeat: int) -> dict[str, object]:
    runs = [run_isolated(data, filename, ["pdf", "docx"], limits) for _ in range(repeat)]
    outcome = runs[0].outcome
    return {
        "bench": "uploads", "file": name, "bytes": len(data),
        "outcome": "passed" if isinstance(outcome, CheckedFile) else "refused",
        "reason": None if isinstance(outcome, CheckedFile) else str(outcome.message)[:80],
        "seconds": round(statistics.median(run.seconds for run in runs), 3),
        "peak_memory_mb": round(max(run.peak_memory_bytes for run in runs) / MB, 1),
        "limits": {"cpu_seconds": limits.cpu_seconds, "memory_mb": limits.memory_mb,
                   "wall_seconds": limits.wall_seconds},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per file; the median time is reported")
    parser.add_argument("--bomb-mb", type=int, default=190, help="what the bomb's body unpacks to")
    arguments = parser.parse_args()
    limits = FileCheckLimits()
    print(json.dumps(measure("pdf_10mb_50_images", pdf_with_images(), "report.pdf", limits, arguments.repeat)))
    print(json.dumps(measure("docx_5mb_20_images", docx_with_images(), "report.docx", limits, arguments.repeat)))
    bomb = measure(f"docx_bomb_{arguments.bomb_mb}mb", docx_bomb(arguments.bomb_mb), "report.docx", limits,
                   arguments.repeat)
    bomb["stopped_within_limits"] = (bomb["outcome"] == "refused" and float(str(bomb["seconds"])) < BOMB_SECONDS
                                     and float(str(bomb["peak_memory_mb"])) * MB < BOMB_MEMORY)
    print(json.dumps(bomb))


if __name__ == "__main__":
    main()
