"""What the records contribute to each rollup: one grouped query per rollup, over all records (a rebuild) or
over some inspections (the records a flush touched), giving the same rows either way.

A query groups the records by the unit's parent and city, its type and the inspection kind besides the
rollup's own keys; `contributions` spreads each such row over the slices it counts in. The same code serves the
rebuild and the upkeep of every write, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from ...models import Finding, FindingStatus, Inspection, InspectionStatus, NodeKind, OrgNode, Ticket, TicketStatus
from ...models.analytics import BacklogRollup, FindingRollup, InspectionRollup, TicketRollup, UnitBacklogRollup
from .slices import as_date, days_between, kinds_of, local_day, local_month, slices_of

DONE = (InspectionStatus.SUBMITTED, InspectionStatus.ISSUED, InspectionStatus.CLOSED)
UNFINISHED = (TicketStatus.OPEN, TicketStatus.RESPONDED, TicketStatus.RETURNED)
NOT_ACCEPTED = -1  # the `days` of a ticket not (yet) accepted


@dataclass(frozen=True)
class Rollup:
    model: type
    keys: tuple[str, ...]  # the primary key
    measures: tuple[str, ...]

    @property
    def table(self):
        return self.model.__table__


ROLLUPS = (
    Rollup(InspectionRollup, ("slice", "month"), ("inspections", "failing", "scored", "score_tenths")),
    Rollup(FindingRollup, ("slice", "month", "category"), ("critical", "serious", "general", "repeat")),
    Rollup(TicketRollup, ("slice", "month", "days"), ("tickets", "issued", "accepted", "on_time", "late")),
    Rollup(BacklogRollup, ("slice", "due_date", "status"), ("tickets",)),
)
UNIT_BACKLOG = Rollup(UnitBacklogRollup, ("kinds", "unit_id", "parent_id", "root_id", "unit_type", "due_date"),
                      ("tickets",))

# rollup -> key -> measures
Contributions = dict[Rollup, dict[tuple, list[int]]]


def _org():
    """The unit's parent and city, and its type, joined onto a select over a unit-owned record."""
    unit, parent = aliased(OrgNode), aliased(OrgNode)
    root = case((parent.kind == NodeKind.BUREAU, parent.id), else_=parent.parent_id)
    return unit, parent, (parent.id, root, func.coalesce(unit.unit_type, ""))


def _count(condition) -> object:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _inspections(dialect: str) -> Select:
    unit, parent, org = _org()
    month = local_month(dialect, Inspection.submitted_at)
    return (select(*org, Inspection.kind, month, func.count(), _count(Inspection.band == "fails"),
                   func.count(Inspection.score),
                   func.coalesce(func.sum(func.round(Inspection.score * 10)), 0))
            .join(unit, unit.id == Inspection.unit_id).join(parent, parent.id == unit.parent_id)
            .where(Inspection.status.in_(DONE))
            .group_by(*org, Inspection.kind, month))


def _findings(dialect: str) -> Select:
    unit, parent, org = _org()
    month = local_month(dialect, Inspection.submitted_at)
    return (select(*org, Inspection.kind, month, Finding.category,
                   *(_count(Finding.severity == s) for s in ("critical", "serious", "general")),
                   _count(Finding.is_repeat.is_(True)))
            .select_from(Finding).join(Inspection, Inspection.id == Finding.inspection_id)
            .join(unit, unit.id == Inspection.unit_id).join(parent, parent.id == unit.parent_id)
            .where(Finding.status == FindingStatus.ACTIVE, Inspection.status.in_(DONE))
            .group_by(*org, Inspection.kind, month, Finding.category))


def _tickets(dialect: str) -> Select:
    unit, parent, org = _org()
    month = local_month(dialect, Ticket.created_at)
    accepted = Ticket.status == TicketStatus.ACCEPTED
    days = case((accepted, days_between(dialect, Ticket.accepted_at, Ticket.created_at)), else_=NOT_ACCEPTED)
    accepted_day = local_day(dialect, Ticket.accepted_at)
    return (select(*org, Inspection.kind, month, days, func.count(), _count(Ticket.status != TicketStatus.CANCELLED),
                   _count(accepted), _count(and_(accepted, accepted_day <= Ticket.due_date)),
                   _count(and_(accepted, accepted_day > Ticket.due_date)))
            .select_from(Ticket).join(Inspection, Inspection.id == Ticket.inspection_id)
            .join(unit, unit.id == Inspection.unit_id).join(parent, parent.id == unit.parent_id)
            .group_by(*org, Inspection.kind, month, days))


