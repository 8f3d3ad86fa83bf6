"""Keeping the rollups true: in the same transaction as every write, and rebuilt from the records on demand.

One place for every writer: a session hook. Before a flush it notes the inspections whose figures the flush
may change (an inspection's state, kind, unit, score or band; any finding or ticket of it, added, changed in
what the figures count, or deleted; a unit moved or retyped) and reads their contributions as the database
has them; after the flush it reads them again and adds the difference to the rollups, in the same
transaction. Services need not know: a new area whose records count in the figures adds its query to
`sources` and its model here.

Statements that bypass the session's unit of work (bulk inserts, as `seed-demo --scale` makes) are followed by
`rebuild`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, event, func, inspect, select
from sqlalchemy import insert as insert_into
from sqlalchemy.orm import Session

from ... import clock
from ...database import bulk_insert, dialect_insert, transaction
from ...models import AnalyticsState, AnalyticsWindow, Finding, Inspection, NodeKind, OrgNode, Ticket
from .sources import ROLLUPS, UNIT_BACKLOG, Contributions, Rollup, contributions, difference
from .standings import STANDINGS, standings, stored_windows, windows_for

# What each model's changes may move in the figures; a change to anything else (a draft, a note, a revision
# counter) leaves them alone and costs the flush nothing.
# A foreign key set through its relationship (`node.parent = …`) shows in the column only during the flush, so
# both are watched.
WATCHED = {
    Inspection: ("status", "submitted_at", "kind", "unit_id", "unit", "score", "band"),
    Finding: ("status", "severity", "category", "is_repeat", "inspection_id", "inspection"),
    Ticket: ("status", "due_date", "created_at", "accepted_at", "inspection_id", "inspection"),
    OrgNode: ("parent_id", "parent", "unit_type", "kind", "active"),
}
TABLES = (*ROLLUPS, UNIT_BACKLOG, *STANDINGS)
PENDING = "analytics.pending"
STALE, REBUILT = "stale", "rebuilt"
# PostgreSQL: writers hold this lock shared, a rebuild exclusively, so no write adds to the standings of one
# set of windows what it computed for another (SQLite's writers take turns anyway).
LOCK_KEY = 2121


def _lock(session: Session, exclusive: bool = False) -> None:
    if session.get_bind().dialect.name == "postgresql":
        name = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(select(getattr(func, name)(LOCK_KEY)))


def changed(obj, names: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _inspection_of(obj) -> int | None:
    if isinstance(obj, Inspection):
        return obj.id
    if obj.inspection_id is not None:
        return obj.inspection_id
    parent = obj.inspection
    return parent.id if parent is not None else None


def _unit_of(obj) -> set[int]:
    """The unit an inspection, finding or ticket belongs to (and belonged to, if that changed)."""
    attrs = inspect(obj).attrs
    units = {u for u in (*attrs.unit_id.history.deleted, obj.unit_id) if u is not None}
    if obj.unit_id is None and obj.unit is not None and obj.unit.id is not None:
        units.add(obj.unit.id)
    return units


def _touched(session: Session) -> tuple[set[int], set[int], set[int], list]:
    """(inspection ids, unit ids, org node ids, objects whose inspection may have no id yet) of this flush."""
    inspections, units, nodes, pending = set(), set(), set(), []
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        model = type(obj)
        if model not in WATCHED:
            continue
        if obj in session.dirty and not changed(obj, WATCHED[model]):
            continue
        if model is OrgNode:
            if obj in session.new:
                pending.append(obj)  # a new unit counts among the active units once it has an id
            elif obj.id is not None:
                nodes.add(obj.id)
            continue
        units |= _unit_of(obj)
        inspection_id = _inspection_of(obj)
        if inspection_id is None:
            pending.append(obj)
        else:
            inspections.add(inspection_id)
        if model is not Inspection and obj in session.dirty:
            # Moved from one inspection to another: the old one loses it.
            attrs = inspect(obj).attrs
            inspections.update(i for i in attrs.inspection_id.history.deleted if i is not None)
            inspections.update(i.id for i in attrs.inspection.history.deleted if i is not None)
    return inspections, units, nodes, pending


def _units(session: Session, inspection_ids: set[int], node_ids: set[int]) -> set[int]:
    """The units of these inspections, these units, and the units directly under these districts."""
    units = set()
    if node_ids:
        units |= set(session.scalars(select(OrgNode.id).where(
            (OrgNode.id.in_(node_ids) & (OrgNode.kind == NodeKind.UNIT)) | OrgNode.parent_id.in_(node_ids))))
    if inspection_ids:
        units |= set(session.scalars(select(Inspection.unit_id).where(Inspection.id.in_(inspection_ids))))
    return units


def _state(session: Session, inspections: set[int], units: set[int], windows) -> Contributions:
    return contributions(session, inspections) | standings(session, windows, units)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush, _instances) -> None:
    inspections, units, nodes, pending = _touched(session)
    if not (inspections or units or nodes or pending):
        return
    with session.no_autoflush:
        _lock(session)
        units |= _units(session, inspections, nodes)
        if nodes:
            inspections |= set(session.scalars(select(Inspection.id).where(Inspection.unit_id.in_(units))))
        windows = stored_windows(session)
        before = _state(session, inspections, units, windows)
    flush.attributes[PENDING] = (inspections, units, windows, before, pending)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush) -> None:
    noted = flush.attributes.get(PENDING)
    if noted is None:
        return
    inspections, units, windows, before, pending = noted
    new_units = {obj.id for obj in pending if isinstance(obj, OrgNode) and obj.kind == NodeKind.UNIT}
    pending = [obj for obj in pending if not isinstance(obj, OrgNode)]
    inspections = inspections | {i for i in (_inspection_of(obj) for obj in pending) if i is not None}
    units = units | new_units
    units = units | _units(session, inspections, set())
    apply(session, difference(_state(session, inspections, units, windows), before))


def _rows(rollup: Rollup, items) -> list[dict]:
    return [dict(zip(rollup.keys, key, strict=True)) | dict(zip(rollup.measures, measures, strict=True))
            for key, measures in items]


def apply(session: Session, delta: Contributions) -> None:
    """Add `delta` to the rollups: one upsert per rollup, its rows in key order (so two transactions never
    wait on each other's rows crosswise)."""
    insert = dialect_insert(session)
    connection = session.connection()
    for rollup in TABLES:
        if not delta.get(rollup):
            continue
        table = rollup.table
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(index_elements=list(rollup.keys),
                                          set_={m: table.c[m] + stmt.excluded[m] for m in rollup.measures})
        connection.execute(stmt, _rows(rollup, sorted(delta[rollup].items())))


def rebuild(session: Session, today: date | None = None, tables=TABLES) -> dict[str, int]:
    """Recompute the rollups and standings (or those of `tables`) from the records, in the caller's
    transaction, the standings for the presets' windows as of `today`; returns the rows per table."""
    _lock(session, exclusive=True)
    from .version import bump  # version.py reads WATCHED from here

    bump(session)  # the statements below go past the session's hooks
    windows = windows_for(today or clock.local_today())
    grouped = (contributions(session) if set(tables) - set(STANDINGS) else {}) | standings(session, windows)
    connection = session.connection()
    connection.execute(delete(AnalyticsWindow))
    connection.execute(insert_into(AnalyticsWindow), [
        {"preset": preset, "first": first, "last": last} for preset, (first, last) in windows.items()])
    for rollup in tables:
        connection.execute(delete(rollup.table))
        # In key order: a slice's or a preset's rows lie together on disk, and a figure reads few pages.
        bulk_insert(session, rollup.table, (*rollup.keys, *rollup.measures),
                    ((*key, *values) for key, values in sorted(grouped[rollup].items())))
    return {rollup.table.name: len(grouped[rollup]) for rollup in tables}


def recomputed(session: Session) -> Contributions:
    """What the rollups and standings should hold, from the records (standings for their stored windows)."""
    truth = contributions(session) | standings(session, stored_windows(session))
    return {rollup: {key: values for key, values in rows.items() if any(values)} for rollup, rows in truth.items()}


def stored(session: Session) -> Contributions:
    """What the rollups hold, without rows that sum to nothing (for comparing with `contributions`)."""
    held: Contributions = {rollup: {} for rollup in TABLES}
    for rollup in TABLES:
        columns = [rollup.table.c[n] for n in (*rollup.keys, *rollup.measures)]
        for row in session.execute(select(*columns)):
            values = [int(v) for v in row[len(rollup.keys):]]
            if any(values):
                held[rollup][tuple(row[:len(rollup.keys)])] = values
    return held


def rebuild_all(session: Session, today: date | None = None) -> dict[str, int]:
    """`flask --app wsgi analytics rebuild`: every rollup recomputed from the records in one transaction; the
    figures come from the rollups again if an upgrade had left them stale."""
    with transaction(session):
        counts = rebuild(session, today)
        session.execute(delete(AnalyticsState).where(AnalyticsState.name.in_((STALE, REBUILT))))
        session.add(AnalyticsState(name=REBUILT))
    return counts


def catch_up(session: Session, today: date | None = None) -> str:
    """The periodic task: rebuild what time or an upgrade has left behind. "rebuilt" after an upgrade (stale),
    "moved" when a new month or year moved the presets' windows (the standings alone), else "current"."""
    today = today or clock.local_today()
    if session.get(AnalyticsState, STALE) is not None:
        rebuild_all(session, today)
        return "rebuilt"
    if stored_windows(session) == windows_for(today):
        session.rollback()
        return "current"
    with transaction(session):
        rebuild(session, today, STANDINGS)
    return "moved"
