"""The numbered rectification notice (整改通知书): its 文号, issuing it and opening a ticket per finding,
and closing the inspection when its last ticket is done."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import authz
from ...clock import local_today, utc_at
from ...database import dialect_insert, transaction
from ...models import (
    Finding,
    FindingStatus,
    Inspection,
    InspectionStatus,
    Notice,
    NoticeCounter,
    OrgNode,
    Ticket,
    TicketEventKind,
    TicketStatus,
    User,
    utcnow,
)
from ...models.rectification import UNFINISHED
from .. import DomainError, audit, notifications
from .review import active_findings, check_review
from .rules import app_setting, due_date_for, lock_inspection, record_event


def notice_prefix(bureau: OrgNode) -> str:
    """The 文号 prefix of a bureau: NOTICE_PREFIXES[code], else the first character of its name + 保检."""
    configured = (app_setting("NOTICE_PREFIXES", None) or {}).get(bureau.code)
    if configured:
        return configured
    return f"{bureau.name[:1]}保检"


def format_number(prefix: str, year: int, sequence: int) -> str:
    """宝保检〔2026〕12号: the year in 六角括号, no leading zeros (GB/T 9704)."""
    return f"{prefix}〔{year}〕{sequence}号"


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


def open_ticket(session: Session, actor: User, finding: Finding, due_date: date, *,
                notice: Notice | None = None) -> Ticket:
    """The ticket of one finding (an inspection's, or a case's 整改要求), due on `due_date`, and its first event."""
    ticket = Ticket(finding_id=finding.id, inspection_id=finding.inspection_id,
                    notice_id=notice.id if notice else None, unit_id=finding.unit_id,
                    status=TicketStatus.OPEN, due_date=due_date, original_due_date=due_date,
                    returns_count=0, revision=1, created_at=utcnow())
    session.add(ticket)
    session.flush()
    record_event(session, actor, ticket, TicketEventKind.ISSUED, new_due_date=due_date,
                 details={"notice": notice.number if notice else None, "severity": finding.severity})
    return ticket


def _open_tickets(session: Session, actor: User, notice: Notice | None, findings: Iterable[Finding],
                  start: date) -> list[Ticket]:
    return [open_ticket(session, actor, planned.finding, planned.due_date, notice=notice)
            for planned in plan_tickets(list(findings), start)]


ISSUE_TIME = time(9)  # the hour a notice issued for an earlier day is stamped with


def issue_notice(session: Session, actor: User, inspection: Inspection, *, today: date | None = None) -> Notice:
    """Issue the 检查意见/整改通知书: number it, open one ticket per active finding, notify the unit's officers.

    An inspection with no finding left still gets its notice (the 检查意见) and closes at once.
    """
    check_review(actor, inspection)
    # The notice is dated the day it is issued on: a notice issued for an earlier `today` (demo data, a
    # notice entered late) carries that day, so its 成文日期, 文号 year and deadlines agree.
    issued_at = utcnow() if today is None or today == local_today() else utc_at(today, ISSUE_TIME)
    today = today or local_today()
    with transaction(session):
        lock_inspection(session, inspection)
        check_review(actor, inspection)
        findings = active_findings(session, inspection)
        sequence = take_notice_number(session, inspection.bureau_id, today.year)
        notice = Notice(inspection_id=inspection.id, unit_id=inspection.unit_id, bureau_id=inspection.bureau_id,
                        year=today.year, sequence=sequence,
                        number=format_number(notice_prefix(inspection.bureau), today.year, sequence),
                        issued_by_id=actor.id, issued_at=issued_at)
        session.add(notice)
        session.flush()
        tickets = _open_tickets(session, actor, notice, findings, today)
        inspection.status = InspectionStatus.ISSUED
        inspection.issued_at = notice.issued_at
        inspection.revision += 1
        audit.record(session, actor, "notice.issue", notice, details={
            "number": notice.number, "inspection_id": inspection.id, "tickets": [t.id for t in tickets],
            "due_dates": {t.id: t.due_date.isoformat() for t in tickets}})
        notifications.notify(session, notifications.unit_officers(session, inspection.unit_id), "notice_issued",
                             notice, number=notice.number, count=len(tickets))
        close_if_done(session, actor, inspection)
    return notice


def open_self_tickets(session: Session, actor: User, inspection: Inspection,
                      findings: Sequence[Finding]) -> list[Ticket]:
    """Called by submit (inside its transaction) for a self-inspection: its findings become the unit's own
    tickets at once, with deadlines by severity; no notice, no bureau review."""
    if not inspection.is_self:
        raise DomainError(_("只有自查的问题直接转为整改事项。"))
    with transaction(session):
        tickets = _open_tickets(session, actor, None, findings, local_today())
        inspection.status = InspectionStatus.ISSUED
        inspection.issued_at = utcnow()
        audit.record(session, actor, "inspection.self_tickets", inspection,
                     details={"tickets": [t.id for t in tickets]})
        close_if_done(session, actor, inspection)
    return tickets


def close_if_done(session: Session, actor: User | None, inspection: Inspection | None) -> bool:
    """Close the inspection when every ticket is accepted or cancelled (a case's ticket has none to close)."""
    if inspection is None or inspection.status != InspectionStatus.ISSUED:
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


def awaiting_notice(session: Session, lead: User) -> list[Inspection]:
    """The inspections `lead` has submitted and not yet issued a notice for, oldest first."""
    return list(session.scalars(authz.scoped(select(Inspection), Inspection, lead).where(
        Inspection.lead_id == lead.id, Inspection.status == InspectionStatus.SUBMITTED)
        .order_by(Inspection.submitted_at)))
