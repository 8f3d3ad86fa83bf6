"""The admin's work on accounts."""

import re

from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import AuditRecord

from .helpers import node, user


def test_admin_creates_an_account_with_a_one_time_password(demo, browser_for):
    admin = browser_for("admin")
    response = admin.post("/admin/users/new", {"username": "zhou.min", "display_name": "周敏", "role": "officer",
                                               "org_node_id": node("XS-YY").id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "账户已创建" in html
    temporary = re.search(r'class="secret-value" translate="no">([^<]+)<', html).group(1)
    created = user("zhou.min")
    assert created.must_change_password and created.org_node.code == "XS-YY"
    assert "password" not in db.session.scalars(select(AuditRecord.details).order_by(AuditRecord.id.desc())).first()
    newcomer = browser_for("zhou.min", temporary)
    assert newcomer.get("/dashboard").headers["Location"].endswith("/password")


def test_an_officer_must_belong_to_a_unit(demo, browser_for):
    admin = browser_for("admin")
    response = admin.post("/admin/users/new", {"username": "wrong.place", "display_name": "错位", "role": "officer",
                                               "org_node_id": node("BC-DH").id})
    assert "单位保密员必须归属于一个单位" in response.get_data(as_text=True)
    response = admin.post("/admin/users/new", {"username": "wrong.place", "display_name": "错位",
                                               "role": "inspector", "org_node_id": node("DH-FY").id})
    assert "局方账户必须归属于市局或区县局" in response.get_data(as_text=True)


def test_usernames_are_unique_regardless_of_case(demo, browser_for):
    admin = browser_for("admin")
    response = admin.post("/admin/users/new", {"username": "Officer", "display_name": "重名", "role": "officer",
                                               "org_node_id": node("XS-YY").id})
    assert "已被使用" in response.get_data(as_text=True)


def test_changing_a_role_ends_the_users_sessions(demo, browser_for):
    inspector = browser_for("inspector2")
    admin = browser_for("admin")
    target = user("inspector2")
    response = admin.post(f"/admin/users/{target.id}", {"display_name": "李文静", "role": "leader",
                                                       "org_node_id": node("BC-DH").id})
    assert response.status_code == 302
    assert user("inspector2").role == "leader"
    assert inspector.get("/dashboard").status_code == 302


def test_admin_cannot_deactivate_themselves(demo, browser_for):
    admin = browser_for("admin")
    response = admin.post(f"/admin/users/{user('admin').id}/active", {"active": "0"}, follow_redirects=True)
    assert "不能停用自己的账户" in response.get_data(as_text=True)
    assert user("admin").active


def test_users_list_searches_sorts_and_pages(app, demo, browser_for):
    app.config["PER_PAGE"] = 3
    admin = browser_for("admin")
    html = admin.get("/admin/users?q=西山").get_data(as_text=True)
    assert "officer2" in html and "inspector2" not in html
    first = admin.get("/admin/users?sort=username").get_data(as_text=True)
    assert "第 1 / 3 页，共 7 条" in first
    assert first.index(">admin<") < first.index(">auditor<")
    last = admin.get("/admin/users?sort=-username&page=1").get_data(as_text=True)
    assert ">officer2<" in last and ">admin<" not in last
    assert "没有符合条件的账户" in admin.get("/admin/users?q=不存在的人").get_data(as_text=True)
