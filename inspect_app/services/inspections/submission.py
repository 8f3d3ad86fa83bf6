"""Inspections: submitting (score, signatures, findings) and reopening."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...database import transaction
from ...models import (
    Answer,
    Attachment,
    AttachmentKind,
    ChecklistItem,
    Compliance,
    Finding,
    Inspection,
    InspectionStatus,
    ResponseType,
    Signature,
    User,
    utcnow,
)
from .. import Conflict, DomainError, NotAllowed, attachments, audit
from . import scoring
from .answers import earlier_failure, load_answers, load_items, progress
from .planning import is_lead

# Submitting and reopening ----------------------------------------------------------------------


@dataclass
class SignatureInput:
    role: str  # lead | unit
    signer_name: str
    png: bytes


def scored_items(items: list[ChecklistItem]) -> list[scoring.ScoredItem]:
    return [scoring.ScoredItem(key=f"{i.version_id}:{i.key}", section=f"{i.version_id}:{i.section.key}",
                               points=i.points, response=i.response, deduction=i.deduction,
                               deduction_points=i.deduction_points, veto=i.veto) for i in items]


def compute_score(items: list[ChecklistItem], answers: dict[int, Answer]) -> scoring.Result:
    values = {f"{i.version_id}:{i.key}": (answers[i.id].value if i.id in answers else None) for i in items}
    return scoring.score(scored_items(items), values)


def submit_inspection(session: Session, actor: User, inspection: Inspection,
                      signatures: list[SignatureInput]) -> list[Finding]:
    """Sign, lock, score, and make one finding per 不符合 or 基本符合 answer."""
    if not is_lead(actor, inspection):
        raise NotAllowed(_("只有组长可以提交检查。"))
    if inspection.status not in (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS):
        raise Conflict(_("这次检查已经提交过了。"))
    items = load_items(session, inspection)
    answers = load_answers(session, inspection)
    state = progress(items, answers)
    if not state.done:
        raise Conflict(_("还有 %(n)d 项未完成（未作答，或缺少问题描述、不适用原因），不能提交。",
                            n=len(state.incomplete)))
    roles = {s.role: s for s in signatures}
    if set(roles) != {"lead", "unit"}:
        raise DomainError(_("需要组长和被检查单位代表两人签名。"), field="signatures")
    for signature in signatures:
        if not signature.signer_name.strip():
            raise DomainError(_("请填写签名人姓名。"), field="signatures")
    stored = {role: attachments.store(s.png, allowed={"image/png"}) for role, s in roles.items()}
    result = compute_score(items, answers)
    with transaction(session):
        session.refresh(inspection)
        if inspection.status not in (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS):
            raise Conflict(_("这次检查已经提交过了。"))
        for role, signature in roles.items():
            file = stored[role]
            attachment = Attachment(unit_id=inspection.unit_id, kind=AttachmentKind.SIGNATURE,
                                    inspection_id=inspection.id, sha256=file.sha256, mime=file.mime, size=file.size,
                                    filename=f"signature-{role}.png", width=file.width, height=file.height,
                                    uploaded_by_id=actor.id)
            session.add(attachment)
            session.flush()
            session.add(Signature(inspection_id=inspection.id, unit_id=inspection.unit_id, role=role,
                                  signer_name=signature.signer_name.strip()[:64], attachment_id=attachment.id))
        findings = _make_findings(session, inspection, items, answers)
        inspection.status = InspectionStatus.SUBMITTED
        inspection.submitted_at = utcnow()
        inspection.score, inspection.band = result.score, result.band
        inspection.veto, inspection.deductions = result.veto, result.deductions
        inspection.score_json = json.dumps(result.as_dict(), ensure_ascii=False)
        inspection.revision += 1
        audit.record(session, actor, "inspection.submit", inspection,
                     details={"score": result.score, "band": result.band, "veto": result.veto,
                              "findings": len(findings), "signers": {r: s.signer_name for r, s in roles.items()}})
        if inspection.is_self:  # 自查: the findings become the unit's own tickets at once
            from .. import rectification

            rectification.open_self_tickets(session, actor, inspection, findings)
    return findings


def _make_findings(session: Session, inspection: Inspection, items: list[ChecklistItem],
                   answers: dict[int, Answer]) -> list[Finding]:
    findings = []
    for item in items:
        answer = answers.get(item.id)
        if item.response != ResponseType.COMPLIANCE or answer is None:
            continue
        if answer.value not in (Compliance.NONCOMPLIANT, Compliance.PARTIAL):
            continue
        template_key = item.version.template.key
        repeat = earlier_failure(session, inspection.unit_id, template_key, item.key,
                                 before_inspection=inspection.id)
        finding = Finding(
            inspection_id=inspection.id, unit_id=inspection.unit_id, item_id=item.id, answer_id=answer.id,
            position=len(findings), template_key=template_key, item_key=item.key,
            category=item.version.template.category, item_text=item.text, basis_json=item.basis_json,
            compliance=answer.value, severity=answer.severity or item.severity,
            description=answer.finding_text or "", is_repeat=repeat is not None,
            repeat_of_id=repeat.id if repeat else None,
        )
        session.add(finding)
        findings.append(finding)
    session.flush()
    return findings


def reopen_inspection(session: Session, actor: User, inspection: Inspection, reason: str) -> None:
    """The lead reopens a submitted inspection to correct it: answers editable again, findings and
    signatures withdrawn until the next submit. Not once the notice is issued."""
    if not is_lead(actor, inspection):
        raise DomainError(_("只有组长可以重新打开检查。"))
    if inspection.status != InspectionStatus.SUBMITTED:
        raise Conflict(_("只有已提交、尚未下发整改通知的检查可以重新打开。"))
    if not reason.strip():
        raise DomainError(_("请填写重新打开的原因。"), field="reason")
    with transaction(session):
        for finding in session.scalars(select(Finding).where(Finding.inspection_id == inspection.id)):
            session.delete(finding)
        for signature in session.scalars(select(Signature).where(Signature.inspection_id == inspection.id)):
            attachment = session.get(Attachment, signature.attachment_id)
            session.delete(signature)
            attachment.removed_at = utcnow()
        inspection.status = InspectionStatus.IN_PROGRESS
        inspection.submitted_at = None
        inspection.score = inspection.band = inspection.score_json = None
        inspection.veto, inspection.deductions = False, 0
        inspection.reopen_count += 1
        inspection.revision += 1
        audit.record(session, actor, "inspection.reopen", inspection, details={"reason": reason.strip()})
