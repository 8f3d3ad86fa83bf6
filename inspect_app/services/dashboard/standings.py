"""The dashboard's rankings: the most failed checklist items, units and districts by overdue tickets and
by score, and self-assessment against inspection."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from ...models import (
    ChecklistItem,
    ChecklistTemplate,
    Finding,
    Inspection,
    InspectionKind,
    OrgNode,
    TemplateVersion,
    Ticket,
)
from ...models.analytics import mean_score
from ...models.inspection import BUREAU_KINDS
from .context import Context, tenths
from .measures import listing


def _kept_preset(ctx: Context) -> str | None:
    """The period preset whose kept standings (presets.py) hold these figures; None: read them from the records."""
    from .rollups import preset_of

    return preset_of(ctx)


@dataclass
class ItemRow:
    template_key: str
    item_key: str
    findings: int
    units: int
    item: ChecklistItem | None

    @property
    def ref(self) -> str:
        return f"{self.template_key}:{self.item_key}"


def most_failed_items(ctx: Context, limit: int = 10) -> list[ItemRow]:
    """The checklist items with the most findings in the period (不符合 and 基本符合 alike), with the number
    of distinct units; ties by template and item key. The item's wording is the newest synced version's."""
    preset = _kept_preset(ctx)
    if preset is not None:
        from . import presets

        return presets.most_failed_items(ctx, preset, limit)
    n = func.count().label("n")
    if ctx.dialect == "postgresql":
        # Per item and unit first, then per item: both levels hash-aggregate, where COUNT(DISTINCT) would sort.
        per_unit = (ctx.base("findings")
                    .with_only_columns(Finding.template_key, Finding.item_key, func.count().label("n"))
                    .group_by(Finding.template_key, Finding.item_key, Finding.unit_id).subquery())
        n = func.sum(per_unit.c.n).label("n")
        stmt = (select(per_unit.c.template_key, per_unit.c.item_key, n, func.count())
                .group_by(per_unit.c.template_key, per_unit.c.item_key)
                .order_by(n.desc(), per_unit.c.template_key, per_unit.c.item_key))
    else:
        # SQLite sorts for any GROUP BY, so one level with COUNT(DISTINCT) is the cheaper.
        stmt = (ctx.base("findings")
                .with_only_columns(Finding.template_key, Finding.item_key, n, func.count(Finding.unit_id.distinct()))
                .group_by(Finding.template_key, Finding.item_key)
                .order_by(n.desc(), Finding.template_key, Finding.item_key))
    rows = ctx.session.execute(stmt.limit(limit)).all()
    items = _newest_items(ctx.session, {(t, k) for t, k, *_ in rows})
    return [ItemRow(t, k, int(n), u, items.get((t, k))) for t, k, n, u in rows]


def _newest_items(session: Session, refs: set[tuple[str, str]]) -> dict[tuple[str, str], ChecklistItem]:
    """The checklist items with these (template key, item key), each from the newest version holding it."""
    if not refs:
        return {}
    rows = session.execute(
        select(ChecklistTemplate.key, ChecklistItem)
        .join(TemplateVersion, ChecklistItem.version_id == TemplateVersion.id)
        .join(ChecklistTemplate, TemplateVersion.template_id == ChecklistTemplate.id)
        .where(ChecklistTemplate.key.in_({t for t, _ in refs}), ChecklistItem.key.in_({k for _, k in refs}))
        .order_by(TemplateVersion.version)).all()
    return {(t, item.key): item for t, item in rows if (t, item.key) in refs}


# Rankings --------------------------------------------------------------------------------------


@dataclass
class RankRow:
    node: OrgNode  # a unit; in a district's row, its bureau (the city bureau for the units under it, 市直单位)
    value: float
    count: int = 0  # inspections behind an average; tickets behind a count

    @property
    def node_id(self) -> int:
        return self.node.id

    @property
    def name(self) -> str:
        return self.node.name


@dataclass
class Rankings:
    districts_by_score: list[RankRow]
    districts_by_overdue: list[RankRow]
    units_by_score: list[RankRow]
    units_by_overdue: list[RankRow]
    district_count: int
    units_with_overdue: int


def rankings(ctx: Context, limit: int = 10) -> Rankings:
    """Districts and units by average inspection score (lowest first) and by overdue tickets (most first).

    A unit's district is its parent: a district bureau, or the city bureau for units directly under it
    (市直单位). Averages are over the inspections done in the period, each inspection weighing the same.
    The database ranks and cuts the units' lists, so only ten rows of each come back."""
    preset = _kept_preset(ctx)
    if preset is not None:
        from . import presets

        return presets.rankings(ctx, preset, limit)
    scored = ctx.base("inspections").where(Inspection.score.is_not(None))
    average = mean_score(func.sum(tenths(Inspection.score)), func.count()).label("average")
    n = func.count().label("n")
    units_by_score = ctx.session.execute(
        scored.with_only_columns(Inspection.unit_id, average, n).group_by(Inspection.unit_id)
        .order_by(average, n.desc(), Inspection.unit_id).limit(limit)).all()
    districts_by_score = ctx.session.execute(
        scored.join(OrgNode, OrgNode.id == Inspection.unit_id)
        .with_only_columns(OrgNode.parent_id, average, n).group_by(OrgNode.parent_id)
        .order_by(average, OrgNode.parent_id)).all()
    overdue = listing(ctx, "backlog_overdue")
    units_by_overdue = ctx.session.execute(
        overdue.with_only_columns(Ticket.unit_id, n).group_by(Ticket.unit_id)
        .order_by(n.desc(), Ticket.unit_id).limit(limit)).all()
    districts_by_overdue = ctx.session.execute(
        overdue.join(OrgNode, OrgNode.id == Ticket.unit_id)
        .with_only_columns(OrgNode.parent_id, n, func.count(Ticket.unit_id.distinct()))
        .group_by(OrgNode.parent_id).order_by(n.desc(), OrgNode.parent_id)).all()

    ids = ({r[0] for r in units_by_score} | {r[0] for r in units_by_overdue} | {r[0] for r in districts_by_score}
           | {r[0] for r in districts_by_overdue})
    nodes = nodes_by_id(ctx.session, ids)
    district_ids = ctx.district_ids()
    return Rankings(
        districts_by_score=[RankRow(nodes[d], round(float(v), 1), c) for d, v, c in districts_by_score if d in nodes],
        districts_by_overdue=[RankRow(nodes[d], c, c) for d, c, _u in districts_by_overdue if d in nodes],
        units_by_score=[RankRow(nodes[u], round(float(v), 1), c) for u, v, c in units_by_score],
        units_by_overdue=[RankRow(nodes[u], c, c) for u, c in units_by_overdue],
        district_count=len(district_ids),
        units_with_overdue=sum(u for _d, _c, u in districts_by_overdue),  # a unit has one district
    )


