"""The documents of the inspection cycle: 检查报告 (the inspection report), 整改通知书 (the notice) and
整改情况报告 (the unit's report on its rectification) — each one's data as plain JSON values, and the rule
that says when it may be made."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import pdf
from ...clock import local_date
from ...formatting import cite_in_document
from ...labels import BAND_LABELS, COMPLIANCE_LABELS, INSPECTION_KIND_LABELS, SEVERITY_LABELS, label
from ...models import (
    Attachment,
    AttachmentKind,
    Compliance,
    Finding,
    FindingStatus,
    Inspection,
    InspectionStatus,
    NodeKind,
    Notice,
    OrgNode,
    ResponseType,
    Role,
    Signature,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    User,
)
from .. import DomainError, inspections


def _zh(mapping: dict, key) -> str:
    return label(mapping, key)


def _date(moment: datetime | None) -> str | None:
    return local_date(moment).isoformat() if moment else None


def _inspection_date(inspection: Inspection) -> str:
    return _date(inspection.started_at) or inspection.scheduled_on.isoformat()


def _severity_parts(severities: Iterable[str]) -> list[str]:
    severities = list(severities)
    return [f"{_zh(SEVERITY_LABELS, s)}{severities.count(s)}个"
            for s in ("critical", "serious", "general") if severities.count(s)]


def _finding(finding: Finding) -> dict:
    return {
        "item_key": finding.item_key, "item_text": finding.item_text, "severity": finding.severity,
        "severity_label": _zh(SEVERITY_LABELS, finding.severity),
        "compliance_label": _zh(COMPLIANCE_LABELS, finding.compliance), "description": finding.description,
        "basis": [cite_in_document(b) for b in finding.basis], "repeat": bool(finding.is_repeat),
    }


def _active_findings(session: Session, inspection: Inspection) -> list[Finding]:
    return list(session.scalars(select(Finding).where(Finding.inspection_id == inspection.id,
                                                      Finding.status == FindingStatus.ACTIVE)
                                .order_by(Finding.position, Finding.id)))


def _answer_label(item, answer) -> tuple[str, str | None]:
    """What the annex prints for an answer: the result, and a note."""
    if answer is None or answer.value in (None, ""):
        return "未作答", None
    if item.response == ResponseType.COMPLIANCE:
        note = {Compliance.NOT_APPLICABLE: answer.na_reason,
                Compliance.NONCOMPLIANT: answer.finding_text,
                Compliance.PARTIAL: answer.finding_text}.get(answer.value) or answer.note
        return _zh(COMPLIANCE_LABELS, answer.value), note
    if item.response == ResponseType.NUMBER:
        return f"{answer.value}{item.unit_label or ''}", answer.note
    if item.response == ResponseType.CHOICE:
        choice = next((c for c in item.choices if c["key"] == answer.value), None)
        return (choice["label"] if choice else answer.value), answer.note
    return "已记录", "；".join(t for t in (answer.value, answer.note) if t)


# 检查报告 --------------------------------------------------------------------------------------------


def inspection_report_data(session: Session, inspection: Inspection) -> dict:
    items = inspections.load_items(session, inspection)
    answers = inspections.load_answers(session, inspection)
    photos = inspections.photos_by_item(session, inspection)
    findings = _active_findings(session, inspection)
    counts = {"total": len(items), "compliant": 0, "partial": 0, "noncompliant": 0, "not_applicable": 0, "other": 0}
    annex: list[dict] = []
    section_titles: dict[str, str] = {}
    for item in items:
        answer = answers.get(item.id)
        if item.response == ResponseType.COMPLIANCE and answer is not None and answer.value in counts:
            counts[answer.value] += 1
        else:
            counts["other"] += 1
        version = item.version
        if not annex or annex[-1]["version_id"] != version.id:
            annex.append({"version_id": version.id, "title": version.title, "version": version.version,
                          "sections": []})
        sections = annex[-1]["sections"]
        if not sections or sections[-1]["key"] != item.section.key:
            sections.append({"key": item.section.key, "title": item.section.title, "entries": []})
            section_titles[f"{version.id}:{item.section.key}"] = item.section.title
        text, note = _answer_label(item, answer)
        sections[-1]["entries"].append({
            "key": item.key, "text": item.text, "answer": text, "note": note,
            "failed": bool(answer and answer.value in (Compliance.NONCOMPLIANT, Compliance.PARTIAL))})
    detail = inspection.score_detail or {}
    sections = [{"title": section_titles.get(s["key"], s["key"]), "applicable": s["applicable"],
                 "earned": s["earned"], "score": s["score"]}
                for s in detail.get("sections", []) if s.get("total")]
    signatures = sorted(session.scalars(select(Signature).where(Signature.inspection_id == inspection.id)),
                        key=lambda s: s.role != "lead")
    lead = next((m.user for m in inspection.members if m.is_lead), inspection.lead)
    return {
        "unit": {"name": inspection.unit.name, "code": inspection.unit.code},
        "bureau": inspection.bureau.name,
        "inspection": {"id": inspection.id, "title": inspection.title, "scope": inspection.scope,
                       "kind": inspection.kind, "kind_label": _zh(INSPECTION_KIND_LABELS, inspection.kind),
                       "date": _inspection_date(inspection), "status": inspection.status},
        "team": {"lead": lead.display_name,
                 "members": [m.user.display_name for m in inspection.members if not m.is_lead]},
        "checklists": [{"title": v.title, "version": v.version} for v in inspection.versions],
        "result": {"score": inspection.score, "band": inspection.band,
                   "band_label": _zh(BAND_LABELS, inspection.band) if inspection.band else "未评定",
                   "veto": bool(inspection.veto), "deductions": inspection.deductions or 0, "counts": counts},
        "sections": sections,
        "counts": {"parts": _severity_parts(f.severity for f in findings)},
        "findings": [{**_finding(f), "photos": [p.sha256 for p in photos.get(f.item_id, [])]} for f in findings],
        "signatures": [{"role": s.role, "role_label": "检查组组长" if s.role == "lead" else "被检查单位代表",
                        "name": s.signer_name, "signed_on": _date(s.signed_at),
                        "image": s.attachment.sha256} for s in signatures],
        "annex": [{k: v for k, v in c.items() if k != "version_id"} for c in annex],
        "date": _date(inspection.submitted_at) or _inspection_date(inspection),
    }


def check_inspection_report(actor: User | None, inspection: Inspection) -> None:
    if inspection.status not in (InspectionStatus.SUBMITTED, InspectionStatus.ISSUED, InspectionStatus.CLOSED):
        raise DomainError(_("检查尚未提交，还不能生成检查报告。"))
    if (actor is not None and actor.role == Role.OFFICER and not inspection.is_self
            and inspection.status == InspectionStatus.SUBMITTED):
        raise DomainError(_("检查报告随整改通知一并下发，下发后即可查看。"))


# 整改通知书 ------------------------------------------------------------------------------------------


def _copies_for(issuer: OrgNode, unit: OrgNode) -> list[str]:
    """抄送: the unit's own district bureau, when another (the city) bureau issued the notice."""
    parent = unit.parent
    if parent is not None and parent.kind == NodeKind.DISTRICT and parent.id != issuer.id:
        return [parent.name]
    return []


