"""Staff's CSV files read into rows: a file the csv module cannot read is refused with what to do, never a crash."""

from __future__ import annotations

import csv
import io

from assessment.errors import InvalidInput
from assessment.messages import N_


def csv_rows(text: str, field: str = "file") -> list[list[str]]:
    """Every line of the CSV text as its cells (a leading byte order mark dropped); InvalidInput on `field` when the
    csv module refuses the file (a cell longer than it reads: 131,072 characters)."""
    try:
        return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error:
        raise InvalidInput({field: N_(
            "The file could not be read as CSV: a cell is longer than %(max)s characters. Check that it is the "
            "right file, saved as CSV, and upload it again.", max=csv.field_size_limit())}) from None
