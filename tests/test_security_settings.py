"""The security settings the 安全保密管理员 sets: the lock-out, the idle timeout and the password length."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import AuditRecord, SecuritySetting, UserSession, utcnow
from inspect_app.services.accounts import NotPermitted, security_settings

from .helpers import user

DEFAULTS = {"LOGIN_MAX_FAILURES": 5, "LOGIN_LOCK_MINUTES": 15, "SESSION_IDLE_MINUTES": 30,
            "PASSWORD_MIN_LENGTH": 10}


def settings_form(**changes) -> dict:
    return {**DEFAULTS, **changes}


def test_the_secadmin_changes_the_lock_out_and_logins_follow_at_once(demo, browser_for):
    secadmin = browser_for("secadmin")
    page = secadmin.get("/rights/settings").get_data(as_text=True)
    assert "连续登录失败多少次后暂停登录" in page and 'value="5"' in page
    response = secadmin.post("/rights/settings", settings_form(LOGIN_MAX_FAILURES=3, LOGIN_LOCK_MINUTES=40),
                             follow_redirects=True)
    assert "安全设置已保存" in response.get_data(as_text=True)
    record = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "security.settings")).one()
    assert record.actor_id == user("secadmin").id
    assert json.loads(record.details) == {"LOGIN_MAX_FAILURES": [5, 3], "LOGIN_LOCK_MINUTES": [15, 40]}
    stranger = browser_for()
    for attempt in range(2):
        assert "用户名或密码不正确" in stranger.login("leader", f"wrong-{attempt}").get_data(as_text=True)
    assert "已暂停 40 分钟" in stranger.login("leader", "wrong-2").get_data(as_text=True)
    # Saving the same values again changes and records nothing.
    again = secadmin.post("/rights/settings", settings_form(LOGIN_MAX_FAILURES=3, LOGIN_LOCK_MINUTES=40),
                          follow_redirects=True)
    assert "没有改动" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)
                             .where(AuditRecord.action == "security.settings")) == 1


@pytest.mark.parametrize(("value", "message"), [(2, "须在 3 到 10 之间"), (11, "须在 3 到 10 之间"),
                                                ("five", ""), ("", "请填写一个整数"),
                                                ("99999999999999999999", "")])
def test_a_value_out_of_bounds_or_not_a_number_is_refused_and_nothing_changes(demo, browser_for, value, message):
    response = browser_for("secadmin").post("/rights/settings", settings_form(LOGIN_MAX_FAILURES=value,
                                                                             SESSION_IDLE_MINUTES=60))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SecuritySetting)) == 0
    assert security_settings.current(db.session) == DEFAULTS


@pytest.mark.parametrize("role", ["admin", "auditor", "inspector", "leader", "officer"])
def test_no_one_else_reads_or_sets_them(demo, browser_for, role):
    browser = browser_for(role)
    assert browser.get("/rights/settings").status_code == 403
    assert browser.post("/rights/settings", settings_form(LOGIN_MAX_FAILURES=3)).status_code == 403
    with pytest.raises(NotPermitted):
        security_settings.update(db.session, user(role), {"LOGIN_MAX_FAILURES": 3})
    assert security_settings.value(db.session, "LOGIN_MAX_FAILURES") == 5


def test_the_idle_timeout_and_the_password_length_follow_the_settings(demo, browser_for):
    security_settings.update(db.session, user("secadmin"), {"SESSION_IDLE_MINUTES": 10, "PASSWORD_MIN_LENGTH": 14})
    leader = browser_for("leader")
    live = db.session.scalars(select(UserSession).where(UserSession.user_id == user("leader").id)).one()
    live.last_seen_at = utcnow() - timedelta(minutes=11)  # within the default 30, past the setting's 10
    db.session.commit()
    assert leader.get("/dashboard").status_code == 302
    officer = browser_for("officer")
    assert "至少 14 个字符" in officer.get("/password").get_data(as_text=True)
    refused = officer.post("/password", {"current_password": "Demo@2026", "password": "Lantern-Bay-7",
                                         "confirm": "Lantern-Bay-7"})  # 13 characters
    assert "密码至少需要 14 个字符" in refused.get_data(as_text=True)
    assert officer.post("/password", {"current_password": "Demo@2026", "password": "Lantern-Bay-77",
                                      "confirm": "Lantern-Bay-77"}).status_code == 302


def test_a_post_without_the_csrf_token_changes_nothing(demo, browser_for):
    response = browser_for("secadmin").post("/rights/settings", settings_form(LOGIN_MAX_FAILURES=3), csrf=False)
    assert response.status_code in (200, 400)
    assert security_settings.value(db.session, "LOGIN_MAX_FAILURES") == 5
