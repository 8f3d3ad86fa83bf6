"""What an indicator reads, and the readings of what the system holds: inspections, rectification, incidents and
the personnel registers.

A reading function takes the round's `Period` and returns, for every unit of it, a `Measured`: the value (None when
the unit has no data for it), the records behind it, and a note saying why a value is missing or what it stands on.
Records name what they are (an inspection, a ticket, a finding, an incident, a cleared person), where they open, and
how they counted (`mark`), so the pages put every number beside the records that made it. Marks and notes are codes;
labels.py words them.

The readings of inspections are of bureau inspections (例行、专项、抽查) done in the year, and of their tickets, as the
dashboard counts them, except the self-assessment gap, which compares the unit's own self-inspection (自查) with them.
The readings of incidents are of the incidents found in the year (and, for the veto, the cases determined in it); the
training coverage reads the unit's personnel register (涉密人员台账) as it stands at the period's end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from ... import clock
from ...models import (
    Determination,
    Finding,
    FindingStatus,
    Incident,
    IncidentKind,
    Inspection,
    InspectionKind,
    SecretPerson,
    Ticket,
    TicketStatus,
)
from ...models.inspection import BUREAU_KINDS, DONE_STATUSES
from ..registers.kinds import person_state


@dataclass(frozen=True)
class Record:
    """One record behind a number: what it is, where it opens (`link`: a kind and an id the pages know), its day,
    its words, and how it counted."""

    kind: str  # inspection | ticket | finding | incident | person
    id: int
    day: str  # ISO date
    text: str
    mark: str  # how it counted: labels.APPRAISAL_RECORD_MARKS
    number: float | None = None
    link: tuple[str, int] | None = None

    def as_dict(self) -> dict:
        return {**asdict(self), "link": list(self.link) if self.link else None}


@dataclass
class Measured:
    value: float | None
    records: list[Record] = field(default_factory=list)
    note: str | None = None  # labels.APPRAISAL_NOTES


@dataclass(frozen=True)
class Period:
    """The round's year, read up to `as_of` (the year's end, or the day of computing if earlier), over `units`
    (the ids, and a select of them for the database)."""

    session: Session
    year: int
    as_of: date
    units: list[int]
    unit_select: Select

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The stored (naive UTC) instants [from, to) of the local days start … as_of."""
        return clock.utc_start(self.start), clock.utc_start(self.as_of + timedelta(days=1))


def _done_in_year(period: Period, kinds) -> Select:
    lo, hi = period.bounds
    return select(Inspection).where(
        Inspection.unit_id.in_(period.unit_select), Inspection.kind.in_(kinds), Inspection.status.in_(DONE_STATUSES),
        Inspection.submitted_at >= lo, Inspection.submitted_at < hi, Inspection.score.is_not(None),
    ).order_by(Inspection.unit_id, Inspection.submitted_at.desc(), Inspection.id.desc())


def _inspection_record(inspection: Inspection, mark: str) -> Record:
    return Record("inspection", inspection.id, clock.local_date(inspection.submitted_at).isoformat(), inspection.title,
                  mark, inspection.score, ("inspection", inspection.id))


def _by_unit(rows) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[row.unit_id].append(row)
    return grouped


def latest_score(period: Period) -> dict[int, Measured]:
    """inspection.latest_score: the score of the unit's latest bureau inspection submitted in the year; the earlier
    ones are listed beside it, not counted."""
    done = _by_unit(period.session.scalars(_done_in_year(period, BUREAU_KINDS)))
    out = {}
    for unit_id in period.units:
        found = done.get(unit_id, [])
        if not found:
            out[unit_id] = Measured(None, note="no_inspection")
            continue
        records = [_inspection_record(i, "counted" if n == 0 else "earlier") for n, i in enumerate(found)]
        out[unit_id] = Measured(found[0].score, records)
    return out


def self_assessment_gap(period: Period) -> dict[int, Measured]:
    """inspection.self_assessment_gap: the points by which the unit's latest self-inspection (自查) of the year scored
    it above its latest bureau inspection of the year (negative when below). Without a self-inspection there is no
    value; without a bureau inspection to compare with, no gap was found (0)."""
    own = _by_unit(period.session.scalars(_done_in_year(period, (InspectionKind.SELF,))))
    bureau = _by_unit(period.session.scalars(_done_in_year(period, BUREAU_KINDS)))
    out = {}
    for unit_id in period.units:
        mine, theirs = own.get(unit_id), bureau.get(unit_id)
        if not mine:
            out[unit_id] = Measured(None, note="no_self_assessment")
        elif not theirs:
            out[unit_id] = Measured(0.0, [_inspection_record(mine[0], "self")], "no_bureau_inspection")
        else:
            gap = round(mine[0].score - theirs[0].score, 1)
            out[unit_id] = Measured(gap, [_inspection_record(mine[0], "self"), _inspection_record(theirs[0], "bureau")])
    return out


