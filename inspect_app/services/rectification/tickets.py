"""The ticket of each finding until an inspector verifies the fix.

A ticket is `open` (整改中) → `responded` (已报送) → `accepted` (已销号), or `returned` (退回) and then
`responded` again; `cancelled` ends it without a fix. Overdue is derived from the due date, never stored.
Every step is an event on the ticket's timeline and a record in the audit trail.

Who acts: the unit's secrecy officer answers; the bureau that issued the notice (or one above it)
verifies. A self-inspection's tickets are the unit's own: its officer answers and verifies them, and the
bureau reads them only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import local_date, local_today
from ...database import transaction
from ...models import (
    Attachment,
    AttachmentKind,
    ExtensionRequest,
    ExtensionStatus,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    User,
    utcnow,
)
from .. import Conflict, DomainError, attachments, audit, notifications
from .notices import close_if_done
from .rules import (
    EVIDENCE_TYPES,
    MAX_EXTENSION,
    MAX_PENDING_EVIDENCE,
    NAME_LIMIT,
    RECHECK_PHOTO_TYPES,
    bureau_side,
    check_revision,
    check_state,
    check_unclassified,
    clean_text,
    is_unit_officer,
    is_verifier,
    lock_inspection,
    lock_ticket,
    may_comment,
    record_confirmation,
    record_event,
    ticket_title,
    unit_side,
)

# The unit's side ---------------------------------------------------------------------------------------------


@dataclass
class Upload:
    data: bytes
    filename: str


def _check_officer(actor: User, ticket: Ticket) -> None:
    if not is_unit_officer(actor, ticket):
        raise DomainError(_("只有被检查单位的保密员可以报送整改情况。"))


def _store_uploads(uploads: Sequence[Upload], allowed: set[str]) -> list[tuple[attachments.StoredFile, str]]:
    stored = []
    for upload in uploads:
        try:
            stored.append((attachments.store(upload.data, allowed=allowed), upload.filename))
        except DomainError as exc:
            raise DomainError(f"{attachments.display_name(upload.filename)}：{exc.message}", field="files") from None
    return stored


def _add_files(session: Session, actor: User, ticket: Ticket, stored, *, event: TicketEvent | None) -> list[Attachment]:
    made = []
    for file, filename in stored:
        attachment = Attachment(
            unit_id=ticket.unit_id, kind=AttachmentKind.EVIDENCE, inspection_id=ticket.inspection_id,
            ticket_id=ticket.id, ticket_event_id=event.id if event else None, sha256=file.sha256, mime=file.mime,
            size=file.size, filename=attachments.display_name(filename), width=file.width, height=file.height,
            uploaded_by_id=actor.id, uploaded_at=utcnow())
        session.add(attachment)
        made.append(attachment)
    session.flush()
    return made


def pending_evidence(session: Session, ticket: Ticket) -> list[Attachment]:
    """Evidence uploaded with a draft and not yet sent."""
    return list(session.scalars(select(Attachment).where(
        Attachment.ticket_id == ticket.id, Attachment.kind == AttachmentKind.EVIDENCE,
        Attachment.ticket_event_id.is_(None), Attachment.removed_at.is_(None)).order_by(Attachment.id)))


def _parse_response(ticket: Ticket, measures, responsible, completed_on, today: date, *, required: bool):
    measures = clean_text(measures, field_name="measures", required=_("请填写整改措施。") if required else None)
    responsible = clean_text(responsible, field_name="responsible", limit=NAME_LIMIT,
                             required=_("请填写整改责任人。") if required else None)
    if completed_on is None and required:
        raise DomainError(_("请填写完成日期。"), field="completed_on")
    if completed_on is not None and completed_on > today:
        raise DomainError(_("完成日期不能晚于今天。尚未完成的整改请先保存草稿，或申请延期。"), field="completed_on")
    if ticket.inspection is None:  # a case's: the problem was known when the incident was found
        found_on, message = local_date(ticket.incident.found_at), _("完成日期不能早于发现事件的日期（%(d)s）。")
    else:
        started = ticket.inspection.started_at
        found_on, message = local_date(started) if started else None, _("完成日期不能早于发现问题的检查日期（%(d)s）。")
    if completed_on is not None and found_on and completed_on < found_on:
        raise DomainError(message % {"d": found_on.isoformat()}, field="completed_on")
    return measures, responsible, completed_on


def save_draft(session: Session, actor: User, ticket: Ticket, *, measures: str | None = None,
               responsible: str | None = None, completed_on: date | None = None, uploads: Sequence[Upload] = (),
               confirm_unclassified: bool = False) -> Ticket:
    """Keep the officer's answer before it is sent; nothing reaches the bureau yet."""
    _check_officer(actor, ticket)
    check_state(ticket, "draft")
    measures, responsible, completed_on = _parse_response(ticket, measures, responsible, completed_on, local_today(),
                                                          required=False)
    texts = {"measures": measures, "responsible": responsible}
    needed = check_unclassified(texts, confirm_unclassified)
    stored = _store_uploads(uploads, EVIDENCE_TYPES)
    with transaction(session):
        lock_ticket(session, ticket)
        check_state(ticket, "draft")
        if len(pending_evidence(session, ticket)) + len(stored) > MAX_PENDING_EVIDENCE:
            raise DomainError(_("佐证材料最多 %(n)d 份。", n=MAX_PENDING_EVIDENCE), field="files")
        ticket.draft_measures, ticket.draft_responsible, ticket.draft_completed_on = measures, responsible, completed_on
        ticket.draft_saved_at = utcnow()
        files = _add_files(session, actor, ticket, stored, event=None)
        audit.record(session, actor, "ticket.draft_save", ticket,
                     details={"files": [f.sha256 for f in files], "has_measures": bool(measures)})
        record_confirmation(session, actor, ticket, texts, needed)
    return ticket


