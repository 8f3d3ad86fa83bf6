"""Spreadsheets in and out. Out: CSV written in pieces, with a BOM so that Excel reads Chinese, and never a
formula. In: the rows of an uploaded .xlsx or .csv, read as a stream that stops at the caller's row limit, from
a file whose unpacked size is bounded before any parser sees it (a small xlsx can unpack to gigabytes)."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO
from xml.parsers import expat

from flask_babel import gettext as _

from . import DomainError

MB = 1024 * 1024
# A 5,000-row import of long Chinese cells unpacks to about 12 MB; parsing 24 MB stays well under 100 MB.
MAX_XLSX_UNPACKED_BYTES = 24 * MB
# The zip's table of members: a real xlsx has a few dozen; 200,000 empty ones fit in an upload and take zipfile
# seconds and 120 MB to list.
MAX_ZIP_DIRECTORY_BYTES = 64 * 1024
MAX_CSV_BYTES = 4 * MB
# Elements in one XML part of an xlsx. A sheet or its shared strings are read as a stream: 5,000 rows of 30
# cells with their values is 300,000. Other parts (styles, drawings) become objects of 1 KB an element.
MAX_PART_ELEMENTS = 400_000
MAX_OTHER_PART_ELEMENTS = 20_000
MAX_CELL_CHARS = 2000  # the longest free text a form takes
MAX_COLUMNS = 30  # more than any import has; cells further right are not read
MAX_BLANK_ROWS = 1000  # empty or formatted-only rows tolerated beyond the row limit


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


def read_table(filename: str, data: bytes, max_rows: int) -> list[list[str]]:
    """The non-blank rows of an uploaded .xlsx or .csv file as text cells: the header and at most `max_rows`
    rows after it; DomainError with a clear message for anything more, larger or unreadable."""
    lower = filename.lower()
    if lower.endswith(".csv"):
        return _bounded(_csv_rows(data), max_rows)
    if lower.endswith(".xlsx"):
        return _read_xlsx(data, max_rows)
    raise DomainError(_("只能导入 .xlsx 或 .csv 文件。"))


def _bounded(rows: Iterator[list], max_rows: int) -> list[list[str]]:
    """Take rows until the limit, as stripped text; refuse a long cell, a row past the limit and a flood of
    blank rows (an xlsx can name row 1,048,576 and make the reader pad every row before it)."""
    table: list[list[str]] = []
    for number, row in enumerate(rows, start=1):
        if number > _scanned_rows(max_rows):
            raise _too_many_rows(max_rows)
        texts = ["" if v is None else str(v).strip() for v in row[:MAX_COLUMNS]]
        if any(len(text) > MAX_CELL_CHARS for text in texts):
            raise _long_cell()
        if not any(texts):
            continue
        if len(table) > max_rows:
            raise DomainError(_("一次最多导入 %(n)d 行。", n=max_rows))
        table.append(texts)
    return table


@dataclass
class ImportTable:
    """An import file's rows as the imports read them: the first row names the columns, each by any of the
    names it may carry (in any case), and the data rows follow, numbered as the reader counts them (header 1)."""

    names: dict[str, tuple[str, ...]]
    header: list[str]
    rows: list[tuple[int, list[str]]]
    columns: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        header = [c.strip().lower() for c in self.header]
        self.columns = {}
        for key, accepted in self.names.items():
            wanted = {n.lower() for n in accepted}
            index = next((i for i, h in enumerate(header) if h in wanted), None)
            if index is not None:
                self.columns[key] = index

    @classmethod
    def read(cls, rows: list[list[str]], names: dict[str, tuple[str, ...]]) -> ImportTable:
        rows = [r for r in rows if any(c.strip() for c in r)]
        return cls(names, rows[0] if rows else [], list(enumerate(rows[1:], start=2)))

    @property
    def empty(self) -> bool:
        """Not even a header."""
        return not self.header

    def missing(self, *required: str) -> str | None:
        """The header's problem when it lacks a required column, naming each by its first name."""
        absent = [self.names[key][0] for key in required if key not in self.columns]
        return _("第 1 行缺少列：%(cols)s。", cols="、".join(absent)) if absent else None

    def cell(self, row: list[str], key: str) -> str:
        index = self.columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    def listed(self, row: list[str], key: str) -> list[str]:
        """The names one cell lists, separated by 、 or a comma."""
        text = self.cell(row, key).replace("，", "、").replace(",", "、")
        return [name for name in (t.strip() for t in text.split("、")) if name]


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    if len(data) > MAX_CSV_BYTES:
        raise DomainError(_("CSV 文件超过 %(n)d MB，无法导入。", n=MAX_CSV_BYTES // MB))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError(_("无法识别文件编码，请另存为 UTF-8 编码的 CSV。"))
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error as exc:  # an unclosed quote running into the field limit, a NUL byte
        raise DomainError(_("无法读取这个 CSV 文件，请用 Excel 另存为 CSV 后再试。")) from exc


def _read_xlsx(data: bytes, max_rows: int) -> list[list[str]]:
    _check_archive(data, max_rows)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or disguised file
        raise _unreadable_xlsx() from exc
    try:
        sheet = workbook.worksheets[0]
        # One row past the blank allowance is enough to know there are too many.
        rows = sheet.iter_rows(max_row=_scanned_rows(max_rows) + 1, max_col=MAX_COLUMNS, values_only=True)
        return _bounded(rows, max_rows)
    except DomainError:
        raise
    except Exception as exc:
        raise _unreadable_xlsx() from exc
    finally:
        workbook.close()


def _check_archive(data: bytes, max_rows: int) -> None:
    """Refuse an xlsx (a zip of XML parts) that would cost the parser more than an import is worth, before
    openpyxl sees it: by the sizes its members declare, then by reading every member through. zipfile stops
    at the declared size and checks the CRC, so a member cannot unpack to more than it declared; each XML part
    goes through expat, which builds nothing, counting what openpyxl would keep in memory (it holds every
    shared string, every style and, while it looks for the sheet's dimensions, every row)."""
    _check_directory_size(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(info.file_size for info in members) > MAX_XLSX_UNPACKED_BYTES:
                raise DomainError(_("Excel 文件解压后超过 %(n)d MB，无法导入。请只保留要导入的工作表后再试。",
                                    n=MAX_XLSX_UNPACKED_BYTES // MB))
            for info in members:
                with archive.open(info) as member:
                    _scan_part(member, info.filename, max_rows)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError,
            expat.ExpatError) as exc:
        raise _unreadable_xlsx() from exc


def _scan_part(member: IO[bytes], name: str, max_rows: int) -> None:
    head = member.read(MB)
    # Images and other binary parts are no XML parser's business; XML begins with "<", in UTF-8 or UTF-16.
    if not head.lstrip(b"\xef\xbb\xbf\xfe\xff\x00 \t\r\n").startswith(b"<"):
        while member.read(MB):
            pass
        return
    counts = {"elements": 0, "rows": 0, "text": 0, "limit": MAX_OTHER_PART_ELEMENTS, "cells": False}

    def start(tag: str, attributes) -> None:
        local = tag.rsplit(" ", 1)[-1]
        if not counts["elements"] and local in ("worksheet", "sst"):  # a sheet or its shared strings
            counts["limit"], counts["cells"] = MAX_PART_ELEMENTS, True
        counts["elements"] += 1
        counts["text"] = 0
        if counts["elements"] > counts["limit"]:
            raise DomainError(_("Excel 文件的“%(part)s”部分超过 %(n)d 个元素，无法导入。请把要导入的内容复制到新建的"
                                "工作簿后再试。", part=name, n=counts["limit"]))
        if local == "row":
            counts["rows"] += 1
            if counts["rows"] > _scanned_rows(max_rows):
                raise _too_many_rows(max_rows)

    def text(piece: str) -> None:
        counts["text"] += len(piece)
        if counts["text"] > MAX_CELL_CHARS and counts["cells"]:
            raise _long_cell()

    def end(tag: str) -> None:
        counts["text"] = 0

    def doctype(*args) -> None:  # no part of an xlsx declares one; entities could multiply the text
        raise _unreadable_xlsx()

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler, parser.StartDoctypeDeclHandler = text, doctype
    while head:
        parser.Parse(head, False)
        head = member.read(MB)
    parser.Parse(b"", True)


def _scanned_rows(max_rows: int) -> int:
    """The rows read at most, blank ones included: the header, the limit and the blank allowance."""
    return max_rows + 1 + MAX_BLANK_ROWS


def _too_many_rows(max_rows: int) -> DomainError:
    return DomainError(_("一次最多导入 %(limit)d 行，这个文件超过 %(n)d 行（空行也计在内）。",
                         limit=max_rows, n=_scanned_rows(max_rows)))


def _long_cell() -> DomainError:
    return DomainError(_("文件中有超过 %(n)d 个字符的单元格，无法导入。", n=MAX_CELL_CHARS))


def _check_directory_size(data: bytes) -> None:
    """Refuse a zip whose member table is larger than any xlsx needs, before zipfile reads it: the end record
    is where zipfile looks for it (the last 22 bytes, else the last match in the 64 KB comment allowance)."""
    end = len(data) - 22 if data[-22:-18] == b"PK\x05\x06" else data.rfind(b"PK\x05\x06", -65557)
    if end < 0 or data[end - 20:end - 16] == b"PK\x06\x07":  # no end record, or a zip64 one (4 GB and more)
        raise _unreadable_xlsx()
    if int.from_bytes(data[end + 12:end + 16], "little") > MAX_ZIP_DIRECTORY_BYTES:
        raise _unreadable_xlsx()


def _unreadable_xlsx() -> DomainError:
    return DomainError(_("无法读取这个 Excel 文件，请确认它是 .xlsx 格式。"))
