"""Reminders (daily, `flask --app wsgi incidents remind`): a report not received 24 hours after the incident was
found, to the unit's officers and the bureau; a case still open past its target, to its handler and the leaders
over the unit. At most once a day per case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ...clock import local_today
from ...database import transaction
from ...models import Incident, IncidentEventKind, utcnow
from ...models.incident import OPEN_STATUSES
from .. import notifications
from .rules import case_side, in_zone, lock, record_event, short_title, unit_side


@dataclass
class ReminderReport:
    overdue_reports: list[int] = field(default_factory=list)
    past_target: list[int] = field(default_factory=list)


def _due(today: date, now: datetime):
    return and_(Incident.status.in_(OPEN_STATUSES),
                or_(Incident.last_reminded_on.is_(None), Incident.last_reminded_on < today),
                or_(and_(Incident.reported_at.is_(None), Incident.report_due_at < now), Incident.target_date < today))


def send_reminders(session: Session, *, today: date | None = None, now: datetime | None = None) -> ReminderReport:
    today, now = today or local_today(), now or utcnow()
    report = ReminderReport()
    with transaction(session):
        for incident_id in session.scalars(select(Incident.id).where(_due(today, now)).order_by(Incident.id)).all():
            incident = lock(session, session.get(Incident, incident_id))
            if incident.is_closed or incident.last_reminded_on == today:
                continue
            incident.last_reminded_on = today
            title = short_title(incident)
            if incident.report_overdue(now):
                hours = int((now - incident.report_due_at).total_seconds() // 3600)
                record_event(session, None, incident, IncidentEventKind.REMINDED, body="report_overdue")
                notifications.notify(session, unit_side(session, incident) + case_side(session, incident),
                                     "incident_report_overdue", incident, unit=incident.unit.name, title=title,
                                     due=in_zone(incident.report_due_at).strftime("%Y-%m-%d %H:%M"), hours=hours)
                report.overdue_reports.append(incident.id)
            if incident.past_target(today):
                record_event(session, None, incident, IncidentEventKind.REMINDED, body="past_target")
                notifications.notify(session, case_side(session, incident)
                                     + notifications.leaders_over(session, incident.unit),
                                     "incident_past_target", incident, unit=incident.unit.name, title=title,
                                     target=incident.target_date.isoformat(),
                                     days=(today - incident.target_date).days)
                report.past_target.append(incident.id)
    return report