def remove_evidence(session: Session, actor: User, ticket: Ticket, attachment: Attachment) -> None:
    """Take back a draft's evidence file (sent evidence stays on the timeline)."""
    _check_officer(actor, ticket)
    check_state(ticket, "evidence")
    if attachment.ticket_id != ticket.id or attachment.kind != AttachmentKind.EVIDENCE:
        raise DomainError(_("这份材料不属于这项整改。"))
    if attachment.ticket_event_id is not None:
        raise Conflict(_("已报送的佐证材料不能删除。"))
    with transaction(session):
        if attachment.removed_at is None:
            attachment.removed_at = utcnow()
            audit.record(session, actor, "ticket.evidence_remove", attachment, details={"ticket_id": ticket.id})


def respond(session: Session, actor: User, ticket: Ticket, *, measures: str | None, responsible: str | None,
            completed_on: date | None, uploads: Sequence[Upload] = (), revision: int | None = None,
            confirm_unclassified: bool = False) -> TicketEvent:
    """Send the measures taken (整改措施), the person responsible, the completion date and the evidence."""
    _check_officer(actor, ticket)
    check_state(ticket, "respond")
    check_revision(ticket, revision)
    measures, responsible, completed_on = _parse_response(ticket, measures, responsible, completed_on, local_today(),
                                                          required=True)
    texts = {"measures": measures, "responsible": responsible}
    needed = check_unclassified(texts, confirm_unclassified)
    if not uploads and not pending_evidence(session, ticket):
        raise DomainError(_("请上传至少一份佐证材料（整改后的照片或扫描件）。"), field="files")
    stored = _store_uploads(uploads, EVIDENCE_TYPES)
    with transaction(session):
        lock_ticket(session, ticket)
        check_state(ticket, "respond")
        check_revision(ticket, revision)
        pending = pending_evidence(session, ticket)
        if len(pending) + len(stored) > MAX_PENDING_EVIDENCE:
            raise DomainError(_("佐证材料最多 %(n)d 份。", n=MAX_PENDING_EVIDENCE), field="files")
        if not pending and not stored:
            raise DomainError(_("请上传至少一份佐证材料（整改后的照片或扫描件）。"), field="files")
        ticket.status = TicketStatus.RESPONDED
        ticket.responded_at = utcnow()
        ticket.revision += 1
        ticket.draft_measures = ticket.draft_responsible = ticket.draft_completed_on = ticket.draft_saved_at = None
        event = record_event(session, actor, ticket, TicketEventKind.RESPONDED, measures=measures,
                             responsible=responsible, completed_on=completed_on)
        for attachment in pending:
            attachment.ticket_event_id = event.id
        files = pending + _add_files(session, actor, ticket, stored, event=event)
        audit.record(session, actor, "ticket.evidence", ticket,
                     details={"event_id": event.id, "files": [f.sha256 for f in files]})
        record_confirmation(session, actor, ticket, texts, needed)
        notifications.notify(session, bureau_side(ticket), "ticket_responded", ticket,
                             unit=ticket.unit.name, title=ticket_title(ticket))
    return event


