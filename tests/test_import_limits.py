"""Spreadsheet imports refuse what would exhaust the server: files built for real, by hand, as the XML of an
xlsx streamed into a deflated zip (a million rows in 2.6 MB, a 500 MB string in 0.5 MB), posted to the import
pages. Each is refused with a message naming the limit, within a bounded amount of memory, importing nothing."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Iterable

import pytest
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import Inspection, OrgNode
from inspect_app.services import DomainError, spreadsheets

MB = 1024 * 1024
MEMORY_BUDGET = 64 * MB  # before the limits: 416 MB for the million rows, past 1 GB for the long string

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{PACKAGE}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
    "_rels/.rels": (
        f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
        f'Type="{RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIP}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIP}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELATIONSHIP}/sharedStrings" Target="sharedStrings.xml"/>'
        '</Relationships>'),
}


def xlsx(rows: Iterable[str], shared: Iterable[str] = ()) -> bytes:
    """An xlsx whose sheet holds the `rows` (XML of <row> elements) and whose shared-string table holds
    `shared` (XML pieces inside <sst>), each written to its zip member piece by piece."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        for name, head, pieces, tail in (
                ("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"><sheetData>', rows,
                 "</sheetData></worksheet>"),
                ("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">', shared, "</sst>")):
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(head.encode())
                for piece in pieces:
                    member.write(piece.encode())
                member.write(tail.encode())
    return buffer.getvalue()


def text_row(*cells: str) -> str:
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells) + "</row>"


UNIT_HEADER = text_row("单位名称", "单位代码", "上级代码", "单位类型", "是否重点单位")
GOOD_UNIT = text_row("西山县审计局", "XS-SJJ", "BC-XS", "党政机关", "否")


def numbered_rows(n: int) -> Iterable[str]:
    yield UNIT_HEADER
    for i in range(n):
        yield f"<row><c><v>{i}</v></c></row>"


