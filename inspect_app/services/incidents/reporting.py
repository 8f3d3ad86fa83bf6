"""Reporting an incident: a unit's officer reports one of its own (the report reaches the bureau at once), or a
bureau inspector registers one in a unit in scope (with the time the unit's report reached the bureau, or none
yet: then the unit's report is awaited); the unit's report on a case the bureau opened; the unit's supplements.

The district and city bureaus hear of a new incident at once. Every free text passes the classified-content
guard: the report describes what was involved (its 密级, quantity and kind), never what it said."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import authz
from ...database import transaction
from ...models import (
    Carrier,
    Incident,
    IncidentEventKind,
    IncidentKind,
    IncidentStatus,
    NodeKind,
    OrgNode,
    Role,
    SecretLevel,
    User,
    utcnow,
)
from .. import Conflict, DomainError, NotAllowed, notifications
from ..rectification.rules import app_setting, check_unclassified, clean_text
from .rules import (
    MAX_QUANTITY,
    TITLE_LIMIT,
    Upload,
    bureaus_over,
    case_side,
    check_moments,
    check_officer,
    check_state,
    default_target,
    files_recorded,
    in_zone,
    lock,
    record_confirmation,
    record_event,
    report_due,
    short_title,
    store_files,
    to_utc,
    unit_side,
    zone_named,
)


@dataclass
class IncidentReport:
    """What a report says, as the form sends it: times are wall-clock times in `zone` (the reporter's)."""

    kind: str | None = None
    title: str | None = None
    description: str | None = None
    carrier: str | None = None
    level: str | None = None
    quantity: int | None = None
    involved: str | None = None
    persons: str | None = None
    remedies: str | None = None
    found_at: datetime | None = None
    occurred_at: datetime | None = None
    reported_at: datetime | None = None  # a bureau's entry: when the unit's report (by telephone, on paper) came
    zone: str | None = None


def _choice(value: str | None, allowed, field: str, message: str) -> str:
    if value not in {str(member) for member in allowed}:
        raise DomainError(message, field=field)
    return value


def _texts(report: IncidentReport, *, remedies_required: bool) -> dict[str, str | None]:
    return {
        "title": clean_text(report.title, field_name="title", required=_("请填写事件名称。"), limit=TITLE_LIMIT),
        "description": clean_text(report.description, field_name="description",
                                  required=_("请写明事件经过：何时、何处、怎样发生和发现的。")),
        "involved": clean_text(report.involved, field_name="involved",
                               required=_("请写明涉及的载体或事项（只写名称和类别，不写内容）。"), limit=500),
        "persons": clean_text(report.persons, field_name="persons", limit=500),
        "remedies": clean_text(report.remedies, field_name="remedies",
                               required=_("请写明已经采取的补救措施。") if remedies_required else None),
    }


def _moments(report: IncidentReport, *, bureau_entry: bool, now: datetime) -> dict:
    zone = zone_named(report.zone)
    if report.found_at is None:
        raise DomainError(_("请填写发现时间。"), field="found_at")
    found_at = to_utc(report.found_at, zone)
    occurred_at = to_utc(report.occurred_at, zone, "occurred_at") if report.occurred_at else None
    reported_at = ((to_utc(report.reported_at, zone, "reported_at") if report.reported_at else None)
                   if bureau_entry else now)
    check_moments(found_at=found_at, occurred_at=occurred_at, reported_at=reported_at, now=now)
    return {"zone": str(zone.key), "found_at": found_at, "occurred_at": occurred_at, "reported_at": reported_at,
            "report_due_at": report_due(found_at)}


def _check_reporter(actor: User, unit: OrgNode) -> bool:
    """True when `actor` is a bureau inspector registering it, False for the unit's own officer."""
    if unit.kind != NodeKind.UNIT or not unit.active:
        raise DomainError(_("只能报告启用中的单位发生的事件。"), field="unit")
    if actor.role == Role.OFFICER:
        if actor.org_node_id != unit.id:
            raise DomainError(_("单位保密员只能报告本单位发生的事件。"), field="unit")
        return False
    if actor.role == Role.INSPECTOR:
        if not authz.in_scope(actor, unit):
            raise DomainError(_("该单位不在您的管辖范围内。"), field="unit")
        return True
    raise NotAllowed(_("事件由单位保密员报告，或由保密局检查员登记。"))


def report_incident(session: Session, actor: User, unit: OrgNode, report: IncidentReport,
                    uploads: Sequence[Upload] = (), *, confirm_unclassified: bool = False,
                    now: datetime | None = None, client_uuid: str | None = None) -> Incident:
    """Report (an officer) or register (an inspector) an incident of `unit`; the bureaus over it hear at once.
    The same form sent again (`client_uuid`) is the report it made the first time."""
    now = now or utcnow()
    bureau_entry = _check_reporter(actor, unit)
    client_uuid = _uuid(client_uuid)
    earlier = _sent_before(session, actor, unit, client_uuid)
    if earlier is not None:
        return earlier
    kind = _choice(report.kind, IncidentKind, "kind", _("请选择事件类别。"))
    carrier = _choice(report.carrier, Carrier, "carrier", _("请选择载体或系统类别。"))
    level = _choice(report.level, SecretLevel, "level", _("请选择所涉事项的密级。"))
    if report.quantity is None or not 0 < report.quantity <= MAX_QUANTITY:
        raise DomainError(_("请填写涉及的数量（份、件、台等），为正整数。"), field="quantity")
    texts = _texts(report, remedies_required=not bureau_entry)
    moments = _moments(report, bureau_entry=bureau_entry, now=now)
    needed = check_unclassified(texts, confirm_unclassified)
    stored = store_files(uploads)
    columns = {"kind": kind, "carrier": carrier, "level": level, "quantity": report.quantity,
               "client_uuid": client_uuid, "created_at": now, **texts, **moments}
    try:
        return _record_report(session, actor, unit, columns, bureau_entry=bureau_entry, stored=stored, needed=needed)
    except IntegrityError:  # the same form, sent twice at the same instant: the other one was first
        session.rollback()
        earlier = _sent_before(session, actor, unit, client_uuid)
        if earlier is None:
            raise
        return earlier


def _sent_before(session: Session, actor: User, unit: OrgNode, client_uuid: str | None) -> Incident | None:
    """The report this very form made before; Conflict when someone else's form is sent again."""
    earlier = session.scalar(select(Incident).where(Incident.client_uuid == client_uuid)) if client_uuid else None
    if earlier is not None and (earlier.reported_by_id, earlier.unit_id) != (actor.id, unit.id):
        raise Conflict(_("这份报告表已经提交过，请刷新页面后重新填写。"))
    return earlier


def _record_report(session: Session, actor: User, unit: OrgNode, columns: dict, *, bureau_entry: bool, stored,
                   needed: bool) -> Incident:
    """The checked report as one transaction: the incident, its first event and files, and who hears of it."""
    with transaction(session):
        incident = Incident(unit_id=unit.id, bureau_id=unit.parent_id, status=IncidentStatus.REPORTED,
                            target_date=default_target(columns["found_at"]), reported_by_id=actor.id, revision=1,
                            bulletin_named=False, **columns)
        session.add(incident)
        session.flush()
        event = record_event(session, actor, incident,
                             IncidentEventKind.OPENED if bureau_entry else IncidentEventKind.REPORTED,
                             details={"unit_id": unit.id, "kind": incident.kind,
                                      "found_at": incident.found_at.isoformat(),
                                      "reported_at": incident.reported_at.isoformat() if incident.reported_at
                                      else None, "late": incident.is_late})
        files_recorded(session, actor, incident, event, stored)
        texts = {name: columns[name] for name in ("title", "description", "involved", "persons", "remedies")}
        record_confirmation(session, actor, incident, texts, needed)
        params = {"unit": unit.name, "title": short_title(incident), "what": incident.kind,
                  "found": _local_text(incident.found_at), "late": incident.is_late}
        notifications.notify(session, [u for u in bureaus_over(session, incident) if u.id != actor.id],
                             "incident_reported", incident, **params)
        if bureau_entry and incident.reported_at is None:
            notifications.notify(session, unit_side(session, incident), "incident_report_requested", incident,
                                 title=short_title(incident), due=_local_text(incident.report_due_at))
    return incident


def _uuid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def _local_text(moment: datetime) -> str:
    return in_zone(moment).strftime("%Y-%m-%d %H:%M")


def file_unit_report(session: Session, actor: User, incident: Incident, *, remedies: str | None,
                     note: str | None = None, uploads: Sequence[Upload] = (), confirm_unclassified: bool = False,
                     now: datetime | None = None) -> Incident:
    """The unit's own report on a case the bureau registered: its remedies and account; the clock stops."""
    now = now or utcnow()
    check_officer(actor, incident)
    check_state(incident, "unit_report")
    texts = {"remedies": clean_text(remedies, field_name="remedies", required=_("请写明已经采取的补救措施。")),
             "note": clean_text(note, field_name="note")}
    needed = check_unclassified(texts, confirm_unclassified)
    stored = store_files(uploads)
    with transaction(session):
        lock(session, incident)
        check_state(incident, "unit_report")
        incident.reported_at = now
        incident.remedies = texts["remedies"]
        incident.revision += 1
        event = record_event(session, actor, incident, IncidentEventKind.UNIT_REPORTED, body=texts["note"],
                             details={"reported_at": now.isoformat(), "late": incident.is_late})
        files_recorded(session, actor, incident, event, stored)
        record_confirmation(session, actor, incident, texts, needed)
        notifications.notify(session, case_side(session, incident), "incident_unit_reported", incident,
                             unit=incident.unit.name, title=short_title(incident), late=incident.is_late)
    return incident


def supplement(session: Session, actor: User, incident: Incident, *, body: str | None,
               uploads: Sequence[Upload] = (), confirm_unclassified: bool = False) -> Incident:
    """The unit adds what it has learned since (补充报告), with files; the case's handler hears of it."""
    check_officer(actor, incident)
    check_state(incident, "supplement")
    body = clean_text(body, field_name="body", required=_("请填写补充的情况。"))
    needed = check_unclassified({"body": body}, confirm_unclassified)
    stored = store_files(uploads)
    if not body and not stored:
        raise DomainError(_("请填写补充的情况。"), field="body")
    with transaction(session):
        lock(session, incident)
        check_state(incident, "supplement")
        event = record_event(session, actor, incident, IncidentEventKind.SUPPLEMENT, body=body)
        files_recorded(session, actor, incident, event, stored)
        record_confirmation(session, actor, incident, {"body": body}, needed)
        notifications.notify(session, case_side(session, incident), "incident_supplement", incident,
                             unit=incident.unit.name, title=short_title(incident))
    return incident


def person_names_allowed() -> bool:
    """Whether a report may name the people involved (INCIDENT_PERSON_NAMES), or only their posts and roles."""
    return bool(app_setting("INCIDENT_PERSON_NAMES", False))
