"""What an indicator reads, and the readings of what the system holds today: inspections and rectification.

A reading function takes the round's `Period` and returns, for every unit of it, a `Measured`: the value (None when
the unit has no data for it), the records behind it, and a note saying why a value is missing or what it stands on.
Records name what they are (an inspection, a ticket, a finding), where they open, and how they counted (`mark`), so
the pages put every number beside the records that made it. Marks and notes are codes; labels.py words them.

Every reading is of bureau inspections (例行、专项、抽查) done in the year, and of their tickets, as the dashboard
counts them, except the self-assessment gap, which compares the unit's own self-inspection (自查) with them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from ... import clock
from ...models import Finding, FindingStatus, Inspection, InspectionKind, Ticket, TicketStatus
from ...models.inspection import BUREAU_KINDS, DONE_STATUSES


@dataclass(frozen=True)
class Record:
    """One record behind a number: what it is, where it opens (`link`: a kind and an id the pages know), its day,
    its words, and how it counted."""

    kind: str  # inspection | ticket | finding (and what other areas add)
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


def percent(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1)
