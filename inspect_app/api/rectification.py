"""Rectification: findings, tickets with their timelines, a unit's answer to its ticket, and the notices. Read
through the lists and views the ticket pages use (services/rectification/)."""

import base64
import binascii

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import authz
from ..clock import local_today
from ..extensions import db
from ..models import Finding, Notice, Ticket, TicketEvent
from ..services import DomainError, rectification
from ..services.rectification import lists as ticket_lists
from . import api, schemas
from .common import (
    BAD,
    CONFLICT,
    NEEDS_CONFIRMATION,
    NOT_FOUND,
    TOO_LARGE,
    actor,
    body,
    listing,
    page,
    query,
    refuse,
    unit_ref,
)

# Findings ---------------------------------------------------------------------------------------------------


def _finding_out(finding: Finding, ticket_id: int | None) -> schemas.FindingOut:
    return schemas.FindingOut(
        id=finding.id, inspection_id=finding.inspection_id, unit=unit_ref(finding.unit),
        template_key=finding.template_key, item_key=finding.item_key, item_text=finding.item_text,
        category=finding.category, compliance=finding.compliance, severity=finding.severity,
        description=finding.description, is_repeat=finding.is_repeat, status=finding.status,
        created_at=finding.created_at, ticket_id=ticket_id)


def _findings(args: schemas.FindingQuery):
    flt = ticket_lists.FindingFilter(severity=args.severity or "", unit=args.unit_id, status=args.status)
    stmt = ticket_lists.with_finding_details(ticket_lists.findings_query(actor(), flt))
    return stmt.where(Finding.inspection_id == args.inspection_id) if args.inspection_id else stmt


@api.operation("GET", "/findings", summary="Findings in the caller's scope (a unit's side: once issued to it)",
               query=schemas.FindingQuery, responses={200: ("A page of findings", schemas.FindingList), 400: BAD[1]})
@authz.requires("findings.view")
def list_findings():
    args = query(schemas.FindingQuery)
    rows, following = page(_findings(args), Finding.id, args.cursor, args.limit)
    tickets = ticket_lists.tickets_of(db.session, rows)
    items = [_finding_out(f, tickets[f.id].id if f.id in tickets else None) for f in rows]
    return jsonify(schemas.FindingList(items=items, next_cursor=following).model_dump(mode="json"))


@api.operation("GET", "/findings/<int:finding_id>", summary="One finding",
               responses={200: ("The finding", schemas.FindingOut), 404: NOT_FOUND[1]})
@authz.loads(Finding, "finding_id", "findings.view")
def get_finding(finding: Finding):
    # Through the list's own conditions, so a unit's side reads no finding before it is issued to it.
    rows, _following = page(_findings(schemas.FindingQuery(status="all")).where(Finding.id == finding.id),
                            Finding.id, None, 1)
    if not rows:
        return refuse(404, "not_found", _("您要找的内容不存在，或不在您的查看范围内。"))
    ticket = ticket_lists.tickets_of(db.session, rows).get(finding.id)
    return jsonify(_finding_out(finding, ticket.id if ticket else None).model_dump(mode="json"))


# Tickets ----------------------------------------------------------------------------------------------------


def ticket_summary(ticket: Ticket, today) -> schemas.TicketSummary:
    return schemas.TicketSummary(
        id=ticket.id, finding_id=ticket.finding_id, inspection_id=ticket.inspection_id, notice_id=ticket.notice_id,
        unit=unit_ref(ticket.unit), status=ticket.status, overdue=ticket.is_overdue(today), due_date=ticket.due_date,
        original_due_date=ticket.original_due_date, severity=ticket.finding.severity, title=ticket.finding.item_text,
        returns_count=ticket.returns_count, revision=ticket.revision, created_at=ticket.created_at,
        responded_at=ticket.responded_at, accepted_at=ticket.accepted_at)


@api.operation("GET", "/tickets", summary="Rectification tickets in the caller's scope, newest first",
               query=schemas.TicketQuery, responses={200: ("A page of tickets", schemas.TicketList), 400: BAD[1]})
@authz.requires("tickets.view")
def list_tickets():
    args, today = query(schemas.TicketQuery), local_today()
    flt = ticket_lists.TicketFilter(severity=args.severity or "", unit=args.unit_id, status=args.status or "",
                                    overdue=args.overdue)
    stmt = ticket_lists.with_ticket_details(ticket_lists.tickets_query(actor(), "all", flt, today))
    if args.inspection_id:
        stmt = stmt.where(Ticket.inspection_id == args.inspection_id)
    return listing(schemas.TicketList, stmt, Ticket.id, args.cursor, args.limit, lambda t: ticket_summary(t, today))


