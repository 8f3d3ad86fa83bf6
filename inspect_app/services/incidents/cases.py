"""The case (案件) on the bureau's side: investigating (with notes and 询问笔录), the determination, the handling
opinion (处分建议 to the unit's 主管部门, and 整改要求 answered as a ticket in the rectification loop), closing, the
follow-up 专项检查 planned in one step, and the 案件通报.

Each transition is an event on the case's timeline with who and why, in the audit trail, and the unit hears of it.
Who acts: an inspector of the bureau the case belongs to, or of one above it (rules.is_handler)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import local_today
from ...database import transaction
from ...labels import INCIDENT_KIND_LABELS, label
from ...models import (
    AttachmentKind,
    Carrier,
    Determination,
    Finding,
    FindingStatus,
    Incident,
    IncidentEventKind,
    IncidentStatus,
    Inspection,
    InspectionKind,
    Ticket,
    User,
    utcnow,
)
from ...models.rectification import UNFINISHED
from .. import Conflict, DomainError, checklists, inspections, notifications
from ..rectification.notices import open_ticket
from ..rectification.rules import MAX_EXTENSION, check_unclassified, clean_text
from .rules import (
    Upload,
    check_handler,
    check_revision,
    check_state,
    files_recorded,
    lock,
    record_confirmation,
    record_event,
    short_title,
    store_files,
    unit_side,
)

SEVERITIES = ("critical", "serious", "general")
# The severity a case's 整改要求 takes unless the bureau chooses another: a leak's is the gravest.
DEFAULT_SEVERITY = {Determination.LEAK: "critical", Determination.VIOLATION: "serious"}
# The checklists a follow-up 专项检查 uses, by what the secret was on: the area where the incident happened.
FOLLOW_UP_CHECKLISTS = {
    Carrier.PAPER: ("carriers",),
    Carrier.REMOVABLE: ("carriers", "network"),
    Carrier.COMPUTER: ("network",),
    Carrier.INTERNET: ("network",),
    Carrier.PHONE: ("network", "key-departments"),
    Carrier.SYSTEM: ("network",),
    Carrier.OTHER: ("responsibility", "personnel"),
}
# The area of the library a case's finding counts under (for the exports of tickets), by carrier.
CATEGORY = {Carrier.PAPER: "carrier", Carrier.REMOVABLE: "carrier", Carrier.OTHER: "responsibility"}
# The legal basis printed on a case's 整改要求: 条例第六十条 (调查处理，责令停止、补救；处理结果书面告知).
RECTIFICATION_BASIS = [{"law": "保守国家秘密法实施条例", "year": 2024, "article": 60}]


def _checked(actor: User, incident: Incident, action: str, revision: int | None) -> None:
    check_handler(actor, incident)
    check_state(incident, action)
    check_revision(incident, revision)


def _locked(session: Session, incident: Incident, action: str, revision: int | None) -> None:
    """The checks again under the case's row lock, before anything changes: two inspectors cannot move it at once."""
    lock(session, incident)
    check_state(incident, action)
    check_revision(incident, revision)


def _move(session: Session, actor: User, incident: Incident, to: str, kind: str, *, body: str | None,
          details: dict | None = None) -> None:
    """The case moves to `to`, as one event with who and why; the unit's officers hear of it."""
    before = incident.status
    incident.status = to
    incident.revision += 1
    record_event(session, actor, incident, kind, body=body, from_status=before, details=details)
    notifications.notify(session, unit_side(session, incident, actor), "incident_status", incident,
                         title=short_title(incident), status=to)


def start_investigation(session: Session, actor: User, incident: Incident, *, note: str | None,
                        target_date: date | None = None, revision: int | None = None,
                        confirm_unclassified: bool = False) -> Incident:
    """已报告 → 调查中: the inspector takes the case on (承办人), with the reason and the day to conclude it by."""
    _checked(actor, incident, "investigate", revision)
    note = clean_text(note, field_name="note", required=_("请写明立案调查的理由。"))
    today = local_today()
    if target_date is not None and not today <= target_date <= today + 2 * MAX_EXTENSION:
        raise DomainError(_("办结期限须在今天到两年之内。"), field="target_date")
    needed = check_unclassified({"note": note}, confirm_unclassified)
    with transaction(session):
        _locked(session, incident, "investigate", revision)
        incident.handler_id = actor.id
        if target_date is not None:
            incident.target_date = target_date
        _move(session, actor, incident, IncidentStatus.INVESTIGATING, IncidentEventKind.INVESTIGATION, body=note,
                    details={"target_date": incident.target_date.isoformat(), "handler_id": actor.id})
        record_confirmation(session, actor, incident, {"note": note}, needed)
    return incident


