"""Spreadsheets in and out.

Out: what a leader takes away from a page, as .xlsx (a bold, shaded header row kept in view, set column widths,
numbers as numbers and dates as dates) or as CSV written in pieces with a BOM so that Excel reads Chinese; never a
formula, whatever a user typed. In: the rows of an uploaded .xlsx or .csv, read as a stream that stops at the
caller's row limit, from a file whose unpacked size is bounded before any parser sees it (a small xlsx can unpack
to gigabytes)."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO
from xml.parsers import expat

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..clock import timezone
from ..database import transaction
from ..models import User
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


# Out ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of an export: its heading, its width in characters, and what its cells hold: text, a whole
    number, a decimal (one place shown), a date, or a date and time (local)."""

    title: str
    width: int = 14
    kind: str = "text"  # text | number | decimal | date | datetime


NUMBER_FORMATS = {"number": "0", "decimal": "0.0", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[list]


@dataclass
class Export:
    """A table a reader takes away: one or more sheets of the same columns (the CSV stacks them under one header),
    what it is (the file's name and the title on its last sheet) and the filters it was read under."""

    name: str
    title: str
    sheets: list[Sheet]
    filters: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def table(cls, name: str, title: str, columns: Sequence[Column], rows: Iterable[list],
              filters: list[tuple[str, str]] | None = None) -> Export:
        return cls(name, title, [Sheet(title, columns, rows)], filters or [])

    @property
    def columns(self) -> Sequence[Column]:
        return self.sheets[0].columns


def cell(value) -> str | int | float:
    """A value as a CSV cell. Text that a spreadsheet would run as a formula (=, +, -, @ …) is quoted."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
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


def to_csv(export: Export) -> Iterator[str]:
    """CSV in pieces, UTF-8 with a BOM so that Excel reads the Chinese headers; the sheets one after another."""
    if any(sheet.columns != export.columns for sheet in export.sheets):
        raise ValueError("a CSV holds one table: every sheet must have the same columns")
    rows = (row for sheet in export.sheets for row in sheet.rows)
    return csv_lines([c.title for c in export.columns], rows)


def to_xlsx(export: Export, exported_by: str) -> bytes:
    """The workbook: one worksheet per sheet, and a last one saying what was exported, when, by whom and under
    which filters (筛选条件)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    count = sum(_write_sheet(book, sheet) for sheet in export.sheets)
    about = book.create_sheet("筛选条件")
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 40
    about.append(["导出内容", export.title])
    about.append(["导出时间", datetime.now(timezone()).strftime("%Y-%m-%d %H:%M")])
    about.append(["导出人", exported_by])
    about.append(["记录数", count])
    for name, value in export.filters or [("筛选条件", "无（全部）")]:
        about.append([name, ILLEGAL_CHARACTERS_RE.sub("", str(value))])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_sheet(book, sheet: Sheet) -> int:
    """One worksheet: the header row bold on grey and frozen, the widths set, each cell typed by its column."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(_sheet_title(sheet.title))
    for index, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE3EA")
    rule, middle = Border(bottom=Side(style="thin", color="8A96A3")), Alignment(vertical="center", wrap_text=True)
    header = []
    for column in sheet.columns:
        heading = WriteOnlyCell(ws, value=column.title)
        heading.font, heading.fill, heading.border, heading.alignment = bold, fill, rule, middle
        header.append(heading)
    ws.append(header)
    count = 0
    for row in sheet.rows:
        cells = []
        for column, value in zip(sheet.columns, row, strict=True):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters, which no worksheet holds
            typed = WriteOnlyCell(ws, value=value)
            if value is not None and column.kind in NUMBER_FORMATS:
                typed.number_format = NUMBER_FORMATS[column.kind]
            if isinstance(value, str) and value.startswith("="):
                typed.data_type = "s"  # text typed by a user is never a formula
            cells.append(typed)
        ws.append(cells)
        count += 1
    return count


def _sheet_title(title: str) -> str:
    """A worksheet's name: at most 31 characters, none of those Excel refuses in one."""
    return "".join("_" if c in "[]:*?/\\" else c for c in title)[:31] or "Sheet"


def record_export(session: Session, actor: User, action: str, export: Export, fmt: str) -> None:
    """The export in the audit trail: who took which table away, in which format, under which filters."""
    from . import audit

    with transaction(session):
        audit.record(session, actor, action, details={"format": fmt, "title": export.title,
                                                      "filters": dict(export.filters)})


# In -----------------------------------------------------------------------------------------------------


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
