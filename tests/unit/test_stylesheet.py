"""The tool's stylesheet: table headers keep their words whole at every width (no "Revie ws" in a narrow frame)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STYLESHEETS = sorted((Path(__file__).parents[2] / "lti_tool" / "static").glob("*.css"))
# Declarations that let a browser cut a word anywhere, or shrink a table column below its longest word.
MID_WORD_BREAKS = re.compile(r"overflow-wrap\s*:\s*anywhere|word-break\s*:\s*break-(all|word)|hyphens\s*:\s*auto")


def rules(css: str) -> list[tuple[str, str]]:
    """(selector, declarations) of every rule, those inside @media blocks included."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    found: list[tuple[str, str]] = []
    position = 0
    while (opening := css.find("{", position)) != -1:
        selector = css[position:opening].strip()
        depth, end = 1, opening + 1
        while depth:
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            end += 1
        body = css[opening + 1:end - 1]
        if selector.startswith("@"):
            found.extend(rules(body))
        else:
            found.append((selector, body))
        position = end
    return found


def selects_table_cells(selector: str, cell: str) -> bool:
    return any(re.search(rf"(^|[\s>+~]){cell}($|[\s.:\[#>+~])", part.strip()) for part in selector.split(","))


def test_the_rule_reader_finds_rules_inside_media_blocks():
    found = rules("a { color: red } @media (max-width: 1px) { th, td { overflow-wrap: anywhere; } }")

    assert found == [("a", " color: red "), ("th, td", " overflow-wrap: anywhere; ")]
    assert selects_table_cells("th, td", "th") and selects_table_cells(".x table.y thead th", "th")
    assert not selects_table_cells("thead", "th") and not selects_table_cells(".width", "th")


@pytest.mark.parametrize("stylesheet", STYLESHEETS, ids=lambda path: path.name)
@pytest.mark.parametrize("cell", ["th", "td"])
def test_no_rule_lets_a_table_cell_break_a_word_in_the_middle(stylesheet, cell):
    offending = [selector for selector, body in rules(stylesheet.read_text()) if selects_table_cells(selector, cell)
                 and MID_WORD_BREAKS.search(body)]

    assert offending == []


def test_table_headers_keep_words_whole_and_hyphenate_only_where_the_text_says():
    headers = " ".join(body for selector, body in rules((STYLESHEETS[0].parent / "peerlti.css").read_text())
                       if selector.strip() == "th")

    assert re.search(r"overflow-wrap\s*:\s*normal", headers) and re.search(r"word-break\s*:\s*normal", headers)
    assert re.search(r"hyphens\s*:\s*manual", headers)
