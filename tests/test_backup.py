"""Backups: taken while the app serves, restored into an empty instance, the audit chain intact."""

import contextvars
import io
import tarfile

import pytest
from sqlalchemy import func, select, text

from inspect_app.extensions import db
from inspect_app.models import Answer, Attachment, AuditRecord, Inspection, Ticket
from inspect_app.services import attachments


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Inspection, Answer, Attachment, Ticket, AuditRecord)}


@pytest.fixture
def empty_target(scratch_database):
    """The database URL of a new, empty instance."""
    return scratch_database("restore")


def test_backup_then_restore_into_an_empty_instance(app, full_demo, make_app, empty_target, tmp_path):
    before = counts()
    photo = db.session.scalars(select(Attachment).where(Attachment.kind == "photo")).first()
    backup_file = tmp_path / "backups" / "inspect.tar.gz"
    created = app.test_cli_runner().invoke(args=["backup", "create", "--out", str(backup_file)])
    assert created.exit_code == 0, created.output
    assert f"{before['AuditRecord']} audit records" in created.output

    restored_dir = tmp_path / "restored-attachments"
    target = make_app({"SQLALCHEMY_DATABASE_URI": empty_target, "ATTACHMENTS_DIR": str(restored_dir)})
    # A context of its own: the test's app context must not stand in for the target's.
    result = contextvars.Context().run(target.test_cli_runner().invoke, args=["backup", "restore", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
    with target.app_context():
        db.session.remove()
        assert counts() == before
        assert (restored_dir / photo.sha256[:2] / photo.sha256).read_bytes() == \
            attachments.path_of(photo.sha256).read_bytes()
        verified = target.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0
        # The restored database is a working one: the append-only rule came back with it.
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_record"))
        db.session.remove()


def test_restore_refuses_a_database_that_holds_data(app, full_demo, tmp_path):
    backup_file = tmp_path / "b.tar.gz"
    app.test_cli_runner().invoke(args=["backup", "create", "--out", str(backup_file)])
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(backup_file)])
    assert result.exit_code != 0 and "already holds data" in result.output


def test_restore_refuses_files_that_are_not_backups(app, tmp_path):
    stray = tmp_path / "not-a-backup.tar.gz"
    with tarfile.open(stray, "w:gz") as archive:
        data = b"hello"
        info = tarfile.TarInfo("../../etc/evil")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(stray)])
    assert result.exit_code != 0 and "unexpected entry" in result.output
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(empty)])
    assert result.exit_code != 0 and "not a backup" in result.output
