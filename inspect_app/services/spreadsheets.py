"""CSV for spreadsheets: written in pieces, with a BOM so that Excel reads Chinese, and never a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date


def cell(value) -> str | int | float:
    """A value as a cell. Text that a spreadsheet would run as a formula (=, +, -, @ …) is quoted."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_lines(header: list[str], rows: Iterable[list], every: int = 200) -> Iterator[str]:
    """The CSV text in pieces of `every` rows, the header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    buffer.write("\ufeff")
    writer.writerow(header)
    yield flush()
    for n, row in enumerate(rows, start=1):
        writer.writerow([cell(v) for v in row])
        if n % every == 0:
            yield flush()
    yield flush()
