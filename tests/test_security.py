"""Headers, CSRF, navigation by role and the access gate."""

import pytest

from .helpers import Browser

ROLES = ["admin", "secadmin", "auditor", "inspector", "inspector2", "officer", "officer2", "leader"]


def get_routes(app) -> list[str]:
    """Every GET route without URL parameters."""
    return sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
    )


@pytest.mark.parametrize("username", [None, *ROLES])
def test_every_page_carries_the_security_headers(app, demo, browser_for, username):
    browser = browser_for(username)
    for path in get_routes(app):
        response = browser.get(path)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp, path
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp, (path, directive)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        if response.status_code == 200 and response.mimetype == "text/html":
            assert response.headers["Cache-Control"] == "no-store", path
            html = response.get_data(as_text=True)
            assert "<script>" not in html and " style=" not in html and "onclick" not in html, path
            assert "http://" not in html.replace("http://localhost", "") and "https://" not in html, path


def test_error_pages_carry_the_headers_too(demo, client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_session_cookie_is_httponly_and_secure_over_https(demo, app):
    browser = Browser(app)
    response = browser.client.get("/login", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = Browser(app).client.get("/login").headers["Set-Cookie"]
    assert "Secure" not in plain


def test_form_post_without_csrf_token_is_refused_and_changes_nothing(demo, browser_for):
    admin = browser_for("admin")
    response = admin.post("/admin/org/new", {"kind": "unit", "parent_id": 1, "name": "无令牌单位",
                                             "code": "NO-CSRF", "unit_type": "other"}, csrf=False)
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert "无令牌单位" not in admin.get("/admin/org").get_data(as_text=True)


def test_login_without_csrf_token_is_refused(demo, client):
    response = client.post("/login", {"username": "leader", "password": "Demo@2026"}, csrf=False)
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 302


def test_json_post_without_csrf_header_is_refused(demo, browser_for):
    leader = browser_for("leader")
    response = leader.send_json("POST", "/language", {"lang": "en"}, csrf=False)
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf"


def test_a_stale_form_after_logout_is_refused(demo, browser_for):
    admin = browser_for("admin")
    token = admin.token()
    admin.logout()
    admin.login("admin")
    response = admin.post("/admin/org/new", {"kind": "unit", "parent_id": 1, "name": "旧表单", "code": "OLD-1",
                                             "unit_type": "other", "csrf_token": token})
    assert response.status_code == 400


NAV = {
    "admin": {"机构", "账户"},
    "secadmin": {"权限", "审计员操作"},
    "auditor": {"审计"},
    "inspector": {"工作台"},
    "leader": {"工作台"},
    "officer": {"工作台"},
}


@pytest.mark.parametrize("username", NAV)
def test_navigation_by_role(demo, browser_for, username):
    html = browser_for(username).get("/", follow_redirects=True).get_data(as_text=True)
    nav = html.split('class="mainnav"', 1)[1].split("</nav>", 1)[0]
    for item in NAV[username]:
        assert f">{item}</a>" in nav
    for other in {"机构", "账户", "权限", "审计员操作", "审计"} - NAV[username]:
        assert f">{other}</a>" not in nav


@pytest.mark.parametrize(
    ("username", "allowed", "forbidden"),
    [
        ("admin", ["/admin/org", "/admin/users"], ["/audit/", "/dashboard", "/rights/users", "/rights/auditors"]),
        ("secadmin", ["/rights/users", "/rights/auditors"],
         ["/audit/", "/audit/export.csv", "/admin/users", "/admin/users/new", "/admin/org", "/dashboard"]),
        ("auditor", ["/audit/"], ["/admin/org", "/admin/users", "/dashboard", "/rights/users", "/rights/auditors"]),
        ("inspector", ["/dashboard"], ["/admin/org", "/admin/users", "/audit/", "/rights/users"]),
        ("officer", ["/dashboard"], ["/admin/org", "/admin/users", "/audit/", "/rights/auditors"]),
        ("leader", ["/dashboard"], ["/admin/org", "/audit/", "/admin/users/new", "/rights/users"]),
    ],
)
def test_pages_by_role(demo, browser_for, username, allowed, forbidden):
    browser = browser_for(username)
    for path in allowed:
        assert browser.get(path).status_code == 200, path
    for path in forbidden:
        assert browser.get(path).status_code == 403, path


def test_signed_out_users_are_sent_to_login_and_api_gets_401(demo, client):
    assert client.get("/admin/org").status_code == 302
    response = client.get("/api/v1/anything", headers={"Accept": "application/json"})
    assert response.status_code in (401, 404)
    assert client.get("/healthz").status_code == 200


def test_nul_bytes_in_requests_are_refused_not_a_server_error(demo, browser_for):
    admin = browser_for("admin")
    assert admin.get("/admin/users?q=a%00b").status_code == 400
    assert admin.post("/admin/org/new", {"name": "a\x00b", "code": "X", "kind": "unit"}).status_code == 400