def request_extension(session: Session, actor: User, ticket: Ticket, *, until: date | None, reason: str | None,
                      confirm_unclassified: bool = False) -> ExtensionRequest:
    """The unit asks for a later due date (延期申请), with its reason."""
    _check_officer(actor, ticket)
    check_state(ticket, "extension")
    reason = clean_text(reason, field_name="reason", required=_("请说明延期的理由。"))
    if until is None:
        raise DomainError(_("请填写申请延期到的日期。"), field="until")
    if until <= ticket.due_date:
        raise DomainError(_("申请的日期须晚于现在的整改期限（%(due)s）。", due=ticket.due_date.isoformat()),
                          field="until")
    if until > local_today() + MAX_EXTENSION:
        raise DomainError(_("延期不能超过一年。"), field="until")
    needed = check_unclassified({"reason": reason}, confirm_unclassified)
    with transaction(session):
        lock_ticket(session, ticket)
        check_state(ticket, "extension")
        if pending_extension(session, ticket) is not None:
            raise Conflict(_("已有一份延期申请正在审批，请等待结果。"))
        extension = ExtensionRequest(ticket_id=ticket.id, unit_id=ticket.unit_id, requested_due_date=until,
                                     reason=reason, status=ExtensionStatus.PENDING, requested_by_id=actor.id,
                                     requested_at=utcnow())
        session.add(extension)
        session.flush()
        record_event(session, actor, ticket, TicketEventKind.EXTENSION_REQUESTED, body=reason,
                     old_due_date=ticket.due_date, new_due_date=until, extension_id=extension.id)
        record_confirmation(session, actor, ticket, {"reason": reason}, needed)
        notifications.notify(session, bureau_side(ticket), "extension_requested", ticket, unit=ticket.unit.name,
                             title=ticket_title(ticket), until=until.isoformat())
    return extension


def pending_extension(session: Session, ticket: Ticket) -> ExtensionRequest | None:
    return session.scalar(select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id,
                                                         ExtensionRequest.status == ExtensionStatus.PENDING)
                          .execution_options(populate_existing=True))


# The verifier's side ----------------------------------------------------------------------------------------


def _check_verifier(actor: User, ticket: Ticket) -> None:
    if is_verifier(actor, ticket):
        return
    if ticket.is_self:
        raise DomainError(_("自查问题的整改由单位自行复查，检查机关只能查看。"))
    raise DomainError(_("只有下发整改通知的检查机关的检查员可以复查。"))


