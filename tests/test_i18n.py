"""Chinese by default, English on request, remembered per user."""

import pytest

from .helpers import user


def test_chinese_is_the_default(demo, client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "登录保密检查系统" in html


def test_anonymous_visitor_switches_language(demo, client):
    client.post("/language", {"lang": "en", "next": "/login"})
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Log in" in html and "登录保密检查系统" not in html


def test_language_is_remembered_on_the_account(demo, browser_for):
    leader = browser_for("leader")
    leader.post("/language", {"lang": "en", "next": "/dashboard"})
    assert user("leader").language == "en"
    again = browser_for("leader")  # a new device
    assert '<html lang="en">' in again.get("/dashboard").get_data(as_text=True)


def test_unknown_language_is_ignored(demo, client):
    client.post("/language", {"lang": "fr"})
    assert '<html lang="zh-CN">' in client.get("/login").get_data(as_text=True)


def test_error_pages_in_both_languages(demo, browser_for):
    officer = browser_for("officer")
    zh = officer.get("/admin/org")
    assert zh.status_code == 403 and "没有权限" in zh.get_data(as_text=True)
    assert "页面不存在" in officer.get("/nowhere").get_data(as_text=True)
    officer.post("/language", {"lang": "en"})
    en = officer.get("/admin/org").get_data(as_text=True)
    assert "没有权限" not in en and "not permitted to do this" in en
    assert "not found" in officer.get("/nowhere").get_data(as_text=True).lower()


def test_json_errors_speak_the_users_language(demo, browser_for):
    leader = browser_for("leader")
    response = leader.send_json("POST", "/language", {"lang": "en"}, csrf=False)
    assert response.status_code == 400
    assert "页面已过期" in response.get_json()["message"]


@pytest.mark.db_independent
def test_every_catalogue_entry_is_translated(app):
    from pathlib import Path

    from babel.messages.pofile import read_po

    po = Path(app.root_path) / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f)
    missing = [m.id for m in catalog if m.id and not m.string]
    assert missing == []
