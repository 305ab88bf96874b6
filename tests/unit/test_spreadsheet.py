"""CSV for spreadsheets: quoting, a byte order mark, and text that cannot run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from lti_tool.spreadsheet import csv_lines, file_name, number_cell, safe_cell, time_cell


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\tcmd", "\rcmd",
                                  '=HYPERLINK("http://evil.example","x")'])
def test_text_a_spreadsheet_would_evaluate_is_quoted(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Ada Lovelace", "", "1+1", "a=b", -3.5, 0, None])
def test_other_cells_are_left_as_they_are(value):
    assert safe_cell(value) == value


def test_each_row_is_one_csv_line_and_the_file_starts_with_a_byte_order_mark():
    lines = list(csv_lines(["Name", "Note"], [["Ada, Countess", 'said "hi"\nthen left'], ["=cmd", -1.5]]))
    text = "".join(lines)

    assert len(lines) == 3 and text.startswith("\ufeffName,Note\r\n")
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [
        ["Name", "Note"], ["Ada, Countess", 'said "hi"\nthen left'], ["'=cmd", "-1.5"]]


def test_file_names_are_plain_ascii():
    assert file_name("grades", "Essay 1: “Peer” review!") == "grades-essay-1-peer-review.csv"
    assert file_name("reviews", "日本語") == "reviews-assignment.csv"
    assert file_name("reviews", "!!!") == "reviews-assignment.csv"


def test_a_time_is_written_in_the_assignments_zone_with_its_offset_and_none_is_empty():
    moment = datetime(2026, 3, 20, 16, 0, 30, 999, tzinfo=UTC)
    assert time_cell(moment, "Europe/Paris") == "2026-03-20T17:00:30+01:00"
    assert time_cell(moment, "UTC") == "2026-03-20T16:00:30+00:00"
    assert time_cell(None, "Europe/Paris") == ""


@pytest.mark.parametrize("value, cell", [(None, ""), (0, 0.0), (2.345, 2.35), (2.344, 2.34), (7, 7.0), (-1.005, -1.0)])
def test_a_number_is_rounded_to_two_decimals_and_none_is_empty(value, cell):
    assert number_cell(value) == cell
