"""Importing a scan into an inspection: who may, the replay of a scan already stored, the mapping of failing checks
to the pinned checklists' items, and the answers proposed on them.

A scan's results are kept as they came. Each item that failing results map to (by the `technical_checks` table
of the pinned template version) gets one proposed answer: 不符合, with a finding text naming the devices and a note
carrying the tool's evidence, for the inspector to confirm or reject on the fill page.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import clock
from ...database import transaction
from ...models import (
    ChecklistItem,
    Inspection,
    ProposedAnswer,
    Role,
    Scan,
    ScanOutcome,
    ScanResult,
    User,
)
from .. import Conflict, DomainError, NotAllowed, audit, inspections, notifications
from ..classified import Suspicion, find_suspicions
from .devices import registered_device
from .format import ScanFile

TEXT_LIMIT = 2000  # an answer's text, as answers.TEXT_LIMIT
DEVICES_NAMED = 8  # a finding text names this many devices, then counts the rest

# What the finding text says a failing check found, in the record's language (Chinese, as the records are).
FOUND = {
    "internet_connection": "存在违规外联记录",
    "dual_use": "存在交替连接涉密网络和互联网（一机两用）的记录",
    "usb_storage": "存在存储介质交叉使用记录",
    "classified_content": "存有带密级标志或涉密关键词的文件",
    "security_software": "安全保密程序未运行或被卸载",
    "unapproved_software": "安装了未经批准的软件",
    "wireless_device": "使用无线网卡、蓝牙或无线键鼠等无线设备",
    "smart_device": "接入过智能手机等智能设备",
}


class ScanTextSuspected(DomainError):
    """A result's text looks like classified content; stored only once the sender confirms it is not."""

    status_code = 422

    def __init__(self, suspicion: Suspicion):
        super().__init__(_("扫描结果中出现了疑似密级标志（%(excerpt)s，%(where)s）。本系统严禁录入国家秘密，请修改；"
                           "如确认不含国家秘密，请确认后再提交。", excerpt=suspicion.excerpt, where=suspicion.field),
                         field="confirm_unclassified")


def mapped_items(session: Session, inspection: Inspection) -> dict[str, list[ChecklistItem]]:
    """check → the items of the inspection's pinned versions that its mapping tables give it."""
    wanted: dict[tuple[int, str], list[str]] = defaultdict(list)
    for pinned in inspection.templates:
        for row in json.loads(pinned.version.content).get("technical_checks", []):
            wanted[pinned.version_id, row["item"]].append(row["check"])
    if not wanted:
        return {}
    items = session.scalars(select(ChecklistItem).where(
        ChecklistItem.version_id.in_({version for version, _key in wanted}),
        ChecklistItem.key.in_({key for _version, key in wanted})))
    found: dict[str, list[ChecklistItem]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.version_id, i.position)):
        for check in wanted.get((item.version_id, item.key), []):
            found[check].append(item)
    return dict(found)


def _check_sender(actor: User, inspection: Inspection, scan: ScanFile) -> None:
    if inspection.is_locked:
        raise Conflict(_("检查已提交，不能再导入技术检查结果。如需更正，请组长重新打开检查。"))
    if actor.role != Role.CLIENT and not inspections.is_team_member(actor, inspection):
        raise NotAllowed(_("只有检查组成员可以导入技术检查结果。"))
    if scan.unit_code is not None and scan.unit_code.lower() != inspection.unit.code.lower():
        raise DomainError(_("扫描文件写的单位（%(code)s）不是本次检查的单位。", code=scan.unit_code[:32]),
                          field="unit_code")


def _suspicions(scan: ScanFile) -> list[Suspicion]:
    texts = {f"{device.device_id}/{result.check}": result.detail for device, result in scan.results()}
    texts |= {f"{device.device_id}/name": device.name for device in scan.devices}
    return find_suspicions(texts)


def stored_scan(session: Session, inspection: Inspection, reference: str) -> Scan | None:
    return session.scalar(select(Scan).where(Scan.inspection_id == inspection.id, Scan.reference == reference))


def _replayed(stored: Scan, scan: ScanFile) -> Scan:
    if stored.content_sha256 != scan.content_hash():
        raise Conflict(_("扫描编号 %(id)s 已导入过，但内容不同，未保存。", id=scan.scan_id))
    return stored


def import_scan(session: Session, actor: User, inspection: Inspection, scan: ScanFile, *, source: str,
                confirm_unclassified: bool = False) -> tuple[Scan, bool]:
    """Attach `scan` to `inspection` and propose its failing results as answers. Returns (scan, created): the same
    scan sent again is the one stored (created False); under the same id with other content it is a Conflict."""
    stored = stored_scan(session, inspection, scan.scan_id)
    if stored is not None:
        return _replayed(stored, scan), False
    _check_sender(actor, inspection, scan)
    suspicions = _suspicions(scan)
    if suspicions and not confirm_unclassified:
        raise ScanTextSuspected(suspicions[0])
    mapping = mapped_items(session, inspection)
    with transaction(session):
        try:
            with session.begin_nested():  # the same scan may be arriving twice at once
                record = _store(session, actor, inspection, scan, source, bool(suspicions), mapping)
        except IntegrityError:
            stored = stored_scan(session, inspection, scan.scan_id)
            if stored is None:
                raise
            return _replayed(stored, scan), False
        proposals = _propose(session, record, scan, mapping)
        _record(session, actor, inspection, record, proposals, suspicions)
    return record, True


