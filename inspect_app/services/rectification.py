"""Rectification (以查促改): reviewing findings, issuing the numbered notice, and the ticket of each finding
until an inspector verifies the fix.

A ticket is `open` (整改中) → `responded` (已报送) → `accepted` (已销号), or `returned` (退回) and then
`responded` again; `cancelled` ends it without a fix. Overdue is derived from the due date, never stored.
Every step is an event on the ticket's timeline and a record in the audit trail.

Who acts: the unit's secrecy officer answers; the bureau that issued the notice (or one above it)
verifies. A self-inspection's tickets are the unit's own: its officer answers and verifies them, and the
bureau reads them only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..clock import local_date, local_today, utc_at
from ..database import dialect_insert, transaction
from ..models import (
    Attachment,
    AttachmentKind,
    ExtensionRequest,
    ExtensionStatus,
    Finding,
    FindingStatus,
    Inspection,
    InspectionStatus,
    Notice,
    NoticeCounter,
    OrgNode,
    Role,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    User,
    utcnow,
)
from ..models.checklist import SEVERITY_ORDER
from . import Conflict, DomainError, attachments, audit, notifications
from .classified import find_suspicions

DEFAULT_RECTIFICATION_DAYS = {"critical": 7, "serious": 30, "general": 60}
DEFAULT_REMIND_DAYS = 3
EVIDENCE_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
RECHECK_PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
TEXT_LIMIT = 2000
NAME_LIMIT = 64
MAX_PENDING_EVIDENCE = 20
MAX_EXTENSION = timedelta(days=365)

UNFINISHED = (TicketStatus.OPEN, TicketStatus.RESPONDED, TicketStatus.RETURNED)
AWAITING_UNIT = (TicketStatus.OPEN, TicketStatus.RETURNED)
FINISHED = (TicketStatus.ACCEPTED, TicketStatus.CANCELLED)


# Configuration --------------------------------------------------------------------------------------


def _config(key: str, default):
    return current_app.config.get(key, default) if has_app_context() else default


def rectification_days(severity: str) -> int:
    days = {**DEFAULT_RECTIFICATION_DAYS, **(_config("RECTIFICATION_DAYS", None) or {})}
    return int(days[severity])


def due_date_for(severity: str, start: date) -> date:
    """The deadline of a finding of `severity` issued on `start` (critical 7 days, serious 30, general 60)."""
    return start + timedelta(days=rectification_days(severity))


def notice_prefix(bureau: OrgNode) -> str:
    """The 文号 prefix of a bureau: NOTICE_PREFIXES[code], else the first character of its name + 保检."""
    configured = (_config("NOTICE_PREFIXES", None) or {}).get(bureau.code)
    if configured:
        return configured
    return f"{bureau.name[:1]}保检"


def format_number(prefix: str, year: int, sequence: int) -> str:
    """宝保检〔2026〕12号: the year in 六角括号, no leading zeros (GB/T 9704)."""
    return f"{prefix}〔{year}〕{sequence}号"


# Who may act ----------------------------------------------------------------------------------------


def is_unit_officer(user: User | None, ticket: Ticket) -> bool:
    return bool(user and user.active and user.role == Role.OFFICER and user.org_node_id == ticket.unit_id)


def is_verifier(user: User | None, ticket: Ticket) -> bool:
    """The bureau verifies what it (or a bureau below it) issued; a unit verifies its own self-inspection."""
    if user is None or not user.active:
        return False
    if ticket.inspection.is_self:
        return is_unit_officer(user, ticket)
    return (user.role == Role.INSPECTOR and user.org_node.contains(ticket.inspection.bureau)
            and user.org_node.contains(ticket.unit))


def may_comment(user: User | None, ticket: Ticket) -> bool:
    if is_unit_officer(user, ticket):
        return True
    return (user is not None and user.active and user.role == Role.INSPECTOR and not ticket.inspection.is_self
            and user.org_node.contains(ticket.unit))


def is_review_lead(user: User | None, inspection: Inspection) -> bool:
    return bool(user and user.active and user.role == Role.INSPECTOR and inspection.lead_id == user.id
                and not inspection.is_self)


# What each action needs, and the explanation when the ticket's state refuses it ---------------------

_ALLOWED = {
    "respond": AWAITING_UNIT,
    "draft": AWAITING_UNIT,
    "evidence": AWAITING_UNIT,
    "extension": AWAITING_UNIT,
    "accept": (TicketStatus.RESPONDED,),
    "return": (TicketStatus.RESPONDED,),
    "recheck": UNFINISHED,
    "cancel": UNFINISHED,
    "decide_extension": UNFINISHED,
}


def _action_name(action: str) -> str:
    return {
        "respond": _("报送整改情况"),
        "draft": _("保存草稿"),
        "evidence": _("修改佐证材料"),
        "extension": _("申请延期"),
        "accept": _("销号"),
        "return": _("退回"),
        "recheck": _("记录现场复查"),
        "cancel": _("撤销"),
        "decide_extension": _("审批延期申请"),
    }[action]


def refusal(action: str, status: str) -> str | None:
    """Why `action` is refused in `status`, in words; None when it is allowed."""
    if status in _ALLOWED[action]:
        return None
    what = _action_name(action)
    if status == TicketStatus.ACCEPTED:
        return _("这项整改已复查销号，不能再%(what)s。", what=what)
    if status == TicketStatus.CANCELLED:
        return _("这项整改已撤销，不能再%(what)s。", what=what)
    if status == TicketStatus.RESPONDED:
        return _("整改情况已报送，正在等待复查，现在不能%(what)s。如需补充说明，请留言。", what=what)
    if status == TicketStatus.RETURNED:
        return _("整改情况已退回，须单位重新报送后才能%(what)s。", what=what)
    return _("单位尚未报送整改情况，不能%(what)s。", what=what)


def _check_state(ticket: Ticket, action: str) -> None:
    message = refusal(action, ticket.status)
    if message:
        raise Conflict(message)


def _check_revision(ticket: Ticket, revision: int | None) -> None:
    if revision is not None and revision != ticket.revision:
        raise Conflict(_("这项整改在您打开页面后已有新的变化，请查看最新情况后再操作。"))


def _lock(session: Session, ticket: Ticket) -> Ticket:
    """Reload the ticket under a row lock, so two people cannot move it at once."""
    session.refresh(ticket, with_for_update=True)
    return ticket


def _lock_inspection(session: Session, inspection: Inspection) -> Inspection:
    session.refresh(inspection, with_for_update=True)
    return inspection


# Text checks ------------------------------------------------------------------------------------------


class ClassifiedText(DomainError):
    """Free text that looks like a classification mark; kept only once the author confirms it is not."""

    status_code = 422

    def __init__(self, excerpt: str, field_name: str):
        super().__init__(_("内容中出现了疑似密级标志（%(excerpt)s）。本系统严禁录入国家秘密，请修改；如确认不含国家秘密，"
                           "请勾选确认后再提交。", excerpt=excerpt), field=field_name)


def _text(value: str | None, *, field_name: str, required: str | None = None, limit: int = TEXT_LIMIT) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise DomainError(required, field=field_name)
        return None
    if len(value) > limit:
        raise DomainError(_("文字不能超过 %(n)d 个字。", n=limit), field=field_name)
    return value


def _unclassified(fields: dict[str, str | None], confirmed: bool) -> bool:
    """Raise ClassifiedText unless confirmed; True when a confirmation was needed (the caller audits it)."""
    suspicions = find_suspicions(fields)
    if suspicions and not confirmed:
        raise ClassifiedText(suspicions[0].excerpt, suspicions[0].field)
    return bool(suspicions)


def _confirmations(session: Session, actor: User, obj, fields: dict[str, str | None], needed: bool) -> None:
    if needed:
        audit.record(session, actor, "ticket.unclassified_confirmed", obj,
                     details={"fields": [s.field for s in find_suspicions(fields)]})


def ticket_title(ticket: Ticket, limit: int = 40) -> str:
    text = ticket.finding.item_text
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Reviewing findings before the notice -------------------------------------------------------------------


def _check_review(actor: User, inspection: Inspection) -> None:
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


def active_findings(session: Session, inspection: Inspection) -> list[Finding]:
    return [f for f in review_findings(session, inspection) if f.status == FindingStatus.ACTIVE]


def edit_finding(session: Session, actor: User, finding: Finding, *, description: str, severity: str,
                 confirm_unclassified: bool = False) -> Finding:
    inspection = finding.inspection
    _check_review(actor, inspection)
    if finding.status != FindingStatus.ACTIVE:
        raise Conflict(_("这个问题已撤销或合并，请先恢复再修改。"))
    description = _text(description, field_name="description", required=_("请填写问题描述。"))
    if severity not in SEVERITY_ORDER:
        raise DomainError(_("问题等级无效。"), field="severity")
    needed = _unclassified({"description": description}, confirm_unclassified)
    with transaction(session):
        _lock_inspection(session, inspection)
        _check_review(actor, inspection)
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
        _confirmations(session, actor, finding, {"description": description}, needed)
    return finding


def merge_finding(session: Session, actor: User, finding: Finding, into: Finding) -> Finding:
    """Merge a duplicate into another finding of the same inspection: the descriptions join, the graver
    severity stays, and the duplicate becomes no ticket."""
    inspection = finding.inspection
    _check_review(actor, inspection)
    _check_finding(into, inspection)
    if finding.id == into.id:
        raise DomainError(_("不能把问题合并到它自己。"), field="into")
    if finding.status != FindingStatus.ACTIVE or into.status != FindingStatus.ACTIVE:
        raise Conflict(_("只能合并两个有效的问题。"))
    with transaction(session):
        _lock_inspection(session, inspection)
        _check_review(actor, inspection)
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
    _check_review(actor, inspection)
    reason = _text(reason, field_name="reason", required=_("请填写撤销这个问题的理由。"))
    if finding.status != FindingStatus.ACTIVE:
        raise Conflict(_("这个问题已撤销或合并。"))
    with transaction(session):
        _lock_inspection(session, inspection)
        _check_review(actor, inspection)
        finding.status = FindingStatus.DROPPED
        finding.drop_reason = reason
        inspection.revision += 1
        audit.record(session, actor, "finding.drop", finding, details={"reason": reason})


def restore_finding(session: Session, actor: User, finding: Finding) -> None:
    """Undo a drop or a merge before the notice is issued (a merged description stays where it went)."""
    inspection = finding.inspection
    _check_review(actor, inspection)
    if finding.status == FindingStatus.ACTIVE:
        raise Conflict(_("这个问题本来就是有效的。"))
    with transaction(session):
        _lock_inspection(session, inspection)
        _check_review(actor, inspection)
        previous = finding.status
        finding.status = FindingStatus.ACTIVE
        finding.drop_reason = None
        finding.merged_into_id = None
        inspection.revision += 1
        audit.record(session, actor, "finding.restore", finding, details={"was": previous})


# Issuing the notice ------------------------------------------------------------------------------------


def take_notice_number(session: Session, bureau_id: int, year: int) -> int:
    """The next sequence of a bureau's year, taken under a row lock: no gap, no duplicate.

    Call inside a writing transaction. On PostgreSQL the counter row is locked FOR UPDATE (created first
    if missing, without racing another creator); on SQLite the transaction already holds the write lock.
    """
    insert = dialect_insert(session)
    session.execute(insert(NoticeCounter).values(bureau_id=bureau_id, year=year, last_sequence=0)
                    .on_conflict_do_nothing())
    counter = session.execute(
        select(NoticeCounter).where(NoticeCounter.bureau_id == bureau_id, NoticeCounter.year == year)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    counter.last_sequence += 1
    session.flush()
    return counter.last_sequence


def preview_number(session: Session, inspection: Inspection, today: date | None = None) -> str:
    """The number the notice would take if issued now (another issue may take it first)."""
    year = (today or local_today()).year
    last = session.scalar(select(NoticeCounter.last_sequence).where(
        NoticeCounter.bureau_id == inspection.bureau_id, NoticeCounter.year == year)) or 0
    return format_number(notice_prefix(inspection.bureau), year, last + 1)


@dataclass
class PlannedTicket:
    finding: Finding
    due_date: date


def plan_tickets(findings: Sequence[Finding], start: date) -> list[PlannedTicket]:
    return [PlannedTicket(f, due_date_for(f.severity, start)) for f in findings if f.status == FindingStatus.ACTIVE]


def _open_tickets(session: Session, actor: User, inspection: Inspection, notice: Notice | None,
                  findings: Iterable[Finding], start: date) -> list[Ticket]:
    tickets = []
    for planned in plan_tickets(list(findings), start):
        ticket = Ticket(finding_id=planned.finding.id, inspection_id=inspection.id,
                        notice_id=notice.id if notice else None, unit_id=inspection.unit_id,
                        status=TicketStatus.OPEN, due_date=planned.due_date, original_due_date=planned.due_date,
                        returns_count=0, revision=1, created_at=utcnow())
        session.add(ticket)
        session.flush()
        _event(session, actor, ticket, TicketEventKind.ISSUED, new_due_date=planned.due_date,
               details={"notice": notice.number if notice else None, "severity": planned.finding.severity})
        tickets.append(ticket)
    return tickets


ISSUE_TIME = time(9)  # the hour a notice issued for an earlier day is stamped with


def issue_notice(session: Session, actor: User, inspection: Inspection, *, today: date | None = None) -> Notice:
    """Issue the 检查意见/整改通知书: number it, open one ticket per active finding, notify the unit's officers.

    An inspection with no finding left still gets its notice (the 检查意见) and closes at once.
    """
    _check_review(actor, inspection)
    # The notice is dated the day it is issued on: a notice issued for an earlier `today` (demo data, a
    # notice entered late) carries that day, so its 成文日期, 文号 year and deadlines agree.
    issued_at = utcnow() if today is None or today == local_today() else utc_at(today, ISSUE_TIME)
    today = today or local_today()
    with transaction(session):
        _lock_inspection(session, inspection)
        _check_review(actor, inspection)
        findings = active_findings(session, inspection)
        sequence = take_notice_number(session, inspection.bureau_id, today.year)
        notice = Notice(inspection_id=inspection.id, unit_id=inspection.unit_id, bureau_id=inspection.bureau_id,
                        year=today.year, sequence=sequence,
                        number=format_number(notice_prefix(inspection.bureau), today.year, sequence),
                        issued_by_id=actor.id, issued_at=issued_at)
        session.add(notice)
        session.flush()
        tickets = _open_tickets(session, actor, inspection, notice, findings, today)
        inspection.status = InspectionStatus.ISSUED
        inspection.issued_at = notice.issued_at
        inspection.revision += 1
        audit.record(session, actor, "notice.issue", notice, details={
            "number": notice.number, "inspection_id": inspection.id, "tickets": [t.id for t in tickets],
            "due_dates": {t.id: t.due_date.isoformat() for t in tickets}})
        notifications.notify(session, notifications.unit_officers(session, inspection.unit_id), "notice_issued",
                             notice, number=notice.number, count=len(tickets))
        _close_if_done(session, actor, inspection)
    return notice


def open_self_tickets(session: Session, actor: User, inspection: Inspection,
                      findings: Sequence[Finding]) -> list[Ticket]:
    """Called by submit (inside its transaction) for a self-inspection: its findings become the unit's own
    tickets at once, with deadlines by severity; no notice, no bureau review."""
    if not inspection.is_self:
        raise DomainError(_("只有自查的问题直接转为整改事项。"))
    with transaction(session):
        tickets = _open_tickets(session, actor, inspection, None, findings, local_today())
        inspection.status = InspectionStatus.ISSUED
        inspection.issued_at = utcnow()
        audit.record(session, actor, "inspection.self_tickets", inspection,
                     details={"tickets": [t.id for t in tickets]})
        _close_if_done(session, actor, inspection)
    return tickets


def _close_if_done(session: Session, actor: User | None, inspection: Inspection) -> bool:
    """Close the inspection when every ticket is accepted or cancelled."""
    if inspection.status != InspectionStatus.ISSUED:
        return False
    session.flush()
    remaining = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.inspection_id == inspection.id, Ticket.status.in_(UNFINISHED)))
    if remaining:
        return False
    inspection.status = InspectionStatus.CLOSED
    inspection.closed_at = utcnow()
    inspection.revision += 1
    audit.record(session, actor, "inspection.close", inspection, actor_name="system",
                 details={"tickets": session.scalar(select(func.count()).select_from(Ticket)
                                                    .where(Ticket.inspection_id == inspection.id))})
    recipients = notifications.unit_officers(session, inspection.unit_id)
    if not inspection.is_self:
        recipients.append(inspection.lead)
    notice = session.scalar(select(Notice).where(Notice.inspection_id == inspection.id))
    notifications.notify(session, recipients, "notice_closed", notice, unit=inspection.unit.name)
    return True


# Events ----------------------------------------------------------------------------------------------------


def _event(session: Session, actor: User | None, ticket: Ticket, kind: str, *, details: dict | None = None,
           **fields) -> TicketEvent:
    """One timeline entry, and the audit record that carries it."""
    event = TicketEvent(ticket_id=ticket.id, unit_id=ticket.unit_id, kind=kind, actor_id=actor.id if actor else None,
                        at=utcnow(), **fields)
    session.add(event)
    session.flush()
    recorded = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items() if v is not None}
    audit.record(session, actor, f"ticket.{kind}", ticket, actor_name="system",
                 details={"event_id": event.id, "status": ticket.status, **recorded, **(details or {})})
    return event


def _bureau_side(ticket: Ticket) -> list[User]:
    """Who hears of a unit's step: the lead inspector of a bureau inspection; nobody for a self-inspection."""
    return [] if ticket.inspection.is_self else [ticket.inspection.lead]