def nodes_by_id(session: Session, ids) -> dict[int, OrgNode]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {node.id: node for node in session.scalars(select(OrgNode).where(OrgNode.id.in_(ids)))}


# Self-assessment against inspection ------------------------------------------------------------


def gap_query(ctx: Context) -> Select:
    """Per unit that, in the period, both completed a self-inspection (自查) and had a bureau inspection of
    the chosen kinds: the mean self score, the mean bureau score and the gap (self − bureau), largest gap
    first: the units rating themselves far above what the inspectors found. Rows: (unit_id, self_score,
    self_count, bureau_score, bureau_count, gap)."""
    bureau_kinds = tuple(k for k in ctx.filters.kinds if k != InspectionKind.SELF) or BUREAU_KINDS
    is_self = Inspection.kind == InspectionKind.SELF
    self_n = func.count(case((is_self, 1)))
    bureau_n = func.count(case((~is_self, 1)))
    self_score = mean_score(func.sum(case((is_self, tenths(Inspection.score)))), self_n)
    bureau_score = mean_score(func.sum(case((~is_self, tenths(Inspection.score)))), bureau_n)
    gap = (self_score - bureau_score).label("gap")
    return (
        select(Inspection.unit_id, self_score.label("self_score"), self_n.label("self_count"),
               bureau_score.label("bureau_score"), bureau_n.label("bureau_count"), gap)
        .where(*ctx.inspection_conditions(kinds=(InspectionKind.SELF, *bureau_kinds)),
               Inspection.score.is_not(None))
        .group_by(Inspection.unit_id)
        .having(self_n > 0, bureau_n > 0)
    )


@dataclass
class GapRow:
    unit_id: int
    name: str
    self_score: float
    self_count: int
    bureau_score: float
    bureau_count: int

    @property
    def gap(self) -> float:
        return round(self.self_score - self.bureau_score, 1)


def gap_rows(ctx: Context, *, limit: int | None = None, offset: int = 0) -> tuple[list[GapRow], int]:
    """A page of the gap list, and how many units it holds in all (one query: a window count)."""
    preset = _kept_preset(ctx)
    if preset is not None:
        from . import presets

        return presets.gap_rows(ctx, preset, limit=limit, offset=offset)
    sub = gap_query(ctx).subquery()
    stmt = (select(sub, OrgNode.name, func.count().over().label("total")).join(OrgNode, OrgNode.id == sub.c.unit_id)
            .order_by(sub.c.gap.desc(), OrgNode.name, sub.c.unit_id).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = ctx.session.execute(stmt).all()
    total = rows[0].total if rows else (gap_count(ctx) if offset else 0)
    return [GapRow(r.unit_id, r.name, round(float(r.self_score), 1), r.self_count, round(float(r.bureau_score), 1),
                   r.bureau_count) for r in rows], total


def gap_count(ctx: Context) -> int:
    return ctx.session.scalar(select(func.count()).select_from(gap_query(ctx).subquery())) or 0
