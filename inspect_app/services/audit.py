"""Append to the audit trail and verify its chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import AuditHead, AuditRecord, OrgNode, User, utcnow
from ..models.audit import GENESIS_HASH
from .spreadsheets import csv_lines

# The client address of the request being served; set by the web layer, None for the CLI.
client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def content_hash(rec: AuditRecord) -> str:
    fields = [
        rec.id,
        rec.at.isoformat(timespec="microseconds"),
        rec.actor_id,
        rec.actor_name,
        rec.ip,
        rec.action,
        rec.object_type,
        rec.object_id,
        rec.unit_id,
        rec.details,
        rec.prev_hash,
    ]
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def _unit_of(obj: Any) -> int | None:
    if isinstance(obj, OrgNode):
        return obj.id if obj.is_unit else None
    return getattr(obj, "unit_id", None)


def record(
    session: Session,
    actor: User | None,
    action: str,
    obj: Any = None,
    *,
    details: dict | None = None,
    actor_name: str | None = None,
) -> AuditRecord:
    """Append one record. Call inside `transaction()`, so the record commits with the change it describes."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    rec = AuditRecord(
        id=head.last_id + 1,
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_name=(actor.username if actor else actor_name or "system")[:64],
        ip=client_ip.get(),
        action=action,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=str(obj.id) if obj is not None else None,
        unit_id=_unit_of(obj) if obj is not None else None,
        details=canonical_json(details or {}),
        prev_hash=head.last_hash,
    )
    rec.hash = content_hash(rec)
    head.last_id, head.last_hash = rec.id, rec.hash
    session.add(rec)
    session.flush()
    return rec


def _oldest_first(session: Session, batch: int = 2000) -> Iterator[AuditRecord]:
    """Every record in chain order, read a batch at a time."""
    after = 0
    while True:
        records = session.scalars(
            select(AuditRecord).where(AuditRecord.id > after).order_by(AuditRecord.id).limit(batch)
        ).all()
        yield from records
        if len(records) < batch:
            return
        after = records[-1].id
        session.expunge_all()  # keep memory flat over a long trail


@dataclass(frozen=True)
class ChainBreak:
    record_id: int
    reason: str

    def __str__(self) -> str:
        return f"audit record {self.record_id}: {self.reason}"


def verify_chain(session: Session) -> ChainBreak | None:
    """The first broken link, or None when every record is intact and none is missing."""
    expected_id, prev_hash = 1, GENESIS_HASH
    for rec in _oldest_first(session):
        if rec.id != expected_id:
            return ChainBreak(expected_id, f"missing (the next record is {rec.id})")
        if rec.prev_hash != prev_hash:
            return ChainBreak(rec.id, "does not link to the record before it")
        if content_hash(rec) != rec.hash:
            return ChainBreak(rec.id, "content was altered")
        expected_id, prev_hash = rec.id + 1, rec.hash
    head = session.get(AuditHead, 1)
    if head is None or head.last_id != expected_id - 1 or head.last_hash != prev_hash:
        return ChainBreak(expected_id - 1 if head is None else head.last_id, "the newest records were removed")
    return None


@dataclass
class AuditFilter:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive

    def apply(self, stmt: Select) -> Select:
        if self.action:
            stmt = stmt.where(AuditRecord.action.startswith(self.action))
        if self.actor:
            stmt = stmt.where(AuditRecord.actor_name == self.actor)
        if self.object_type:
            stmt = stmt.where(AuditRecord.object_type == self.object_type)
        if self.object_id:
            stmt = stmt.where(AuditRecord.object_id == self.object_id)
        if self.date_from:
            stmt = stmt.where(AuditRecord.at >= self.date_from)
        if self.date_to:
            stmt = stmt.where(AuditRecord.at < self.date_to)
        return stmt


def search(flt: AuditFilter) -> Select:
    return flt.apply(select(AuditRecord)).order_by(AuditRecord.id.desc())


CSV_HEADER = ["序号", "时间(UTC)", "操作人", "IP", "操作", "对象类型", "对象ID", "单位ID", "详情", "前序哈希", "哈希"]


def export_csv(session: Session, flt: AuditFilter, batch: int = 1000) -> Iterator[str]:
    """CSV text in pieces, newest first. Reads in batches by id, so an export of the whole trail holds one
    batch in memory at a time."""

    def rows() -> Iterator[list]:
        before: int | None = None
        while True:
            stmt = search(flt).limit(batch)
            if before is not None:
                stmt = stmt.where(AuditRecord.id < before)
            records = session.scalars(stmt).all()
            if not records:
                return
            for rec in records:
                yield [rec.id, rec.at.isoformat(sep=" ", timespec="seconds"), rec.actor_name, rec.ip, rec.action,
                       rec.object_type, rec.object_id, rec.unit_id, rec.details, rec.prev_hash, rec.hash]
            before = records[-1].id

    return csv_lines(CSV_HEADER, rows())
