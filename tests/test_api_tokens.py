"""API tokens of machine clients: issued to a named client with a scope and permissions (on the command line and
by the secadmin on the web), shown once and stored hashed; each request audited and limited; expired and revoked
tokens refused; a token scoped like a person (another district's objects answer 404); no CSRF for a token."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import ApiToken, AuditRecord, Inspection, Role, User, utcnow

from .factories import issued_inspection, make_inspection
from .helpers import Browser, Machine, issue_token, make_user, node

TOKEN_SHAPE = r"^bmjc_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$"


def audit_actions(action: str) -> list[AuditRecord]:
    return list(db.session.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)))


# Issuing ----------------------------------------------------------------------------------------------------


def test_the_command_line_issues_lists_and_revokes_and_shows_a_token_once(app, demo):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["api-token", "create", "--name", "dh-tech-kit", "--scope", "BC-DH",
                                  "--permission", "scans.import", "--permission", "inspections.read,figures.read"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert re.fullmatch(TOKEN_SHAPE, secret)
    token = db.session.scalar(select(ApiToken))
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps([token.permissions_json, token.prefix, token.name])  # only the digest is kept
    assert (token.account.username, token.account.role, token.scope.code) == ("api:dh-tech-kit", "client", "BC-DH")
    assert token.permissions == ["figures.read", "inspections.read", "scans.import"]

    listed = runner.invoke(args=["api-token", "list"])
    assert listed.exit_code == 0 and "dh-tech-kit" in listed.output and "active" in listed.output
    assert secret not in listed.output and f"bmjc_{token.prefix}_…" in listed.output

    assert Machine(app, secret).get("/api/v1/inspections").status_code == 200
    revoked = runner.invoke(args=["api-token", "revoke", "dh-tech-kit", "--reason", "工具箱更换"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert Machine(app, secret).get("/api/v1/inspections").status_code == 401
    assert "revoked" in runner.invoke(args=["api-token", "list"]).output
    assert [r.action for r in audit_actions("api.token_issue") + audit_actions("api.token_revoke")] == [
        "api.token_issue", "api.token_revoke"]


@pytest.mark.parametrize(("args", "message"), [
    (["--name", "x y", "--scope", "BC-DH", "--permission", "figures.read"], "不含空格"),
    (["--name", "kit", "--scope", "NOWHERE", "--permission", "figures.read"], "no org node has the code"),
    (["--name", "kit", "--scope", "BC-DH", "--permission", "everything"], "未知的权限"),
    (["--name", "kit", "--scope", "BC-DH", "--permission", "tickets.respond"], "只能限定于一个单位"),
    (["--name", "kit", "--scope", "DH-ZFB", "--permission", "inspections.plan"], "须限定于市局或区县局"),
    (["--name", "kit", "--scope", "BC-DH", "--permission", "figures.read", "--days", "9999"], "9999"),
])
def test_the_command_line_refuses_a_bad_grant_in_words(app, demo, args, message):
    result = app.test_cli_runner().invoke(args=["api-token", "create", *args])
    assert result.exit_code != 0 and message in result.output
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_a_clients_name_is_taken_once(app, demo):
    issue_token("dh-tech-kit", "BC-DH", "figures.read")
    again = app.test_cli_runner().invoke(args=["api-token", "create", "--name", "DH-Tech-Kit", "--scope", "BC-DH",
                                               "--permission", "figures.read"])
    assert again.exit_code != 0 and "已被使用" in again.output


def test_the_secadmin_issues_and_revokes_on_the_web_and_the_token_shows_once(app, demo, browser_for):
    secadmin = browser_for("secadmin")
    form = secadmin.get("/rights/tokens/new")
    assert form.status_code == 200 and "scans.import" in form.get_data(as_text=True)
    issued = secadmin.post("/rights/tokens/new", {"name": "bc-monitor", "scope_id": node("BC-BMJ").id,
                                                  "permissions": ["figures.read", "inspections.read"],
                                                  "expires_on": (utcnow().date() + timedelta(days=90)).isoformat()})
    page = issued.get_data(as_text=True)
    assert issued.status_code == 200 and "只显示这一次" in page

    secret = re.search(r"bmjc_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", page).group(0)
    assert issued.headers["Cache-Control"] == "no-store"
    listing = secadmin.get("/rights/tokens").get_data(as_text=True)
    assert "bc-monitor" in listing and secret not in listing
    assert Machine(app, secret).get("/api/v1/figures").status_code == 200

    token = db.session.scalar(select(ApiToken))
    refused = secadmin.post(f"/rights/tokens/{token.id}/revoke", {"reason": ""})
    assert refused.status_code == 302 and db.session.get(ApiToken, token.id).revoked_at is None
    secadmin.post(f"/rights/tokens/{token.id}/revoke", {"reason": "平台停用"})
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoke_reason == "平台停用"
    assert Machine(app, secret).get("/api/v1/figures").status_code == 401
    record = audit_actions("api.token_issue")[0]
    assert record.actor_name == "secadmin" and json.loads(record.details)["permissions"] == [
        "figures.read", "inspections.read"]


@pytest.mark.parametrize("username", ["admin", "auditor", "inspector", "leader", "officer"])
def test_only_the_secadmin_manages_tokens(demo, browser_for, username):
    browser = browser_for(username)
    assert browser.get("/rights/tokens").status_code == 403
    assert browser.post("/rights/tokens/new", {"name": "sneaky", "scope_id": node("BC-BMJ").id,
                                               "permissions": ["inspections.read"],
                                               "expires_on": "2099-01-01"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_a_district_secadmin_manages_only_tokens_scoped_in_the_district(app, demo, browser_for):
    make_user("sec-dh", Role.SECADMIN, node("BC-DH"))
    issue_token("city-monitor", "BC-BMJ", "figures.read")
    issue_token("dh-kit", "DH-ZFB", "tickets.read")
    city, district = (db.session.scalar(select(ApiToken).where(ApiToken.name == n)) for n in ("city-monitor", "dh-kit"))
    browser = Browser(app)
    browser.login("sec-dh", "Tablet-Check-2026")
    listing = browser.get("/rights/tokens").get_data(as_text=True)
    assert "dh-kit" in listing and "city-monitor" not in listing
    assert browser.post(f"/rights/tokens/{city.id}/revoke", {"reason": "越权"}).status_code == 404
    page = browser.post("/rights/tokens/new", {"name": "too-wide", "scope_id": node("BC-BMJ").id,
                                               "permissions": ["figures.read"], "expires_on": "2099-01-01"})
    assert page.status_code in (200, 404) and db.session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.name == "too-wide")) == 0
    assert browser.post(f"/rights/tokens/{district.id}/revoke", {"reason": "更换"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, district.id).revoked_at is not None


def test_a_clients_account_is_not_a_persons(app, demo, browser_for):
    issue_token("dh-tech-kit", "BC-DH", "inspections.read")
    account = db.session.scalar(select(User).where(User.role == Role.CLIENT))
    assert "api:dh-tech-kit" not in browser_for("admin").get("/admin/users").get_data(as_text=True)
    assert browser_for("admin").get(f"/admin/users/{account.id}").status_code == 404
    assert browser_for("secadmin").get(f"/rights/users/{account.id}").status_code == 404
    login = Browser(app).login("api:dh-tech-kit", "anything-at-all")
    assert login.status_code == 200 and "用户名或密码" in login.get_data(as_text=True)


# Using a token ----------------------------------------------------------------------------------------------


def test_a_token_sees_its_district_and_nothing_of_another(app, demo):
    ours = issued_inspection("DH-ZFB", lead="inspector2")[0]
    theirs, notice, tickets = issued_inspection("XS-ZFB")
    machine = Machine(app, issue_token("dh-reader", "BC-DH", "inspections.read", "tickets.read", "figures.read"))
    assert machine.get(f"/api/v1/inspections/{ours.id}").status_code == 200
    finding = tickets[0].finding_id
    for path in (f"/api/v1/inspections/{theirs.id}", f"/api/v1/tickets/{tickets[0].id}",
                 f"/api/v1/findings/{finding}", f"/api/v1/notices/{notice.id}",
                 f"/api/v1/units/{node('XS-ZFB').id}", f"/api/v1/inspections/{theirs.id}/scans"):
        response = machine.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
    listed = machine.get("/api/v1/inspections").get_json()["items"]
    assert {i["unit"]["code"] for i in listed} == {"DH-ZFB"}
    units = {u["code"] for u in machine.get("/api/v1/units?limit=100").get_json()["items"]}
    assert units == {"DH-ZFB", "DH-JYJ", "DH-FY", "DH-DL"}
    assert machine.get(f"/api/v1/figures?district_id={node('BC-XS').id}").status_code == 404


def test_a_token_does_only_what_its_permissions_grant(app, demo):
    inspection = make_inspection("DH-ZFB")
    figures = Machine(app, issue_token("dh-figures", "BC-DH", "figures.read"))
    assert figures.get("/api/v1/figures").status_code == 200
    assert figures.get("/api/v1/units").status_code == 200
    for path in ("/api/v1/inspections", f"/api/v1/inspections/{inspection.id}", "/api/v1/tickets",
                 "/api/v1/findings", "/api/v1/notices", "/api/v1/csrf"):
        response = figures.get(path)
        assert (response.status_code, response.get_json()["error"]) == (403, "403"), path
    # A client is never on a team: it reads the checklist, and cannot answer, photograph or submit.
    reader = Machine(app, issue_token("dh-reader", "BC-DH", "inspections.read"))
    assert reader.get(f"/api/v1/inspections/{inspection.id}").get_json()["can_answer"] is False
    refused = reader.send_json("PUT", f"/api/v1/inspections/{inspection.id}/answers", {"answers": [{
        "client_uuid": "3f8a1c2e-0b4d-4e6f-9a1b-2c3d4e5f6a7b", "item_id": 1, "base_revision": 0, "value": "x"}]})
    assert refused.status_code == 403


def test_a_token_needs_no_csrf_and_a_session_still_does(app, demo, browser_for):
    inspection = make_inspection("DH-ZFB")
    machine = Machine(app, issue_token("dh-kit", "BC-DH", "scans.import"))
    body = {"format": "inspect-scan", "version": 1, "scan_id": "K-1", "tool": {"name": "工具", "version": "1"},
            "devices": [{"device_id": "PC-1", "results": [
                {"check": "wireless_device", "result": "pass", "scanned_at": "2026-01-05T02:00:00Z"}]}]}
    assert machine.send_json("POST", f"/api/v1/inspections/{inspection.id}/scans", body).status_code == 201
    inspector = browser_for("inspector")
    without = inspector.send_json("POST", f"/api/v1/inspections/{inspection.id}/scans", {**body, "scan_id": "K-2"},
                                  csrf=False)
    assert (without.status_code, without.get_json()["error"]) == (400, "csrf")
    assert inspector.send_json("POST", f"/api/v1/inspections/{inspection.id}/scans",
                               {**body, "scan_id": "K-2"}).status_code == 201


def test_every_use_is_audited_and_the_token_remembers_its_last(app, demo):
    make_inspection("DH-ZFB")
    machine = Machine(app, issue_token("dh-reader", "BC-DH", "inspections.read"))
    for path in ("/api/v1/inspections", "/api/v1/units", "/api/v1/nothing"):
        machine.get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    uses = audit_actions("api.request")
    assert [json.loads(r.details)["path"] for r in uses] == ["/api/v1/inspections", "/api/v1/units",
                                                             "/api/v1/nothing"]
    assert {r.actor_name for r in uses} == {"api:dh-reader"} and {r.ip for r in uses} == {"10.1.2.3"}
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_ip == "10.1.2.3" and token.last_used_at is not None


@pytest.mark.parametrize("change", ["expired", "revoked"])
def test_an_expired_or_revoked_token_is_refused_and_the_refusal_audited(app, demo, change):
    secret = issue_token("dh-reader", "BC-DH", "inspections.read")
    token = db.session.scalar(select(ApiToken))
    if change == "expired":
        token.expires_at = utcnow() - timedelta(seconds=1)
    else:
        token.revoked_at = utcnow()
        token.account.active = False
    db.session.commit()
    response = Machine(app, secret).get("/api/v1/inspections")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["error"] == "invalid_token" and problem["status"] == 401
    assert problem["type"].endswith("/api/v1/openapi.json#/x-problem-types/invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    refusal = audit_actions("api.token_refused")
    assert len(refusal) == 1 and json.loads(refusal[0].details)["reason"] == change
    assert audit_actions("api.request") == []


@pytest.mark.parametrize("header", ["Bearer bmjc_00000000_" + "A" * 43, "Bearer not-a-token", "Basic dXNlcjpwdw==",
                                    "Bearer", ""])
def test_a_token_that_is_no_token_is_refused_and_not_audited(app, demo, header):
    response = Machine(app, "x").get("/api/v1/inspections", headers={"Authorization": header})
    assert (response.status_code, response.get_json()["error"]) == (401, "invalid_token")
    assert audit_actions("api.token_refused") == [] and audit_actions("api.request") == []


def test_a_token_counts_only_on_the_api(app, demo):
    secret = issue_token("dh-reader", "BC-DH", "inspections.read")
    page = Machine(app, secret).get("/inspections/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert audit_actions("api.request") == []


def test_a_replayed_request_of_a_revoked_token_stays_refused(app, demo):
    """A copy of a token in the wrong hands: once revoked, every replay of its requests is refused."""
    inspection = make_inspection("DH-ZFB")
    secret = issue_token("dh-kit", "BC-DH", "inspections.read")
    machine = Machine(app, secret)
    assert machine.get(f"/api/v1/inspections/{inspection.id}").status_code == 200
    app.test_cli_runner().invoke(args=["api-token", "revoke", "dh-kit", "--reason", "令牌外泄"])
    for _ in range(3):
        assert machine.get(f"/api/v1/inspections/{inspection.id}").status_code == 401
    assert len(audit_actions("api.token_refused")) == 3


def test_tokens_are_rate_limited_each_on_its_own(app, demo, make_app):
    limited = make_app({"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3/minute",
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    first = Machine(limited, issue_token("kit-one", "BC-DH", "figures.read"))
    second = Machine(limited, issue_token("kit-two", "BC-DH", "figures.read"))
    statuses = [first.get("/api/v1/units").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited_response = first.get("/api/v1/units")
    assert limited_response.mimetype == "application/problem+json" and limited_response.get_json()["status"] == 429
    assert second.get("/api/v1/units").status_code == 200
    # The tablets' session is not counted against any token.
    browser = Browser(limited)
    browser.login("inspector")
    assert all(browser.get("/api/v1/units").status_code == 200 for _ in range(5))


def test_a_token_plans_an_inspection_for_the_inspector_it_names(app, demo):
    machine = Machine(app, issue_token("dh-plan", "BC-DH", "inspections.plan", "inspections.read"))
    inspector2 = db.session.scalar(select(User).where(User.username == "inspector2"))
    plan = {"unit_id": node("DH-JYJ").id, "kind": "routine", "scheduled_on": "2030-03-15",
            "templates": ["network", "carriers"], "lead_id": inspector2.id}
    created = machine.send_json("POST", "/api/v1/inspections", plan)
    assert created.status_code == 201, created.get_json()
    inspection = db.session.get(Inspection, created.get_json()["id"])
    assert (inspection.lead.username, inspection.created_by.username, inspection.bureau.code) == (
        "inspector2", "api:dh-plan", "BC-DH")
    assert [v.template.key for v in inspection.versions] == ["network", "carriers"]
    without_lead = machine.send_json("POST", "/api/v1/inspections", {**plan, "lead_id": None})
    assert without_lead.status_code == 400 and "组长" in without_lead.get_json()["detail"]
    elsewhere = machine.send_json("POST", "/api/v1/inspections", {**plan, "unit_id": node("XS-ZFB").id})
    assert elsewhere.status_code == 404
    city = db.session.scalar(select(User).where(User.username == "inspector"))
    # The city's inspector may inspect a 东湖区 unit; a name nobody can lead there is refused.
    assert machine.send_json("POST", "/api/v1/inspections", {**plan, "lead_id": city.id}).status_code == 201
    assert machine.send_json("POST", "/api/v1/inspections", {**plan, "lead_id": 999_999}).status_code == 400
