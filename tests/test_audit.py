"""The audit trail: every security event recorded, hash-chained under a key, append-only, verifiable."""

import csv
import io
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text

from inspect_app.extensions import db
from inspect_app.models import AuditRecord
from inspect_app.models.audit import GENESIS_HASH
from inspect_app.services import audit

from .helpers import user


def tamper(*statements: str | tuple[str, dict]) -> None:
    """Change the table as an attacker with database access would, past the append-only triggers."""
    db.session.rollback()
    dialect = db.engine.dialect.name
    with db.engine.begin() as conn:
        if dialect == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_record_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_record_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_no_change"))
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, {})
            conn.execute(text(sql), params)
        if dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_no_change"))


def guessed_key(rec: AuditRecord) -> str:
    return audit.content_hash(rec, b"a-key-the-attacker-guessed-0123456789")


def rechain(hasher: Callable[[AuditRecord], str], start: int, end: int | None = None, **changes) -> None:
    """Rewrite record `start` with `changes` and re-link it and every later record (up to `end`) with `hasher`,
    the head too: all an attacker who can write the database does to hide an edit."""
    prev = db.session.get(AuditRecord, start - 1).hash if start > 1 else GENESIS_HASH
    updates = []
    for rec in db.session.scalars(select(AuditRecord).where(AuditRecord.id.between(start, end or last_id()))
                                  .order_by(AuditRecord.id)):
        forged = AuditRecord(**{c.key: getattr(rec, c.key) for c in AuditRecord.__table__.columns})
        for name, value in (changes if rec.id == start else {}).items():
            setattr(forged, name, value)
        forged.prev_hash, forged.hash = prev, None
        forged.hash = prev = hasher(forged)
        updates.append(("UPDATE audit_record SET actor_name = :actor_name, details = :details, prev_hash = :prev_hash,"
                        " hash = :hash WHERE id = :id", {c: getattr(forged, c) for c in
                                                         ("actor_name", "details", "prev_hash", "hash", "id")}))
    tamper(*updates, *([] if end else [("UPDATE audit_head SET last_hash = :h WHERE id = 1", {"h": prev})]))


def last_id() -> int:
    return db.session.scalar(select(func.max(AuditRecord.id)))


def run_verify(app, *args: str):
    db.session.remove()  # as a separate process would, start from what is committed
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


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
    assert admin.get("/audit/head.txt").status_code == 403
    assert admin.post("/audit/verify").status_code == 403