def _store(session: Session, actor: User, inspection: Inspection, scan: ScanFile, source: str, confirmed: bool,
           mapping: dict[str, list[ChecklistItem]]) -> Scan:
    results = scan.results()
    record = Scan(inspection_id=inspection.id, unit_id=inspection.unit_id, reference=scan.scan_id,
                  format_version=scan.version, tool_name=scan.tool.name, tool_version=scan.tool.version,
                  started_at=scan.started_at, finished_at=scan.finished_at, content_sha256=scan.content_hash(),
                  source=source, received_by_id=actor.id, device_count=len(scan.devices), result_count=len(results),
                  failing_count=sum(r.result == ScanOutcome.FAIL for _d, r in results), classified_confirmed=confirmed)
    session.add(record)
    session.flush()
    session.add_all(ScanResult(
        scan_id=record.id, inspection_id=inspection.id, unit_id=inspection.unit_id, device_id=device.device_id,
        asset_number=device.asset_number, device_name=device.name, check_kind=result.check, result=result.result,
        detail=result.detail, evidence_sha256=result.evidence_sha256.lower() if result.evidence_sha256 else None,
        scanned_at=result.scanned_at.astimezone(UTC).replace(tzinfo=None),
        item_id=mapping[result.check][0].id if result.check in mapping else None)
        for device, result in results)
    session.flush()
    return record


def _propose(session: Session, record: Scan, scan: ScanFile,
             mapping: dict[str, list[ChecklistItem]]) -> list[ProposedAnswer]:
    """One proposed 不符合 per item that failing results map to."""
    failing: dict[int, list[tuple]] = defaultdict(list)
    items: dict[int, ChecklistItem] = {}
    for device, result in scan.results():
        if result.result == ScanOutcome.FAIL:
            for item in mapping.get(result.check, []):
                failing[item.id].append((device, result))
                items[item.id] = item
    proposals = []
    for item_id, found in failing.items():
        proposal = ProposedAnswer(scan_id=record.id, inspection_id=record.inspection_id, unit_id=record.unit_id,
                                  item_id=item_id, finding_text=finding_text(found),
                                  note=evidence_note(session, record, found))
        session.add(proposal)
        proposals.append(proposal)
    session.flush()
    return proposals


def _device_name(device) -> str:
    return f"{device.device_id}（资产编号{device.asset_number}）" if device.asset_number else device.device_id


def finding_text(found: list[tuple]) -> str:
    """技术检查发现2台设备存在违规外联记录：PC-0012（资产编号ZC-118）、PC-0031。 — a sentence per check."""
    by_check: dict[str, list] = defaultdict(list)
    for device, result in found:
        if device not in by_check[result.check]:
            by_check[result.check].append(device)
    sentences = []
    for check, devices in by_check.items():
        named = "、".join(_device_name(d) for d in devices[:DEVICES_NAMED])
        more = f"等{len(devices)}台" if len(devices) > DEVICES_NAMED else ""
        sentences.append(f"技术检查发现{len(devices)}台设备{FOUND[check]}：{named}{more}。")
    return _fit("".join(sentences))


def evidence_note(session: Session, record: Scan, found: list[tuple]) -> str:
    """The tool, the scan, and each failing result's evidence, a line each (and the register's entry, where the
    device is in one)."""
    when = clock.local_date(record.started_at).isoformat()
    lines = [f"技术检查结果（{record.tool_name} {record.tool_version}，扫描编号 {record.reference}，{when}）："]
    for device, result in found:
        line = f"- {_device_name(device)}：{FOUND[result.check]}"
        entry = registered_device(session, record.unit_id, device.device_id, device.asset_number)
        if entry is not None:
            line += f"（台账：{entry.description}）"
        if result.detail:
            line += f"；{result.detail}"
        if result.evidence_sha256:
            line += f"；证据文件 SHA-256 {result.evidence_sha256.lower()}"
        lines.append(line)
    return _fit("\n".join(lines))


def _fit(text: str) -> str:
    """Within an answer's text limit; what does not fit is on the scan's page."""
    if len(text) <= TEXT_LIMIT:
        return text
    tail = "……（未尽部分见本次检查的技术检查结果）"
    return text[: TEXT_LIMIT - len(tail)] + tail


def _record(session: Session, actor: User, inspection: Inspection, record: Scan, proposals: list[ProposedAnswer],
            suspicions: list[Suspicion]) -> None:
    """The audit trail, and the lead told when someone else brought the scan and it proposes answers."""
    audit.record(session, actor, "scan.import", record, details={
        "inspection_id": inspection.id, "reference": record.reference, "source": record.source,
        "tool": f"{record.tool_name} {record.tool_version}", "results": record.result_count,
        "failing": record.failing_count, "proposed_items": [p.item_id for p in proposals],
        "sha256": record.content_sha256})
    if suspicions:
        audit.record(session, actor, "scan.unclassified_confirmed", record,
                     details={"fields": [s.field for s in suspicions][:20]})
    if proposals and actor.id != inspection.lead_id:
        notifications.notify(session, [inspection.lead], "scan_imported", inspection, title=inspection.title,
                             tool=record.tool_name, count=len(proposals))
