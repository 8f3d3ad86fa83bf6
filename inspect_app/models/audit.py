"""The audit trail: an append-only, hash-chained table.

Each record carries the link of the record before it and its own: a MAC of its content and that previous
link, under a key kept outside the database (services/audit.py), so an altered, removed or inserted record
breaks the chain, and whoever can write the database cannot re-chain it. `audit_head` holds the newest
link; appending locks it, which serialises writers on every database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, DateTime, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from .base import db

GENESIS_HASH = "0" * 64


class AuditRecord(db.Model):
    __tablename__ = "audit_record"

    # The chain position, assigned by the writer: gapless, so a removed record shows.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Canonical JSON text, kept byte for byte as hashed.
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(db.Model):
    """One row: the newest record's id and hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


# The database itself refuses to change or delete a record, whoever asks.
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record "
    "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
    "CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record "
    "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION audit_record_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit records are append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_record_no_change BEFORE UPDATE OR DELETE ON audit_record "
    "FOR EACH ROW EXECUTE FUNCTION audit_record_append_only()",
]

for _statement in APPEND_ONLY_SQLITE:
    event.listen(AuditRecord.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in APPEND_ONLY_POSTGRESQL:
    event.listen(AuditRecord.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
event.listen(
    AuditHead.__table__,
    "after_create",
    DDL(f"INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '{GENESIS_HASH}')"),
)
