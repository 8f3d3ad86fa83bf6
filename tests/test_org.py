"""The org tree: admin pages, moving and deactivating, importing units."""

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import AuditRecord, OrgNode

from .helpers import node, user


def count_units() -> int:
    return db.session.scalar(select(func.count()).select_from(OrgNode).where(OrgNode.kind == "unit"))


def test_admin_creates_a_unit(demo, browser_for):
    admin = browser_for("admin")
    response = admin.post("/admin/org/new", {"kind": "unit", "parent_id": node("BC-XS").id, "name": "西山县审计局",
                                             "code": "XS-SJJ", "unit_type": "party_gov", "is_key_unit": "y"})
    assert response.status_code == 302
    created = node("XS-SJJ")
    assert created.path == f"{node('BC-XS').path}{created.id}/"
    assert created.is_key_unit and created.unit_type == "party_gov"
    assert db.session.scalars(select(AuditRecord.action).order_by(AuditRecord.id.desc())).first() == "org.create"


def test_duplicate_code_is_refused_with_a_message(demo, browser_for):
    admin = browser_for("admin")
    response = admin.post("/admin/org/new", {"kind": "unit", "parent_id": node("BC-XS").id, "name": "重复",
                                             "code": "xs-yy", "unit_type": "other"})
    assert response.status_code == 200
    assert "已被“西山县人民医院”使用" in response.get_data(as_text=True)


def test_a_unit_cannot_hold_children(demo, browser_for):
    admin = browser_for("admin")
    response = admin.post("/admin/org/new", {"kind": "unit", "parent_id": node("XS-YY").id, "name": "下级",
                                             "code": "XS-SUB", "unit_type": "other"})
    assert response.status_code == 200
    assert db.session.scalar(select(OrgNode).where(OrgNode.code == "XS-SUB")) is None


def test_moving_a_district_moves_its_subtree(demo, browser_for):
    admin = browser_for("admin")
    school = node("DH-JYJ")
    # A unit moves to the other district.
    assert admin.post(f"/admin/org/{school.id}/move", {"parent_id": node("BC-XS").id}).status_code == 302
    db.session.expire_all()
    assert node("DH-JYJ").path.startswith(node("BC-XS").path)
    assert node("DH-JYJ").parent_id == node("BC-XS").id
    # Its officer's scope follows: the district inspector there now sees it.
    from .test_scoping import visible_units

    assert "DH-JYJ" not in visible_units("inspector2")


def test_a_node_cannot_move_under_itself(demo, session):
    from inspect_app.services import DomainError, org

    district = node("BC-DH")
    try:
        org.move_node(session, user("admin"), district, node("BC-DH"))
    except DomainError as exc:
        assert "自己" in exc.message
    else:
        raise AssertionError("moved under itself")


def test_deactivating_a_unit_deactivates_its_accounts(demo, browser_for):
    admin = browser_for("admin")
    officer = browser_for("officer")
    unit = node("DH-ZFB")
    response = admin.post(f"/admin/org/{unit.id}/active", {"active": "0"}, follow_redirects=True)
    assert "1 个账户随之停用" in response.get_data(as_text=True)
    assert not node("DH-ZFB").active
    assert not user("officer").active
    assert officer.get("/dashboard").status_code == 302


def test_a_district_with_active_units_cannot_be_deactivated(demo, browser_for):
    admin = browser_for("admin")
    response = admin.post(f"/admin/org/{node('BC-XS').id}/active", {"active": "0"}, follow_redirects=True)
    assert "请先停用它的 4 个下级机构" in response.get_data(as_text=True)
    assert node("BC-XS").active


def upload(browser, name: str, content: bytes):
    return browser.post("/admin/org/import", {"file": (io.BytesIO(content), name)},
                        content_type="multipart/form-data")


GOOD_CSV = (
    "单位名称,单位代码,上级代码,单位类型,是否重点单位\n"
    "西山县审计局,XS-SJJ,BC-XS,党政机关,否\n"
    "东湖区档案馆,DH-DAG,BC-DH,事业单位,是\n"
    "宝川市统计调查队,BC-TJD,BC-BMJ,other,\n"
)


def test_import_a_good_csv(demo, browser_for):
    admin = browser_for("admin")
    before = count_units()
    response = upload(admin, "units.csv", GOOD_CSV.encode("utf-8-sig"))
    assert response.status_code == 302
    assert count_units() == before + 3
    assert node("DH-DAG").is_key_unit and node("DH-DAG").unit_type == "institution"
    assert node("BC-TJD").parent_id == node("BC-BMJ").id


def test_import_a_gb18030_csv(demo, browser_for):
    response = upload(browser_for("admin"), "units.csv", GOOD_CSV.encode("gb18030"))
    assert response.status_code == 302
    assert node("XS-SJJ").name == "西山县审计局"


def test_import_a_good_xlsx(demo, browser_for):
    workbook = Workbook()
    sheet = workbook.active
    for line in GOOD_CSV.strip().splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = count_units()
    response = upload(browser_for("admin"), "单位.xlsx", buffer.getvalue())
    assert response.status_code == 302
    assert count_units() == before + 3


def test_one_bad_row_imports_nothing_and_names_every_problem(demo, browser_for):
    admin = browser_for("admin")
    before = count_units()
    bad = GOOD_CSV + (
        "重复代码单位,XS-SJJ,BC-XS,党政机关,否\n"
        ",NO-NAME,BC-NOPE,外星机构,也许\n"
        "已有代码,DH-FY,BC-DH,党政机关,否\n"
        "单位之下,U-SUB,XS-YY,党政机关,否\n"
    )
    response = upload(admin, "units.csv", bad.encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert count_units() == before
    assert "第 5 行：单位代码 XS-SJJ 与第 2 行重复" in html
    assert ("第 6 行：单位名称为空；上级代码 BC-NOPE 不存在或不在您的管理范围内；"
            "单位类型“外星机构”无法识别；是否重点单位应填“是”或“否”") in html
    assert "第 7 行：单位代码 DH-FY 已存在" in html
    assert "第 8 行：上级 XS-YY 不是启用中的市局或区县局" in html


def test_import_refuses_other_file_types_and_bad_headers(demo, browser_for):
    admin = browser_for("admin")
    assert "只能导入 .xlsx 或 .csv 文件" in upload(admin, "units.exe", b"MZ\x90\x00").get_data(as_text=True)
    assert "无法读取这个 Excel 文件" in upload(admin, "units.xlsx", b"not a zip").get_data(as_text=True)
    response = upload(admin, "units.csv", "名称,代码\n甲,乙\n".encode())
    assert "第 1 行缺少列：上级代码、单位类型" in response.get_data(as_text=True)
