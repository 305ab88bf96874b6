"""The pdf.js files the tool serves are the pinned npm package's own, at the pinned version."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.services import service_missing

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "vendor"
STATIC = ROOT / "lti_tool" / "static" / "pdfjs"
# Where each served file comes from inside the package (the Makefile's PDFJS_FILES).
FILES = {"pdf.min.mjs": "build/pdf.min.mjs", "pdf.worker.min.mjs": "build/pdf.worker.min.mjs", "LICENSE": "LICENSE"}


def _pinned_version() -> str:
    return json.loads((VENDOR / "package.json").read_text())["dependencies"]["pdfjs-dist"]


def test_pdfjs_is_pinned_to_one_exact_version_with_its_integrity_in_the_lock():
    pinned = _pinned_version()
    locked = json.loads((VENDOR / "package-lock.json").read_text())["packages"]["node_modules/pdfjs-dist"]

    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), f"not one exact version: {pinned!r}"
    assert locked["version"] == pinned
    assert locked["integrity"].startswith("sha512-")


@pytest.mark.parametrize("name", ["pdf.min.mjs", "pdf.worker.min.mjs"])
def test_the_served_pdfjs_files_say_they_are_the_pinned_version(name):
    header = (STATIC / name).read_text(encoding="utf-8")[:2000]

    assert f"pdfjsVersion = {_pinned_version()}" in header


def test_only_the_files_the_viewer_needs_are_served():
    assert sorted(path.name for path in STATIC.iterdir()) == sorted(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_served_pdfjs_file_is_byte_for_byte_the_one_in_the_pinned_package(name):
    """npm ci (make vendor, make test) installs the package only when its hash matches the lock's integrity."""
    package = VENDOR / "node_modules" / "pdfjs-dist"
    if not (package / "package.json").exists():
        service_missing(f"the pinned pdfjs-dist is not installed at {package} (npm ci --prefix vendor --omit=optional)")

    assert json.loads((package / "package.json").read_text())["version"] == _pinned_version()
    assert (STATIC / name).read_bytes() == (package / FILES[name]).read_bytes(), f"run `make vendor` to refresh {name}"