def _backlog(dialect: str) -> Select:
    unit, parent, org = _org()
    return (select(*org, Inspection.kind, Ticket.due_date, Ticket.status, func.count())
            .select_from(Ticket).join(Inspection, Inspection.id == Ticket.inspection_id)
            .join(unit, unit.id == Inspection.unit_id).join(parent, parent.id == unit.parent_id)
            .where(Ticket.status.in_(UNFINISHED))
            .group_by(*org, Inspection.kind, Ticket.due_date, Ticket.status))


def _unit_backlog(dialect: str) -> Select:
    unit, parent, org = _org()
    return (select(*org, Inspection.kind, Inspection.unit_id, Ticket.due_date, func.count())
            .select_from(Ticket).join(Inspection, Inspection.id == Ticket.inspection_id)
            .join(unit, unit.id == Inspection.unit_id).join(parent, parent.id == unit.parent_id)
            .where(Ticket.status.in_(UNFINISHED))
            .group_by(*org, Inspection.kind, Inspection.unit_id, Ticket.due_date))


QUERIES = dict(zip(ROLLUPS, (_inspections, _findings, _tickets, _backlog), strict=True))


def _add(rows: dict[tuple, list[int]], key: tuple, values: list[int]) -> None:
    known = rows.get(key)
    if known is None:
        rows[key] = list(values)
    else:
        for i, v in enumerate(values):
            known[i] += v


def _chunks(ids: list[int] | None) -> list[list[int] | None]:
    return [None] if ids is None else [ids[i:i + 500] for i in range(0, len(ids), 500)]


def contributions(session: Session, inspection_ids: Iterable[int] | None = None) -> Contributions:
    """Every rollup row the records make, summed per key: of all records, or of these inspections' (the
    inspection itself, its findings and its tickets)."""
    ids = None if inspection_ids is None else sorted(set(inspection_ids))
    totals: Contributions = {rollup: {} for rollup in (*ROLLUPS, UNIT_BACKLOG)}
    if ids == []:
        return totals
    dialect = session.get_bind().dialect.name
    for rollup, query in QUERIES.items():
        rows = totals[rollup]
        stmt = query(dialect)
        for chunk in _chunks(ids):
            narrowed = stmt if chunk is None else stmt.where(Inspection.id.in_(chunk))
            for row in session.execute(narrowed):
                parent_id, root_id, unit_type, kind, *rest = row
                keys, values = rest[:len(rollup.keys) - 1], [int(v) for v in rest[len(rollup.keys) - 1:]]
                keys = tuple(as_date(k) if name in ("month", "due_date") else k
                             for name, k in zip(rollup.keys[1:], keys, strict=True))
                for name in slices_of(parent_id, root_id, unit_type, kind):
                    _add(rows, (name, *keys), values)
    stmt = _unit_backlog(dialect)
    for chunk in _chunks(ids):
        narrowed = stmt if chunk is None else stmt.where(Inspection.id.in_(chunk))
        for parent_id, root_id, unit_type, kind, unit_id, due_date, n in session.execute(narrowed):
            for kinds in kinds_of(kind):
                _add(totals[UNIT_BACKLOG], (kinds, unit_id, parent_id, root_id, unit_type, as_date(due_date)),
                     [int(n)])
    return totals


def difference(after: Contributions, before: Contributions) -> Contributions:
    """after − before, without the rows that did not change."""
    delta: Contributions = {}
    for rollup in after.keys() | before.keys():
        a_rows, b_rows = after.get(rollup, {}), before.get(rollup, {})
        rows = {}
        for key in a_rows.keys() | b_rows.keys():
            a, b = a_rows.get(key), b_rows.get(key)
            values = a if b is None else [-v for v in b] if a is None else [x - y for x, y in zip(a, b, strict=True)]
            if any(values):
                rows[key] = values
        delta[rollup] = rows
    return delta