def repeat_findings(period: Period) -> dict[int, Measured]:
    """inspection.repeat_findings: the standing repeat findings (屡查屡犯) of the year's bureau inspections. Only an
    inspection finds them: a unit not inspected in the year has no value, rather than a clean record."""
    inspected = {i.unit_id for i in period.session.scalars(_done_in_year(period, BUREAU_KINDS))}
    lo, hi = period.bounds
    rows = period.session.execute(
        select(Finding, Inspection.submitted_at)
        .join(Inspection, Finding.inspection_id == Inspection.id)
        .where(Finding.unit_id.in_(period.unit_select), Finding.is_repeat.is_(True),
               Finding.status == FindingStatus.ACTIVE, Inspection.kind.in_(BUREAU_KINDS),
               Inspection.status.in_(DONE_STATUSES), Inspection.submitted_at >= lo, Inspection.submitted_at < hi)
        .order_by(Inspection.submitted_at, Finding.id)).all()
    found: dict[int, list[Record]] = defaultdict(list)
    for finding, submitted in rows:
        found[finding.unit_id].append(Record(
            "finding", finding.id, clock.local_date(submitted).isoformat(), f"{finding.item_key} {finding.item_text}",
            "repeat", None, ("inspection", finding.inspection_id)))
    return {u: Measured(float(len(found.get(u, []))), found.get(u, [])) if u in inspected
            else Measured(None, note="no_inspection") for u in period.units}


def veto_failed(period: Period) -> dict[int, Measured]:
    """inspection.veto_failed: bureau inspections submitted in the year that a failed veto item made 不符合要求."""
    found = _by_unit(i for i in period.session.scalars(_done_in_year(period, BUREAU_KINDS)) if i.veto)
    return {u: Measured(float(len(found.get(u, []))), [_inspection_record(i, "veto") for i in found.get(u, [])])
            for u in period.units}


# Rectification ----------------------------------------------------------------------------------------


def _tickets_of_year(period: Period) -> dict[int, list[Ticket]]:
    """The tickets of bureau inspections issued in the year (up to as_of), not cancelled."""
    lo, hi = period.bounds
    tickets = period.session.scalars(
        select(Ticket).join(Inspection, Ticket.inspection_id == Inspection.id)
        .where(Ticket.unit_id.in_(period.unit_select), Inspection.kind.in_(BUREAU_KINDS),
               Ticket.status != TicketStatus.CANCELLED, Ticket.created_at >= lo, Ticket.created_at < hi)
        .options(selectinload(Ticket.finding)).order_by(Ticket.created_at, Ticket.id))
    return _by_unit(tickets)


def _accepted_on(period: Period, ticket: Ticket) -> date | None:
    """The local day the ticket was accepted (销号), if it was by the end of the period."""
    if ticket.status != TicketStatus.ACCEPTED or ticket.accepted_at is None:
        return None
    day = clock.local_date(ticket.accepted_at)
    return day if day <= period.as_of else None


def _ticket_record(ticket: Ticket, mark: str) -> Record:
    finding = ticket.finding
    return Record("ticket", ticket.id, clock.local_date(ticket.created_at).isoformat(),
                  f"{finding.item_key} {finding.description}", mark, None, ("ticket", ticket.id))


def completion_rate(period: Period) -> dict[int, Measured]:
    """rectification.completion_rate: of the year's tickets, the share accepted (销号) by the end of the period."""
    tickets = _tickets_of_year(period)
    out = {}
    for unit_id in period.units:
        mine = tickets.get(unit_id, [])
        if not mine:
            out[unit_id] = Measured(None, note="no_tickets")
            continue
        accepted = {t.id for t in mine if _accepted_on(period, t)}
        records = [_ticket_record(t, "accepted" if t.id in accepted else "unfinished") for t in mine]
        out[unit_id] = Measured(percent(len(accepted), len(mine)), records)
    return out


def on_time_rate(period: Period) -> dict[int, Measured]:
    """rectification.on_time_rate: of the year's tickets that were accepted or whose deadline has passed, the share
    accepted on or before its deadline (an approved extension's included). A ticket still open past its deadline
    counts as late; one not yet due and not accepted does not count yet."""
    tickets = _tickets_of_year(period)
    out = {}
    for unit_id in period.units:
        records, counted, on_time = [], 0, 0
        for ticket in tickets.get(unit_id, []):
            accepted = _accepted_on(period, ticket)
            if accepted is not None:
                mark = "on_time" if accepted <= ticket.due_date else "late"
            else:
                mark = "overdue" if ticket.due_date < period.as_of else "not_due"
            counted += mark != "not_due"
            on_time += mark == "on_time"
            records.append(_ticket_record(ticket, mark))
        out[unit_id] = (Measured(percent(on_time, counted), records) if counted
                        else Measured(None, records, "none_due"))
    return out


