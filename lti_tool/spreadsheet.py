"""CSV files staff open in a spreadsheet: written a line at a time, with text that cannot run as a formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and carriage return, may drop
# them and read what follows as one); a student's name or comment must stay text (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel takes a UTF-8 file for its legacy code page unless it starts with a byte order mark.
BYTE_ORDER_MARK = "\ufeff"


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would evaluate, quoted with a leading apostrophe; numbers and the rest unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The header and each row as one CSV line (RFC 4180 quoting), the first preceded by a byte order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Iterable[object]) -> str:
        writer.writerow([safe_cell(cell) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BYTE_ORDER_MARK + line(header)
    for row in rows:
        yield line(row)


def file_name(kind: str, title: str) -> str:
    """An ASCII file name such as `grades-essay-1.csv`, safe in a Content-Disposition header."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:60] or "assignment"
    return f"{kind}-{slug}.csv"


def csv_response(lines: Iterator[str], name: str) -> Response:
    """The lines as a CSV download named `name`, never cached."""
    # Streamed: the request context (and its database session) stays open until the last line is sent.
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def time_cell(moment: datetime | None, timezone: str) -> str:
    """ISO 8601 in the assignment's time zone, with its offset: spreadsheets sort it and people read it."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def number_cell(value: float | None) -> str | float:
    """A number rounded to two decimals; empty when there is none."""
    return "" if value is None else round(float(value), 2)
