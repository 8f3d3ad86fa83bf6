"""One incident as its page shows it to one reader: the report and its clock, the timeline and files the reader
may see (the investigation's notes and records are the bureau's), the case's ticket and follow-up inspection, which
side the reader is on and what the state refuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...models import Attachment, AttachmentKind, Incident, IncidentEvent, Inspection, Role, Ticket, User
from .cases import case_ticket
from .rules import ACTIONS, ReportClock, in_zone, is_handler, is_unit_officer, refusal, report_clock


def sees_internal(user: User) -> bool:
    """The bureau's side (inspectors and leaders over the unit) reads the investigation; the unit does not."""
    return user.role in (Role.INSPECTOR, Role.LEADER)


@dataclass
class IncidentView:
    incident: Incident
    clock: ReportClock
    events: list[IncidentEvent]
    files: dict[int | None, list[Attachment]]  # by the event they came with
    ticket: Ticket | None
    follow_up: Inspection | None
    side: dict[str, bool]  # officer (the unit's), handler (runs the case), internal (reads the investigation)
    refusals: dict[str, str | None]  # why the state refuses each step; None where it allows it

    @property
    def reporter_zone(self) -> str | None:
        """The reporter's time zone, when it is not the bureau's (their times are shown in it too)."""
        return self.incident.zone if self.incident.zone != str(clock.timezone()) else None

    def in_reporter_zone(self, moment: datetime | None) -> str:
        return in_zone(moment, self.incident.zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def incident_view(session: Session, user: User, incident: Incident, now: datetime | None = None) -> IncidentView:
    """What `user` is shown of `incident`, which the caller loaded through authz."""
    internal = sees_internal(user)
    stmt = select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
    if not internal:
        stmt = stmt.where(IncidentEvent.internal.is_(False))
    events = list(session.scalars(stmt.order_by(IncidentEvent.at, IncidentEvent.id)))
    shown = {e.id for e in events}
    files: dict[int | None, list[Attachment]] = {}
    for attachment in session.scalars(select(Attachment).where(
            Attachment.incident_id == incident.id, Attachment.removed_at.is_(None)).order_by(Attachment.id)):
        if attachment.incident_event_id in shown:
            files.setdefault(attachment.incident_event_id, []).append(attachment)
    follow_up = session.get(Inspection, incident.follow_up_id) if incident.follow_up_id else None
    return IncidentView(
        incident=incident, clock=report_clock(incident, now), events=events, files=files,
        ticket=case_ticket(session, incident), follow_up=follow_up,
        side={"officer": is_unit_officer(user, incident), "handler": is_handler(user, incident),
              "internal": internal},
        refusals={action: refusal(action, incident) for action in ACTIONS},
    )


def shows_file(session: Session, user: User, incident: Incident, attachment: Attachment) -> bool:
    """Whether the case's page serves `attachment` (loaded through authz) to `user`: the files of its timeline,
    the investigation's records to the bureau's side only."""
    if attachment.incident_id != incident.id or attachment.removed_at is not None:
        return False
    if attachment.kind == AttachmentKind.RECORD and not sees_internal(user):
        return False
    event = session.get(IncidentEvent, attachment.incident_event_id) if attachment.incident_event_id else None
    return event is not None and (not event.internal or sees_internal(user))