def test_the_export_never_hands_a_spreadsheet_a_formula(demo, browser_for):
    browser_for("=HYPERLINK(\"http://x\")", "wrong-password-1")  # a "username" typed at the login page
    body = browser_for("auditor").get("/audit/export.csv?action=auth.login_failed").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    names = [row[2] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")" in names and not any(n.startswith("=") for n in names)


@pytest.mark.parametrize("hasher", [audit.unkeyed_hash, guessed_key], ids=["plain-sha256", "guessed-key"])
def test_a_record_rewritten_and_rechained_without_the_key_is_caught(app, demo, hasher):
    rechain(hasher, 5, actor_name="someone-else")
    assert db.session.get(AuditRecord, 5).actor_name == "someone-else"
    result = run_verify(app)
    assert result.exit_code == 1
    assert "audit record 5: content was altered" in result.output


def test_the_same_rewrite_with_the_key_verifies_so_the_key_is_what_counts(app, demo):
    rechain(audit.content_hash, 5, actor_name="someone-else")
    assert run_verify(app).exit_code == 0


def test_a_trail_rewritten_from_the_first_record_without_the_key_is_not_intact(app, demo):
    rechain(audit.unkeyed_hash, 1, details='{"forged":true}')
    result = run_verify(app)
    assert result.exit_code == 1
    assert "audit record 1: not chained under the audit key" in result.output
    rechain(guessed_key, 1)
    assert "audit record 1: content was altered, or the trail is chained under another audit key" in \
        run_verify(app).output


def test_an_exported_head_catches_a_rewrite_by_someone_holding_the_key(app, demo):
    printed = app.test_cli_runner().invoke(args=["audit", "head"]).output
    head = audit.parse_head(printed)
    assert head == audit.ChainHead(last_id(), db.session.get(AuditRecord, last_id()).hash)
    assert f"head:     {head.token}" in printed
    assert "matches the exported head" in run_verify(app, "--head", head.token).output

    rechain(audit.content_hash, 3, actor_name="someone-else")
    assert run_verify(app).exit_code == 0  # the chain alone cannot tell
    result = run_verify(app, "--head", head.token)
    assert result.exit_code == 1
    assert f"audit record {head.record_id}: differs from the exported head" in result.output


def test_an_exported_head_catches_a_trail_cut_back_before_it(app, demo, tmp_path):
    head_file = tmp_path / "head.txt"
    head_file.write_text(app.test_cli_runner().invoke(args=["audit", "head"]).output)
    head = audit.parse_head(head_file.read_text())
    tamper(f"DELETE FROM audit_record WHERE id > {head.record_id - 2}",
           ("UPDATE audit_head SET last_id = :id, last_hash = :h WHERE id = 1",
            {"id": head.record_id - 2, "h": db.session.get(AuditRecord, head.record_id - 2).hash}))
    assert run_verify(app).exit_code == 0
    result = run_verify(app, "--head", str(head_file))
    assert result.exit_code == 1
    assert f"audit record {head.record_id}: the exported head is not in the trail" in result.output
    assert "expected SEQUENCE:HASH" in run_verify(app, "--head", "12:not-a-hash").output


def test_a_trail_from_before_the_key_keeps_working_and_is_sealed_by_rekey(app, demo):
    rechain(audit.unkeyed_hash, 1)  # as every record was written before the chain had a key
    old_head = last_id()
    result = run_verify(app)
    assert result.exit_code == 1 and "flask audit rekey" in result.output

    sealed = app.test_cli_runner().invoke(args=["audit", "rekey"])
    assert sealed.exit_code == 0, sealed.output
    assert f"sealed under the key by record {old_head + 1}" in sealed.output
    seal = db.session.get(AuditRecord, old_head + 1)
    assert seal.action == "audit.rekey" and f'"unkeyed_records":{old_head}' in seal.details
    assert run_verify(app).exit_code == 0
    assert "nothing to do" in app.test_cli_runner().invoke(args=["audit", "rekey"]).output

    # The old records are bound by the seal: one changed and re-chained without the key still shows.
    rechain(audit.unkeyed_hash, 4, old_head, actor_name="someone-else")
    assert f"audit record {old_head + 1}: does not link to the record before it" in run_verify(app).output
    rechain(audit.unkeyed_hash, 4, actor_name="someone-else")  # the seal re-chained too: no longer keyed at all
    assert "audit record 1: not chained under the audit key" in run_verify(app).output


def test_a_trail_from_before_the_key_stays_intact_when_the_app_writes_on(app, demo, browser_for):
    """No silent break on upgrade: the first keyed record seals the old ones, rekey or not."""
    rechain(audit.unkeyed_hash, 1)
    browser_for("officer")
    assert run_verify(app).exit_code == 0


def test_rekey_refuses_a_broken_old_trail(app, demo):
    rechain(audit.unkeyed_hash, 1)
    tamper("UPDATE audit_record SET actor_name = 'someone-else' WHERE id = 4")
    result = app.test_cli_runner().invoke(args=["audit", "rekey"])
    assert result.exit_code == 1
    assert "audit record 4: content was altered" in result.output
    assert db.session.scalar(select(func.count()).where(AuditRecord.action == "audit.rekey")) == 0


def test_auditor_downloads_the_head_and_verifies_against_it(app, demo, browser_for):
    auditor = browser_for("auditor")
    page = auditor.get("/audit/").get_data(as_text=True)
    shown = audit.current_head(db.session)
    assert shown.hash in page and "审计链头" in page
    response = auditor.get("/audit/head.txt")
    assert response.mimetype == "text/plain" and "attachment" in response.headers["Content-Disposition"]
    exported = response.get_data(as_text=True)
    assert f"序号：{shown.record_id}" in exported and f"校验时填写：{shown.token}" in exported
    newest = db.session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert newest.action == "audit.head_export" and shown.token in newest.details

    result = auditor.post("/audit/verify", {"head": exported}, follow_redirects=True).get_data(as_text=True)
    assert f"审计链完整，且第 {shown.record_id} 条记录与已导出的链头一致" in result

    rechain(audit.content_hash, 2, actor_name="someone-else")
    result = auditor.post("/audit/verify", {"head": shown.token}, follow_redirects=True).get_data(as_text=True)
    assert f"第 {shown.record_id} 条记录异常（与已导出的链头不一致，审计链被改写）" in result


def test_a_head_the_page_cannot_read_changes_nothing(demo, browser_for):
    auditor = browser_for("auditor")
    before = last_id()
    for head in ["12:abc", "x" * 1001]:
        result = auditor.post("/audit/verify", {"head": head}, follow_redirects=True)
        assert result.status_code == 200
        assert "无法识别链头" in result.get_data(as_text=True)
    assert last_id() == before


def test_the_page_names_a_break_in_the_users_language(app, demo, browser_for):
    rechain(audit.unkeyed_hash, 5, actor_name="someone-else")
    result = browser_for("auditor").post("/audit/verify", follow_redirects=True).get_data(as_text=True)
    assert "审计链已断裂：第 5 条记录异常（内容被篡改）" in result


def test_parse_head_reads_a_pasted_line_or_a_whole_file():
    digest = "Ab" * 32
    assert audit.parse_head(f"  7:{digest} ") == audit.ChainHead(7, digest.lower())
    assert audit.parse_head(f"序号：7\n校验时填写：7:{digest}\n") == audit.ChainHead(7, digest.lower())
    assert audit.parse_head(f"7:{digest}0") is None
    assert audit.parse_head("") is None


def test_every_action_the_code_records_has_a_name_for_the_auditor():
    """The trail's pages show each action by its name: an action written in code without one would show as a code."""
    import ast
    from pathlib import Path

    from inspect_app.labels import AUDIT_ACTION_LABELS
    from inspect_app.models import IncidentEventKind, TicketEventKind

    recorded = {f"ticket.{kind}" for kind in TicketEventKind} | {f"incident.{kind}" for kind in IncidentEventKind}
    for path in (Path(__file__).parent.parent / "inspect_app").rglob("*.py"):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "record"
                    and len(call.args) >= 3 and isinstance(call.args[2], ast.Constant)):
                recorded.add(call.args[2].value)
    assert len(recorded) > 40
    assert sorted(recorded - AUDIT_ACTION_LABELS.keys()) == []