def office_of(bureau: OrgNode) -> str:
    """印发机关: the office of the issuing bureau that prints and sends its documents."""
    return f"{bureau.name}办公室"


def _tickets(session: Session, **where) -> list[Ticket]:
    stmt = select(Ticket).join(Finding, Ticket.finding_id == Finding.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Ticket, name) == value)
    return list(session.scalars(stmt.order_by(Finding.position, Ticket.id)))


def notice_data(session: Session, notice: Notice) -> dict:
    """The notice as issued: its findings with the due dates first set (an extension does not rewrite it)."""
    inspection = notice.inspection
    tickets = _tickets(session, notice_id=notice.id)
    findings = [{**_finding(t.finding), "due_on": t.original_due_date.isoformat()} for t in tickets]
    severities = [t.finding.severity for t in tickets]
    return {
        "notice": {"id": notice.id, "number": notice.number, "issued_on": _date(notice.issued_at)},
        "date": _date(notice.issued_at),
        "issuer": notice.bureau.name,
        "unit": {"name": notice.unit.name, "code": notice.unit.code},
        "inspection": {"id": inspection.id, "kind_label": _zh(INSPECTION_KIND_LABELS, inspection.kind),
                       "date": _inspection_date(inspection)},
        "findings": findings,
        "counts": {"total": len(tickets), "critical": severities.count("critical"),
                   "parts": _severity_parts(severities)},
        "contact": notice.issued_by.display_name if notice.issued_by else None,
        "phone": (current_app.config.get("CONTACT_PHONES") or {}).get(notice.bureau.code),
        # The written 整改报告 is due when the last item is: by then everything is to be fixed.
        "report_due": max(t.original_due_date for t in tickets).isoformat() if tickets else None,
        "copies": _copies_for(notice.bureau, notice.unit),
        "printed_by": office_of(notice.bureau),
    }


# 整改情况报告 ----------------------------------------------------------------------------------------


