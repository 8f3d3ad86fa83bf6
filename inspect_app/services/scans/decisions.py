"""The inspector's decision on an answer a scan proposed: confirmed, it becomes the item's answer (不符合, the
finding text as the inspector left it, the tool's evidence added to the note); rejected, with the reason, it
changes no answer. Either way it is decided once, by a member of the team, while the inspection is open."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ...database import transaction
from ...models import Answer, Compliance, Inspection, ProposalStatus, ProposedAnswer, User, utcnow
from .. import Conflict, DomainError, NotAllowed, audit, inspections
from ..classified import find_suspicions

REASON_LIMIT = 500


def _check_decider(session: Session, actor: User, proposal: ProposedAnswer) -> Inspection:
    inspection = session.get(Inspection, proposal.inspection_id)
    if inspection.is_locked:
        raise Conflict(_("检查已提交，答案不能再修改。如需更正，请组长重新打开检查。"))
    if not inspections.is_team_member(actor, inspection):
        raise NotAllowed(_("只有检查组成员可以确认或驳回技术检查结果。"))
    return inspection


def _lock_pending(session: Session, proposal: ProposedAnswer) -> None:
    session.refresh(proposal, with_for_update=True)
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict(_("这条技术检查结果已经处理过了。"))


def _merged_note(current: Answer | None, proposal: ProposedAnswer) -> str:
    """The answer's own note, then the tool's evidence (once, however often it is confirmed)."""
    own = (current.note or "").strip() if current else ""
    if proposal.note in own:
        return own
    return f"{own}\n{proposal.note}".strip() if own else proposal.note


def confirm(session: Session, actor: User, proposal: ProposedAnswer, *, finding_text: str | None = None,
            confirm_unclassified: bool = False) -> Answer:
    """Save 不符合 on the proposal's item as the actor's answer, and mark the proposal confirmed, in one
    transaction. A severity the answer already holds stays; otherwise the item's (stepped up for a repeat)."""
    inspection = _check_decider(session, actor, proposal)
    text = (finding_text or "").strip() or proposal.finding_text
    with transaction(session):
        _lock_pending(session, proposal)
        current = inspections.load_answers(session, inspection).get(proposal.item_id)
        failing = current is not None and current.value in (Compliance.NONCOMPLIANT, Compliance.PARTIAL)
        answer, _changed = inspections.save_answer(session, actor, inspection, inspections.AnswerInput(
            item_id=proposal.item_id, client_uuid=str(uuid.uuid4()),
            base_revision=current.revision if current else 0, value=Compliance.NONCOMPLIANT,
            note=_merged_note(current, proposal), finding_text=text,
            severity=current.severity if failing else None, confirm_unclassified=confirm_unclassified))
        proposal.status, proposal.decided_by_id, proposal.decided_at = ProposalStatus.CONFIRMED, actor.id, utcnow()
        audit.record(session, actor, "scan.proposal_confirm", proposal,
                     details={"scan_id": proposal.scan_id, "item_id": proposal.item_id, "revision": answer.revision})
    return answer


def reject(session: Session, actor: User, proposal: ProposedAnswer, reason: str | None) -> None:
    """Set the proposal aside with the reason (a device that is not what the tool took it for, a record already
    explained); the item's answer is left as it is."""
    _check_decider(session, actor, proposal)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请说明驳回的理由。"), field="reason")
    if len(reason) > REASON_LIMIT:
        raise DomainError(_("文字不能超过 %(n)d 个字。", n=REASON_LIMIT), field="reason")
    if find_suspicions({"reason": reason}):
        raise DomainError(_("驳回理由中出现了疑似密级标志。本系统严禁录入国家秘密，请修改。"), field="reason")
    with transaction(session):
        _lock_pending(session, proposal)
        proposal.status, proposal.decided_by_id, proposal.decided_at = ProposalStatus.REJECTED, actor.id, utcnow()
        proposal.reject_reason = reason
        audit.record(session, actor, "scan.proposal_reject", proposal,
                     details={"scan_id": proposal.scan_id, "item_id": proposal.item_id, "reason": reason})
