"""The registers' pages: the officer keeps the unit's registers by form and by file, bureau users read the units
in their scope, and every refusal comes back in words with nothing changed."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import AuditRecord, SecretCarrier, SecretPerson
from inspect_app.services import registers

from .helpers import node, user


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def dh(full_demo):
    return node("DH-ZFB")


def test_the_officer_lands_on_the_units_registers_and_its_warnings(dh, browser_for):
    officer = browser_for("officer")
    response = officer.get("/registers")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/registers/units/{dh.id}")
    body = page(officer.get(f"/registers/units/{dh.id}"))
    assert "东湖区人民政府办公室的台账" in body
    for text in ("1 名涉密人员脱密期已满，未记录解脱", "RY-005 周宁", "1 名涉密人员今年未参加保密培训",
                 "1 份涉密载体保密期限已满，未经审核", "1 项国家秘密事项没有定密依据", "1 项国家秘密事项已过审核日期",
                 "1 个要害部门部位没有确认日期", "对应检查项 D9"):
        assert text in body, text
    assert f'href="/registers/units/{dh.id}/carriers/import"' in body  # the officer keeps them
    assert "台账" in page(officer.get("/dashboard")) and "台账预警" in page(officer.get("/dashboard"))


def test_bureau_users_read_the_units_in_their_scope_and_change_nothing(dh, browser_for):
    leader = browser_for("leader")
    body = page(leader.get("/registers"))
    assert "东湖区人民政府办公室" in body and "西山县自然资源局" in body and "按区县" in body
    first = re.search(r'href="/registers/units/(\d+)"', body)
    assert first and int(first.group(1)) == dh.id  # the most warnings first
    assert "东湖区人民政府办公室" not in page(browser_for("inspector2").get("/registers?q=西山"))
    district = page(browser_for("inspector2").get("/registers"))
    assert "西山县自然资源局" not in district and "东湖区人民法院" in district
    unit = page(leader.get(f"/registers/units/{dh.id}"))
    assert "台账预警" in unit and "/import" not in unit and "/new" not in unit
    entry = db.session.scalar(select(SecretCarrier).where(SecretCarrier.unit_id == dh.id))
    shown = page(leader.get(f"/registers/carriers/{entry.id}"))
    assert entry.title in shown and "<form" not in shown.split("<main", 1)[1].split("</main>", 1)[0].replace(
        'class="lang-switch"', "")
    assert leader.post(f"/registers/carriers/{entry.id}", {"title": "改"}).status_code == 403
    assert leader.post(f"/registers/units/{dh.id}/carriers/new", {"number": "X"}).status_code == 403
    assert browser_for("inspector").get(f"/registers/units/{dh.id}/carriers/import").status_code == 403


def test_a_unit_outside_the_scope_or_a_bureau_answers_404(dh, browser_for):
    officer2 = browser_for("officer2")
    assert officer2.get(f"/registers/units/{dh.id}").status_code == 404
    assert officer2.get(f"/registers/units/{dh.id}/carriers").status_code == 404
    inspector = browser_for("inspector")
    assert inspector.get(f"/registers/units/{node('BC-DH').id}").status_code == 404
    assert inspector.get(f"/registers/units/{dh.id}/nothing").status_code == 404
    assert inspector.get(f"/registers/units/{dh.id}/carriers/export.pdf").status_code == 404
    assert browser_for("auditor").get("/registers").status_code == 403


def test_a_register_lists_searches_filters_by_state_and_rule_and_pages(dh, browser_for):
    officer = browser_for("officer")
    base = f"/registers/units/{dh.id}/carriers"
    body = page(officer.get(base))
    assert body.count('href="/registers/carriers/') == 8 and "保密期限已满，未经审核" in body
    assert page(officer.get(base + "?q=U盘")).count('href="/registers/carriers/') == 1
    assert page(officer.get(base + "?state=destroyed")).count('href="/registers/carriers/') == 1
    assert page(officer.get(base + "?rule=carrier_unreviewed")).count('href="/registers/carriers/') == 1
    assert "没有符合条件的条目" in page(officer.get(base + "?q=没有这个"))
    people = page(officer.get(f"/registers/units/{dh.id}/personnel?state=declearing"))
    assert "RY-005" in people and "RY-001" not in people
    for sort in ("number", "-number", "title", "-secret_until", "holder", "nonsense"):
        assert officer.get(f"{base}?sort={sort}").status_code == 200
    for n in range(60):
        registers.create_entry(db.session, user("officer"), dh, registers.REGISTERS["carriers"], {
            "number": f"ZT-P-{n:03d}", "title": f"文件{n}", "kind": "paper", "level": "confidential",
            "source": "received", "holder": "李华", "state": "held"})
    first, second = page(officer.get(base)), page(officer.get(base + "?page=2"))
    assert first.count('href="/registers/carriers/') == 50 and second.count('href="/registers/carriers/') == 18
    assert "共 68 条" in first
    assert "台账还是空的" in page(browser_for("inspector").get(f"/registers/units/{node('DH-JYJ').id}/devices"))


def test_the_officer_adds_an_entry_and_a_bad_value_is_shown_beside_its_field(dh, browser_for):
    officer = browser_for("officer")
    url = f"/registers/units/{dh.id}/personnel/new"
    assert "新增涉密人员" in page(officer.get(url))
    fields = {"number": "RY-100", "name": "钱进", "post": "办公室 科员", "person_class": "general",
              "vetted_on": "2026-01-05", "trained_on": "2026-02-01"}
    refused = officer.post(url, {**fields, "vetted_on": "2026-13-01"})
    assert refused.status_code == 400 and "日期格式不正确" in page(refused)
    late = officer.post(url, {**fields, "declear_until": "2027-01-01"})
    assert late.status_code == 400 and "先填离岗离职日期" in page(late) and 'value="钱进"' in page(late)
    saved = officer.post(url, fields)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/registers/units/{dh.id}/personnel")
    person = db.session.scalar(select(SecretPerson).where(SecretPerson.number == "RY-100"))
    assert (person.name, person.person_class, person.unit_id) == ("钱进", "general", dh.id)
    assert officer.post(url, fields).status_code == 400  # the number is taken now
    assert officer.post(url, fields, csrf=False).status_code == 400


def test_text_that_looks_classified_asks_for_the_officers_confirmation(dh, browser_for):
    officer = browser_for("officer")
    url = f"/registers/units/{dh.id}/carriers/new"
    fields = {"number": "ZT-9", "title": "秘密★5年 年度计划", "kind": "paper", "level": "confidential",
              "source": "received", "holder": "李华", "state": "held"}
    asked = officer.post(url, fields)
    assert asked.status_code == 422 and "我确认以上内容不含国家秘密" in page(asked)
    assert db.session.scalar(select(SecretCarrier).where(SecretCarrier.number == "ZT-9")) is None
    assert officer.post(url, {**fields, "confirm_unclassified": "1"}).status_code == 302
    assert db.session.scalar(select(AuditRecord).where(AuditRecord.action == "registers.unclassified_confirmed"))


def test_the_officer_changes_and_removes_an_entry_and_a_stale_form_is_refused(dh, browser_for):
    officer = browser_for("officer")
    entry = db.session.scalar(select(SecretCarrier).where(SecretCarrier.number == "ZT-2025-003"))
    form = page(officer.get(f"/registers/carriers/{entry.id}"))
    assert re.search(r'name="revision" type="hidden" value="1"', form)
    fields = {"number": entry.number, "title": entry.title, "kind": "paper", "level": "confidential",
              "source": "made", "holder": "钱进", "state": "held", "received_on": entry.received_on.isoformat(),
              "revision": "1"}
    assert officer.post(f"/registers/carriers/{entry.id}", fields).status_code == 302
    stale = officer.post(f"/registers/carriers/{entry.id}", {**fields, "holder": "孙敏"})
    assert stale.status_code == 409 and "已被他人修改" in page(stale)
    db.session.expire_all()
    assert db.session.get(SecretCarrier, entry.id).holder == "钱进"
    assert 'data-confirm="确定从台账中删除' in page(officer.get(f"/registers/carriers/{entry.id}"))
    assert officer.post(f"/registers/carriers/{entry.id}/remove", {"revision": "1"}).status_code == 302
    assert db.session.get(SecretCarrier, entry.id) is not None  # stale: refused
    assert officer.post(f"/registers/carriers/{entry.id}/remove", {"revision": "2"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SecretCarrier, entry.id) is None
    assert browser_for("officer2").post(f"/registers/carriers/{entry.id}/remove", {"revision": "2"}).status_code == 404


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def test_an_import_is_all_or_nothing_and_names_each_problem(dh, browser_for):
    officer = browser_for("officer")
    url = f"/registers/units/{dh.id}/devices/import"
    body = page(officer.get(url))
    assert "资产编号" in body and "专机专用" in body and "填“是”或“否”" in body
    header = ["资产编号", "设备类型", "密级", "放置地点", "责任人", "专机专用", "状态"]
    bad = officer.upload(url, "设备.csv", csv_bytes([header, ["ZC-X1", "涉密台式计算机", "机密", "301室", "李华", "是",
                                                               "在用"],
                                                      ["ZC-X2", "打字机", "机密", "301室", "李华", "也许", "在用"]]))
    assert bad.status_code == 400
    text = page(bad)
    assert "第 3 行“设备类型”列" in text and "第 3 行“专机专用”列：应填“是”或“否”" in text
    before = db.session.scalar(select(func.count()).select_from(registers.REGISTERS["devices"].model))
    good = officer.upload(url, "设备.csv", csv_bytes([header, ["ZC-X1", "涉密台式计算机", "机密", "301室", "李华",
                                                                "是", "在用"]]))
    assert good.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(registers.REGISTERS["devices"].model)) == before + 1
    assert "只能导入 .xlsx 或 .csv" in page(officer.upload(url, "设备.pdf", b"%PDF-1.4"))
    assert "请选择要导入的文件" in page(officer.post(url, {}))


def test_an_export_is_the_units_register_as_a_spreadsheet_and_is_audited(dh, browser_for):
    inspector = browser_for("inspector")
    response = inspector.get(f"/registers/units/{dh.id}/personnel/export.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(page(response).lstrip("\ufeff"))))
    assert rows[0][:4] == ["编号", "姓名", "部门和岗位", "涉密等级"] and len(rows) == 7
    xlsx = inspector.get(f"/registers/units/{dh.id}/personnel/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)
                             .where(AuditRecord.action == "registers.export")) == 2


def test_the_unit_profile_and_the_dashboard_show_register_size_and_warnings(dh, browser_for):
    leader = browser_for("leader")
    profile = page(leader.get(f"/units/{dh.id}"))
    assert "预警 6 条" in profile and "涉密人员 <strong>6</strong>" in profile
    dashboard = page(leader.get("/dashboard"))
    assert "台账与预警" in dashboard and "东湖区国家保密局" in dashboard
    district = page(leader.get(f"/dashboard?district={node('BC-XS').id}"))
    assert "台账与预警" in district


def test_the_pages_read_in_english(dh, browser_for):
    officer = browser_for("officer")
    officer.post("/language", {"lang": "en"})
    body = page(officer.get(f"/registers/units/{dh.id}"))
    assert "Registers" in body or "registers" in body
    assert "台账预警" not in body


PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_script_in_a_register_is_shown_as_text_and_random_posts_never_fail(dh, browser_for):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    entry = registers.create_entry(db.session, user("officer"), dh, registers.REGISTERS["carriers"], {
        "number": "ZT-XSS", "title": f"文件{PAYLOAD}", "kind": "paper", "level": "secret", "source": "received",
        "holder": PAYLOAD[:60], "state": "held"})
    officer = browser_for("officer")
    for path in (f"/registers/units/{dh.id}/carriers", f"/registers/carriers/{entry.id}", f"/registers/units/{dh.id}",
                 f"/registers/units/{dh.id}/carriers?q=%3Cscript"):
        html = page(officer.get(path))
        assert "<script>alert" not in html and "onerror=alert(1)>" not in html, path
    fields = [f.name for f in registers.REGISTERS["personnel"].fields] + ["revision", "confirm_unclassified", "x"]

    @given(st.dictionaries(st.sampled_from(fields), st.text(max_size=300), max_size=12))
    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def post(data):
        response = officer.post(f"/registers/units/{dh.id}/personnel/new", data)
        assert response.status_code in (302, 400, 409, 422), response.status_code

    post()