def _event_out(event: TicketEvent, files) -> schemas.TicketEventOut:
    return schemas.TicketEventOut(
        kind=event.kind, at=event.at, actor=event.actor.display_name if event.actor else None, body=event.body,
        measures=event.measures, responsible=event.responsible, completed_on=event.completed_on,
        old_due_date=event.old_due_date, new_due_date=event.new_due_date,
        evidence=[schemas.EvidenceFile(id=f.id, filename=f.filename, mime=f.mime, size=f.size, sha256=f.sha256)
                  for f in files.get(event.id, [])])


def _ticket_out(ticket: Ticket) -> schemas.TicketOut:
    view, today = rectification.ticket_view(db.session, actor(), ticket), local_today()
    return schemas.TicketOut(
        **ticket_summary(ticket, today).model_dump(), finding=_finding_out(ticket.finding, ticket.id),
        notice_number=ticket.notice.number if ticket.notice else None,
        events=[_event_out(e, view.files) for e in view.events],
        may_respond=view.side["officer"] and view.refusals["respond"] is None)


@api.operation("GET", "/tickets/<int:ticket_id>", summary="A ticket with its finding and timeline",
               responses={200: ("The ticket", schemas.TicketOut), 404: NOT_FOUND[1]})
@authz.loads(Ticket, "ticket_id", "tickets.view")
def get_ticket(ticket: Ticket):
    return jsonify(_ticket_out(ticket).model_dump(mode="json"))


def _uploads(evidence: list[schemas.EvidenceIn]) -> list[rectification.Upload]:
    uploads = []
    for file in evidence:
        try:
            uploads.append(rectification.Upload(base64.b64decode(file.content_base64, validate=True), file.filename))
        except (binascii.Error, ValueError):
            raise DomainError(_("佐证材料“%(name)s”不是有效的 base64。", name=file.filename[:100]),
                              field="evidence") from None
    return uploads


@api.operation("POST", "/tickets/<int:ticket_id>/responses",
               summary="The unit's answer: measures, the person responsible, the date done, and evidence",
               request=schemas.RespondIn,
               responses={201: ("Sent; the ticket as it is now", schemas.TicketOut), 400: BAD[1], 404: NOT_FOUND[1],
                          409: CONFLICT[1], 413: TOO_LARGE[1], 422: NEEDS_CONFIRMATION[1]})
@authz.loads(Ticket, "ticket_id", "tickets.respond")
def respond(ticket: Ticket):
    sent = body(schemas.RespondIn)
    rectification.respond(db.session, actor(), ticket, measures=sent.measures, responsible=sent.responsible,
                          completed_on=sent.completed_on, uploads=_uploads(sent.evidence), revision=sent.revision,
                          confirm_unclassified=sent.confirm_unclassified)
    db.session.refresh(ticket)
    return jsonify(_ticket_out(ticket).model_dump(mode="json")), 201


# Notices ----------------------------------------------------------------------------------------------------


def _notice_summary(notice: Notice) -> schemas.NoticeSummary:
    return schemas.NoticeSummary(id=notice.id, number=notice.number, inspection_id=notice.inspection_id,
                                 unit=unit_ref(notice.unit), bureau=unit_ref(notice.bureau),
                                 issued_at=notice.issued_at)


@api.operation("GET", "/notices", summary="Rectification notices (整改通知书) in the caller's scope, newest first",
               query=schemas.NoticeQuery, responses={200: ("A page of notices", schemas.NoticeList), 400: BAD[1]})
@authz.requires("notice.view")
def list_notices():
    args = query(schemas.NoticeQuery)
    stmt = authz.visible(actor(), Notice).options(selectinload(Notice.unit), selectinload(Notice.bureau))
    if args.unit_id:
        stmt = stmt.where(Notice.unit_id == args.unit_id)
    if args.inspection_id:
        stmt = stmt.where(Notice.inspection_id == args.inspection_id)
    return listing(schemas.NoticeList, stmt, Notice.id, args.cursor, args.limit, _notice_summary)


@api.operation("GET", "/notices/<int:notice_id>", summary="A notice with its tickets",
               responses={200: ("The notice", schemas.NoticeOut), 404: NOT_FOUND[1]})
@authz.loads(Notice, "notice_id", "notice.view")
def get_notice(notice: Notice):
    view, today = rectification.notice_view(db.session, notice), local_today()
    out = schemas.NoticeOut(**_notice_summary(notice).model_dump(), issued_by=notice.issued_by.display_name,
                            finished=view.finished, tickets=[ticket_summary(t, today) for t in view.tickets])
    return jsonify(out.model_dump(mode="json"))
