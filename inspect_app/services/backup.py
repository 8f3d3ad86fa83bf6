"""Backups: one file holding a consistent snapshot of the database and every attachment.

SQLite is copied with its online backup API (a consistent copy while the app keeps serving);
PostgreSQL with pg_dump (one snapshot transaction). Attachments are written once under their hash
and never changed, so copying the folder after the database snapshot can only add files nobody
references yet. Restore goes into an empty database only, of the same kind.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from ..models import AuditHead
from . import attachments, audit

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    dialect: str
    migration: str | None
    audit_records: int
    audit_head: str
    attachments: int
    # Which audit key the trail is chained under (audit.key_id); the key itself is never in a backup.
    # Empty in backups made before the chain had a key.
    audit_key_id: str = ""
    # The SM4 keys the attachment files are sealed under (keys.attachment_key_id); the keys are never in a backup.
    attachment_key_ids: tuple[str, ...] = ()

    @classmethod
    def read(cls, data: dict) -> Manifest:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})  # TypeError if one is missing


def _libpq_url(engine: Engine) -> str:
    """The database URL as pg_dump and pg_restore take it."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _migration(session: Session) -> str | None:
    try:
        return session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        session.rollback()
        return None


def create(session: Session, engine: Engine, out: Path) -> Manifest:
    """Write a backup to `out` (a .tar.gz)."""
    attachments_dir = Path(current_app.config["ATTACHMENTS_DIR"])
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        if engine.dialect.name == "sqlite":
            target = work_dir / "database.sqlite3"
            source = sqlite3.connect(make_url(engine.url).database)
            try:
                with sqlite3.connect(target) as dest:
                    source.backup(dest)
            finally:
                source.close()
            with sqlite3.connect(target) as copy:
                records, head = copy.execute("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetchone()
                migration = copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        elif engine.dialect.name == "postgresql":
            target = work_dir / "database.pgdump"
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
                  _libpq_url(engine)])
            head_row = session.get(AuditHead, 1)
            records, head, migration = head_row.last_id, head_row.last_hash, _migration(session)
        else:
            raise BackupError(f"backups are not supported on {engine.dialect.name}")
        files = sorted(p for p in attachments_dir.rglob("*") if p.is_file() and not p.name.startswith(".")) \
            if attachments_dir.exists() else []
        manifest = Manifest(FORMAT, datetime.now(UTC).isoformat(timespec="seconds"), engine.dialect.name, migration,
                            records, head, len(files), audit.key_id(), tuple(attachments.key_ids_in_use()))
        (work_dir / "manifest.json").write_text(json.dumps(manifest.__dict__, indent=2))
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work_dir / "manifest.json", "manifest.json")
            archive.add(target, target.name)
            for path in files:
                archive.add(path, f"attachments/{path.relative_to(attachments_dir)}")
        os.replace(partial, out)  # never leave half a backup under the name asked for
    return manifest


def _extract(archive: tarfile.TarFile, work_dir: Path) -> None:
    """Unpack regular files and folders only, each strictly inside `work_dir`.

    Written out rather than left to `extractall(filter=...)`, which Debian 12's Python 3.11.2 does not have:
    links, devices, absolute names and `..` are refused before anything is written.
    """
    members = archive.getmembers()
    for member in members:
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"unexpected entry in the backup: {member.name}")
    for member in members:
        target = work_dir / member.name
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = archive.extractfile(member)
        with source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)


def _is_empty(engine: Engine) -> bool:
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    if not tables:
        return True
    with engine.connect() as conn:
        return "user_account" not in tables or conn.execute(text("SELECT COUNT(*) FROM user_account")).scalar() == 0


def restore(session: Session, engine: Engine, backup: Path) -> Manifest:
    """Bring a backup back into this instance's (empty) database and attachments folder."""
    attachments_dir = Path(current_app.config["ATTACHMENTS_DIR"])
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        try:
            with tarfile.open(backup, "r:gz") as archive:
                _extract(archive, work_dir)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"this file is not a backup of this system ({exc})") from exc
        try:
            manifest = Manifest.read(json.loads((work_dir / "manifest.json").read_text()))
        except (OSError, TypeError, ValueError) as exc:
            raise BackupError("this file is not a backup of this system (no readable manifest)") from exc
        if manifest.format != FORMAT:
            raise BackupError(f"backup format {manifest.format} is not supported")
        if manifest.dialect != engine.dialect.name:
            raise BackupError(f"this backup is of a {manifest.dialect} database; the instance uses "
                              f"{engine.dialect.name}")
        if manifest.audit_key_id and manifest.audit_key_id != audit.key_id():
            raise BackupError(f"this backup's audit trail is chained under another audit key (key id "
                              f"{manifest.audit_key_id}; this instance's is {audit.key_id()}): restore with the key "
                              f"it was made with (AUDIT_KEY_FILE, docs/deploy.md)")
        known = current_app.config.get("ATTACHMENT_KEYS")
        missing = sorted(set(manifest.attachment_key_ids) - set(known.by_id if known else ()))
        if missing:
            raise BackupError(f"this backup's attachments are sealed under SM4 keys this instance lacks "
                              f"({', '.join(missing)}): put the key file they were made with at ATTACHMENT_KEY_FILE "
                              f"first (docs/deploy.md)")
        session.close()
        if not _is_empty(engine):
            raise BackupError("the database already holds data; restore only into an empty database")
        if engine.dialect.name == "sqlite":
            engine.dispose()
            database = Path(make_url(engine.url).database)
            for suffix in ("-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(work_dir / "database.sqlite3", database)
        else:
            with engine.begin() as conn:  # an empty schema, so pg_restore recreates everything as it was
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
            _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={_libpq_url(engine)}",
                  str(work_dir / "database.pgdump")])
        extracted = work_dir / "attachments"
        if extracted.exists():
            for path in extracted.rglob("*"):
                if path.is_file():
                    target = attachments_dir / path.relative_to(extracted)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target)
    head = session.scalar(select(AuditHead).where(AuditHead.id == 1))
    if head is None or head.last_hash != manifest.audit_head:
        raise BackupError("the restored audit trail does not end where the backup's did")
    broken = audit.verify_chain(session)
    if broken is not None:
        raise BackupError(f"the restored audit chain is broken: {broken}")
    return manifest


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian package postgresql-client)")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-500:]}")
