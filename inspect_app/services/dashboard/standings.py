"""The figures that cannot be summed over months, read from the standings kept per period preset
(services/analytics/standings.py): units covered, the rankings by score and by overdue tickets, the
self-assessment gap and the most failed items. Read for a leader's or inspector's view of a preset whose stored
window is today's; anything else (a custom period, one unit, a window the catch-up task has not moved yet) is
read from the records, to the same figures: the tests compare the two.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from ...models import NodeKind, OrgNode
from ...models.analytics import ItemStanding, UnitBacklogRollup, UnitStanding
from ..analytics import kinds_key
from .context import Context, mean_score
from .rankings import GapRow, ItemRow, Rankings, RankRow, _newest_items, node_names
from .rollups import scope_conditions, slice_of, unit_conditions


def _average(s):
    return mean_score(s.score_tenths, s.scored)


def rankings(ctx: Context, preset: str, limit: int = 10) -> Rankings:
    """`rankings.rankings` from the standings and the units' backlog."""
    s = UnitStanding
    scored = [*unit_conditions(ctx, preset), s.scored > 0]
    average = _average(s).label("average")
    units_by_score = ctx.session.execute(
        select(s.unit_id, average, s.scored).where(*scored)
        .order_by(average, s.scored.desc(), s.unit_id).limit(limit)).all()
    district_average = mean_score(func.sum(s.score_tenths), func.sum(s.scored)).label("average")
    districts_by_score = ctx.session.execute(
        select(s.parent_id, district_average, func.sum(s.scored)).where(*scored)
        .group_by(s.parent_id).order_by(district_average, s.parent_id)).all()
    b = UnitBacklogRollup
    overdue = [*scope_conditions(ctx, b), b.due_date < ctx.today]
    n = func.sum(b.tickets).label("n")
    units_by_overdue = ctx.session.execute(
        select(b.unit_id, n).where(*overdue).group_by(b.unit_id).having(n > 0)
        .order_by(n.desc(), b.unit_id).limit(limit)).all()
    per_unit = (select(b.parent_id, b.unit_id, func.sum(b.tickets).label("n")).where(*overdue)
                .group_by(b.parent_id, b.unit_id).having(func.sum(b.tickets) > 0).subquery())
    total = func.sum(per_unit.c.n).label("total")
    districts_by_overdue = ctx.session.execute(
        select(per_unit.c.parent_id, total, func.count()).group_by(per_unit.c.parent_id)
        .order_by(total.desc(), per_unit.c.parent_id)).all()

    ids = ({r[0] for r in units_by_score} | {r[0] for r in units_by_overdue} | {r[0] for r in districts_by_score}
           | {r[0] for r in districts_by_overdue})
    names = node_names(ctx.session, ids)
    bureaus = set(ctx.session.scalars(select(OrgNode.id).where(OrgNode.id.in_(ids),
                                                               OrgNode.kind == NodeKind.BUREAU))) if ids else set()
    district_ids = ctx.session.scalars(
        select(OrgNode.parent_id).where(OrgNode.id.in_(ctx.unit_ids())).distinct()).all()
    return Rankings(
        districts_by_score=[RankRow(d, names.get(d, ""), round(float(v), 1), int(c), d in bureaus)
                            for d, v, c in districts_by_score],
        districts_by_overdue=[RankRow(d, names.get(d, ""), int(c), int(c), d in bureaus)
                              for d, c, _u in districts_by_overdue],
        units_by_score=[RankRow(u, names.get(u, ""), round(float(v), 1), int(c)) for u, v, c in units_by_score],
        units_by_overdue=[RankRow(u, names.get(u, ""), int(c), int(c)) for u, c in units_by_overdue],
        district_count=len(district_ids),
        units_with_overdue=sum(int(u) for _d, _c, u in districts_by_overdue),
    )


def gap_rows(ctx: Context, preset: str, *, limit: int | None = None, offset: int = 0) -> tuple[list[GapRow], int]:
    """`rankings.gap_rows` from the standings: each unit's self-inspection row beside its bureau-kinds row."""
    own, bureau = aliased(UnitStanding), aliased(UnitStanding)
    kinds = kinds_key(ctx.filters.kind)
    compared = "bureau" if kinds in ("self", "any") else kinds
    self_average, bureau_average = _average(own), _average(bureau)
    gap = (self_average - bureau_average).label("gap")
    stmt = (select(own.unit_id, self_average, own.scored, bureau_average, bureau.scored, OrgNode.name,
                   func.count().over().label("total"))
            .join(bureau, and_(bureau.preset == own.preset, bureau.kinds == compared, bureau.unit_id == own.unit_id,
                               bureau.parent_id == own.parent_id, bureau.root_id == own.root_id,
                               bureau.unit_type == own.unit_type, bureau.active == own.active))
            .join(OrgNode, OrgNode.id == own.unit_id)
            .where(*unit_conditions(ctx, preset, "self", own), own.scored > 0, bureau.scored > 0)
            .order_by(gap.desc(), OrgNode.name, own.unit_id).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = ctx.session.execute(stmt).all()
    total = rows[0].total if rows else (len(ctx.session.execute(stmt.offset(0).limit(None)).all()) if offset else 0)
    return [GapRow(u, name, round(float(sa), 1), int(sn), round(float(ba), 1), int(bn))
            for u, sa, sn, ba, bn, name, _total in rows], total


def most_failed_items(ctx: Context, preset: str, limit: int = 10) -> list[ItemRow]:
    i = ItemStanding
    rows = ctx.session.execute(
        select(i.template_key, i.item_key, i.findings, i.units)
        .where(i.preset == preset, i.slice == slice_of(ctx), i.findings > 0)
        .order_by(i.findings.desc(), i.template_key, i.item_key).limit(limit)).all()
    items = _newest_items(ctx.session, {(t, k) for t, k, *_ in rows})
    return [ItemRow(t, k, int(n), int(u), items.get((t, k))) for t, k, n, u in rows]

