"""Logging in and out, lock-out, throttling, sessions and passwords."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import AuditRecord, LoginThrottle, UserSession, utcnow
from inspect_app.services import accounts
from inspect_app.services.accounts import passwords

from .helpers import CSRF_INPUT, Browser, user


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))


def test_login_success_lands_on_the_role_home_and_is_audited(demo, client):
    response = client.login("inspector")
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200
    assert actions()[-1] == "auth.login"
    assert user("inspector").last_login_at is not None


def test_wrong_password_is_refused_with_a_generic_message(demo, client):
    response = client.login("inspector", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    assert actions()[-1] == "auth.login_failed"
    assert user("inspector").failed_logins == 1


def test_unknown_user_gets_the_same_message(demo, client):
    response = client.login("nobody", "whatever-password")
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    last = db.session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert (last.action, last.actor_name, last.actor_id) == ("auth.login_failed", "nobody", None)


def test_five_failures_from_one_address_stop_it_for_fifteen_minutes(demo, client):
    for _ in range(4):
        client.login("officer", "wrong-password")
    response = client.login("officer", "wrong-password")
    assert "已暂停 15 分钟" in response.get_data(as_text=True)
    locked = user("officer")
    assert locked.locked_until is not None
    assert timedelta(minutes=14) < locked.locked_until - utcnow() <= timedelta(minutes=15)
    # The right password does not get through from that address: guessing stops there.
    response = client.login("officer")
    assert "已暂停" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    assert "auth.lockout" in actions()


def test_lock_expires(demo, client):
    for _ in range(5):
        client.login("officer", "wrong-password")
    officer = user("officer")
    officer.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    client.login("officer")
    assert client.get("/dashboard").status_code == 200
    assert user("officer").failed_logins == 0


def login_from(browser: Browser, address: str, username: str, password: str = "Demo@2026"):
    browser._token = None
    response = browser.post("/login", {"username": username, "password": password},
                            environ_base={"REMOTE_ADDR": address})
    browser._token = None
    return response


def comparable(response, username: str) -> tuple[int, str]:
    """The status and the page, less what differs by nature: the session's CSRF token, the name typed."""
    html = CSRF_INPUT.sub("csrf", response.get_data(as_text=True))
    return response.status_code, html.replace(f'value="{username}"', 'value="…"')


def test_a_locked_account_and_an_unknown_username_get_the_same_answer(app, demo):
    real, unknown = Browser(app), Browser(app)
    for attempt in range(7):
        # The owner's own password at the end: refused like any guess once the address is stopped.
        password = "Demo@2026" if attempt == 6 else f"guess-{attempt}"
        answers = [comparable(login_from(real, "10.0.0.66", "officer", password), "officer"),
                   comparable(login_from(unknown, "10.0.0.66", "nobody-here", password), "nobody-here")]
        assert answers[0] == answers[1], attempt
        assert ("已暂停 15 分钟" in answers[0][1]) is (attempt >= 4)
    assert "用户名或密码不正确" in answers[0][1] or "已暂停" in answers[0][1]
    lockouts = db.session.scalars(select(AuditRecord.actor_name).where(AuditRecord.action == "auth.lockout")).all()
    assert sorted(lockouts) == ["nobody-here", "officer"]


def test_a_stranger_cannot_lock_the_owner_out(app, demo):
    stranger, owner = Browser(app), Browser(app)
    for attempt in range(12):
        login_from(stranger, "10.0.0.66", "Officer ", f"guess-{attempt}")
    assert "已暂停" in login_from(stranger, "10.0.0.66", "officer").get_data(as_text=True)
    assert stranger.get("/dashboard").status_code == 302
    # The owner, at another address, logs in as ever; the stranger's address stays stopped.
    assert login_from(owner, "10.0.0.5", "officer").status_code == 302
    assert owner.get("/dashboard").status_code == 200
    assert "已暂停" in login_from(stranger, "10.0.0.66", "officer").get_data(as_text=True)


