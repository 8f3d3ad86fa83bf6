"""The documents of a case: 泄密事件报告 (the unit's report to the bureau) and 案件通报 (the bureau's bulletin on the
case, naming the unit or not, as the bureau chose) — each one's data as plain JSON values, and the rule that says
when it may be made. Both cite only the texts of the register (保密法第四十七条, 实施条例第六十一条)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...clock import local_date
from ...formatting import cite_in_document
from ...labels import (
    CARRIER_LABELS,
    DETERMINATION_LABELS,
    INCIDENT_KIND_LABELS,
    INCIDENT_STATUS_LABELS,
    SECRET_LEVEL_LABELS,
    label,
)
from ...models import (
    Attachment,
    AttachmentKind,
    Determination,
    Incident,
    IncidentEvent,
    IncidentEventKind,
    User,
    utcnow,
)
from .. import DomainError, dashboard
from .lists import figures, incidents_query
from .rules import in_zone

# 保守国家秘密法第四十七条 and 实施条例第六十一条: remedy at once, report within 24 hours.
REPORT_BASIS = [{"law": "保守国家秘密法", "year": 2024, "article": 47},
                {"law": "保守国家秘密法实施条例", "year": 2024, "article": 61}]


def moment_text(moment: datetime | None, zone: str | None = None) -> str:
    """2026年3月10日22时05分, in the bureau's time (or `zone`'s)."""
    if moment is None:
        return ""
    local = in_zone(moment, zone)
    return f"{local.year}年{local.month}月{local.day}日{local.hour}时{local.minute:02d}分"


def duration_text(seconds: float) -> str:
    """2小时5分, 1天3小时: how late, in whole minutes."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{minutes}分" if minutes else ""]
    return "".join(parts) or "不到1分"


def _date(moment: datetime | None) -> str | None:
    return local_date(moment).isoformat() if moment else None


def _common(incident: Incident) -> dict:
    return {
        "title": incident.title, "kind": incident.kind, "kind_label": label(INCIDENT_KIND_LABELS, incident.kind),
        "carrier_label": label(CARRIER_LABELS, incident.carrier), "level_label": label(SECRET_LEVEL_LABELS,
                                                                                        incident.level),
        "quantity": incident.quantity, "found": moment_text(incident.found_at),
        "found_on": _date(incident.found_at), "due": moment_text(incident.report_due_at),
        "reported": moment_text(incident.reported_at), "late": incident.is_late,
        "late_by": duration_text((incident.reported_at - incident.report_due_at).total_seconds())
        if incident.is_late else None,
    }


# 泄密事件报告 -----------------------------------------------------------------------------------------------


def incident_report_data(session: Session, incident: Incident) -> dict:
    """The unit's report as it reached the bureau, with what the unit added since (never the bureau's notes)."""
    supplements = session.scalars(select(IncidentEvent).where(
        IncidentEvent.incident_id == incident.id, IncidentEvent.kind == IncidentEventKind.SUPPLEMENT,
        IncidentEvent.internal.is_(False)).order_by(IncidentEvent.at, IncidentEvent.id))
    files = session.scalars(select(Attachment).where(
        Attachment.incident_id == incident.id, Attachment.kind == AttachmentKind.EVIDENCE,
        Attachment.removed_at.is_(None)).order_by(Attachment.id))
    other_zone = incident.zone if incident.zone != str(clock.timezone()) else None
    return {
        **_common(incident),
        "unit": {"name": incident.unit.name, "code": incident.unit.code},
        "addressee": incident.bureau.name,
        "description": incident.description, "involved": incident.involved, "persons": incident.persons,
        "remedies": incident.remedies or "", "occurred": moment_text(incident.occurred_at),
        "zone": other_zone, "found_in_zone": moment_text(incident.found_at, other_zone) if other_zone else None,
        "supplements": [{"on": _date(e.at), "body": e.body} for e in supplements if e.body],
        "files": [f.filename for f in files],
        "basis": [cite_in_document(b) for b in REPORT_BASIS],
        "date": _date(incident.reported_at),
    }


def check_incident_report(_actor: User | None, incident: Incident) -> None:
    if incident.reported_at is None:
        raise DomainError(_("单位尚未报告这起事件，还不能生成事件报告。"))


# 案件通报 --------------------------------------------------------------------------------------------------


def _addressees(incident: Incident) -> str:
    bureau = incident.bureau
    return "各区县国家保密局，市直各单位" if bureau.parent_id is None else "各有关单位"


def case_bulletin_data(session: Session, incident: Incident) -> dict:
    """The bulletin as the bureau drew it up: its account of the case, the determination and the handling, the
    unit named or described as 某单位; the people involved are never named."""
    from ..documents.inspection_documents import office_of  # documents' kinds read this module in turn

    named = incident.bulletin_named
    determination = incident.determination or ""
    return {
        **_common(incident),
        "number": incident.bulletin_number,
        "issuer": incident.bureau.name,
        "addressees": _addressees(incident),
        "named": named,
        "unit": incident.unit.name if named else "某单位",
        "summary": incident.bulletin_summary or "",
        "determination": determination,
        "determination_label": label(DETERMINATION_LABELS, determination) if determination else "",
        "leak": determination == Determination.LEAK,
        "discipline": bool(incident.discipline),
        "discipline_text": incident.discipline if named else None,
        "requirement": incident.requirement,
        "basis": [cite_in_document(b) for b in REPORT_BASIS],
        "date": incident.bulletin_on.isoformat() if incident.bulletin_on else None,
        "printed_by": office_of(incident.bureau),
    }


def check_case_bulletin(_actor: User | None, incident: Incident) -> None:
    if not incident.bulletin_number or not incident.bulletin_on:
        raise DomainError(_("这起案件还没有起草通报。"))


# The period summary's section --------------------------------------------------------------------------------

CASES_SHOWN = 10


def summary_section(ctx: dashboard.Context) -> dict:
    """The 通报's section on incidents and cases, from the dashboard's figures for the same period and area: the
    counts, and the period's cases one by one (the unit named only where its own bulletin named it)."""
    found = figures(ctx)
    rows = ctx.session.scalars(incidents_query(ctx.actor, found.period, today=ctx.today, now=utcnow())
                               .order_by(Incident.found_at, Incident.id).limit(CASES_SHOWN))
    return {
        "total": found.total, "late": found.late, "late_rate": found.late_rate, "awaiting": found.awaiting,
        "leak": found.by_kind.get("leak", 0), "violation": found.by_kind.get("violation", 0),
        "open_cases": found.open_cases, "past_target": found.past_target,
        "carriers": [{"label": label(CARRIER_LABELS, c), "count": n}
                     for c, n in sorted(found.by_carrier.items(), key=lambda pair: -pair[1])],
        "determinations": {d: found.by_determination.get(d, 0) for d in Determination},
        "cases": [{"unit": i.unit.name if i.bulletin_named else "某单位", "title": i.title,
                   "kind_label": label(INCIDENT_KIND_LABELS, i.kind), "found_on": _date(i.found_at),
                   "late": i.is_late or i.report_overdue(utcnow()),
                   "status_label": label(INCIDENT_STATUS_LABELS, i.status),
                   "determination_label": label(DETERMINATION_LABELS, i.determination) if i.determination else ""}
                  for i in rows],
        "more": max(0, found.total - CASES_SHOWN),
    }