def _unit_side(session: Session, ticket: Ticket, actor: User | None = None) -> list[User]:
    return [u for u in notifications.unit_officers(session, ticket.unit_id) if actor is None or u.id != actor.id]


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
    measures = _text(measures, field_name="measures", required=_("请填写整改措施。") if required else None)
    responsible = _text(responsible, field_name="responsible", limit=NAME_LIMIT,
                        required=_("请填写整改责任人。") if required else None)
    if completed_on is None and required:
        raise DomainError(_("请填写完成日期。"), field="completed_on")
    if completed_on is not None and completed_on > today:
        raise DomainError(_("完成日期不能晚于今天。尚未完成的整改请先保存草稿，或申请延期。"), field="completed_on")
    found_on = local_date(ticket.inspection.started_at) if ticket.inspection.started_at else None
    if completed_on is not None and found_on and completed_on < found_on:
        raise DomainError(_("完成日期不能早于发现问题的检查日期（%(d)s）。", d=found_on.isoformat()),
                          field="completed_on")
    return measures, responsible, completed_on


def save_draft(session: Session, actor: User, ticket: Ticket, *, measures: str | None = None,
               responsible: str | None = None, completed_on: date | None = None, uploads: Sequence[Upload] = (),
               confirm_unclassified: bool = False) -> Ticket:
    """Keep the officer's answer before it is sent; nothing reaches the bureau yet."""
    _check_officer(actor, ticket)
    _check_state(ticket, "draft")
    measures, responsible, completed_on = _parse_response(ticket, measures, responsible, completed_on, local_today(),
                                                          required=False)
    texts = {"measures": measures, "responsible": responsible}
    needed = _unclassified(texts, confirm_unclassified)
    stored = _store_uploads(uploads, EVIDENCE_TYPES)
    with transaction(session):
        _lock(session, ticket)
        _check_state(ticket, "draft")
        if len(pending_evidence(session, ticket)) + len(stored) > MAX_PENDING_EVIDENCE:
            raise DomainError(_("佐证材料最多 %(n)d 份。", n=MAX_PENDING_EVIDENCE), field="files")
        ticket.draft_measures, ticket.draft_responsible, ticket.draft_completed_on = measures, responsible, completed_on
        ticket.draft_saved_at = utcnow()
        files = _add_files(session, actor, ticket, stored, event=None)
        audit.record(session, actor, "ticket.draft_save", ticket,
                     details={"files": [f.sha256 for f in files], "has_measures": bool(measures)})
        _confirmations(session, actor, ticket, texts, needed)
    return ticket


