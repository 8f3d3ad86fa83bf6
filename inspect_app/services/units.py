"""The units in scope and one unit's profile: its figures, score history and tickets, as aggregate queries; and
the units list as a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from .. import authz, clock
from ..labels import BAND_LABELS, UNIT_TYPE_LABELS, label
from ..models import (
    Finding,
    FindingStatus,
    Inspection,
    NodeKind,
    OrgNode,
    Ticket,
    User,
)
from ..models.inspection import BUREAU_KINDS, DONE_STATUSES
from ..models.rectification import UNFINISHED
from .dashboard import ANY_KIND, EARLIEST, Context, Filters, count, count_measures, listing
from .org import district_name
from .spreadsheets import Column, Export

# One unit --------------------------------------------------------------------------------------


@dataclass
class UnitSummary:
    """A unit's own figures, as its officer and its profile show them."""

    backlog: int
    overdue: int
    due_soon: int
    returned: int
    latest: list[Inspection]
    repeat_findings: int


def unit_context(session: Session, actor: User, unit: OrgNode, today: date | None = None) -> Context:
    """All of one unit's history, every kind of inspection."""
    today = today or clock.local_today()
    filters = Filters(start=EARLIEST, end=today, unit_id=unit.id, kind=ANY_KIND, preset="all")
    return Context(session, actor, filters, today)


def unit_summary(ctx: Context, latest: int = 5) -> UnitSummary:
    """A unit's figures (from a `unit_context`): its backlog as the dashboard counts it, its repeat findings of
    all time, and its latest completed inspections of any kind."""
    backlog = count_measures(ctx, "backlog")
    done = (select(Inspection).where(Inspection.unit_id.in_(ctx.unit_ids()), Inspection.status.in_(DONE_STATUSES))
            .order_by(Inspection.submitted_at.desc(), Inspection.id.desc()).limit(latest))
    return UnitSummary(
        backlog=backlog["backlog"],
        overdue=backlog["backlog_overdue"],
        due_soon=backlog["backlog_due_soon"],
        returned=backlog["backlog_returned"],
        latest=list(ctx.session.scalars(done)),
        repeat_findings=count(ctx, "findings_repeat"),
    )


@dataclass
class ScorePoint:
    day: date
    kind: str
    score: float
    inspection_id: int


@dataclass
class UnitProfile:
    unit: OrgNode
    summary: UnitSummary
    scores: list[ScorePoint]
    open_tickets: list[Ticket]
    repeat_findings: list[Finding]


def unit_profile(session: Session, actor: User, unit: OrgNode, today: date | None = None,
                 shown: int = 10) -> UnitProfile:
    """One unit's page: its figures, every scored inspection for the trend, the first tickets still open (by
    due date) and its latest repeat findings. The unit must already be loaded through authz."""
    ctx = unit_context(session, actor, unit, today)
    scores = session.execute(
        select(Inspection.submitted_at, Inspection.kind, Inspection.score, Inspection.id)
        .where(Inspection.unit_id == unit.id, Inspection.status.in_(DONE_STATUSES), Inspection.score.is_not(None))
        .order_by(Inspection.submitted_at, Inspection.id)).all()
    open_tickets = session.scalars(
        listing(ctx, "backlog").options(selectinload(Ticket.finding).joinedload(Finding.item))
        .order_by(Ticket.due_date, Ticket.id).limit(shown)).all()
    repeats = session.scalars(
        listing(ctx, "findings_repeat").options(contains_eager(Finding.inspection), joinedload(Finding.item),
                                                selectinload(Finding.repeat_of).joinedload(Finding.inspection))
        .order_by(Inspection.submitted_at.desc(), Finding.id.desc()).limit(shown)).all()
    return UnitProfile(
        unit=unit,
        summary=unit_summary(ctx),
        scores=[ScorePoint(clock.local_date(at), kind, score, iid) for at, kind, score, iid in scores],
        open_tickets=list(open_tickets),
        repeat_findings=list(repeats),
    )


def unit_history(unit: OrgNode) -> Select:
    """Every inspection of the unit, planned to closed, newest first."""
    return (select(Inspection).where(Inspection.unit_id == unit.id)
            .order_by(Inspection.scheduled_on.desc(), Inspection.id.desc()))


def finding_counts(session: Session, inspection_ids: list[int]) -> dict[int, int]:
    """Active findings per inspection, for a page of inspections, in one query."""
    if not inspection_ids:
        return {}
    return dict(session.execute(
        select(Finding.inspection_id, func.count())
        .where(Finding.inspection_id.in_(inspection_ids), Finding.status == FindingStatus.ACTIVE)
        .group_by(Finding.inspection_id)).all())


# The list of units -----------------------------------------------------------------------------