def _review(ticket: Ticket, events: list[TicketEvent]) -> str:
    last = {e.kind: e for e in events}
    if ticket.status == TicketStatus.ACCEPTED:
        event = last.get(TicketEventKind.ACCEPTED)
        who = f"，复查人{event.actor.display_name}" if event and event.actor else ""
        when = f"{pdf.cn_date(_date(event.at))}" if event else ""
        note = f"复查意见：{pdf.sentence(event.body)}" if event and event.body else ""
        return f"复查通过，已销号（{when}{who}）。{note}"
    if ticket.status == TicketStatus.RETURNED:
        event = last.get(TicketEventKind.RETURNED)
        return f"复查未通过，退回重改：{pdf.sentence(event.body if event and event.body else '整改不到位')}"
    if ticket.status == TicketStatus.RESPONDED:
        again = f"（此前退回{ticket.returns_count}次）" if ticket.returns_count else ""
        return f"已报送整改情况，待复查{again}。"
    if ticket.status == TicketStatus.CANCELLED:
        event = last.get(TicketEventKind.CANCELLED)
        return pdf.sentence(f"已撤销{('：' + event.body) if event and event.body else ''}")
    return "正在整改，尚未报送整改情况。"


def rectification_report_data(session: Session, inspection: Inspection) -> dict:
    tickets = _tickets(session, inspection_id=inspection.id)
    evidence: dict[int, list[Attachment]] = {}
    event_ids = [e.id for t in tickets for e in t.events if e.kind == TicketEventKind.RESPONDED]
    if event_ids:
        for a in session.scalars(select(Attachment).where(Attachment.ticket_event_id.in_(event_ids),
                                                          Attachment.kind == AttachmentKind.EVIDENCE,
                                                          Attachment.removed_at.is_(None))
                                 .order_by(Attachment.id)):
            evidence.setdefault(a.ticket_event_id, []).append(a)
    rows = []
    moments = [e.at for t in tickets for e in t.events]
    for ticket in tickets:
        events = list(ticket.events)
        response = next((e for e in reversed(events) if e.kind == TicketEventKind.RESPONDED), None)
        row = {
            **_finding(ticket.finding), "status": ticket.status, "due_on": ticket.due_date.isoformat(),
            "original_due_on": ticket.original_due_date.isoformat(),
            "extended": ticket.due_date != ticket.original_due_date, "review": _review(ticket, events),
            "response": None, "late": False,
        }
        if response is not None:
            files = evidence.get(response.id, [])
            row["response"] = {
                "measures": response.measures or response.body or "", "responsible": response.responsible,
                "completed_on": response.completed_on.isoformat() if response.completed_on else None,
                "evidence": [a.sha256 for a in files if a.is_image],
                "files": [a.filename for a in files if not a.is_image],
            }
            row["late"] = bool(response.completed_on and response.completed_on > ticket.due_date)
        rows.append(row)
    statuses = [t.status for t in tickets]
    accepted, responded = statuses.count(TicketStatus.ACCEPTED), statuses.count(TicketStatus.RESPONDED)
    cancelled = statuses.count(TicketStatus.CANCELLED)
    working = len(tickets) - accepted - responded - cancelled
    summary = [text for n, text in (
        (accepted, f"{accepted}个问题已整改完成并经复查销号"), (responded, f"{responded}个问题已报送整改情况、待复查"),
        (working, f"{working}个问题正在整改"), (cancelled, f"{cancelled}个问题已撤销")) if n]
    notice = session.scalar(select(Notice).where(Notice.inspection_id == inspection.id))
    unit = inspection.unit
    addressee = inspection.bureau.name if not inspection.is_self else (unit.parent.name if unit.parent else "")
    return {
        "unit": {"name": unit.name, "code": unit.code},
        "bureau": inspection.bureau.name,
        "addressee": addressee,
        "self": inspection.is_self,
        "notice_number": notice.number if notice else None,
        "inspection": {"id": inspection.id, "kind_label": _zh(INSPECTION_KIND_LABELS, inspection.kind),
                       "date": _inspection_date(inspection)},
        "tickets": rows,
        "counts": {"total": len(tickets), "accepted": accepted, "responded": responded, "cancelled": cancelled,
                   "unfinished": len(tickets) - accepted - cancelled, "summary": summary or ["尚无整改事项"]},
        "date": _date(max(moments)) if moments else _inspection_date(inspection),
    }


def check_rectification_report(_actor: User | None, inspection: Inspection) -> None:
    if not inspection.is_self and inspection.status not in (InspectionStatus.ISSUED, InspectionStatus.CLOSED):
        raise DomainError(_("整改通知尚未下发，还没有整改情况可以报告。"))
    session = Session.object_session(inspection)
    if session.scalar(select(Ticket.id).where(Ticket.inspection_id == inspection.id).limit(1)) is None:
        raise DomainError(_("这次检查没有整改事项，无需整改情况报告。"))