def test_a_password_reset_lets_every_address_try_again(app, demo):
    tablet = Browser(app)  # the owner, who forgot the password
    for attempt in range(5):
        login_from(tablet, "10.0.0.66", "officer", f"guess-{attempt}")
    temporary = accounts.reset_password(db.session, user("admin"), user("officer"), "本人遗忘密码")
    assert login_from(tablet, "10.0.0.66", "officer", temporary).status_code == 302
    assert db.session.scalars(select(LoginThrottle)).all() == []


def test_the_failures_count_across_workers(app, demo, make_app):
    """Each gunicorn worker is an app of its own; the count is in the database they share."""
    workers = [Browser(make_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}))
               for _ in range(2)]
    for attempt in range(5):
        login_from(workers[attempt % 2], "10.0.0.66", "officer", f"guess-{attempt}")
    for worker in workers:
        assert "已暂停" in login_from(worker, "10.0.0.66", "officer").get_data(as_text=True)


def test_login_is_throttled_per_ip(app, demo, make_app):
    limited = make_app({"RATELIMIT_ENABLED": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    browser = Browser(limited)
    statuses = [browser.login(f"someone{i}", "x-wrong-password").status_code for i in range(21)]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    page = browser.login("inspector")
    assert page.status_code == 429
    assert "操作过于频繁" in page.get_data(as_text=True)
    # Another address is not held back by this one.
    other = browser.client.post("/login", data={"username": "inspector", "password": "Demo@2026",
                                                "csrf_token": browser.token()},
                                environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 302


def test_logout_ends_the_server_session(demo, client):
    client.login("leader")
    cookie = client.client.get_cookie("session")
    assert client.get("/dashboard").status_code == 200
    client.logout()
    assert client.get("/dashboard").status_code == 302
    # Replaying the old cookie does not bring the session back.
    replay = Browser(client.app)
    replay.client.set_cookie("session", cookie.value)
    assert replay.get("/dashboard").status_code == 302
    assert db.session.scalars(select(UserSession)).one().revoked_reason == "logout"


def test_deactivation_ends_sessions_at_once(demo, browser_for):
    officer = browser_for("officer")
    admin = browser_for("admin")
    assert officer.get("/dashboard").status_code == 200
    response = admin.post(f"/admin/users/{user('officer').id}/active", {"active": "0"})
    assert response.status_code == 302
    assert officer.get("/dashboard").status_code == 302
    assert officer.login("officer").status_code == 200  # refused: the form comes back
    assert "已停用" in officer.login("officer").get_data(as_text=True)


def test_idle_timeout(demo, client):
    client.login("leader")
    live = db.session.scalars(select(UserSession)).one()
    live.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert db.session.scalars(select(UserSession)).one().revoked_reason == "idle"


def test_an_idle_limit_configured_below_the_secadmins_least_still_ends_sessions(app, demo, client):
    # Requests within the least limit a secadmin may set skip reading the setting; a configured default below
    # that least must still end the session.
    app.config["SESSION_IDLE_MINUTES"] = 2
    client.login("leader")
    live = db.session.scalars(select(UserSession)).one()
    live.last_seen_at = utcnow() - timedelta(minutes=3)
    db.session.commit()
    assert client.get("/dashboard").status_code == 302
    assert db.session.scalars(select(UserSession)).one().revoked_reason == "idle"


def test_activity_keeps_the_session_alive(demo, client):
    client.login("leader")
    live = db.session.scalars(select(UserSession)).one()
    live.last_seen_at = utcnow() - timedelta(minutes=29)
    db.session.commit()
    assert client.get("/dashboard").status_code == 200
    db.session.expire_all()
    assert utcnow() - db.session.scalars(select(UserSession)).one().last_seen_at < timedelta(minutes=1)


def test_absolute_timeout(demo, client):
    client.login("leader")
    live = db.session.scalars(select(UserSession)).one()
    live.created_at = utcnow() - timedelta(hours=12, minutes=1)
    db.session.commit()
    assert client.get("/dashboard").status_code == 302
    assert db.session.scalars(select(UserSession)).one().revoked_reason == "expired"


def test_session_id_rotates_at_login(demo, client):
    client.get("/login")
    before = client.client.get_cookie("session").value
    client.login("leader")
    after = client.client.get_cookie("session").value
    assert before != after
    client.logout()
    client.login("leader")
    tokens = db.session.scalars(select(UserSession.token_hash)).all()
    assert len(set(tokens)) == 2


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http:/evil.example", "javascript:alert(1)"],
)
def test_next_redirects_only_to_local_paths(demo, client, target):
    response = client.post(f"/login?next={target}", {"username": "leader", "password": "Demo@2026"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_local_path_is_followed(demo, client):
    response = client.post("/login?next=/dashboard", {"username": "leader", "password": "Demo@2026"})
    assert response.headers["Location"] == "/dashboard"


def test_login_page_redirect_carries_next(demo, client):
    response = client.get("/admin/users?q=x")
    assert response.status_code == 302
    assert "next=/admin/users?q%3Dx" in response.headers["Location"] or "next=%2Fadmin" in response.headers["Location"]


def test_password_is_rehashed_with_current_parameters(app, demo, client):
    old = user("leader").password_hash
    app.config["ARGON2_TIME_COST"] = 2
    passwords.configure(app.config)
    client.login("leader")
    new = user("leader").password_hash
    assert new != old and "t=2" in new
    assert passwords.verify_password(new, "Demo@2026")


def test_a_reset_password_must_be_changed_at_next_login(demo, browser_for):
    admin = browser_for("admin")
    page = admin.post(f"/admin/users/{user('officer2').id}/password",
                      {"reason": "本人遗忘密码，电话核实身份"}).get_data(as_text=True)
    import re

    temporary = re.search(r'class="secret-value" translate="no">([^<]+)<', page).group(1)
    officer = browser_for("officer2", temporary)
    assert officer.get("/dashboard").headers["Location"].endswith("/password")
    # The rules apply to the new password.
    for weak, reason in [("short1", "至少需要 10 个字符"), ("officer2-Secure-1", "不能包含用户名"),
                         ("Password@2026", "过于常见"), ("1234567890", "过于常见")]:
        page = officer.post("/password", {"current_password": temporary, "password": weak, "confirm": weak})
        assert reason in page.get_data(as_text=True), weak
    good = "Lantern-Harbor-42"
    response = officer.post("/password", {"current_password": temporary, "password": good, "confirm": good})
    assert response.status_code == 302
    assert officer.get("/dashboard").status_code == 200
    assert browser_for("officer2", good).get("/dashboard").status_code == 200


def test_password_rules():
    from inspect_app.services.accounts.passwords import password_problems

    assert password_problems("Lantern-Harbor-42", "zhangsan", 10) == []
    assert password_problems("qwertyuiop", "zhangsan", 10)
    assert password_problems("Qwerty@20261", "zhangsan", 10)
    assert password_problems("aaaaaaaaaaaa", "zhangsan", 10)
    assert password_problems("my-zhangsan-pass", "ZhangSan", 10)
    assert password_problems("x" * 129, "zhangsan", 10)


def test_the_login_page_names_the_demo_accounts_in_demo_mode_only(app, demo, client):
    page = client.get("/login").get_data(as_text=True)
    assert "演示账户" in page and "Demo@2026" in page
    assert re.search(r"<code>officer2</code></td><td>单位保密员</td><td>西山县自然资源局</td>", page)
    assert re.search(r"<code>secadmin</code></td><td>安全保密管理员</td><td>宝川市国家保密局</td>", page)
    app.config["INSPECT_DEMO"] = False
    page = client.get("/login").get_data(as_text=True)
    assert "演示账户" not in page and "Demo@2026" not in page and "officer2" not in page