def long_string(megabytes: int) -> Iterable[str]:
    yield "<si><t>"
    for _ in range(megabytes):
        yield "密" * (MB // 3)
    yield "</t></si>"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def post(browser, path: str, name: str, content: bytes) -> tuple[str, int]:
    """The page's text after the upload, and the peak memory the request allocated."""
    tracemalloc.start()
    try:
        response = browser.upload(path, name, content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    return response.get_data(as_text=True), peak


def refused_units(browser_for, name: str, content: bytes) -> str:
    before = count(OrgNode)
    html, peak = post(browser_for("admin"), "/admin/org/import", name, content)
    assert peak < MEMORY_BUDGET, f"{peak / MB:.0f} MB"
    assert count(OrgNode) == before
    return html


@pytest.mark.db_independent
def test_a_million_rows_are_refused_before_parsing(demo, browser_for):
    data = xlsx(numbered_rows(1_000_000))
    assert len(data) < 3 * MB
    assert "Excel 文件解压后超过 24 MB，无法导入" in refused_units(browser_for, "units.xlsx", data)


@pytest.mark.db_independent
def test_a_500_mb_shared_string_is_refused_on_the_plan_import(demo, browser_for):
    data = xlsx(['<row><c t="s"><v>0</v></c></row>'], long_string(500))
    assert len(data) < MB
    html, peak = post(browser_for("inspector"), "/inspections/import", "plan.xlsx", data)
    assert "Excel 文件解压后超过 24 MB，无法导入" in html
    assert peak < MEMORY_BUDGET, f"{peak / MB:.0f} MB"
    assert count(Inspection) == 0


@pytest.mark.db_independent
def test_rows_past_the_limit_stop_the_reading(demo, browser_for):
    html = refused_units(browser_for, "units.xlsx", xlsx(numbered_rows(200_000)))
    assert "一次最多导入 5000 行，这个文件超过 6001 行（空行也计在内）" in html
    # Fewer rows than the blank allowance counts, yet more than the limit: the reader stops at the limit.
    html = refused_units(browser_for, "units.xlsx", xlsx(numbered_rows(5001)))
    assert "一次最多导入 5000 行。" in html


@pytest.mark.db_independent
def test_a_row_numbered_a_million_does_not_make_the_reader_pad_up_to_it(demo, browser_for):
    data = xlsx([GOOD_UNIT, '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'])
    assert "这个文件超过 6001 行（空行也计在内）" in refused_units(browser_for, "units.xlsx", data)


@pytest.mark.db_independent
def test_long_cells_and_bloated_parts_are_refused(demo, browser_for):
    # 20 MB of text in one string fits the unpacked limit but not a cell.
    data = xlsx([UNIT_HEADER, '<row><c t="s"><v>0</v></c></row>'], long_string(20))
    assert "文件中有超过 2000 个字符的单元格" in refused_units(browser_for, "units.xlsx", data)
    wide = xlsx([UNIT_HEADER, "<row>" + "<c/>" * 500_000 + "</row>"])
    html = refused_units(browser_for, "units.xlsx", wide)
    assert "“xl/worksheets/sheet1.xml”部分超过 400000 个元素" in html


@pytest.mark.db_independent
def test_a_member_that_understates_its_size_is_refused(demo, browser_for):
    data = bytearray(xlsx([UNIT_HEADER], long_string(2)))
    # Declare 1 KB for the 2 MB of shared strings in the zip's directory, where zipfile reads sizes from.
    name = b"xl/sharedStrings.xml"
    entry = data.find(b"PK\x01\x02")
    while data[entry + 46:entry + 46 + len(name)] != name:
        entry = data.find(b"PK\x01\x02", entry + 4)
    data[entry + 24:entry + 28] = (1024).to_bytes(4, "little")
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        assert archive.getinfo(name.decode()).file_size == 1024
    assert "无法读取这个 Excel 文件" in refused_units(browser_for, "units.xlsx", bytes(data))


@pytest.mark.db_independent
def test_a_zip_of_countless_members_is_refused_before_it_is_listed(demo, browser_for):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i in range(150_000):
            archive.writestr(f"x/{i}", b"")
    assert "无法读取这个 Excel 文件" in refused_units(browser_for, "units.xlsx", buffer.getvalue())


@pytest.mark.db_independent
def test_an_xml_part_declaring_entities_is_refused(demo, browser_for):
    laughs = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              f'<worksheet xmlns="{MAIN}"><sheetData>{UNIT_HEADER}<row><c t="inlineStr"><is><t>&b;</t></is></c></row>'
              '</sheetData></worksheet>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", laughs)
    assert "无法读取这个 Excel 文件" in refused_units(browser_for, "units.xlsx", buffer.getvalue())


def test_the_hand_written_file_imports_when_it_is_within_the_limits(demo, browser_for):
    before = count(OrgNode)
    response = browser_for("admin").upload("/admin/org/import", "units.xlsx", xlsx([UNIT_HEADER, GOOD_UNIT]))
    assert response.status_code == 302
    assert count(OrgNode) == before + 1


HEADER_CSV = "单位名称,单位代码,上级代码,单位类型,是否重点单位\n"


@pytest.mark.db_independent
@pytest.mark.parametrize(("content", "message"), [
    (HEADER_CSV + "x,y,BC-XS,其他,否\n" * 5001, "一次最多导入 5000 行。"),
    (HEADER_CSV + "甲" * 2001 + ",XS-1,BC-XS,其他,否\n", "文件中有超过 2000 个字符的单元格"),
    (HEADER_CSV + '"' + "x" * 200_000, "无法读取这个 CSV 文件"),
    ("," * (5 * MB), "CSV 文件超过 4 MB"),
])
def test_csv_limits(demo, browser_for, content, message):
    assert message in refused_units(browser_for, "units.csv", content.encode())


@pytest.mark.db_independent
def test_the_reader_counts_rows_with_content_against_the_limit(app):
    assert spreadsheets.read_table("plan.csv", b"a\n" + b" 1 \n,\n" * 3, max_rows=3) == [["a"], ["1"], ["1"], ["1"]]
    with pytest.raises(DomainError, match="一次最多导入 2 行"):
        spreadsheets.read_table("plan.csv", b"a\n" + b"1\n" * 3, max_rows=2)
