"""The leader's tables as spreadsheets: the dashboard's figures and rankings, the units list, the inspections list
and one inspection's answer sheet, each as .xlsx and as CSV, read back cell by cell: the filters on screen and the
reader's scope honoured, numbers as numbers, dates as dates, the header row formatted and frozen, the widths set,
no formula whatever a user typed. The data is the dashboard's fixed city (test_dashboard.city)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import AuditRecord, Role

from .factories import answer, answer_all, make_inspection, submit
from .helpers import make_user, node
from .test_dashboard import CITY_FIGURES, city  # noqa: F401  (the fixed data set)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX
    assert "attachment;" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data))


def records(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def csv_records(response) -> list[dict]:
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def about(book) -> dict:
    return dict(book["筛选条件"].iter_rows(values_only=True))


def assert_formatted(sheet, widths: dict[str, int]) -> None:
    """The header row bold on its fill and frozen; the columns as wide as asked."""
    assert sheet.freeze_panes == "A2"
    header = next(sheet.iter_rows(max_row=1))
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith("DDE3EA") for c in header)
    for letter, width in widths.items():
        assert sheet.column_dimensions[letter].width == width, letter


# The dashboard -------------------------------------------------------------------------------------


def test_the_dashboard_as_a_workbook(city, browser_for):  # noqa: F811
    period = "period=custom&from={from}&to={to}".format(**city.period)
    book = workbook(browser_for("leader").get(f"/dashboard?{period}&format=xlsx"))
    assert book.sheetnames == ["主要数字", "排名", "筛选条件"]
    figures = records(book["主要数字"])
    counts = {r["名称"]: r["数值"] for r in figures if r["部分"] == "主要数字"}
    # Every figure, as the dashboard counts it, as a number.
    from inspect_app.services.dashboard import MEASURES

    assert {key: counts[str(MEASURES[key].label)] for key in CITY_FIGURES} == CITY_FIGURES
    assert counts["检查覆盖率"] == 16.7 and counts["整改完成率"] == 33.3 and counts["按期完成率"] == 100.0
    assert counts["整改用时中位数"] == 4
    areas = {r["名称"]: r["数值"] for r in figures if r["部分"] == "问题分布"}
    assert areas["网络与信息设备保密管理"] == 3 and areas["定密管理"] == 1 and areas["涉密会议、活动"] == 0
    ranked = records(book["排名"])
    lowest = [(r["名次"], r["名称"], r["数值"], r["计数"]) for r in ranked if r["部分"] == "得分最低的单位"]
    assert lowest == [(1, "东湖区人民政府办公室", 75.0, 1), (2, "西山县人民医院", 92.0, 1)]
    overdue = [(r["名称"], r["数值"]) for r in ranked if r["部分"] == "逾期未改最多的单位"]
    assert sorted(overdue) == [("东湖区人民政府办公室", 1), ("东湖区人民法院", 1)]
    items = [r for r in ranked if r["部分"] == "问题最多的检查项"]
    assert items[0]["名称"].startswith("F3 ") and items[0]["数值"] == 2 and items[0]["计数"] == 2
    gap = next(r for r in ranked if r["部分"].startswith("自查与检查得分差距"))
    assert gap["名称"] == "东湖区人民政府办公室" and gap["数值"] == 25.0
    assert_formatted(book["主要数字"], {"A": 24, "C": 36, "G": 60})
    assert book["主要数字"].cell(row=2, column=4).number_format == "0.0"
    assert about(book)["时间段"] == "{from} 至 {to}".format(**city.period)


def test_the_dashboard_as_csv_holds_both_sheets(city, browser_for):  # noqa: F811
    leader = browser_for("leader")
    period = "period=custom&from={from}&to={to}".format(**city.period)
    rows = csv_records(leader.get(f"/dashboard?{period}&format=csv"))
    book = workbook(leader.get(f"/dashboard?{period}&format=xlsx"))
    assert len(rows) == len(records(book["主要数字"])) + len(records(book["排名"]))
    assert {"主要数字", "问题分布", "得分最低的单位"} <= {r["部分"] for r in rows}
    assert next(r for r in rows if r["名称"] == "检查覆盖率")["数值"] == "16.7"


def test_the_dashboard_export_keeps_to_the_readers_scope_and_filters(city, browser_for):  # noqa: F811
    make_user("dh-leader", Role.LEADER, node("BC-DH"))
    period = "period=custom&from={from}&to={to}".format(**city.period)
    district = workbook(browser_for("dh-leader", "Tablet-Check-2026").get(f"/dashboard?{period}&format=xlsx"))
    counts = {r["名称"]: r["数值"] for r in records(district["主要数字"]) if r["部分"] == "主要数字"}
    assert counts["完成检查"] == 1 and counts["在册单位"] == 4
    assert "西山县人民医院" not in str(list(district["排名"].iter_rows(values_only=True)))
    typed = workbook(browser_for("leader").get(f"/dashboard?{period}&type=institution&format=xlsx"))
    counts = {r["名称"]: r["数值"] for r in records(typed["主要数字"]) if r["部分"] == "主要数字"}
    assert counts["完成检查"] == 1 and counts["发现问题"] == 2  # XS-YY alone
    assert about(typed)["单位类型"] == "事业单位"
    # An officer's dashboard is a page about one unit, not a table; another format is no export at all.
    assert browser_for("officer").get("/dashboard?format=xlsx").status_code == 404
    assert browser_for("leader").get("/dashboard?format=pdf").status_code == 404


# The units list -------------------------------------------------------------------------------------


def test_the_units_list_as_a_workbook(city, browser_for):  # noqa: F811
    leader = browser_for("leader")
    book = workbook(leader.get(f"/units?district={node('BC-DH').id}&sort=-overdue&page=2&format=xlsx"))
    sheet = book.worksheets[0]
    rows = records(sheet)
    assert [r["代码"] for r in rows][:2] in (["DH-ZFB", "DH-FY"], ["DH-FY", "DH-ZFB"])  # one overdue each
    assert {r["代码"] for r in rows} == {"DH-ZFB", "DH-JYJ", "DH-FY", "DH-DL"}  # every row, not page 2
    office = next(r for r in rows if r["代码"] == "DH-ZFB")
    assert office["得分"] == 75.0 and office["检查结论"] == "不符合要求" and office["逾期"] == 1
    assert office["最近检查日期"].date() == city.today - timedelta(days=10)
    assert office["未完成整改"] == 1 and office["所属区县"] == "东湖区" and office["重点单位"] == "是"
    untouched = next(r for r in rows if r["代码"] == "DH-DL")
    assert untouched["得分"] is None and untouched["最近检查日期"] is None and untouched["未完成整改"] == 0
    column = [c.value for c in next(sheet.iter_rows(max_row=1))].index("最近检查日期") + 1
    assert sheet.cell(row=2 + [r["代码"] for r in rows].index("DH-ZFB"), column=column).number_format == "yyyy-mm-dd"
    assert_formatted(sheet, {"A": 30, "B": 12})
    assert about(book)["区县"] == "东湖区国家保密局" and about(book)["记录数"] == 4


def test_the_units_list_export_follows_the_search_and_the_readers_scope(city, browser_for):  # noqa: F811
    rows = csv_records(browser_for("leader").get("/units?q=法院&format=csv"))
    assert [r["单位"] for r in rows] == ["东湖区人民法院"] and rows[0]["得分"] == "85.0"
    own = csv_records(browser_for("officer").get("/units?format=csv"))
    assert [r["代码"] for r in own] == ["DH-ZFB"]
    assert browser_for("auditor").get("/units?format=csv").status_code == 403


# The inspections list --------------------------------------------------------------------------------


def test_the_inspections_list_as_a_workbook(city, browser_for):  # noqa: F811
    leader = browser_for("leader")
    book = workbook(leader.get("/inspections/?kind=routine&status=issued&sort=score&format=xlsx"))
    rows = records(book.worksheets[0])
    assert [(r["被检查单位"], r["得分"]) for r in rows] == [("东湖区人民政府办公室", 75.0), ("西山县人民医院", 92.0)]
    office = rows[0]
    assert office["检查结论"] == "不符合要求" and office["发现问题"] == 2 and office["否决项不符合"] == "否"
    assert isinstance(office["计划日期"], datetime) and office["提交日期"].date() == city.today - timedelta(days=10)
    assert office["检查类型"] == "例行检查" and office["状态"] == "整改中" and office["所属区县"] == "东湖区"
    filters = about(book)
    assert filters["检查类型"] == "例行检查" and filters["状态"] == "整改中" and filters["记录数"] == 2
    everything = csv_records(leader.get("/inspections/?format=csv"))
    assert len(everything) == 6 and {r["状态"] for r in everything} >= {"已取消", "已办结", "已提交"}
    cancelled = next(r for r in everything if r["状态"] == "已取消")
    assert cancelled["得分"] == "" and cancelled["发现问题"] == ""


def test_the_inspections_export_keeps_to_the_readers_scope(city, browser_for):  # noqa: F811
    officer = csv_records(browser_for("officer").get("/inspections/?format=csv"))
    assert {r["被检查单位"] for r in officer} == {"东湖区人民政府办公室"} and len(officer) == 3
    district = csv_records(browser_for("inspector2").get("/inspections/?format=csv"))
    assert "西山县人民医院" not in {r["被检查单位"] for r in district} and len(district) == 5


# One inspection's answer sheet ---------------------------------------------------------------------------


def test_one_inspections_answer_sheet(city, browser_for):  # noqa: F811
    inspection = city.inspections["I1"]
    book = workbook(browser_for("inspector").get(f"/inspections/{inspection.id}?format=xlsx"))
    sheet = book.worksheets[0]
    rows = records(sheet)
    from inspect_app.services import inspections

    items = inspections.load_items(db.session, db.session.get(type(inspection), inspection.id))
    assert [r["检查项"] for r in rows] == [i.key for i in items]  # every item, in checklist order
    f3 = next(r for r in rows if r["检查项"] == "F3")
    assert f3["判定"] == "不符合" and f3["问题描述"].startswith("检查发现") and f3["问题等级"]
    assert "保守国家秘密法" in f3["依据"] and isinstance(f3["分值"], int)
    assert next(r for r in rows if r["检查项"] == "F7")["判定"] == "基本符合"
    numbers = [r for r in rows if r["数值"] is not None]
    assert numbers and all(isinstance(r["数值"], (int, float)) for r in numbers)
    assert all(isinstance(r["填写时间"], datetime) for r in rows)
    filled = [c.value for c in next(sheet.iter_rows(max_row=1))].index("填写时间") + 1
    assert sheet.cell(row=2, column=filled).number_format == "yyyy-mm-dd hh:mm"
    assert about(book)["得分"] == "75.0" and about(book)["被检查单位"] == "东湖区人民政府办公室"
    csv_rows = csv_records(browser_for("inspector").get(f"/inspections/{inspection.id}?format=csv"))
    assert [r["检查项"] for r in csv_rows] == [r["检查项"] for r in rows]


def test_the_answer_sheet_is_the_units_once_submitted_and_no_one_elses(demo, browser_for):
    ongoing = make_inspection("DH-ZFB")
    answer_all(ongoing)
    officer = browser_for("officer")
    assert officer.get(f"/inspections/{ongoing.id}?format=xlsx").status_code == 403  # not submitted yet
    submit(db.session.get(type(ongoing), ongoing.id))
    assert officer.get(f"/inspections/{ongoing.id}?format=xlsx").status_code == 200
    assert browser_for("officer2").get(f"/inspections/{ongoing.id}?format=csv").status_code == 404
    assert browser_for("officer2").get(f"/inspections/{ongoing.id}?format=xlsx").status_code == 404


def test_text_a_user_typed_is_never_a_formula(demo, browser_for):
    inspection = make_inspection("DH-ZFB", title="=HYPERLINK(\"http://evil\",\"检查\")")
    answer_all(inspection)
    answer(inspection, "F3", "noncompliant", finding_text="=1+2 违规连接", severity="critical")
    submit(inspection)
    inspector = browser_for("inspector")
    sheet = workbook(inspector.get(f"/inspections/{inspection.id}?format=xlsx")).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)
    assert "'=1+2 违规连接" in inspector.get(f"/inspections/{inspection.id}?format=csv").data.decode("utf-8")
    listed = workbook(inspector.get("/inspections/?format=xlsx")).worksheets[0]
    titles = [c for row in listed.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert titles and all(c.data_type == "s" for c in titles)
    assert "'=HYPERLINK" in inspector.get("/inspections/?format=csv").data.decode("utf-8")


def test_every_export_is_in_the_audit_trail(city, browser_for):  # noqa: F811
    leader = browser_for("leader")
    for url in ("/dashboard?format=xlsx", "/units?key=1&format=csv", "/inspections/?kind=spot&format=xlsx",
                f"/inspections/{city.inspections['I3'].id}?format=csv"):
        assert leader.get(url).status_code == 200, url
    db.session.expire_all()
    rows = db.session.scalars(select(AuditRecord).where(AuditRecord.action.like("%.export"))
                              .order_by(AuditRecord.id)).all()
    assert [(r.action, r.actor_name) for r in rows] == [
        ("dashboard.export", "leader"), ("units.export", "leader"), ("inspections.export", "leader"),
        ("inspection.export", "leader")]
    assert '"只看重点单位":"是"' in rows[1].details and '"format":"csv"' in rows[1].details


def test_a_long_export_is_written_in_chunks(demo, browser_for):
    """More rows than one chunk: every row, once, in the order of the page."""
    from inspect_app.models import Inspection
    from inspect_app.services import inspections

    first = local_today() + timedelta(days=1)
    planned = [make_inspection("DH-JYJ", scheduled_on=first + timedelta(days=n)) for n in range(7)]
    stmt = inspections.search(planned[0].lead, inspections.InspectionFilter()).order_by(Inspection.scheduled_on)
    export = inspections.inspections_export(db.session, stmt, [], chunk=3)
    rows = list(export.sheets[0].rows)
    assert [r[0] for r in rows] == [p.scheduled_on for p in planned]
