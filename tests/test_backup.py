"""Backups: taken while the app serves, restored into an empty instance, the audit chain intact."""

import contextvars
import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from inspect_app.extensions import db
from inspect_app.models import Answer, Attachment, AuditRecord, Inspection, Ticket
from inspect_app.services import attachments, audit


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


def test_a_backup_needs_the_audit_key_it_was_made_under(app, demo, make_app, empty_target, tmp_path):
    """The key is not in the backup: restored with another one, nothing is restored and the message says why."""
    backup_file = tmp_path / "inspect.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", "create", "--out", str(backup_file)]).exit_code == 0
    with tarfile.open(backup_file) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
        assert all(app.config["AUDIT_KEY"].encode() not in archive.extractfile(m).read()
                   for m in archive.getmembers() if m.isfile())
    assert manifest["audit_key_id"] == audit.key_id()
    target = make_app({"SQLALCHEMY_DATABASE_URI": empty_target, "AUDIT_KEY": "another-key-" + "0" * 40,
                       "ATTACHMENTS_DIR": str(tmp_path / "restored-attachments")})
    result = contextvars.Context().run(target.test_cli_runner().invoke, args=["backup", "restore", str(backup_file)])
    assert result.exit_code != 0
    assert "chained under another audit key" in result.output
    with target.app_context():
        assert inspect(db.engine).get_table_names() == []


def test_restore_refuses_a_database_that_holds_data(app, full_demo, tmp_path):
    backup_file = tmp_path / "b.tar.gz"
    app.test_cli_runner().invoke(args=["backup", "create", "--out", str(backup_file)])
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(backup_file)])
    assert result.exit_code != 0 and "already holds data" in result.output


def _archive_with(path, info: tarfile.TarInfo, data: bytes = b"") -> None:
    with tarfile.open(path, "w:gz") as archive:
        manifest = tarfile.TarInfo("manifest.json")
        archive.addfile(manifest, io.BytesIO(b""))
        info.size = len(data) if info.isfile() else 0
        archive.addfile(info, io.BytesIO(data) if info.isfile() else None)


def _entry(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


@pytest.mark.parametrize("entry", [
    _entry("../../etc/evil"),
    _entry("attachments/../../evil"),
    _entry("/tmp/absolute-evil"),
    _entry("attachments/link", tarfile.SYMTYPE, "/etc/passwd"),
    _entry("attachments/hard", tarfile.LNKTYPE, "manifest.json"),
    _entry("attachments/fifo", tarfile.FIFOTYPE),
    _entry("attachments/tty", tarfile.CHRTYPE),
], ids=["dotdot", "dotdot-inside", "absolute", "symlink", "hardlink", "fifo", "device"])
def test_restore_refuses_unsafe_entries_and_writes_nothing(app, tmp_path, entry):
    stray = tmp_path / "stray.tar.gz"
    _archive_with(stray, entry, b"hello")
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(stray)])
    assert result.exit_code != 0 and "unexpected entry" in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "absolute-evil").exists() and not Path("/tmp/absolute-evil").exists()


def test_restore_refuses_files_that_are_not_backups(app, tmp_path):
    garbage = tmp_path / "photo.jpg"
    garbage.write_bytes(b"\xff\xd8\xff\xe0 not an archive")
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(garbage)])
    assert result.exit_code != 0 and "not a backup" in result.output
    assert isinstance(result.exception, SystemExit)
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(empty)])
    assert result.exit_code != 0 and "not a backup" in result.output
