"""Plain text (comments, reasons, explanations) is kept as typed; only rich text goes through the HTML sanitiser."""

from __future__ import annotations

import pytest

from assessment.services import plain_text, sanitise_html


@pytest.mark.parametrize("typed", ["a < b & c", "x<y", 'She said "fine" & left', "5 > 3 <b>not bold</b>", "&lt; stays"])
def test_plain_text_is_kept_exactly_as_typed(typed):
    assert plain_text(typed, 1000) == typed


def test_plain_text_loses_control_characters_but_keeps_newlines_and_tabs():
    assert plain_text("one\r\ntwo\tthree\x00\x07\x1b[31m\x7f", 1000) == "one\ntwo\tthree[31m"


def test_plain_text_is_trimmed_and_capped():
    assert plain_text("  padded  ", 1000) == "padded"
    assert plain_text("x" * 50, 10) == "x" * 10
    assert plain_text(None, 10) == ""


def test_rich_text_is_still_sanitised():
    assert sanitise_html("<p>ok</p><script>alert(1)</script>") == "<p>ok</p>"