# Incidents ------------------------------------------------------------------------------------------------


def _incidents_found(period: Period) -> dict[int, list[Incident]]:
    """The incidents found (发现) in the year, up to as_of, whether the unit reported them or the bureau opened the
    case."""
    lo, hi = period.bounds
    return _by_unit(period.session.scalars(
        select(Incident).where(Incident.unit_id.in_(period.unit_select), Incident.found_at >= lo,
                               Incident.found_at < hi).order_by(Incident.found_at, Incident.id)))


def _incident_record(incident: Incident, mark: str, day: datetime | None = None) -> Record:
    """The incident on the day it was found (or `day`: the determination's, for the veto)."""
    return Record("incident", incident.id, clock.local_date(day or incident.found_at).isoformat(), incident.title,
                  mark, None, ("incident", incident.id))


def _is_a_leak(incident: Incident) -> bool:
    """A leak or a possible one (泄密事件) by the latest word on it: the bureau's determination once made, else the
    kind it was reported as."""
    if incident.determination is not None:
        return incident.determination == Determination.LEAK
    return incident.kind == IncidentKind.LEAK


def incident_count(period: Period) -> dict[int, Measured]:
    """incidents.count: the 泄密事件 found in the year, a leak or a possible one. A violation (违规行为, reported as
    one or determined 违规未泄密) and a case determined 不构成 are listed beside them, not counted."""
    found = _incidents_found(period)
    out = {}
    for unit_id in period.units:
        records = [_incident_record(i, "counted" if _is_a_leak(i) else
                                    "unfounded" if i.determination == Determination.UNFOUNDED else "violation")
                   for i in found.get(unit_id, [])]
        out[unit_id] = Measured(float(sum(r.mark == "counted" for r in records)), records)
    return out


def late_reports(period: Period) -> dict[int, Measured]:
    """incidents.late_reports: of the incidents found in the year, those whose report reached the bureau more than
    24 hours after discovery (迟报, 实施条例第六十一条; exactly 24 hours is on time), or had still not reached it by
    the end of the period when the 24 hours were over (漏报). Every incident counts, whatever the case later found,
    as the incidents' own 迟报率 does: the duty to report runs from discovery."""
    found = _incidents_found(period)
    _lo, end = period.bounds
    out = {}
    for unit_id in period.units:
        records = [_incident_record(i, _report_mark(i, end)) for i in found.get(unit_id, [])]
        out[unit_id] = Measured(float(sum(r.mark in ("reported_late", "unreported") for r in records)), records)
    return out


def _report_mark(incident: Incident, end: datetime) -> str:
    if incident.is_late:
        return "reported_late"
    if incident.reported_at is not None:
        return "reported_in_time"
    return "unreported" if incident.report_overdue(end) else "report_pending"


def leak_confirmed(period: Period) -> dict[int, Measured]:
    """incidents.leak_confirmed: the cases the bureau determined (认定) in the year to be a leak of state secrets,
    whenever the incident was found; a leak found late in one year and determined in the next vetoes the next."""
    lo, hi = period.bounds
    found = _by_unit(period.session.scalars(
        select(Incident).where(Incident.unit_id.in_(period.unit_select), Incident.determination == Determination.LEAK,
                               Incident.determined_at >= lo, Incident.determined_at < hi)
        .order_by(Incident.determined_at, Incident.id)))
    return {u: Measured(float(len(found.get(u, []))), [_incident_record(i, "leak", i.determined_at)
                                                       for i in found.get(u, [])]) for u in period.units}


# Registers ------------------------------------------------------------------------------------------------


def training_coverage(period: Period) -> dict[int, Measured]:
    """registers.training_coverage: of the unit's cleared staff on post at the end of the period (涉密人员台账, the
    state as the register derives it), the share whose latest training (trained_on) falls in the year. A unit that
    keeps no personnel register has no value, nor one whose register has no one on post."""
    people = _by_unit(period.session.scalars(
        select(SecretPerson).where(SecretPerson.unit_id.in_(period.unit_select))
        .order_by(SecretPerson.unit_id, SecretPerson.number)))
    out = {}
    for unit_id in period.units:
        kept = people.get(unit_id)
        on_post = [p for p in kept or [] if person_state(p, period.as_of) == "on_post"]
        if not on_post:
            out[unit_id] = Measured(None, note="none_on_post" if kept else "no_register")
            continue
        records = [_person_record(p, "trained" if p.trained_on and period.start <= p.trained_on <= period.as_of
                                  else "untrained") for p in on_post]
        out[unit_id] = Measured(percent(sum(r.mark == "trained" for r in records), len(records)), records)
    return out


def _person_record(person: SecretPerson, mark: str) -> Record:
    return Record("person", person.id, person.trained_on.isoformat() if person.trained_on else "",
                  f"{person.number} {person.name}（{person.post}）", mark, None, ("person", person.id))


def percent(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1)
