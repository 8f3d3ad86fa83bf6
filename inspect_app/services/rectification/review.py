"""Reviewing an inspection's findings before its notice: edit, merge, drop and restore."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...database import transaction
from ...models import (
    Finding,
    FindingStatus,
    Inspection,
    InspectionStatus,
    User,
)
from ...models.checklist import SEVERITY_ORDER
from .. import Conflict, DomainError, audit
from .rules import TEXT_LIMIT, check_unclassified, clean_text, is_review_lead, lock_inspection, record_confirmation

# Reviewing findings before the notice -------------------------------------------------------------------


def check_review(actor: User, inspection: Inspection) -> None:
    """Only the lead inspector reviews a bureau inspection's findings, between its submission and its notice."""
    if inspection.is_self:
        raise DomainError(_("自查发现的问题由单位自行整改，无需审核下发。"))
    if not is_review_lead(actor, inspection):
        raise DomainError(_("只有本次检查的组长可以审核问题和下发整改通知。"))
    if inspection.status != InspectionStatus.SUBMITTED:
        if inspection.status in (InspectionStatus.ISSUED, InspectionStatus.CLOSED):
            raise Conflict(_("整改通知已经下发，问题不能再修改。"))
        raise Conflict(_("检查尚未提交，还不能审核问题。"))


def _check_finding(finding: Finding, inspection: Inspection) -> None:
    if finding.inspection_id != inspection.id:
        raise DomainError(_("这个问题不属于本次检查。"))


def review_findings(session: Session, inspection: Inspection) -> list[Finding]:
    return list(session.scalars(select(Finding).where(Finding.inspection_id == inspection.id)
                                .order_by(Finding.position, Finding.id)))


def finding_of(session: Session, inspection: Inspection, finding_id: int | None) -> Finding | None:
    """A finding of this inspection by its id; None for any other id."""
    finding = session.get(Finding, finding_id) if finding_id else None
    return finding if finding is not None and finding.inspection_id == inspection.id else None


def active_findings(session: Session, inspection: Inspection) -> list[Finding]:
    return [f for f in review_findings(session, inspection) if f.status == FindingStatus.ACTIVE]


def edit_finding(session: Session, actor: User, finding: Finding, *, description: str, severity: str,
                 confirm_unclassified: bool = False) -> Finding:
    inspection = finding.inspection
    check_review(actor, inspection)
    if finding.status != FindingStatus.ACTIVE:
        raise Conflict(_("这个问题已撤销或合并，请先恢复再修改。"))
    description = clean_text(description, field_name="description", required=_("请填写问题描述。"))
    if severity not in SEVERITY_ORDER:
        raise DomainError(_("问题等级无效。"), field="severity")
    needed = check_unclassified({"description": description}, confirm_unclassified)
    with transaction(session):
        lock_inspection(session, inspection)
        check_review(actor, inspection)
        changes = {}
        if finding.description != description:
            changes["description"] = [finding.description, description]
            finding.description = description
        if finding.severity != severity:
            changes["severity"] = [finding.severity, severity]
            finding.severity = severity
        if changes:
            inspection.revision += 1
            audit.record(session, actor, "finding.edit", finding, details=changes)
        record_confirmation(session, actor, finding, {"description": description}, needed)
    return finding


def merge_finding(session: Session, actor: User, finding: Finding, into: Finding) -> Finding:
    """Merge a duplicate into another finding of the same inspection: the descriptions join, the graver
    severity stays, and the duplicate becomes no ticket."""
    inspection = finding.inspection
    check_review(actor, inspection)
    _check_finding(into, inspection)
    if finding.id == into.id:
        raise DomainError(_("不能把问题合并到它自己。"), field="into")
    if finding.status != FindingStatus.ACTIVE or into.status != FindingStatus.ACTIVE:
        raise Conflict(_("只能合并两个有效的问题。"))
    with transaction(session):
        lock_inspection(session, inspection)
        check_review(actor, inspection)
        if finding.description and finding.description not in into.description:
            into.description = f"{into.description}；{finding.description}"[:TEXT_LIMIT]
        if SEVERITY_ORDER.index(finding.severity) > SEVERITY_ORDER.index(into.severity):
            into.severity = finding.severity
        if finding.is_repeat and not into.is_repeat:
            into.is_repeat, into.repeat_of_id = True, finding.repeat_of_id
        finding.status = FindingStatus.MERGED
        finding.merged_into_id = into.id
        inspection.revision += 1
        audit.record(session, actor, "finding.merge", finding, details={"into": into.id})
    return into


def drop_finding(session: Session, actor: User, finding: Finding, reason: str) -> None:
    inspection = finding.inspection
    check_review(actor, inspection)
    reason = clean_text(reason, field_name="reason", required=_("请填写撤销这个问题的理由。"))
    if finding.status != FindingStatus.ACTIVE:
        raise Conflict(_("这个问题已撤销或合并。"))
    with transaction(session):
        lock_inspection(session, inspection)
        check_review(actor, inspection)
        finding.status = FindingStatus.DROPPED
        finding.drop_reason = reason
        inspection.revision += 1
        audit.record(session, actor, "finding.drop", finding, details={"reason": reason})


def restore_finding(session: Session, actor: User, finding: Finding) -> None:
    """Undo a drop or a merge before the notice is issued (a merged description stays where it went)."""
    inspection = finding.inspection
    check_review(actor, inspection)
    if finding.status == FindingStatus.ACTIVE:
        raise Conflict(_("这个问题本来就是有效的。"))
    with transaction(session):
        lock_inspection(session, inspection)
        check_review(actor, inspection)
        previous = finding.status
        finding.status = FindingStatus.ACTIVE
        finding.drop_reason = None
        finding.merged_into_id = None
        inspection.revision += 1
        audit.record(session, actor, "finding.restore", finding, details={"was": previous})