def remove_evidence(session: Session, actor: User, ticket: Ticket, attachment: Attachment) -> None:
    """Take back a draft's evidence file (sent evidence stays on the timeline)."""
    _check_officer(actor, ticket)
    _check_state(ticket, "evidence")
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
    _check_state(ticket, "respond")
    _check_revision(ticket, revision)
    measures, responsible, completed_on = _parse_response(ticket, measures, responsible, completed_on, local_today(),
                                                          required=True)
    texts = {"measures": measures, "responsible": responsible}
    needed = _unclassified(texts, confirm_unclassified)
    if not uploads and not pending_evidence(session, ticket):
        raise DomainError(_("请上传至少一份佐证材料（整改后的照片或扫描件）。"), field="files")
    stored = _store_uploads(uploads, EVIDENCE_TYPES)
    with transaction(session):
        _lock(session, ticket)
        _check_state(ticket, "respond")
        _check_revision(ticket, revision)
        pending = pending_evidence(session, ticket)
        if len(pending) + len(stored) > MAX_PENDING_EVIDENCE:
            raise DomainError(_("佐证材料最多 %(n)d 份。", n=MAX_PENDING_EVIDENCE), field="files")
        if not pending and not stored:
            raise DomainError(_("请上传至少一份佐证材料（整改后的照片或扫描件）。"), field="files")
        ticket.status = TicketStatus.RESPONDED
        ticket.responded_at = utcnow()
        ticket.revision += 1
        ticket.draft_measures = ticket.draft_responsible = ticket.draft_completed_on = ticket.draft_saved_at = None
        event = _event(session, actor, ticket, TicketEventKind.RESPONDED, measures=measures, responsible=responsible,
                       completed_on=completed_on)
        for attachment in pending:
            attachment.ticket_event_id = event.id
        files = pending + _add_files(session, actor, ticket, stored, event=event)
        audit.record(session, actor, "ticket.evidence", ticket,
                     details={"event_id": event.id, "files": [f.sha256 for f in files]})
        _confirmations(session, actor, ticket, texts, needed)
        notifications.notify(session, _bureau_side(ticket), "ticket_responded", ticket,
                             unit=ticket.unit.name, title=ticket_title(ticket))
    return event


