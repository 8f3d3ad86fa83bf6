"""Factories that build inspections the way users do, through the services.

    inspection = make_inspection("DH-ZFB", templates=["network"])
    answer_all(inspection, failing={"F3": "noncompliant", "F7": "partial"})
    findings = submit(inspection)
"""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

from PIL import Image, ImageDraw

from inspect_app.extensions import db
from inspect_app.models import Compliance, Inspection, ResponseType
from inspect_app.services import checklists, inspections
from inspect_app.services.inspections import AnswerInput, SignatureInput

from .helpers import node, user


def png(width: int = 300, height: int = 120, colour: str = "black") -> bytes:
    """A signature-like stroke."""
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).line([(20, height // 2), (width // 2, 20), (width - 20, height - 20)], fill=colour, width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int = 800, height: int = 600, colour: str = "#4a6a8a") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def versions(*keys: str):
    current = {v.template.key: v for v in checklists.current_versions(db.session)}
    return [current[k] for k in keys]


def make_inspection(unit: str = "DH-ZFB", lead: str = "inspector", templates=("network",), *, kind: str = "routine",
                    members=(), scheduled_on: date | None = None, **kwargs) -> Inspection:
    actor = user(lead)
    return inspections.plan_inspection(
        db.session, actor, unit=node(unit), kind=kind, versions=versions(*templates),
        scheduled_on=scheduled_on or date.today() + timedelta(days=7), lead=actor,
        members=[user(m) for m in members], **kwargs)


def default_value(item) -> str:
    if item.response == ResponseType.COMPLIANCE:
        return Compliance.COMPLIANT
    if item.response == ResponseType.NUMBER:
        return "0" if item.deduction else "3"  # a deduction count: no cases found
    if item.response == ResponseType.CHOICE:
        return item.choices[0]["key"]
    return "现场查看，情况正常"


def answer(inspection: Inspection, item_key: str, value: str | None, *, by: str | None = None,
           base_revision: int | None = None, **fields):
    """Save one answer to the item with `item_key` (in any pinned template)."""
    item = next(i for i in inspections.load_items(db.session, inspection) if i.key == item_key)
    current = inspections.load_answers(db.session, inspection).get(item.id)
    if base_revision is None:
        base_revision = current.revision if current else 0
    actor = user(by or inspection.lead.username)
    saved, _changed = inspections.save_answer(db.session, actor, inspection, AnswerInput(
        item_id=item.id, client_uuid=fields.pop("client_uuid", str(uuid.uuid4())), base_revision=base_revision,
        value=value, **fields))
    return saved


def answer_all(inspection: Inspection, *, failing: dict[str, str] | None = None,
               not_applicable: tuple[str, ...] = (), by: str | None = None) -> None:
    """Answer every item: compliant (or a plain value), except `failing` (key → noncompliant/partial)
    with a finding, and `not_applicable` with a reason."""
    failing = failing or {}
    for item in inspections.load_items(db.session, inspection):
        if item.key in failing:
            answer(inspection, item.key, failing[item.key], by=by,
                   finding_text=f"检查发现：{item.text[:30]}，未落实。")
        elif item.key in not_applicable:
            answer(inspection, item.key, Compliance.NOT_APPLICABLE, by=by, na_reason="本单位无此类事项")
        else:
            answer(inspection, item.key, default_value(item), by=by)


def submit(inspection: Inspection, *, by: str | None = None):
    actor = user(by or inspection.lead.username)
    return inspections.submit_inspection(db.session, actor, inspection, [
        SignatureInput("lead", actor.display_name, png()),
        SignatureInput("unit", "单位代表", png(colour="navy")),
    ])


def submitted_inspection(unit: str = "DH-ZFB", lead: str = "inspector", templates=("network",), *,
                         failing: dict[str, str] | None = None, kind: str = "routine"):
    """An inspection planned, fully answered and submitted; returns (inspection, findings)."""
    inspection = make_inspection(unit, lead, templates, kind=kind)
    answer_all(inspection, failing=failing)
    findings = submit(inspection)
    db.session.refresh(inspection)
    return inspection, findings


# Rectification, built directly with the models (the rectification services are written in another branch) ----

DEFAULT_DAYS = {"critical": 7, "serious": 30, "general": 60}


def make_notice(inspection: Inspection, *, by: str = "inspector", prefix: str = "宝保检"):
    """Issue the notice of a submitted inspection: its 文号, and one open ticket per active finding."""
    from sqlalchemy import func, select

    from inspect_app.clock import local_today
    from inspect_app.database import transaction
    from inspect_app.models import Finding, FindingStatus, InspectionStatus, Notice, Ticket, TicketEvent, utcnow

    actor = user(by)
    year = local_today().year
    with transaction(db.session):
        sequence = (db.session.scalar(select(func.max(Notice.sequence)).where(
            Notice.bureau_id == inspection.bureau_id, Notice.year == year)) or 0) + 1
        notice = Notice(inspection_id=inspection.id, unit_id=inspection.unit_id, bureau_id=inspection.bureau_id,
                        year=year, sequence=sequence, number=f"{prefix}〔{year}〕{sequence}号", issued_by_id=actor.id)
        db.session.add(notice)
        db.session.flush()
        findings = db.session.scalars(select(Finding).where(Finding.inspection_id == inspection.id,
                                                            Finding.status == FindingStatus.ACTIVE)
                                      .order_by(Finding.position)).all()
        for finding in findings:
            due = local_today() + timedelta(days=DEFAULT_DAYS[finding.severity])
            ticket = Ticket(finding_id=finding.id, inspection_id=inspection.id, notice_id=notice.id,
                            unit_id=inspection.unit_id, status="open", due_date=due, original_due_date=due)
            db.session.add(ticket)
            db.session.flush()
            db.session.add(TicketEvent(ticket_id=ticket.id, unit_id=ticket.unit_id, kind="issued", actor_id=actor.id))
        inspection.status = InspectionStatus.ISSUED
        inspection.issued_at = utcnow()
        inspection.revision += 1
    db.session.refresh(notice)
    return notice


def make_tickets(inspection: Inspection):
    """Open tickets without a notice, as a self-inspection (自查) has them."""
    from sqlalchemy import select

    from inspect_app.clock import local_today
    from inspect_app.database import transaction
    from inspect_app.models import Finding, Ticket

    with transaction(db.session):
        tickets = []
        for finding in db.session.scalars(select(Finding).where(Finding.inspection_id == inspection.id)):
            due = local_today() + timedelta(days=DEFAULT_DAYS[finding.severity])
            tickets.append(Ticket(finding_id=finding.id, inspection_id=inspection.id, unit_id=inspection.unit_id,
                                  status="open", due_date=due, original_due_date=due))
        db.session.add_all(tickets)
    return tickets


def tickets_of(inspection: Inspection):
    from sqlalchemy import select

    from inspect_app.models import Ticket

    return db.session.scalars(select(Ticket).where(Ticket.inspection_id == inspection.id).order_by(Ticket.id)).all()


def respond(ticket, *, by: str = "officer", measures: str = "已停止交叉使用，统一登记涉密U盘并专人保管。",
            responsible: str = "张明", completed_on: date | None = None, photos: int = 1, files: int = 0):
    """The unit reports its measures, with evidence photos (and PDF files) attached to the response event."""
    from inspect_app.database import transaction
    from inspect_app.models import Attachment, TicketEvent, utcnow
    from inspect_app.services import attachments

    actor = user(by)
    stored = [attachments.store(jpeg(900, 700, colour=f"#{(40 * i) % 255:02x}7a5a"), allowed={"image/jpeg"})
              for i in range(photos)]
    documents = [attachments.store(b"%PDF-1.4\n% evidence " + str(i).encode() + b"\n", allowed={"application/pdf"})
                 for i in range(files)]
    with transaction(db.session):
        event = TicketEvent(ticket_id=ticket.id, unit_id=ticket.unit_id, kind="responded", actor_id=actor.id,
                            measures=measures, responsible=responsible, completed_on=completed_on or date.today())
        db.session.add(event)
        db.session.flush()
        for i, file in enumerate([*stored, *documents]):
            db.session.add(Attachment(unit_id=ticket.unit_id, kind="evidence", ticket_id=ticket.id,
                                      ticket_event_id=event.id, sha256=file.sha256, mime=file.mime, size=file.size,
                                      filename=f"佐证材料{i + 1}.{'jpg' if file.mime == 'image/jpeg' else 'pdf'}",
                                      width=file.width, height=file.height, uploaded_by_id=actor.id))
        ticket.status = "responded"
        ticket.responded_at = utcnow()
        ticket.revision += 1
    return event


def review(ticket, *, accept: bool = True, by: str = "inspector", note: str = "现场复查，整改到位。"):
    """The inspector's verification (复查): accept the fix (销号) or return it with the reason."""
    from inspect_app.database import transaction
    from inspect_app.models import TicketEvent, utcnow

    with transaction(db.session):
        db.session.add(TicketEvent(ticket_id=ticket.id, unit_id=ticket.unit_id,
                                   kind="accepted" if accept else "returned", actor_id=user(by).id, body=note))
        if accept:
            ticket.status, ticket.accepted_at = "accepted", utcnow()
        else:
            ticket.status, ticket.returns_count = "returned", ticket.returns_count + 1
        ticket.revision += 1