def add_note(session: Session, actor: User, incident: Incident, *, body: str | None,
             uploads: Sequence[Upload] = (), confirm_unclassified: bool = False) -> Incident:
    """An investigation note with its 询问笔录 or other records: the bureau's only, never shown to the unit."""
    check_handler(actor, incident)
    check_state(incident, "note")
    body = clean_text(body, field_name="body", required=_("请填写调查情况。"))
    needed = check_unclassified({"body": body}, confirm_unclassified)
    stored = store_files(uploads)
    with transaction(session):
        lock(session, incident)
        check_state(incident, "note")
        event = record_event(session, actor, incident, IncidentEventKind.NOTE, body=body, internal=True)
        files_recorded(session, actor, incident, event, stored, kind=AttachmentKind.RECORD)
        record_confirmation(session, actor, incident, {"body": body}, needed)
    return incident


def determine(session: Session, actor: User, incident: Incident, *, determination: str | None,
              reason: str | None, revision: int | None = None, confirm_unclassified: bool = False) -> Incident:
    """调查中 → 已认定: 泄密, 违规未泄密 or 不构成, with the grounds."""
    _checked(actor, incident, "determine", revision)
    if determination not in set(Determination):
        raise DomainError(_("请选择认定结论。"), field="determination")
    reason = clean_text(reason, field_name="reason", required=_("请写明认定的事实和依据。"))
    needed = check_unclassified({"reason": reason}, confirm_unclassified)
    with transaction(session):
        _locked(session, incident, "determine", revision)
        incident.determination = determination
        incident.determined_at = utcnow()
        _move(session, actor, incident, IncidentStatus.DETERMINED, IncidentEventKind.DETERMINED, body=reason,
              details={"determination": determination})
        record_confirmation(session, actor, incident, {"reason": reason}, needed)
    return incident


def _finding(incident: Incident, requirement: str, severity: str) -> Finding:
    with force_locale("zh"):
        what = label(INCIDENT_KIND_LABELS, incident.kind)
    return Finding(
        incident_id=incident.id, unit_id=incident.unit_id, position=0, template_key="incident", item_key="",
        category=CATEGORY.get(incident.carrier, "network"), item_text=f"{what}整改：{incident.title}",
        basis_json=json.dumps(RECTIFICATION_BASIS, ensure_ascii=False), compliance="noncompliant",
        severity=severity, description=requirement, is_repeat=False, status=FindingStatus.ACTIVE, created_at=utcnow())


def handle(session: Session, actor: User, incident: Incident, *, discipline: str | None, requirement: str | None,
           due_date: date | None = None, severity: str | None = None, revision: int | None = None,
           confirm_unclassified: bool = False) -> Ticket | None:
    """已认定 → 已处理: the handling opinion. A 处分建议 goes to the unit's 主管部门; a 整改要求 opens a ticket the unit
    answers on the ticket pages like any other (evidence, 复查, reminders). Returns that ticket, if any."""
    _checked(actor, incident, "handle", revision)
    discipline = clean_text(discipline, field_name="discipline")
    requirement = clean_text(requirement, field_name="requirement")
    if not discipline and not requirement:
        raise DomainError(_("请填写处分建议或整改要求（至少一项）。"), field="requirement")
    today = local_today()
    if requirement:
        if due_date is None:
            raise DomainError(_("请填写整改期限。"), field="due_date")
        if not today < due_date <= today + MAX_EXTENSION:
            raise DomainError(_("整改期限须在明天到一年之内。"), field="due_date")
        severity = severity or DEFAULT_SEVERITY.get(incident.determination, "serious")
        if severity not in SEVERITIES:
            raise DomainError(_("请选择问题等级。"), field="severity")
    texts = {"discipline": discipline, "requirement": requirement}
    needed = check_unclassified(texts, confirm_unclassified)
    with transaction(session):
        _locked(session, incident, "handle", revision)
        incident.discipline, incident.requirement, incident.handled_at = discipline, requirement, utcnow()
        ticket = None
        if requirement:
            finding = _finding(incident, requirement, severity)
            session.add(finding)
            session.flush()
            ticket = open_ticket(session, actor, finding, due_date)
        _move(session, actor, incident, IncidentStatus.HANDLED, IncidentEventKind.HANDLED,
              body="\n".join(part for part in (discipline, requirement) if part),
              details={"discipline": bool(discipline), "ticket_id": ticket.id if ticket else None,
                       "due_date": due_date.isoformat() if ticket else None})
        record_confirmation(session, actor, incident, texts, needed)
        if ticket is not None:
            notifications.notify(session, unit_side(session, incident, actor), "incident_rectification", ticket,
                                 title=short_title(incident), due=due_date.isoformat())
    return ticket