def request_extension(session: Session, actor: User, ticket: Ticket, *, until: date | None, reason: str | None,
                      confirm_unclassified: bool = False) -> ExtensionRequest:
    """The unit asks for a later due date (延期申请), with its reason."""
    _check_officer(actor, ticket)
    _check_state(ticket, "extension")
    reason = _text(reason, field_name="reason", required=_("请说明延期的理由。"))
    if until is None:
        raise DomainError(_("请填写申请延期到的日期。"), field="until")
    if until <= ticket.due_date:
        raise DomainError(_("申请的日期须晚于现在的整改期限（%(due)s）。", due=ticket.due_date.isoformat()),
                          field="until")
    if until > local_today() + MAX_EXTENSION:
        raise DomainError(_("延期不能超过一年。"), field="until")
    needed = _unclassified({"reason": reason}, confirm_unclassified)
    with transaction(session):
        _lock(session, ticket)
        _check_state(ticket, "extension")
        if pending_extension(session, ticket) is not None:
            raise Conflict(_("已有一份延期申请正在审批，请等待结果。"))
        extension = ExtensionRequest(ticket_id=ticket.id, unit_id=ticket.unit_id, requested_due_date=until,
                                     reason=reason, status=ExtensionStatus.PENDING, requested_by_id=actor.id,
                                     requested_at=utcnow())
        session.add(extension)
        session.flush()
        _event(session, actor, ticket, TicketEventKind.EXTENSION_REQUESTED, body=reason, old_due_date=ticket.due_date,
               new_due_date=until, extension_id=extension.id)
        _confirmations(session, actor, ticket, {"reason": reason}, needed)
        notifications.notify(session, _bureau_side(ticket), "extension_requested", ticket, unit=ticket.unit.name,
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
    if ticket.inspection.is_self:
        raise DomainError(_("自查问题的整改由单位自行复查，检查机关只能查看。"))
    raise DomainError(_("只有下发整改通知的检查机关的检查员可以复查。"))


def decide_extension(session: Session, actor: User, extension: ExtensionRequest, *, grant: bool,
                     reason: str | None = None, new_due_date: date | None = None) -> ExtensionRequest:
    """Grant (moving the due date, to the date asked or another) or refuse (with a reason)."""
    ticket = extension.ticket
    _check_verifier(actor, ticket)
    _check_state(ticket, "decide_extension")
    reason = _text(reason, field_name="decision_reason",
                   required=None if grant else _("不同意延期时请说明理由。"))
    if grant:
        new_due_date = new_due_date or extension.requested_due_date
        if new_due_date <= ticket.due_date:
            raise DomainError(_("新的整改期限须晚于现在的期限（%(due)s）。", due=ticket.due_date.isoformat()),
                              field="new_due_date")
        if new_due_date > local_today() + MAX_EXTENSION:
            raise DomainError(_("延期不能超过一年。"), field="new_due_date")
    with transaction(session):
        _lock(session, ticket)
        session.refresh(extension, with_for_update=True)
        _check_state(ticket, "decide_extension")
        if extension.status != ExtensionStatus.PENDING:
            raise Conflict(_("这份延期申请已经审批过了。"))
        extension.status = ExtensionStatus.GRANTED if grant else ExtensionStatus.REFUSED
        extension.decided_by_id, extension.decided_at, extension.decision_reason = actor.id, utcnow(), reason
        old = ticket.due_date
        if grant:
            ticket.due_date = new_due_date
            ticket.last_reminded_on = None  # a new deadline deserves its own reminder
        ticket.revision += 1
        _event(session, actor, ticket,
               TicketEventKind.EXTENSION_GRANTED if grant else TicketEventKind.EXTENSION_REFUSED, body=reason,
               old_due_date=old, new_due_date=ticket.due_date if grant else None, extension_id=extension.id)
        if grant:
            notifications.notify(session, _unit_side(session, ticket, actor), "extension_granted", ticket,
                                 title=ticket_title(ticket), until=ticket.due_date.isoformat())
        else:
            notifications.notify(session, _unit_side(session, ticket, actor), "extension_refused", ticket,
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
    _check_state(ticket, "accept")
    _check_revision(ticket, revision)
    note = _text(note, field_name="note")
    needed = _unclassified({"note": note}, confirm_unclassified)
    with transaction(session):
        _lock_inspection(session, ticket.inspection)
        _lock(session, ticket)
        _check_state(ticket, "accept")
        _check_revision(ticket, revision)
        ticket.status = TicketStatus.ACCEPTED
        ticket.accepted_at = utcnow()
        ticket.revision += 1
        _withdraw_extensions(session, actor, ticket, _("整改已销号，无需延期。"))
        event = _event(session, actor, ticket, TicketEventKind.ACCEPTED, body=note)
        _confirmations(session, actor, ticket, {"note": note}, needed)
        notifications.notify(session, _unit_side(session, ticket, actor), "ticket_accepted", ticket,
                             title=ticket_title(ticket))
        _close_if_done(session, actor, ticket.inspection)
    return event


def return_ticket(session: Session, actor: User, ticket: Ticket, *, reason: str | None,
                  new_due_date: date | None = None, revision: int | None = None,
                  confirm_unclassified: bool = False) -> TicketEvent:
    """The fix is not enough (退回): back to the unit with the reason, optionally with a new due date."""
    _check_verifier(actor, ticket)
    _check_state(ticket, "return")
    _check_revision(ticket, revision)
    reason = _text(reason, field_name="reason", required=_("退回时请写明理由，让单位知道还要做什么。"))
    if new_due_date is not None and new_due_date < local_today():
        raise DomainError(_("新的整改期限不能早于今天。"), field="new_due_date")
    if new_due_date is not None and new_due_date > local_today() + MAX_EXTENSION:
        raise DomainError(_("新的整改期限不能超过一年。"), field="new_due_date")
    needed = _unclassified({"reason": reason}, confirm_unclassified)
    with transaction(session):
        _lock(session, ticket)
        _check_state(ticket, "return")
        _check_revision(ticket, revision)
        old = ticket.due_date
        ticket.status = TicketStatus.RETURNED
        ticket.returns_count += 1
        ticket.revision += 1
        if new_due_date is not None and new_due_date != old:
            ticket.due_date = new_due_date
            ticket.last_reminded_on = None
        event = _event(session, actor, ticket, TicketEventKind.RETURNED, body=reason,
                       old_due_date=old if ticket.due_date != old else None,
                       new_due_date=ticket.due_date if ticket.due_date != old else None,
                       details={"returns_count": ticket.returns_count})
        _confirmations(session, actor, ticket, {"reason": reason}, needed)
        notifications.notify(session, _unit_side(session, ticket, actor), "ticket_returned", ticket,
                             title=ticket_title(ticket), reason=reason)
    return event


def record_recheck(session: Session, actor: User, ticket: Ticket, *, note: str | None,
                   uploads: Sequence[Upload] = (), confirm_unclassified: bool = False) -> TicketEvent:
    """An on-site recheck (现场复查): what the inspector saw, with photos; the decision is separate."""
    _check_verifier(actor, ticket)
    _check_state(ticket, "recheck")
    note = _text(note, field_name="note", required=_("请记录现场复查看到的情况。"))
    needed = _unclassified({"note": note}, confirm_unclassified)
    stored = _store_uploads(uploads, RECHECK_PHOTO_TYPES)
    with transaction(session):
        _lock(session, ticket)
        _check_state(ticket, "recheck")
        event = _event(session, actor, ticket, TicketEventKind.RECHECKED, body=note)
        _add_files(session, actor, ticket, stored, event=event)
        _confirmations(session, actor, ticket, {"note": note}, needed)
    return event


def cancel_ticket(session: Session, actor: User, ticket: Ticket, *, reason: str | None) -> TicketEvent:
    """Withdraw a ticket that should not stand (e.g. the finding proved wrong), with the reason."""
    _check_verifier(actor, ticket)
    _check_state(ticket, "cancel")
    reason = _text(reason, field_name="reason", required=_("请填写撤销的理由。"))
    with transaction(session):
        _lock_inspection(session, ticket.inspection)
        _lock(session, ticket)
        _check_state(ticket, "cancel")
        ticket.status = TicketStatus.CANCELLED
        ticket.cancelled_at = utcnow()
        ticket.revision += 1
        _withdraw_extensions(session, actor, ticket, _("整改事项已撤销。"))
        event = _event(session, actor, ticket, TicketEventKind.CANCELLED, body=reason)
        notifications.notify(session, _unit_side(session, ticket, actor), "ticket_cancelled", ticket,
                             title=ticket_title(ticket), reason=reason)
        _close_if_done(session, actor, ticket.inspection)
    return event


def comment(session: Session, actor: User, ticket: Ticket, body: str | None,
            confirm_unclassified: bool = False) -> TicketEvent:
    """A message between the inspector and the unit on the ticket."""
    if not may_comment(actor, ticket):
        if ticket.inspection.is_self:
            raise DomainError(_("自查问题的整改由单位自行办理，检查机关只能查看。"))
        raise DomainError(_("只有被检查单位的保密员和检查机关的检查员可以留言。"))
    body = _text(body, field_name="body", required=_("请填写留言内容。"))
    needed = _unclassified({"body": body}, confirm_unclassified)
    with transaction(session):
        event = _event(session, actor, ticket, TicketEventKind.COMMENT, body=body)
        _confirmations(session, actor, ticket, {"body": body}, needed)
        recipients = (_bureau_side(ticket) if is_unit_officer(actor, ticket)
                      else _unit_side(session, ticket, actor))
        excerpt = body if len(body) <= 60 else body[:59] + "…"
        notifications.notify(session, recipients, "ticket_comment", ticket, author=actor.display_name,
                             title=ticket_title(ticket), excerpt=excerpt)
    return event


# Reminders (cron) ---------------------------------------------------------------------------------------------


@dataclass
class ReminderReport:
    due_soon: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    digests: int = 0


def send_reminders(session: Session, *, today: date | None = None, within_days: int | None = None) -> ReminderReport:
    """Remind officers of tickets due within `within_days` (default 3), and the lead inspector and leaders of
    overdue ones. At most once a day per ticket: `last_reminded_on` marks the day."""
    today = today or local_today()
    within_days = DEFAULT_REMIND_DAYS if within_days is None else within_days
    horizon = today + timedelta(days=within_days)
    report = ReminderReport()
    due = select(Ticket.id).where(Ticket.status.in_(AWAITING_UNIT), Ticket.due_date <= horizon,
                                  or_(Ticket.last_reminded_on.is_(None), Ticket.last_reminded_on < today))
    overdue_by_leader: dict[int, tuple[User, int]] = {}
    with transaction(session):
        for ticket_id in session.scalars(due.order_by(Ticket.id)).all():
            ticket = session.get(Ticket, ticket_id)
            _lock(session, ticket)
            if ticket.status not in AWAITING_UNIT or ticket.last_reminded_on == today or ticket.due_date > horizon:
                continue
            ticket.last_reminded_on = today
            title = ticket_title(ticket)
            if ticket.due_date >= today:
                _event(session, None, ticket, TicketEventKind.REMINDED, body="due_soon")
                notifications.notify(session, _unit_side(session, ticket), "due_soon", ticket, title=title,
                                     due=ticket.due_date.isoformat())
                report.due_soon.append(ticket.id)
                continue
            days = (today - ticket.due_date).days
            _event(session, None, ticket, TicketEventKind.REMINDED, body="overdue")
            params = {"unit": ticket.unit.name, "title": title, "days": days, "due": ticket.due_date.isoformat()}
            notifications.notify(session, _unit_side(session, ticket) + _bureau_side(ticket), "overdue", ticket,
                                 **params)
            report.overdue.append(ticket.id)
            for leader in notifications.leaders_over(session, ticket.unit):
                known = overdue_by_leader.get(leader.id)
                overdue_by_leader[leader.id] = (leader, (known[1] if known else 0) + 1)
        for leader, count in overdue_by_leader.values():
            notifications.notify(session, [leader], "overdue_digest", None, count=count)
            report.digests += 1
    return report