def decide_extension(session: Session, actor: User, extension: ExtensionRequest, *, grant: bool,
                     reason: str | None = None, new_due_date: date | None = None) -> ExtensionRequest:
    """Grant (moving the due date, to the date asked or another) or refuse (with a reason)."""
    ticket = extension.ticket
    _check_verifier(actor, ticket)
    check_state(ticket, "decide_extension")
    reason = clean_text(reason, field_name="decision_reason",
                        required=None if grant else _("不同意延期时请说明理由。"))
    if grant:
        new_due_date = new_due_date or extension.requested_due_date
        if new_due_date <= ticket.due_date:
            raise DomainError(_("新的整改期限须晚于现在的期限（%(due)s）。", due=ticket.due_date.isoformat()),
                              field="new_due_date")
        if new_due_date > local_today() + MAX_EXTENSION:
            raise DomainError(_("延期不能超过一年。"), field="new_due_date")
    with transaction(session):
        lock_ticket(session, ticket)
        session.refresh(extension, with_for_update=True)
        check_state(ticket, "decide_extension")
        if extension.status != ExtensionStatus.PENDING:
            raise Conflict(_("这份延期申请已经审批过了。"))
        extension.status = ExtensionStatus.GRANTED if grant else ExtensionStatus.REFUSED
        extension.decided_by_id, extension.decided_at, extension.decision_reason = actor.id, utcnow(), reason
        old = ticket.due_date
        if grant:
            ticket.due_date = new_due_date
            ticket.last_reminded_on = None  # a new deadline deserves its own reminder
        ticket.revision += 1
        record_event(session, actor, ticket,
                     TicketEventKind.EXTENSION_GRANTED if grant else TicketEventKind.EXTENSION_REFUSED, body=reason,
                     old_due_date=old, new_due_date=ticket.due_date if grant else None, extension_id=extension.id)
        if grant:
            notifications.notify(session, unit_side(session, ticket, actor), "extension_granted", ticket,
                                 title=ticket_title(ticket), until=ticket.due_date.isoformat())
        else:
            notifications.notify(session, unit_side(session, ticket, actor), "extension_refused", ticket,
                                 title=ticket_title(ticket), reason=reason)
    return extension


def _withdraw_extensions(session: Session, actor: User, ticket: Ticket, why: str) -> None:
    extension = pending_extension(session, ticket)
    if extension is not None:
        extension.status = ExtensionStatus.REFUSED
        extension.decided_by_id, extension.decided_at, extension.decision_reason = actor.id, utcnow(), why


def accept(session: Session, actor: User, ticket: Ticket, *, note: str | None = None, revision: int | None = None,
           confirm_unclassified: bool = False) -> TicketEvent:
    """The fix is verified (复查通过): the ticket is accepted (销号); the inspection closes with its last ticket."""
    _check_verifier(actor, ticket)
    check_state(ticket, "accept")
    check_revision(ticket, revision)
    note = clean_text(note, field_name="note")
    needed = check_unclassified({"note": note}, confirm_unclassified)
    with transaction(session):
        if ticket.inspection is not None:
            lock_inspection(session, ticket.inspection)
        lock_ticket(session, ticket)
        check_state(ticket, "accept")
        check_revision(ticket, revision)
        ticket.status = TicketStatus.ACCEPTED
        ticket.accepted_at = utcnow()
        ticket.revision += 1
        _withdraw_extensions(session, actor, ticket, _("整改已销号，无需延期。"))
        event = record_event(session, actor, ticket, TicketEventKind.ACCEPTED, body=note)
        record_confirmation(session, actor, ticket, {"note": note}, needed)
        notifications.notify(session, unit_side(session, ticket, actor), "ticket_accepted", ticket,
                             title=ticket_title(ticket))
        close_if_done(session, actor, ticket.inspection)
    return event


def return_ticket(session: Session, actor: User, ticket: Ticket, *, reason: str | None,
                  new_due_date: date | None = None, revision: int | None = None,
                  confirm_unclassified: bool = False) -> TicketEvent:
    """The fix is not enough (退回): back to the unit with the reason, optionally with a new due date."""
    _check_verifier(actor, ticket)
    check_state(ticket, "return")
    check_revision(ticket, revision)
    reason = clean_text(reason, field_name="reason", required=_("退回时请写明理由，让单位知道还要做什么。"))
    if new_due_date is not None and new_due_date < local_today():
        raise DomainError(_("新的整改期限不能早于今天。"), field="new_due_date")
    if new_due_date is not None and new_due_date > local_today() + MAX_EXTENSION:
        raise DomainError(_("新的整改期限不能超过一年。"), field="new_due_date")
    needed = check_unclassified({"reason": reason}, confirm_unclassified)
    with transaction(session):
        lock_ticket(session, ticket)
        check_state(ticket, "return")
        check_revision(ticket, revision)
        old = ticket.due_date
        ticket.status = TicketStatus.RETURNED
        ticket.returns_count += 1
        ticket.revision += 1
        if new_due_date is not None and new_due_date != old:
            ticket.due_date = new_due_date
            ticket.last_reminded_on = None
        event = record_event(session, actor, ticket, TicketEventKind.RETURNED, body=reason,
                             old_due_date=old if ticket.due_date != old else None,
                             new_due_date=ticket.due_date if ticket.due_date != old else None,
                             details={"returns_count": ticket.returns_count})
        record_confirmation(session, actor, ticket, {"reason": reason}, needed)
        notifications.notify(session, unit_side(session, ticket, actor), "ticket_returned", ticket,
                             title=ticket_title(ticket), reason=reason)
    return event


