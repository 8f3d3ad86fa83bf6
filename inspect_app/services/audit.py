"""Append to the audit trail and verify its chain."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .. import smcrypto
from ..database import transaction
from ..models import AuditHead, AuditRecord, OrgNode, User, utcnow
from ..models.audit import GENESIS_HASH
from .spreadsheets import csv_lines

# The client address of the request being served; set by the web layer, None for the CLI.
client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


# The chain's keyed hashes, in the order a trail may move through them and never back: a trail written under
# HMAC-SHA256 goes on under HMAC-SM3 once AUDIT_ALGORITHM says so (`audit rekey` marks the change), and its
# HMAC-SHA256 records keep verifying under the same key.
HMAC_SHA256 = "HMAC-SHA256"
HMAC_SM3 = "HMAC-SM3"
ALGORITHMS = (HMAC_SHA256, HMAC_SM3)
UNKEYED = "SHA256"  # the plain hash of the records written before the chain had a key; only read, never written


def chain_mac(key: bytes, message: bytes, algorithm: str) -> str:
    """The chain's keyed hash, hex: HMAC-SM3 (国密, GB/T 39786) or HMAC-SHA256."""
    if algorithm == HMAC_SM3:
        return smcrypto.hmac_sm3(key, message).hex()
    if algorithm == HMAC_SHA256:
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    raise ValueError(f"unknown audit chain algorithm {algorithm!r}")


def _key() -> bytes:
    return current_app.config["AUDIT_KEY"].encode()


def algorithm() -> str:
    """The algorithm new records are chained under (AUDIT_ALGORITHM)."""
    return current_app.config["AUDIT_ALGORITHM"]


def key_id(key: bytes | None = None) -> str:
    """A short name for the key, safe to show and to store: tells which key a trail or a backup needs. Always
    HMAC-SHA256 of a fixed text, whatever the chain's algorithm: a key keeps its name when the algorithm changes,
    so backups made before the change still name it."""
    return chain_mac(key or _key(), b"audit key id", HMAC_SHA256)[:16]


def _content(rec: AuditRecord) -> bytes:
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
    return canonical_json(fields).encode()


def content_hash(rec: AuditRecord, key: bytes | None = None, algorithm_name: str | None = None) -> str:
    """The record's link: the MAC of its content and the previous link, under the app's key and algorithm unless
    others are given."""
    return chain_mac(key or _key(), _content(rec), algorithm_name or algorithm())


def unkeyed_hash(rec: AuditRecord) -> str:
    """The plain SHA-256 that chained records before the chain had a key; only read, never written."""
    return hashlib.sha256(_content(rec)).hexdigest()


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


# Why a chain is broken: the kind (the page names it in the user's language) and the reason in English (the CLI).
BREAKS = {
    "missing": "missing",
    "unlinked": "does not link to the record before it",
    "altered": "content was altered",
    "altered_or_key": "content was altered, or the trail is chained under another audit key",
    "downgraded": "chained under an older algorithm than the records before it: AUDIT_ALGORITHM was set back, or "
                  "the record was rewritten",
    "removed": "the newest records were removed",
    "unkeyed": "not chained under the audit key: after an upgrade run `flask audit rekey` once; otherwise the "
               "trail was rewritten without the key",
    "head_differs": "differs from the exported head: the trail was rewritten",
    "head_missing": "the exported head is not in the trail: it was cut back",
}


@dataclass(frozen=True)
class ChainBreak:
    record_id: int
    kind: str
    detail: str = ""

    @property
    def reason(self) -> str:
        return BREAKS[self.kind] + (f" ({self.detail})" if self.detail else "")

    def __str__(self) -> str:
        return f"audit record {self.record_id}: {self.reason}"


@dataclass(frozen=True)
class ChainHead:
    """The newest link at some moment, as the auditor exports it to check the trail against later."""

    record_id: int
    hash: str
    at: datetime | None = None

    @property
    def token(self) -> str:
        return f"{self.record_id}:{self.hash}"


HEAD_TOKEN = re.compile(r"(?<![0-9])([0-9]{1,18}):([0-9a-fA-F]{64})(?![0-9a-fA-F])")


def parse_head(text: str) -> ChainHead | None:
    """The head in an exported head file or a pasted `sequence:hash`, or None when there is none."""
    found = HEAD_TOKEN.search(text or "")
    return ChainHead(int(found[1]), found[2].lower()) if found else None


def current_head(session: Session) -> ChainHead:
    head = session.get(AuditHead, 1)
    newest = session.get(AuditRecord, head.last_id) if head.last_id else None
    return ChainHead(head.last_id, head.last_hash, newest.at if newest else None)


@dataclass(frozen=True)
class Segment:
    """A run of consecutive records chained under one algorithm."""

    algorithm: str
    first: int
    last: int

    def __str__(self) -> str:
        return f"{self.first}-{self.last} {self.algorithm}"


