"""The translation catalogues as the tests need them: compiled when stale, and extracted afresh from the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "lti_tool" / "translations"


def compile_catalogues() -> None:
    """Compile each .po whose .mo is missing or older, as `make translations` does, so a bare pytest run works too."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source, locale=po.parts[-3]))


def read_catalogue(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def extract_messages(directory: Path) -> Catalog:
    """Every translatable string in the code now, extracted with the Makefile's keywords into a fresh template."""
    keywords = re.search(r"^EXTRACT_KEYWORDS := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert keywords, "the Makefile names the extraction keywords in EXTRACT_KEYWORDS"
    template = directory / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", *keywords[1].split(),
         "--no-location", "-o", str(template), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with template.open("rb") as source:
        return read_po(source)


def add_translations(app: Any, directory: Path, language: str, messages: dict[str, str]) -> None:
    """Give `app` translations of strings its catalogues may not have yet, as a compiled catalogue it reads after
    its own: pages then show them through gettext exactly as they would show the real catalogue's."""
    catalog = Catalog(locale=language)
    for message, translation in messages.items():
        catalog.add(message, translation)
    target = directory / language / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.mo").open("wb") as compiled:
        write_mo(compiled, catalog)
    babel = app.extensions["babel"]
    babel.translation_directories.append(str(directory))
    babel.instance.domain_instance.cache.clear()  # catalogues already read for a language are read again