def record_recheck(session: Session, actor: User, ticket: Ticket, *, note: str | None,
                   uploads: Sequence[Upload] = (), confirm_unclassified: bool = False) -> TicketEvent:
    """An on-site recheck (现场复查): what the inspector saw, with photos; the decision is separate."""
    _check_verifier(actor, ticket)
    check_state(ticket, "recheck")
    note = clean_text(note, field_name="note", required=_("请记录现场复查看到的情况。"))
    needed = check_unclassified({"note": note}, confirm_unclassified)
    stored = _store_uploads(uploads, RECHECK_PHOTO_TYPES)
    with transaction(session):
        lock_ticket(session, ticket)
        check_state(ticket, "recheck")
        event = record_event(session, actor, ticket, TicketEventKind.RECHECKED, body=note)
        _add_files(session, actor, ticket, stored, event=event)
        record_confirmation(session, actor, ticket, {"note": note}, needed)
    return event


def cancel_ticket(session: Session, actor: User, ticket: Ticket, *, reason: str | None) -> TicketEvent:
    """Withdraw a ticket that should not stand (e.g. the finding proved wrong), with the reason."""
    _check_verifier(actor, ticket)
    check_state(ticket, "cancel")
    reason = clean_text(reason, field_name="reason", required=_("请填写撤销的理由。"))
    with transaction(session):
        if ticket.inspection is not None:
            lock_inspection(session, ticket.inspection)
        lock_ticket(session, ticket)
        check_state(ticket, "cancel")
        ticket.status = TicketStatus.CANCELLED
        ticket.cancelled_at = utcnow()
        ticket.revision += 1
        _withdraw_extensions(session, actor, ticket, _("整改事项已撤销。"))
        event = record_event(session, actor, ticket, TicketEventKind.CANCELLED, body=reason)
        notifications.notify(session, unit_side(session, ticket, actor), "ticket_cancelled", ticket,
                             title=ticket_title(ticket), reason=reason)
        close_if_done(session, actor, ticket.inspection)
    return event


def comment(session: Session, actor: User, ticket: Ticket, body: str | None,
            confirm_unclassified: bool = False) -> TicketEvent:
    """A message between the inspector and the unit on the ticket."""
    if not may_comment(actor, ticket):
        if ticket.is_self:
            raise DomainError(_("自查问题的整改由单位自行办理，检查机关只能查看。"))
        raise DomainError(_("只有被检查单位的保密员和检查机关的检查员可以留言。"))
    body = clean_text(body, field_name="body", required=_("请填写留言内容。"))
    needed = check_unclassified({"body": body}, confirm_unclassified)
    with transaction(session):
        event = record_event(session, actor, ticket, TicketEventKind.COMMENT, body=body)
        record_confirmation(session, actor, ticket, {"body": body}, needed)
        recipients = (bureau_side(ticket) if is_unit_officer(actor, ticket)
                      else unit_side(session, ticket, actor))
        excerpt = body if len(body) <= 60 else body[:59] + "…"
        notifications.notify(session, recipients, "ticket_comment", ticket, author=actor.display_name,
                             title=ticket_title(ticket), excerpt=excerpt)
    return event