@dataclass(frozen=True)
class ChainCheck:
    broken: ChainBreak | None
    segments: tuple[Segment, ...]


# What a record may be chained under, in the only order a trail may pass through them.
_STAGES = (UNKEYED, *ALGORITHMS)


def _link(rec: AuditRecord, key: bytes, stage: str) -> str:
    return unkeyed_hash(rec) if stage == UNKEYED else content_hash(rec, key, stage)


def _stage_of(rec: AuditRecord, key: bytes, stages: tuple[str, ...]) -> str | None:
    return next((stage for stage in stages if _link(rec, key, stage) == rec.hash), None)


def check_chain(session: Session, exported: ChainHead | None = None) -> ChainCheck:
    """The first broken link (None when every record is intact and none is missing), and the algorithms the
    trail is chained under, oldest first.

    Records written before the chain had a key, chained by plain SHA-256, are accepted as a prefix only: the first
    keyed record's MAC covers the last of them, so none can change unnoticed. A trail of nothing but such records
    is not intact: it is what someone without the key would write. Keyed records may move from HMAC-SHA256 to
    HMAC-SM3, never back. With `exported`, the record it names must still be there with the same hash."""
    key = _key()
    expected_id, prev_hash, stage = 1, GENESIS_HASH, 0
    segments: list[Segment] = []

    def done(broken: ChainBreak | None) -> ChainCheck:
        return ChainCheck(broken, tuple(segments))

    for rec in _oldest_first(session):
        if rec.id != expected_id:
            return done(ChainBreak(expected_id, "missing", f"the next record is {rec.id}"))
        if rec.prev_hash != prev_hash:
            return done(ChainBreak(rec.id, "unlinked"))
        found = _stage_of(rec, key, _STAGES[stage:])
        if found is None:
            earlier = _stage_of(rec, key, _STAGES[1:stage])
            if earlier is not None:
                return done(ChainBreak(rec.id, "downgraded", f"{earlier} after {_STAGES[stage]}"))
            return done(ChainBreak(rec.id, "altered" if stage else "altered_or_key"))
        stage = _STAGES.index(found)
        if segments and segments[-1].algorithm == found:
            segments[-1] = Segment(found, segments[-1].first, rec.id)
        else:
            segments.append(Segment(found, rec.id, rec.id))
        if exported is not None and rec.id == exported.record_id and rec.hash != exported.hash:
            return done(ChainBreak(rec.id, "head_differs"))
        expected_id, prev_hash = rec.id + 1, rec.hash
    head = session.get(AuditHead, 1)
    if head is None or head.last_id != expected_id - 1 or head.last_hash != prev_hash:
        return done(ChainBreak(expected_id - 1 if head is None else head.last_id, "removed"))
    if expected_id > 1 and stage == 0:
        return done(ChainBreak(1, "unkeyed", f"records 1-{expected_id - 1}"))
    if exported is not None:
        if exported.record_id > expected_id - 1:
            return done(ChainBreak(exported.record_id, "head_missing", f"the trail ends at {expected_id - 1}"))
        if exported.record_id == 0 and exported.hash != GENESIS_HASH:
            return done(ChainBreak(0, "head_differs"))
    return done(None)


def verify_chain(session: Session, exported: ChainHead | None = None) -> ChainBreak | None:
    """The first broken link, or None when the trail is intact (check_chain says how)."""
    return check_chain(session, exported).broken


class ChainNotIntact(Exception):
    def __init__(self, broken: ChainBreak):
        super().__init__(str(broken))
        self.broken = broken


class AlgorithmNotSupported(Exception):
    """The trail is under a newer algorithm than the configured one; going back is not supported."""


def rekey(session: Session) -> AuditRecord | None:
    """Put the trail under the audit key and the configured algorithm: verify it, then append one record under
    them that seals what came before (its MAC covers the old head) and names it. For a trail from before the
    key, or one under HMAC-SHA256 when AUDIT_ALGORITHM is now HMAC-SM3. None when there is nothing to do."""
    check = check_chain(session)
    if check.broken is not None and check.broken.kind != "unkeyed":
        raise ChainNotIntact(check.broken)
    old = current_head(session)
    if check.broken is not None:
        details = {"unkeyed_records": old.record_id, "unkeyed_head": old.hash}
        action = "audit.rekey"
    else:
        newest = check.segments[-1].algorithm if check.segments else algorithm()
        if newest == algorithm():
            return None
        if ALGORITHMS.index(newest) > ALGORITHMS.index(algorithm()):
            raise AlgorithmNotSupported(f"the trail is chained under {newest}; going back to {algorithm()} is not "
                                        f"supported: set AUDIT_ALGORITHM={newest}")
        details = {"previous_algorithm": newest, "previous_records": old.record_id, "previous_head": old.hash}
        action = "audit.algorithm_change"
    with transaction(session):
        return record(session, None, action, details={**details, "algorithm": algorithm(), "key_id": key_id()})


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
