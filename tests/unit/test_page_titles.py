"""Every template's title block is plain text: markup there would be shown as text in the tab, never run or drawn."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "lti_tool" / "templates"
TITLE_BLOCK = re.compile(r"{%-?\s*block title\s*-?%}(.*?){%-?\s*endblock", re.S)


def _titles() -> list[tuple[str, str]]:
    return [(str(path.relative_to(TEMPLATES)), title) for path in sorted(TEMPLATES.rglob("*.html"))
            for title in TITLE_BLOCK.findall(path.read_text(encoding="utf-8"))]


def test_the_templates_have_titles_to_check():
    assert len(_titles()) >= 20


@pytest.mark.parametrize(("template", "title"), _titles(), ids=[name for name, _ in _titles()])
def test_a_title_block_holds_no_markup(template, title):
    assert "<" not in title and "\n" not in title.strip(), f"{template}: {title!r}"