def units_query(session: Session, actor: User, *, search: str | None = None, district_id: int | None = None,
                unit_type: str | None = None, key_only: bool = False, include_inactive: bool = False,
                today: date | None = None) -> tuple[Select, dict[str, ColumnElement]]:
    """The units `actor` sees, filtered, with the columns to sort them by: the latest bureau inspection's date
    and score, and the unfinished and overdue tickets (of any kind of inspection; a case's 整改 counts among the
    incidents' figures, as on the dashboard) today."""
    today = today or clock.local_today()
    visible = authz.visible_unit_ids(actor)
    newest = func.row_number().over(partition_by=Inspection.unit_id,
                                    order_by=(Inspection.submitted_at.desc(), Inspection.id.desc()))
    ranked = (select(Inspection.unit_id, Inspection.submitted_at, Inspection.score, newest.label("rn"))
              .where(Inspection.kind.in_(BUREAU_KINDS), Inspection.status.in_(DONE_STATUSES),
                     Inspection.unit_id.in_(visible))
              .subquery())
    latest = select(ranked).where(ranked.c.rn == 1).subquery()
    backlog = (select(Ticket.unit_id, func.count().label("open"),
                      func.count(case((Ticket.due_date < today, 1))).label("overdue"))
               .where(Ticket.status.in_(UNFINISHED), Ticket.unit_id.in_(visible), Ticket.inspection_id.is_not(None))
               .group_by(Ticket.unit_id).subquery())
    stmt = (select(OrgNode).where(OrgNode.kind == NodeKind.UNIT, OrgNode.id.in_(visible))
            .outerjoin(latest, latest.c.unit_id == OrgNode.id).outerjoin(backlog, backlog.c.unit_id == OrgNode.id))
    if search:
        stmt = stmt.where(OrgNode.name.contains(search, autoescape=True)
                          | OrgNode.code.contains(search, autoescape=True))
    if district_id is not None:
        stmt = stmt.where(OrgNode.parent_id == district_id)
    if unit_type:
        stmt = stmt.where(OrgNode.unit_type == unit_type)
    if key_only:
        stmt = stmt.where(OrgNode.is_key_unit.is_(True))
    if not include_inactive:
        stmt = stmt.where(OrgNode.active.is_(True))
    columns = {
        "name": OrgNode.name, "code": OrgNode.code, "inspected": latest.c.submitted_at, "score": latest.c.score,
        "open": func.coalesce(backlog.c.open, 0), "overdue": func.coalesce(backlog.c.overdue, 0),
    }
    return stmt, columns


@dataclass
class UnitRow:
    unit: OrgNode
    inspected_at: datetime | None = None
    score: float | None = None
    band: str | None = None
    open: int = 0
    overdue: int = 0


def unit_rows(session: Session, units: list[OrgNode], today: date | None = None) -> list[UnitRow]:
    """A page of units with their latest bureau inspection and their tickets, in two queries."""
    today = today or clock.local_today()
    ids = [u.id for u in units]
    rows = {u.id: UnitRow(u) for u in units}
    if not ids:
        return []
    newest = func.row_number().over(partition_by=Inspection.unit_id,
                                    order_by=(Inspection.submitted_at.desc(), Inspection.id.desc()))
    ranked = (select(Inspection.unit_id, Inspection.submitted_at, Inspection.score, Inspection.band,
                     newest.label("rn"))
              .where(Inspection.unit_id.in_(ids), Inspection.kind.in_(BUREAU_KINDS),
                     Inspection.status.in_(DONE_STATUSES)).subquery())
    for unit_id, at, score, band, _rn in session.execute(select(ranked).where(ranked.c.rn == 1)):
        rows[unit_id].inspected_at, rows[unit_id].score, rows[unit_id].band = at, score, band
    for unit_id, n, late in session.execute(
        select(Ticket.unit_id, func.count(), func.count(case((Ticket.due_date < today, 1))))
        .where(Ticket.unit_id.in_(ids), Ticket.status.in_(UNFINISHED), Ticket.inspection_id.is_not(None))
        .group_by(Ticket.unit_id)):
        rows[unit_id].open, rows[unit_id].overdue = n, late
    return [rows[i] for i in ids]


# The list as a spreadsheet ---------------------------------------------------------------------------

UNIT_COLUMNS = [
    Column("单位", 30),
    Column("代码", 12),
    Column("所属区县", 18),
    Column("单位类型", 16),
    Column("重点单位", 10),
    Column("状态", 8),
    Column("最近检查日期", 14, "date"),
    Column("得分", 8, "decimal"),
    Column("检查结论", 14),
    Column("未完成整改", 12, "number"),
    Column("逾期", 8, "number"),
]


def units_export(session: Session, units: Select, filters: list[tuple[str, str]], today: date | None = None,
                 chunk: int = 500) -> Export:
    """The units of `units` (a `units_query`, ordered) with every column of the list, a chunk at a time."""
    today = today or clock.local_today()

    def rows() -> Iterator[list]:
        ids = session.scalars(units.with_only_columns(OrgNode.id)).all()
        with force_locale("zh"):
            for start in range(0, len(ids), chunk):
                part = ids[start:start + chunk]
                loaded = {u.id: u for u in session.scalars(
                    select(OrgNode).where(OrgNode.id.in_(part)).options(joinedload(OrgNode.parent)))}
                for row in unit_rows(session, [loaded[i] for i in part], today):
                    unit = row.unit
                    yield [unit.name, unit.code, district_name(unit.parent, short=True, chinese=True),
                           label(UNIT_TYPE_LABELS, unit.unit_type), "是" if unit.is_key_unit else "否",
                           "启用" if unit.active else "停用",
                           clock.local_date(row.inspected_at) if row.inspected_at else None,
                           row.score, label(BAND_LABELS, row.band) if row.band else "", row.open, row.overdue]

    return Export.table("units", "单位一览", UNIT_COLUMNS, rows(), filters)


def describe_unit_filters(*, search: str | None, district: OrgNode | None, unit_type: str | None,
                          key_only: bool, include_inactive: bool) -> list[tuple[str, str]]:
    """The units list's filters as the export's last sheet names them, in Chinese."""
    out = []
    with force_locale("zh"):
        if search:
            out.append(("名称或代码", search))
        if district is not None:
            out.append(("区县", district_name(district, chinese=True)))
        if unit_type:
            out.append(("单位类型", label(UNIT_TYPE_LABELS, unit_type)))
        if key_only:
            out.append(("只看重点单位", "是"))
        if include_inactive:
            out.append(("含已停用", "是"))
    return out
