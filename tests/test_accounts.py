"""The admin's work on accounts, and the secadmin's on their rights."""

import json
import re

from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import AuditRecord, Notification, UserSession

from .helpers import node, user

NEW_PASSWORD = "Archive-Cabinet-42"


def temporary_password(response) -> str:
    return re.search(r'class="secret-value" translate="no">([^<]+)<', response.get_data(as_text=True)).group(1)


def last_record(action: str) -> AuditRecord:
    return db.session.scalars(select(AuditRecord).where(AuditRecord.action == action)
                              .order_by(AuditRecord.id.desc())).first()


def test_admin_creates_an_account_that_holds_no_rights_until_the_secadmin_grants_them(demo, browser_for):
    admin = browser_for("admin")
    response = admin.post("/admin/users/new", {"username": "zhou.min", "display_name": "周敏", "role": "officer",
                                               "org_node_id": node("XS-YY").id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "账户已创建" in html and "安全保密管理员授予角色后方可使用" in html
    temporary = temporary_password(response)
    created = user("zhou.min")
    assert created.must_change_password and created.org_node.code == "XS-YY"
    assert (created.role, created.requested_role) == ("pending", "officer")
    assert "password" not in db.session.scalars(select(AuditRecord.details).order_by(AuditRecord.id.desc())).first()

    # The newcomer changes the temporary password, then waits: no page of any role opens.
    newcomer = browser_for("zhou.min", temporary)
    assert newcomer.get("/dashboard").headers["Location"].endswith("/password")
    newcomer.post("/password", {"current_password": temporary, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert newcomer.get("/").headers["Location"].endswith("/pending")
    assert "等待安全保密管理员授予角色" in newcomer.get("/pending").get_data(as_text=True)
    for path in ("/dashboard", "/tickets", "/inspections/", "/admin/users", "/audit/", "/rights/users"):
        assert newcomer.get(path).status_code == 403, path

    # The secadmin is asked, and the page it is sent to offers the requested role.
    secadmin = browser_for("secadmin")
    page = secadmin.get("/notifications").get_data(as_text=True)
    assert "系统管理员新建了账户 zhou.min（周敏，西山县人民医院），申请角色：单位保密员" in page
    opened = secadmin.get(re.search(r'href="(/notifications/\d+/open)"', page).group(1))
    assert opened.headers["Location"].endswith(f"/rights/users/{created.id}")
    form = secadmin.get(f"/rights/users/{created.id}").get_data(as_text=True)
    assert re.search(r'<option selected value="officer">|<option value="officer" selected>', form)
    response = secadmin.post(f"/rights/users/{created.id}", {"role": "officer", "org_node_id": node("XS-YY").id})
    assert response.status_code == 302
    granted = user("zhou.min")
    assert (granted.role, granted.requested_role) == ("officer", None)
    assert json.loads(last_record("user.assign").details) == {"role": ["pending", "officer"]}
    # Rights changed: the waiting session ended; a new login sees the unit's work.
    assert newcomer.get("/dashboard").status_code == 302
    assert browser_for("zhou.min", NEW_PASSWORD).get("/dashboard").status_code == 200


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


def test_changing_a_role_is_the_secadmins_and_ends_the_users_sessions(demo, browser_for):
    inspector = browser_for("inspector2")
    target = user("inspector2")
    # The admin's form has no role any more: a role sent to it changes nothing.
    admin = browser_for("admin")
    response = admin.post(f"/admin/users/{target.id}", {"display_name": "李文静", "role": "leader",
                                                       "org_node_id": node("BC-XS").id})
    assert response.status_code == 302 and user("inspector2").role == "inspector"
    assert user("inspector2").org_node.code == "BC-DH" and inspector.get("/dashboard").status_code == 200
    secadmin = browser_for("secadmin")
    response = secadmin.post(f"/rights/users/{target.id}", {"role": "leader", "org_node_id": node("BC-DH").id})
    assert response.status_code == 302
    assert user("inspector2").role == "leader"
    assert inspector.get("/dashboard").status_code == 302


def test_a_misplaced_role_is_refused_with_the_reason(demo, browser_for):
    secadmin = browser_for("secadmin")
    response = secadmin.post(f"/rights/users/{user('inspector2').id}", {"role": "officer",
                                                                         "org_node_id": node("BC-DH").id})
    assert response.status_code == 200 and "单位保密员必须归属于一个单位" in response.get_data(as_text=True)
    assert user("inspector2").role == "inspector"


def test_the_secadmin_revokes_every_right_by_making_the_account_wait(demo, browser_for):
    officer = browser_for("officer")
    secadmin = browser_for("secadmin")
    response = secadmin.post(f"/rights/users/{user('officer').id}", {"role": "pending",
                                                                      "org_node_id": node("DH-ZFB").id})
    assert response.status_code == 302 and user("officer").role == "pending"
    assert officer.get("/tickets").status_code == 302
    assert browser_for("officer").get("/tickets").status_code == 403


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
    assert "第 1 / 3 页，共 8 条" in first
    assert first.index(">admin<") < first.index(">auditor<")
    last = admin.get("/admin/users?sort=-username&page=1").get_data(as_text=True)
    assert ">officer2<" in last and ">admin<" not in last
    assert "没有符合条件的账户" in admin.get("/admin/users?q=不存在的人").get_data(as_text=True)


def test_a_reset_needs_a_reason_ends_the_sessions_and_tells_the_user_who_and_why(demo, browser_for):
    officer = browser_for("officer")
    admin = browser_for("admin")
    target = user("officer")
    before = target.password_hash
    response = admin.post(f"/admin/users/{target.id}/password", {"reason": "  "}, follow_redirects=True)
    assert "请写明重置密码的原因" in response.get_data(as_text=True)
    assert user("officer").password_hash == before and officer.get("/dashboard").status_code == 200

    response = admin.post(f"/admin/users/{target.id}/password", {"reason": "本人遗忘密码，已电话核实"})
    assert "密码已重置" in response.get_data(as_text=True)
    temporary = temporary_password(response)
    assert officer.get("/dashboard").status_code == 302  # the old session ended
    assert db.session.scalars(select(UserSession).where(UserSession.user_id == target.id)).one().revoked_reason \
        == "password_reset"
    record = last_record("user.password_reset")
    assert (record.actor_name, record.object_id) == ("admin", str(target.id))
    assert json.loads(record.details) == {"reason": "本人遗忘密码，已电话核实"}
    note = db.session.scalars(select(Notification).where(Notification.user_id == target.id,
                                                         Notification.kind == "password_reset")).one()
    assert note.params == {"by": "系统管理员", "reason": "本人遗忘密码，已电话核实"}
    again = browser_for("officer", temporary)
    assert again.get("/dashboard").headers["Location"].endswith("/password")
    again.post("/password", {"current_password": temporary, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert "本人遗忘密码，已电话核实" in again.get("/notifications").get_data(as_text=True)


def test_the_secadmin_unlocks_a_locked_account(demo, browser_for):
    target = user("leader")
    for attempt in range(5):  # wrong passwords from this address until the throttle locks it
        browser_for().login("leader", f"wrong-{attempt}")
    db.session.expire_all()
    assert "已锁定" in browser_for("secadmin").get("/rights/users").get_data(as_text=True)
    assert browser_for("leader").get("/dashboard").status_code == 302  # locked: the login is refused
    secadmin = browser_for("secadmin")
    page = secadmin.get(f"/rights/users/{target.id}").get_data(as_text=True)
    assert "该账户因连续登录失败被锁定" in page
    response = secadmin.post(f"/rights/users/{target.id}/unlock", follow_redirects=True)
    assert "已解除锁定" in response.get_data(as_text=True)
    assert user("leader").locked_until is None and user("leader").failed_logins == 0
    assert json.loads(last_record("user.unlock").details) == {"was_locked": True}
    assert browser_for("leader").get("/dashboard").status_code == 200


def test_the_secadmin_sees_the_auditors_actions_and_nothing_else_of_the_trail(demo, browser_for):
    auditor = browser_for("auditor")
    auditor.get("/audit/export.csv")
    auditor.post("/audit/verify")
    browser_for("officer").get("/dashboard")
    admin = browser_for("admin")
    admin.post(f"/admin/users/{user('leader').id}", {"display_name": "陈德明（改）"})
    page = browser_for("secadmin").get("/rights/auditors").get_data(as_text=True)
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "导出审计记录" in rows and "校验审计链" in rows and "登录" in rows
    names = set(re.findall(r'<td class="nowrap">[^<]*</td>\s*<td>([^<]+)</td>', rows))
    assert names == {"auditor", "seed-demo"}  # the auditor's actions, and the making of its account
    # Its own page is no door to the trail: the auditor's pages stay closed.
    secadmin = browser_for("secadmin")
    for path in ("/audit/", "/audit/export.csv", "/audit/?actor=admin"):
        assert secadmin.get(path).status_code == 403, path