# 国密: HMAC-SM3 by default, HMAC-SHA256 trails carried over.

def test_new_records_are_chained_by_hmac_sm3_under_the_key(app, demo):
    rec = db.session.get(AuditRecord, last_id())
    from inspect_app import smcrypto

    assert app.config["AUDIT_ALGORITHM"] == "HMAC-SM3"
    expected = smcrypto.hmac_sm3(app.config["AUDIT_KEY"].encode(), audit._content(rec)).hex()
    assert rec.hash == expected != audit.content_hash(rec, algorithm_name=audit.HMAC_SHA256)
    assert f"(1-{last_id()} HMAC-SM3)" in run_verify(app).output


def test_a_trail_under_hmac_sha256_goes_on_under_sm3_and_its_old_records_keep_verifying(app, demo, browser_for):
    """An installation from before 国密: its records were chained by HMAC-SHA256 under the same key."""
    rechain(lambda rec: audit.content_hash(rec, algorithm_name=audit.HMAC_SHA256), 1)
    old_head = last_id()
    assert f"(1-{old_head} HMAC-SHA256)" in run_verify(app).output

    sealed = app.test_cli_runner().invoke(args=["audit", "rekey"])
    assert sealed.exit_code == 0, sealed.output
    assert f"goes on under HMAC-SM3 from record {old_head + 1}" in sealed.output
    seal = db.session.get(AuditRecord, old_head + 1)
    assert seal.action == "audit.algorithm_change"
    assert f'"previous_algorithm":"HMAC-SHA256","previous_head":"{db.session.get(AuditRecord, old_head).hash}"' \
        in seal.details and f'"previous_records":{old_head}' in seal.details
    browser_for("officer")  # the app writes on under HMAC-SM3
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert f"(1-{old_head} HMAC-SHA256, {old_head + 1}-{last_id()} HMAC-SM3)" in result.output
    assert "nothing to do" in app.test_cli_runner().invoke(args=["audit", "rekey"]).output

    # The old segment is still bound by the key: an edit to it, re-chained without the key, shows.
    rechain(guessed_key, 3, old_head, actor_name="someone-else")
    assert "audit record 3: content was altered" in run_verify(app).output


def test_a_record_under_hmac_sha256_after_sm3_ones_is_a_break(app, demo):
    """Once under SM3 a trail never goes back: setting AUDIT_ALGORITHM back, or a record rewritten under the older
    algorithm, is reported."""
    app.config["AUDIT_ALGORITHM"] = audit.HMAC_SHA256
    with pytest.raises(audit.AlgorithmNotSupported, match="set AUDIT_ALGORITHM=HMAC-SM3"):
        audit.rekey(db.session)
    from inspect_app.database import transaction

    with transaction(db.session):
        audit.record(db.session, None, "audit.verify", details={"intact": True})
    result = run_verify(app)
    assert result.exit_code == 1
    assert f"audit record {last_id()}: chained under an older algorithm" in result.output
    assert "AUDIT_ALGORITHM was set back, or the record was rewritten (HMAC-SHA256 after HMAC-SM3)" in result.output
