"""The inspection pages over HTTP: planning, the list and calendar, filling by form, submitting, files."""

import base64
import io
import re
import uuid
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import Answer, Inspection

from .factories import answer, answer_all, make_inspection, png, submitted_inspection, versions
from .helpers import node, user


def test_an_inspector_plans_an_inspection_through_the_form(demo, browser_for):
    inspector = browser_for("inspector")
    page = inspector.get("/inspections/new").get_data(as_text=True)
    assert "网络与信息设备保密管理检查" in page and "西山县档案馆" in page
    network, carriers = versions("network", "carriers")
    response = inspector.post("/inspections/new", {
        "unit_id": node("XS-DAG").id, "kind": "special", "versions": [network.id, carriers.id],
        "scheduled_on": "2026-12-15", "lead_id": user("inspector").id, "title": "", "scope": "重点检查档案数字化",
    })
    assert response.status_code == 302
    created = db.session.scalars(select(Inspection)).one()
    assert (created.kind, created.scheduled_on, created.unit.code) == ("special", date(2026, 12, 15), "XS-DAG")
    assert {v.template.key for v in created.versions} == {"network", "carriers"}


def test_planning_refuses_a_unit_outside_the_district(demo, browser_for):
    inspector2 = browser_for("inspector2")
    assert "西山县档案馆" not in inspector2.get("/inspections/new").get_data(as_text=True)
    response = inspector2.post("/inspections/new", {
        "unit_id": node("XS-DAG").id, "kind": "routine", "versions": [versions("network")[0].id],
        "scheduled_on": "2026-12-15", "lead_id": user("inspector2").id})
    assert response.status_code in (200, 404)
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 0


def test_officer_starts_a_self_inspection(demo, browser_for):
    officer = browser_for("officer")
    page = officer.get("/inspections/new").get_data(as_text=True)
    kinds = page.split('name="kind"', 1)[1].split("</select>", 1)[0]
    assert "发起自查" in page and ">自查<" in kinds and "例行检查" not in kinds
    response = officer.post("/inspections/new", {"unit_id": node("DH-ZFB").id, "kind": "self",
                                                 "versions": [versions("self-assessment")[0].id],
                                                 "scheduled_on": "2026-12-01"})
    assert response.status_code == 302
    assert db.session.scalars(select(Inspection)).one().lead.username == "officer"


def test_list_filters_sorts_and_calendar(demo, browser_for):
    make_inspection("DH-ZFB", scheduled_on=date(2026, 12, 3))
    make_inspection("XS-YY", scheduled_on=date(2026, 12, 20), kind="spot")
    inspector = browser_for("inspector")
    listing = inspector.get("/inspections/?sort=date").get_data(as_text=True)
    assert listing.index("东湖区人民政府办公室") < listing.index("西山县人民医院")
    assert "西山县人民医院" not in rows(inspector.get("/inspections/?kind=routine"))
    district = rows(inspector.get(f"/inspections/?district={node('BC-XS').id}"))
    assert "西山县人民医院" in district and "东湖区人民政府办公室2026" not in district
    month = inspector.get("/inspections/calendar?month=2026-12").get_data(as_text=True)
    assert "2026年12月" in month and "西山县人民医院" in month
    assert "没有符合条件的检查" in inspector.get("/inspections/?q=不存在").get_data(as_text=True)
    assert inspector.get("/inspections/calendar?month=garbage").status_code == 200


def rows(response) -> str:
    html = response.get_data(as_text=True)
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""


def test_district_inspector_and_officer_see_only_their_own(demo, browser_for):
    own = make_inspection("DH-ZFB")
    other = make_inspection("XS-ZRZY")
    inspector2 = browser_for("inspector2")
    listing = inspector2.get("/inspections/").get_data(as_text=True)
    assert own.title in listing and other.title not in listing
    officer2 = browser_for("officer2")
    listing = officer2.get("/inspections/").get_data(as_text=True)
    assert other.title in listing and own.title not in listing


def inspection_routes(inspection_id: int, photo_id: int = 1) -> list[tuple[str, str]]:
    return [
        ("GET", f"/inspections/{inspection_id}"), ("GET", f"/inspections/{inspection_id}/fill"),
        ("GET", f"/inspections/{inspection_id}/submit"), ("POST", f"/inspections/{inspection_id}/submit"),
        ("POST", f"/inspections/{inspection_id}/cancel"), ("POST", f"/inspections/{inspection_id}/reopen"),
        ("POST", f"/inspections/{inspection_id}/items/1"),
        ("GET", f"/inspections/{inspection_id}/photos/{photo_id}"),
        ("GET", f"/inspections/{inspection_id}/photos/{photo_id}/thumb"),
        ("GET", f"/inspections/{inspection_id}/signatures/lead.png"),
        ("GET", f"/api/v1/inspections/{inspection_id}"), ("PUT", f"/api/v1/inspections/{inspection_id}/answers"),
        ("POST", f"/api/v1/inspections/{inspection_id}/photos"),
        ("DELETE", f"/api/v1/inspections/{inspection_id}/photos/{photo_id}"),
        ("POST", f"/api/v1/inspections/{inspection_id}/submit"),
    ]


