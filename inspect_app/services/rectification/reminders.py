"""Reminders (cron): tickets due soon, to their unit's officer; overdue ones, to the lead inspector and leaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...clock import local_today
from ...database import transaction
from ...models import (
    Ticket,
    TicketEventKind,
    User,
)
from ...models.rectification import AWAITING_UNIT
from .. import notifications
from .rules import DEFAULT_REMIND_DAYS, bureau_side, lock_ticket, record_event, ticket_title, unit_side

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
            lock_ticket(session, ticket)
            if ticket.status not in AWAITING_UNIT or ticket.last_reminded_on == today or ticket.due_date > horizon:
                continue
            ticket.last_reminded_on = today
            title = ticket_title(ticket)
            if ticket.due_date >= today:
                record_event(session, None, ticket, TicketEventKind.REMINDED, body="due_soon")
                notifications.notify(session, unit_side(session, ticket), "due_soon", ticket, title=title,
                                     due=ticket.due_date.isoformat())
                report.due_soon.append(ticket.id)
                continue
            days = (today - ticket.due_date).days
            record_event(session, None, ticket, TicketEventKind.REMINDED, body="overdue")
            params = {"unit": ticket.unit.name, "title": title, "days": days, "due": ticket.due_date.isoformat()}
            notifications.notify(session, unit_side(session, ticket) + bureau_side(ticket), "overdue", ticket,
                                 **params)
            report.overdue.append(ticket.id)
            for leader in notifications.leaders_over(session, ticket.unit):
                known = overdue_by_leader.get(leader.id)
                overdue_by_leader[leader.id] = (leader, (known[1] if known else 0) + 1)
        for leader, count in overdue_by_leader.values():
            notifications.notify(session, [leader], "overdue_digest", None, count=count)
            report.digests += 1
    return report