def case_ticket(session: Session, incident: Incident) -> Ticket | None:
    """The ticket of the case's 整改要求, if it has one."""
    return session.scalar(select(Ticket).join(Finding, Ticket.finding_id == Finding.id)
                          .where(Finding.incident_id == incident.id))


def close(session: Session, actor: User, incident: Incident, *, summary: str | None, revision: int | None = None,
          confirm_unclassified: bool = False) -> Incident:
    """已处理 (or 已认定 不构成) → 已结案, with the closing opinion; not while the 整改 is still open."""
    _checked(actor, incident, "close", revision)
    summary = clean_text(summary, field_name="summary", required=_("请填写结案意见。"))
    needed = check_unclassified({"summary": summary}, confirm_unclassified)
    with transaction(session):
        _locked(session, incident, "close", revision)
        ticket = case_ticket(session, incident)
        if ticket is not None and ticket.status in UNFINISHED:
            raise Conflict(_("案件的整改事项尚未复查销号，不能结案。"))
        incident.closed_at = utcnow()
        _move(session, actor, incident, IncidentStatus.CLOSED, IncidentEventKind.CLOSED, body=summary,
              details={"ticket_status": ticket.status if ticket else None})
        record_confirmation(session, actor, incident, {"summary": summary}, needed)
    return incident


def plan_follow_up(session: Session, actor: User, incident: Incident, *,
                   scheduled_on: date | None = None) -> Inspection:
    """A 专项检查 of the unit planned from the case in one step, with the checklists of the area it happened in, led
    by the inspector; the case links to it."""
    check_handler(actor, incident)
    check_state(incident, "follow_up")
    today = local_today()
    scheduled_on = scheduled_on or today + timedelta(days=7)
    if not today <= scheduled_on <= today + MAX_EXTENSION:
        raise DomainError(_("检查日期须在今天到一年之内。"), field="scheduled_on")
    current = {v.template.key: v for v in checklists.current_versions(session)}
    versions = [current[key] for key in FOLLOW_UP_CHECKLISTS[incident.carrier] if key in current]
    with force_locale("zh"):
        what = label(INCIDENT_KIND_LABELS, incident.kind)
    with transaction(session):
        lock(session, incident)
        check_state(incident, "follow_up")
        inspection = inspections.plan_inspection(
            session, actor, unit=incident.unit, kind=InspectionKind.SPECIAL, versions=versions,
            scheduled_on=scheduled_on, lead=actor,
            title=f"{incident.unit.name}{scheduled_on.year}年{what}后续专项检查",
            scope=f"针对{what}“{incident.title}”，检查整改落实和同类隐患。")
        incident.follow_up_id = inspection.id
        incident.revision += 1
        record_event(session, actor, incident, IncidentEventKind.FOLLOW_UP,
                     body=f"{inspection.title}（{scheduled_on.isoformat()}）",
                     details={"inspection_id": inspection.id})
    return inspection


def draw_up_bulletin(session: Session, actor: User, incident: Incident, *, named: bool, summary: str | None,
                     confirm_unclassified: bool = False) -> Incident:
    """The 案件通报: the bureau's account of the case for the 通报, naming the unit or not, as it chooses. The first
    drawing-up takes the next number of the bureau's 通报 series; a later one keeps it."""
    check_handler(actor, incident)
    check_state(incident, "bulletin")
    summary = clean_text(summary, field_name="summary", required=_("请填写通报的基本案情。"))
    if not named and incident.unit.name in summary:
        raise DomainError(_("不点名通报的案情中不能出现单位名称“%(name)s”。", name=incident.unit.name),
                          field="summary")
    needed = check_unclassified({"summary": summary}, confirm_unclassified)
    today = local_today()
    from ..documents.summary import bulletin_number  # the 通报 series; the summary reads the cases in turn

    with transaction(session):
        lock(session, incident)
        check_state(incident, "bulletin")
        incident.bulletin_number = incident.bulletin_number or bulletin_number(session, None, today.year,
                                                                               bureau=incident.bureau)
        incident.bulletin_named, incident.bulletin_summary, incident.bulletin_on = named, summary, today
        incident.revision += 1
        record_event(session, actor, incident, IncidentEventKind.BULLETIN, body=summary,
                     details={"number": incident.bulletin_number, "named": named})
        record_confirmation(session, actor, incident, {"summary": summary}, needed)
    return incident