@pytest.mark.parametrize("outsider", ["inspector2", "officer2"])
def test_every_inspection_route_answers_404_outside_scope(demo, browser_for, outsider):
    from inspect_app.services import inspections

    inspection, _findings = submitted_inspection("XS-YY" if outsider == "inspector2" else "DH-ZFB",
                                                 failing={"F3": "noncompliant"})
    photo, _ = inspections.add_photo(db.session, user("inspector"), _reopened(inspection), _item_id(inspection, "F3"),
                                     _jpeg(), filename="a.jpg", client_uuid=str(uuid.uuid4()))
    browser = browser_for(outsider)
    for method, path in inspection_routes(inspection.id, photo.id):
        if method == "GET":
            response = browser.get(path)
        elif path.startswith("/api/"):
            response = browser.send_json(method, path, {"answers": []})
        else:
            response = browser.post(path, {"reason": "x"})
        assert response.status_code == 404, (method, path, response.status_code)
    # And an id that does not exist reads the same.
    assert browser.get("/inspections/999999").status_code == 404


def _reopened(inspection):
    from inspect_app.services import inspections

    inspections.reopen_inspection(db.session, user("inspector"), inspection, "补拍照片")
    db.session.refresh(inspection)
    return inspection


def _item_id(inspection, key):
    from inspect_app.services import inspections

    return next(i.id for i in inspections.load_items(db.session, inspection) if i.key == key)


def _jpeg():
    from .factories import jpeg

    return jpeg()


