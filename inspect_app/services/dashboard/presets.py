"""The figures that cannot be summed over months, read from the standings kept per period preset
(services/analytics/standings.py): units covered, the rankings by score and by overdue tickets, the
self-assessment gap and the most failed items. Read for a leader's or inspector's view of a preset whose stored
window is today's; anything else (a custom period, one unit, a window the catch-up task has not moved yet) is
read from the records, to the same figures: the tests compare the two.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ...models import OrgNode
from ...models.analytics import (
    COMPARED,
    ItemStanding,
    SliceStanding,
    UnitBacklogRollup,
    UnitStanding,
    has_scores,
    mean_score,
    standing_average,
    standing_gap,
)
from ..analytics import kinds_key, slice_name
from .context import Context
from .rollups import preset_of, scope_conditions, slice_of, slice_standing
from .standings import GapRow, ItemRow, Rankings, RankRow, _newest_items, nodes_by_id


def _scored(kinds: str):
    return getattr(UnitStanding, f"{kinds}_scored")


def _district_slices(ctx: Context, district_ids: list[int]) -> dict[str, int]:
    kinds, unit_type = kinds_key(ctx.filters.kind), ctx.filters.unit_type
    return {slice_name(d, True, unit_type, kinds): d for d in district_ids if d is not None}


def rankings(ctx: Context, preset: str, limit: int = 10) -> Rankings:
    """`standings.rankings` from the standings and the units' backlog."""
    s = UnitStanding
    kinds = kinds_key(ctx.filters.kind)
    average, count = standing_average(kinds).label("average"), _scored(kinds)
    units_by_score = ctx.session.execute(
        select(s.unit_id, average, count).where(s.preset == preset, *scope_conditions(ctx, s), has_scores(count))
        .order_by(average, count.desc(), s.unit_id).limit(limit)).all()
    district_ids = ctx.district_ids()
    by_slice = _district_slices(ctx, district_ids)
    d = SliceStanding
    district_average = mean_score(d.score_tenths, d.scored)
    districts_by_score = sorted(
        ((by_slice[name], float(v), int(n)) for name, v, n in ctx.session.execute(
            select(d.slice, district_average, d.scored)
            .where(d.preset == preset, d.slice.in_(by_slice), d.scored > 0))),
        key=lambda row: (row[1], row[0]))
    units_by_overdue, districts_by_overdue = _overdue(ctx, limit)

    ids = ({r[0] for r in units_by_score} | {r[0] for r in units_by_overdue} | {r[0] for r in districts_by_score}
           | {r[0] for r in districts_by_overdue})
    nodes = nodes_by_id(ctx.session, ids)
    return Rankings(
        districts_by_score=[RankRow(nodes[d], round(v, 1), c) for d, v, c in districts_by_score if d in nodes],
        districts_by_overdue=[RankRow(nodes[d], int(c), int(c)) for d, c, _u in districts_by_overdue if d in nodes],
        units_by_score=[RankRow(nodes[u], round(float(v), 1), int(c)) for u, v, c in units_by_score],
        units_by_overdue=[RankRow(nodes[u], int(c), int(c)) for u, c in units_by_overdue],
        district_count=len(district_ids),
        units_with_overdue=sum(int(u) for _d, _c, u in districts_by_overdue),
    )


def _overdue(ctx: Context, limit: int) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
    """The units with the most overdue tickets, (unit, tickets), and every district's, (district, tickets, units),
    most first: one pass over the units' backlog, each unit ranked in the city and counted in its district."""
    b = UnitBacklogRollup
    per_unit = (select(b.parent_id, b.unit_id, func.sum(b.tickets).label("n"))
                .where(b.kinds == kinds_key(ctx.filters.kind), *scope_conditions(ctx, b), b.due_date < ctx.today)
                .group_by(b.parent_id, b.unit_id).having(func.sum(b.tickets) > 0).subquery())
    u = per_unit.c
    ranked = select(u.parent_id, u.unit_id, u.n,
                    func.row_number().over(order_by=(u.n.desc(), u.unit_id)).label("rank"),
                    func.row_number().over(partition_by=u.parent_id, order_by=u.unit_id).label("nth"),
                    func.sum(u.n).over(partition_by=u.parent_id).label("district_n"),
                    func.count().over(partition_by=u.parent_id).label("district_units")).subquery()
    r = ranked.c
    rows = ctx.session.execute(select(ranked).where((r.rank <= limit) | (r.nth == 1))).all()
    units = [(row.unit_id, int(row.n)) for row in sorted(rows, key=lambda row: row.rank) if row.rank <= limit]
    districts = sorted(((row.parent_id, int(row.district_n), int(row.district_units)) for row in rows if row.nth == 1),
                       key=lambda d: (-d[1], d[0]))
    return units, districts


def gap_rows(ctx: Context, preset: str, *, limit: int | None = None, offset: int = 0) -> tuple[list[GapRow], int]:
    """`standings.gap_rows` from the standings: each unit's self-inspections beside its bureau kinds' (the three,
    or the one kind chosen), from the same row."""
    s = UnitStanding
    kinds = COMPARED[kinds_key(ctx.filters.kind)]
    gap = standing_gap(kinds).label("gap")
    compared = [s.preset == preset, *scope_conditions(ctx, s), has_scores(s.self_scored), has_scores(_scored(kinds))]
    stmt = (select(s.unit_id, standing_average("self"), s.self_scored, standing_average(kinds), _scored(kinds),
                   OrgNode.name)
            .join(OrgNode, OrgNode.id == s.unit_id).where(*compared)
            .order_by(gap.desc(), OrgNode.name, s.unit_id).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = ctx.session.execute(stmt).all()
    total = slice_standing(ctx, preset)[2]  # kept, not counted: a count would read every unit again
    return [GapRow(u, name, round(float(sa), 1), int(sn), round(float(ba), 1), int(bn))
            for u, sa, sn, ba, bn, name in rows], total


def active_units(ctx: Context, districts: list[OrgNode]) -> dict[OrgNode, int] | None:
    """The active units (of every type) under each of `districts`, as the standings keep them for the registers'
    district table; None when the view is read from the records."""
    preset = preset_of(ctx)
    if preset is None:
        return None
    kinds = kinds_key(ctx.filters.kind)
    by_slice = {slice_name(d.id, True, None, kinds): d for d in districts}
    s = SliceStanding
    return {by_slice[name]: int(n) for name, n in ctx.session.execute(
        select(s.slice, s.units_active).where(s.preset == preset, s.slice.in_(by_slice)))}


def most_failed_items(ctx: Context, preset: str, limit: int = 10) -> list[ItemRow]:
    i = ItemStanding
    rows = ctx.session.execute(
        select(i.template_key, i.item_key, i.findings, i.units)
        .where(i.preset == preset, i.slice == slice_of(ctx), i.findings > 0)
        .order_by(i.findings.desc(), i.template_key, i.item_key).limit(limit)).all()
    items = _newest_items(ctx.session, {(t, k) for t, k, *_ in rows})
    return [ItemRow(t, k, int(n), int(u), items.get((t, k))) for t, k, n, u in rows]
