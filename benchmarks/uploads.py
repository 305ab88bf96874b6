"""Benchmark of checking uploaded files in the limited child process: a 10 MB PDF with 50 pictures, a 5 MB DOCX with
20 pictures, and a decompression bomb that must be stopped within 2 s and 256 MB."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as `python benchmarks/uploads.py`

from assessment.upload_check import CheckedFile
from config.settings import FileCheckLimits
from tests.support.documents import docx_bomb, docx_with_images, pdf_with_images
from workers.isolation import run_isolated

MB = 1024 * 1024
BOMB_SECONDS = 2.0
BOMB_MEMORY = 256 * MB


def measure(name: str, data: bytes, filename: str, limits: FileCheckLimits, repeat: int) -> dict[str, object]:
    runs = [run_isolated(data, filename, ["pdf", "docx"], limits) for _ in range(repeat)]
    outcome = runs[0].outcome
    return {
        "bench": "uploads", "file": name, "bytes": len(data),
        "outcome": "passed" if isinstance(outcome, CheckedFile) else "refused",
        "reason": None if isinstance(outcome, CheckedFile) else str(outcome.message)[:80],
        "seconds": round(statistics.median(run.seconds for run in runs), 3),
        "cpu_seconds": round(statistics.median(run.cpu_seconds for run in runs), 3),
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