def test_filling_by_plain_form(demo, browser_for):
    inspection = make_inspection()
    item = _item_id(inspection, "F3")
    inspector = browser_for("inspector")
    response = inspector.post(f"/inspections/{inspection.id}/items/{item}", {
        "client_uuid": str(uuid.uuid4()), "base_revision": 0, "value": "noncompliant",
        "finding_text": "发现U盘在涉密机与上网机之间交叉使用", "severity": "critical"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#item-{item}")
    saved = db.session.scalars(select(Answer)).one()
    assert saved.value == "noncompliant" and saved.revision == 1
    page = inspector.get(f"/inspections/{inspection.id}/fill").get_data(as_text=True)
    assert "发现U盘在涉密机与上网机之间交叉使用" in page
    assert re.search(rf'id="item-{item}"[^>]*data-revision="1"', page)


def test_kept_item_forms_follow_every_save_and_get_fresh_write_ids(demo, browser_for):
    inspection = make_inspection()
    item = _item_id(inspection, "F3")
    inspector = browser_for("inspector")
    before = inspector.get(f"/inspections/{inspection.id}/fill").get_data(as_text=True)
    again = inspector.get(f"/inspections/{inspection.id}/fill").get_data(as_text=True)  # from the kept forms
    ids = re.findall(r'name="client_uuid" value="([0-9a-f-]{36})"', before + again)
    assert len(ids) == 2 * before.count('<form class="item') and len(set(ids)) == len(ids)
    token = re.search(r'name="csrf_token" value="([^"]+)"', again).group(1)
    assert again.count(f'name="csrf_token" value="{token}"') >= again.count('<form class="item')
    assert "\x00" not in again
    saved = inspector.post(f"/inspections/{inspection.id}/items/{item}", {
        "client_uuid": str(uuid.uuid4()), "base_revision": 0, "value": "noncompliant",
        "finding_text": "机房门禁记录缺失一周", "severity": "serious"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    after = inspector.get(f"/inspections/{inspection.id}/fill").get_data(as_text=True)
    assert "机房门禁记录缺失一周" in after and re.search(rf'id="item-{item}"[^>]*data-revision="1"', after)


def test_fill_page_lists_every_item_with_progress_and_repeat_hints(demo, browser_for):
    submitted_inspection(failing={"F7": "noncompliant"})
    inspection = make_inspection(templates=["network", "carriers"])
    html = browser_for("inspector").get(f"/inspections/{inspection.id}/fill").get_data(as_text=True)
    assert html.count('<form class="item') == 35
    assert "已完成 0 / 35 项" in html
    assert "屡查屡犯" in html and "建议问题等级上调一级" in html
    assert 'src="/static/js/fill.js?v=' in html


def test_only_the_team_fills(demo, browser_for):
    inspection = make_inspection()
    assert browser_for("leader").get(f"/inspections/{inspection.id}/fill").status_code == 403
    assert browser_for("leader").get(f"/inspections/{inspection.id}").status_code == 200


def sign(role: str) -> str:
    return "data:image/png;base64," + base64.b64encode(png()).decode()


def test_submit_page_shows_what_is_missing_then_submits_with_two_signatures(demo, browser_for):
    inspection = make_inspection()
    answer(inspection, "F1", "compliant")
    inspector = browser_for("inspector")
    page = inspector.get(f"/inspections/{inspection.id}/submit").get_data(as_text=True)
    assert "还有 18 项未完成" in page
    answer_all(inspection, failing={"F3": "noncompliant", "F7": "partial"})
    page = inspector.get(f"/inspections/{inspection.id}/submit").get_data(as_text=True)
    assert "评分预览" in page and "data-pad" in page
    refused = inspector.post(f"/inspections/{inspection.id}/submit", {
        "lead_name": "王建国", "lead_signature": sign("lead"), "unit_name": "", "unit_signature": ""})
    assert "请在签名框内签名" in refused.get_data(as_text=True) or "请填写签名人姓名" in refused.get_data(as_text=True)
    response = inspector.post(f"/inspections/{inspection.id}/submit", {
        "lead_name": "王建国", "lead_signature": sign("lead"), "unit_name": "赵丽华", "unit_signature": sign("unit")})
    assert response.status_code == 302
    detail = inspector.get(response.headers["Location"]).get_data(as_text=True)
    assert "发现的问题（2）" in detail and "赵丽华" in detail
    assert inspector.get(f"/inspections/{inspection.id}/signatures/unit.png").mimetype == "image/png"
    # Locked now: the form route refuses politely and changes nothing.
    item = _item_id(inspection, "F1")
    response = inspector.post(f"/inspections/{inspection.id}/items/{item}", {
        "client_uuid": str(uuid.uuid4()), "base_revision": 1, "value": "noncompliant", "finding_text": "x"},
        follow_redirects=True)
    assert "答案不能再修改" in response.get_data(as_text=True)


def test_reopen_and_cancel_need_a_reason(demo, browser_for):
    inspection, _ = submitted_inspection()
    inspector = browser_for("inspector")
    response = inspector.post(f"/inspections/{inspection.id}/reopen", {"reason": ""}, follow_redirects=True)
    assert "请填写重新打开的原因" in response.get_data(as_text=True)
    response = inspector.post(f"/inspections/{inspection.id}/reopen", {"reason": "F1 结论有误"})
    assert response.headers["Location"].endswith("/fill")
    assert db.session.get(Inspection, inspection.id).status == "in_progress"
    planned = make_inspection()
    assert browser_for("inspector2").post(f"/inspections/{planned.id}/cancel", {"reason": "x"}).status_code == 302
    assert db.session.get(Inspection, planned.id).status == "planned"  # inspector2 is not the lead: refused
    inspector.post(f"/inspections/{planned.id}/cancel", {"reason": "单位搬迁，改期"})
    cancelled = db.session.get(Inspection, planned.id)
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "单位搬迁，改期"


def plan_file(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


HEADER = ["单位代码", "检查类型", "计划日期", "检查表", "组长", "组员", "名称", "备注"]


def test_annual_plan_import(demo, browser_for):
    inspector = browser_for("inspector")
    good = plan_file([
        HEADER,
        ["DH-FY", "例行检查", "2027-03-10", "network、carriers", "inspector", "inspector2", "", ""],
        ["XS-DAG", "抽查", "2027/04/02", "保密要害部门部位检查", "", "", "档案馆抽查", "带检测设备"],
    ])
    response = inspector.post("/inspections/import", {"file": (io.BytesIO(good), "plan.xlsx")},
                              content_type="multipart/form-data")
    assert response.status_code == 302
    created = db.session.scalars(select(Inspection).order_by(Inspection.scheduled_on)).all()
    assert [(i.unit.code, i.kind, i.scheduled_on.isoformat()) for i in created] == [
        ("DH-FY", "routine", "2027-03-10"), ("XS-DAG", "spot", "2027-04-02")]
    assert created[1].title == "档案馆抽查" and created[1].versions[0].template.key == "key-departments"


def test_a_bad_plan_row_imports_nothing(demo, browser_for):
    inspector = browser_for("inspector")
    bad = plan_file([HEADER, ["DH-FY", "例行检查", "2027-03-10", "network", "", "", "", ""],
                     ["NOPE", "巡视", "明年", "unknown", "leader", "", "", ""]])
    response = inspector.post("/inspections/import", {"file": (io.BytesIO(bad), "plan.xlsx")},
                              content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 0
    assert "第 3 行：单位代码 NOPE 不存在或不在您的管辖范围内；检查类型应为例行检查、专项检查或抽查" in html
    assert "检查表“unknown”不存在" in html and "组长 leader 不是检查员账户" in html


def test_the_inspection_page_leads_to_review_then_to_the_notice_and_tickets(demo, browser_for):
    from .factories import issued_inspection

    waiting, _ = submitted_inspection(failing={"F3": "noncompliant"})
    inspector = browser_for("inspector")
    page = inspector.get(f"/inspections/{waiting.id}").get_data(as_text=True)
    assert f"/inspections/{waiting.id}/findings" in page and "审核问题并下发整改通知" in page
    issued = issued_inspection(failing={"F7": "partial"})[0]
    page = inspector.get(f"/inspections/{issued.id}").get_data(as_text=True)
    assert "/notices/" in page and "整改情况" in page and "/tickets/" in page
