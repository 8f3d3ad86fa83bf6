"""The audit trail: every security event recorded, hash-chained, append-only, verifiable."""

import csv
import io

import pytest
from sqlalchemy import select, text

from inspect_app.extensions import db
from inspect_app.models import AuditRecord
from inspect_app.services import audit

from .helpers import user


def tamper(statement: str) -> None:
    """Change the table as an attacker with database access would, past the append-only triggers."""
    dialect = db.engine.dialect.name
    with db.engine.begin() as conn:
        if dialect == "sqlite":
            conn.execute(text("DROP TRIGGER audit_record_no_update"))
            conn.execute(text("DROP TRIGGER audit_record_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_no_change"))
        conn.execute(text(statement))
        if dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_no_change"))


def run_verify(app):
    db.session.remove()  # as a separate process would, start from what is committed
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_security_events_are_recorded_with_actor_ip_and_object(demo, browser_for):
    browser_for("officer", "wrong-password-1")
    officer = browser_for("officer")
    officer.logout()
    records = db.session.scalars(select(AuditRecord).order_by(AuditRecord.id)).all()
    tail = [(r.action, r.actor_name, r.object_type, r.ip) for r in records[-3:]]
    assert tail == [
        ("auth.login_failed", "officer", "user_account", "127.0.0.1"),
        ("auth.login", "officer", "user_account", "127.0.0.1"),
        ("auth.logout", "officer", "user_account", "127.0.0.1"),
    ]


def test_intact_chain_verifies(app, demo, browser_for):
    browser_for("leader")
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    assert audit.verify_chain(db.session) is None


def test_an_altered_record_breaks_the_chain(app, demo):
    tamper("UPDATE audit_record SET actor_name = 'someone-else' WHERE id = 5")
    result = run_verify(app)
    assert result.exit_code == 1
    assert "audit record 5: content was altered" in result.output


def test_a_deleted_record_breaks_the_chain(app, demo):
    tamper("DELETE FROM audit_record WHERE id = 7")
    result = run_verify(app)
    assert result.exit_code == 1
    assert "audit record 7: missing" in result.output


def test_removing_the_newest_records_is_noticed(app, demo):
    last = db.session.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1))
    tamper(f"DELETE FROM audit_record WHERE id = {last}")
    result = run_verify(app)
    assert result.exit_code == 1
    assert "the newest records were removed" in result.output


def test_a_record_rewritten_with_a_fresh_hash_breaks_the_next_link(app, demo):
    rec = db.session.get(AuditRecord, 3)
    rec.actor_name = "forged"
    forged = audit.content_hash(rec)
    db.session.rollback()
    tamper(f"UPDATE audit_record SET actor_name = 'forged', hash = '{forged}' WHERE id = 3")
    result = run_verify(app)
    assert result.exit_code == 1
    assert "audit record 4: does not link to the record before it" in result.output


@pytest.mark.parametrize("statement", ["UPDATE audit_record SET ip = 'x'", "DELETE FROM audit_record"])
def test_the_database_refuses_changes_to_records(demo, statement):
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))


def test_auditor_filters_and_exports(demo, browser_for):
    browser_for("officer", "wrong-password-1")
    auditor = browser_for("auditor")
    page = auditor.get("/audit/?action=auth.login_failed").get_data(as_text=True)
    assert "officer" in page and "登录失败" in page
    response = auditor.get("/audit/export.csv?action=auth.login")
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:5] == ["序号", "时间(UTC)", "操作人", "IP", "操作"]
    assert {row[4] for row in rows[1:]} <= {"auth.login", "auth.login_failed", "auth.login_refused"}
    assert any(row[2] == "auditor" for row in rows[1:])
    assert db.session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first().action == "audit.export"


def test_auditor_verifies_from_the_page(demo, browser_for):
    auditor = browser_for("auditor")
    response = auditor.post("/audit/verify", follow_redirects=True)
    assert "审计链完整" in response.get_data(as_text=True)


def test_auditor_does_nothing_else_and_admin_cannot_touch_the_trail(demo, browser_for):
    auditor = browser_for("auditor")
    assert auditor.get("/admin/org").status_code == 403
    assert auditor.post(f"/admin/users/{user('leader').id}/active", {"active": "0"}).status_code == 403
    admin = browser_for("admin")
    assert admin.get("/audit/").status_code == 403
    assert admin.get("/audit/export.csv").status_code == 403
    assert admin.post("/audit/verify").status_code == 403


def test_the_export_never_hands_a_spreadsheet_a_formula(demo, browser_for):
    browser_for("=HYPERLINK(\"http://x\")", "wrong-password-1")  # a "username" typed at the login page
    body = browser_for("auditor").get("/audit/export.csv?action=auth.login_failed").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    names = [row[2] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")" in names and not any(n.startswith("=") for n in names)
