"""Command-line entry points."""

import json

from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import OrgNode, User

from .helpers import user


def test_seed_demo_refuses_outside_demo_mode(app):
    app.config["INSPECT_DEMO"] = False
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "INSPECT_DEMO=1" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_seed_demo_builds_the_demo_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    counts = (db.session.scalar(select(func.count()).select_from(OrgNode)),
              db.session.scalar(select(func.count()).select_from(User)))
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert counts == (db.session.scalar(select(func.count()).select_from(OrgNode)),
                      db.session.scalar(select(func.count()).select_from(User)))
    assert counts[0] >= 13 and {u.username for u in db.session.scalars(select(User).where(User.role != "client"))} \
        == {"admin", "secadmin", "auditor", "inspector", "inspector2", "officer", "officer2", "leader"}
    # and the district's technical inspection kit, a machine client with a token of its own
    assert db.session.scalars(select(User.username).where(User.role == "client")).all() == ["api:dh-tech-kit"]
    units = db.session.scalar(select(func.count()).select_from(OrgNode).where(OrgNode.kind == "unit"))
    assert units >= 10
    assert user("officer").org_node_id != user("officer2").org_node_id
    assert user("inspector2").org_node.kind == "district"


def test_create_user_for_a_new_system(app, browser_for):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--username", "root.admin", "--name", "管理员", "--role", "admin", "--org-code", "CITY",
        "--create-bureau", "--bureau-name", "某市国家保密局", "--password", "Lantern-Harbor-42"])
    assert result.exit_code == 0, result.output
    assert browser_for("root.admin", "Lantern-Harbor-42").get("/admin/org").status_code == 200


def test_create_user_refuses_a_weak_password(app, demo):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--username", "weak", "--name", "弱", "--role", "inspector", "--org-code", "BC-BMJ",
        "--password", "password123"])
    assert result.exit_code != 0
    assert "过于常见" in result.output


def test_the_demo_has_inspections_in_every_state(full_demo):
    from inspect_app.models import Attachment, ExtensionRequest, Finding, Inspection, Ticket

    statuses = {i.status for i in db.session.scalars(select(Inspection))}
    assert statuses == {"planned", "in_progress", "submitted", "issued", "closed", "cancelled"}
    assert {t.status for t in db.session.scalars(select(Ticket))} == {"open", "responded", "returned", "accepted"}
    assert db.session.scalars(select(ExtensionRequest)).one().status == "pending"
    kinds = {i.kind for i in db.session.scalars(select(Inspection))}
    assert {"routine", "special", "spot", "self"} <= kinds
    assert db.session.scalar(select(func.count()).select_from(Finding)) >= 5
    photos = db.session.scalars(select(Attachment).where(Attachment.kind == "photo")).all()
    assert photos and all(p.size > 0 for p in photos)


def test_seed_demo_migrates_an_empty_database_first(make_app, scratch_database):
    import contextvars

    fresh = make_app({"SQLALCHEMY_DATABASE_URI": scratch_database("seed_empty")})
    result = contextvars.Context().run(fresh.test_cli_runner().invoke, args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "migrating it to the newest version" in result.output and "demo data created" in result.output
    with fresh.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "officer2")) == 1
        db.session.remove()


def test_seed_demo_on_an_old_database_says_what_to_run(make_app, scratch_database):
    import contextvars

    from flask_migrate import downgrade

    old = make_app({"SQLALCHEMY_DATABASE_URI": scratch_database("seed_old")})

    def run():
        with old.app_context():
            from flask_migrate import upgrade

            upgrade()
            downgrade(revision="-1")
            db.session.remove()
        return old.test_cli_runner().invoke(args=["seed-demo"])

    result = contextvars.Context().run(run)
    assert result.exit_code != 0
    assert "db upgrade" in result.output and "Traceback" not in result.output


def test_the_command_line_resets_and_deactivates_an_admin_account_the_web_cannot(app, demo, browser_for):
    from inspect_app.models import AuditRecord, Notification

    auditor = browser_for("auditor")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["reset-password", "auditor"]).exit_code != 0  # a reason is required
    result = runner.invoke(args=["reset-password", "auditor", "--reason", "密码遗忘，本人书面申请"])
    assert result.exit_code == 0, result.output
    temporary = result.output.split(": ", 1)[1].split()[0]
    assert "/login" in auditor.get("/audit/").headers.get("Location", "")  # the old session ended
    assert browser_for("auditor").get("/audit/").status_code != 200  # the old password no longer works
    fresh = browser_for("auditor", temporary)
    assert "password" in fresh.get("/audit/").headers.get("Location", "")  # a change comes first
    fresh.post("/password", {"current_password": temporary, "password": "Ledger-Quartz-58",
                             "confirm": "Ledger-Quartz-58"})
    told = fresh.get("/notifications").get_data(as_text=True)
    assert "您的密码已被 服务器命令行 重置，原因：密码遗忘，本人书面申请" in told
    record = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "user.password_reset")
                                .order_by(AuditRecord.id.desc())).first()
    assert record.actor_id is None and json.loads(record.details) == {"reason": "密码遗忘，本人书面申请"}
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user("auditor").id, Notification.kind == "password_reset"))

    assert runner.invoke(args=["set-active", "secadmin", "--off"]).exit_code == 0
    assert not user("secadmin").active
    assert browser_for("secadmin").get("/rights/users").status_code != 200
    assert runner.invoke(args=["set-active", "secadmin", "--on"]).exit_code == 0
    assert browser_for("secadmin").get("/rights/users").status_code == 200
    missing = runner.invoke(args=["set-active", "nobody", "--off"])
    assert missing.exit_code != 0 and "nobody" in missing.output
