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

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session

from ...database import dialect_insert, transaction
from ...models import AnalyticsState, Finding, Inspection, NodeKind, OrgNode, Ticket
from .sources import ROLLUPS, Contributions, Rollup, contributions, difference

# What each model's changes may move in the figures; a change to anything else (a draft, a note, a revision
# counter) leaves them alone and costs the flush nothing.
# A foreign key set through its relationship (`node.parent = …`) shows in the column only during the flush, so
# both are watched.
WATCHED = {
    Inspection: ("status", "submitted_at", "kind", "unit_id", "unit", "score", "band"),
    Finding: ("status", "severity", "category", "is_repeat", "inspection_id", "inspection"),
    Ticket: ("status", "due_date", "created_at", "accepted_at", "inspection_id", "inspection"),
    OrgNode: ("parent_id", "parent", "unit_type", "kind"),
}
PENDING = "analytics.pending"
STALE, REBUILT = "stale", "rebuilt"
CHUNK = 400


def _changed(obj, names: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _inspection_of(obj) -> int | None:
    if isinstance(obj, Inspection):
        return obj.id
    if obj.inspection_id is not None:
        return obj.inspection_id
    parent = obj.inspection
    return parent.id if parent is not None else None


def _touched(session: Session) -> tuple[set[int], set[int], list]:
    """(inspection ids, org node ids, objects whose inspection may have no id yet) of this flush."""
    inspections, nodes, pending = set(), set(), []
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        model = type(obj)
        if model not in WATCHED:
            continue
        if obj in session.dirty and not _changed(obj, WATCHED[model]):
            continue
        if model is OrgNode:
            if obj.id is not None and obj not in session.new:
                nodes.add(obj.id)
            continue
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
    return inspections, nodes, pending


def _inspections_of_nodes(session: Session, node_ids: set[int]) -> set[int]:
    """The inspections of these units, and of the units directly under these districts."""
    if not node_ids:
        return set()
    units = select(OrgNode.id).where((OrgNode.id.in_(node_ids) & (OrgNode.kind == NodeKind.UNIT))
                                     | OrgNode.parent_id.in_(node_ids))
    return set(session.scalars(select(Inspection.id).where(Inspection.unit_id.in_(units))))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush, _instances) -> None:
    inspections, nodes, pending = _touched(session)
    if not (inspections or nodes or pending):
        return
    with session.no_autoflush:
        inspections |= _inspections_of_nodes(session, nodes)
        before = contributions(session, inspections)
    flush.attributes[PENDING] = (inspections, before, pending)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush) -> None:
    noted = flush.attributes.get(PENDING)
    if noted is None:
        return
    inspections, before, pending = noted
    inspections = set(inspections)
    inspections.update(i for i in (_inspection_of(obj) for obj in pending) if i is not None)
    after = contributions(session, inspections)
    apply(session, difference(after, before))


def apply(session: Session, delta: Contributions) -> None:
    """Add `delta` to the rollups: one upsert per rollup, in key order (so two transactions never wait on
    each other's rows crosswise)."""
    by_rollup: dict[Rollup, list[tuple[tuple, list[int]]]] = defaultdict(list)
    for (rollup, key), values in delta.items():
        by_rollup[rollup].append((key, values))
    insert = dialect_insert(session)
    connection = session.connection()
    for rollup in ROLLUPS:
        rows = sorted(by_rollup.get(rollup, ()), key=lambda kv: kv[0])
        if not rows:
            continue
        table = rollup.table
        names = ("slice", *rollup.keys)
        for start in range(0, len(rows), CHUNK):
            values = [dict(zip(names, key, strict=True)) | dict(zip(rollup.measures, measures, strict=True))
                      for key, measures in rows[start:start + CHUNK]]
            stmt = insert(table).values(values)
            stmt = stmt.on_conflict_do_update(
                index_elements=list(names),
                set_={m: table.c[m] + stmt.excluded[m] for m in rollup.measures})
            connection.execute(stmt)


def rebuild(session: Session) -> dict[str, int]:
    """Recompute every rollup from the records (in the caller's transaction); returns the rows per rollup."""
    totals = contributions(session)
    connection = session.connection()
    for rollup in ROLLUPS:
        connection.execute(delete(rollup.table))
    apply(session, totals)
    counts = defaultdict(int)
    for rollup, _key in totals:
        counts[rollup.table.name] += 1
    return dict(counts)


def stored(session: Session) -> Contributions:
    """What the rollups hold, without rows that sum to nothing (for comparing with `contributions`)."""
    held: Contributions = {}
    for rollup in ROLLUPS:
        columns = [rollup.table.c[n] for n in ("slice", *rollup.keys, *rollup.measures)]
        for row in session.execute(select(*columns)):
            values = [int(v) for v in row[1 + len(rollup.keys):]]
            if any(values):
                held[(rollup, tuple(row[:1 + len(rollup.keys)]))] = values
    return held


def rebuild_all(session: Session) -> dict[str, int]:
    """`flask --app wsgi analytics rebuild`: every rollup recomputed from the records in one transaction; the
    figures come from the rollups again if an upgrade had left them stale."""
    with transaction(session):
        counts = rebuild(session)
        session.execute(delete(AnalyticsState).where(AnalyticsState.name.in_((STALE, REBUILT))))
        session.add(AnalyticsState(name=REBUILT))
    return counts
