"""Leadership figures, as aggregate queries.

Every figure on the dashboard is a count, or a ratio of two counts, over one of five *bases*:

- ``inspections``: inspections done in the period: kind among the chosen kinds, status submitted, issued or
  closed (so never cancelled), submitted within the period (local dates);
- ``units``: the active units in scope;
- ``findings``: the active findings (not dropped, not merged) of the inspections done in the period;
- ``tickets``: the rectification tickets created in the period, of inspections of the chosen kinds;
- ``backlog``: the tickets unfinished today (open, responded or returned), whenever they were created.

A figure is its base narrowed by one predicate (a ``Measure``). The dashboard counts every measure of a base in
one aggregate query; the drill-down list behind a figure is the same base with the same predicate, so the
list's length is the figure by construction, and the tests check it.

Scope comes from ``authz.visible_unit_ids``: a leader or inspector sees their subtree, an officer their unit.
Dates: timestamps are stored in naive UTC; the period, due dates and "today" are local (``clock``).
Nothing here is cached: tickets change state every day, and a leader must not see yesterday's overdue count.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Date, Integer, Select, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from .. import authz, clock
from ..models import (
    ChecklistItem,
    ChecklistTemplate,
    Finding,
    FindingStatus,
    Inspection,
    InspectionKind,
    InspectionStatus,
    NodeKind,
    OrgNode,
    Role,
    TemplateVersion,
    Ticket,
    TicketStatus,
    User,
)

BUREAU_KINDS = (InspectionKind.ROUTINE, InspectionKind.SPECIAL, InspectionKind.SPOT)
ALL_KINDS = (*BUREAU_KINDS, InspectionKind.SELF)
ANY_KIND = "any"  # every kind, self-inspections included: a unit's own view
DONE_STATUSES = (InspectionStatus.SUBMITTED, InspectionStatus.ISSUED, InspectionStatus.CLOSED)
UNFINISHED = (TicketStatus.OPEN, TicketStatus.RESPONDED, TicketStatus.RETURNED)
DUE_SOON_DAYS = 7
# The eight areas of the checklist library, in the order the bureau reports them.
AREAS = ("responsibility", "education", "classification", "personnel", "carrier", "network", "key_department",
         "meeting")
# 定密、网络、涉密人员: the "three managements" every inspection report speaks to.
THREE_MANAGEMENTS = ("classification", "network", "personnel")
SEVERITIES = ("critical", "serious", "general")
EARLIEST = date(2000, 1, 1)
MAX_SPAN_DAYS = 366 * 10


# The period ------------------------------------------------------------------------------------

PERIOD_PRESETS = {
    "12m": _l("近12个月"),
    "ytd": _l("本年度"),
    "last_year": _l("上一年度"),
    "3y": _l("近3年"),
    "all": _l("全部"),
}
DEFAULT_PERIOD = "12m"


def _months_back(day: date, months: int) -> date:
    """The first day of the month `months` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def period_bounds(preset: str, today: date) -> tuple[date, date]:
    """(first day, last day) of a named period, both local and inclusive."""
    if preset == "ytd":
        return date(today.year, 1, 1), today
    if preset == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if preset == "3y":
        return _months_back(today, 35), today
    if preset == "all":
        return EARLIEST, today
    return _months_back(today, 11), today


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The stored (naive UTC) instants [from, to) covering local days `start` through `end`."""
    zone = clock.timezone()

    def instant(day: date) -> datetime:
        return datetime.combine(day, time.min, zone).astimezone(UTC).replace(tzinfo=None)

    return instant(start), instant(end + timedelta(days=1))


@dataclass(frozen=True)
class Filters:
    """What the leader chose: a period (local days, inclusive), and optionally a district, a unit type, an
    inspection kind (None: the three bureau kinds) and, for drill-downs, one unit."""

    start: date
    end: date
    district_id: int | None = None  # the parent node of the units: a district bureau, or the city for 市直 units
    unit_type: str | None = None
    kind: str | None = None
    unit_id: int | None = None
    preset: str | None = DEFAULT_PERIOD

    @classmethod
    def for_preset(cls, preset: str = DEFAULT_PERIOD, today: date | None = None, **kwargs) -> Filters:
        start, end = period_bounds(preset, today or clock.local_today())
        return cls(start=start, end=end, preset=preset, **kwargs)

    @property
    def kinds(self) -> tuple[str, ...]:
        if self.kind == ANY_KIND:
            return ALL_KINDS
        return (self.kind,) if self.kind else BUREAU_KINDS

    @property
    def is_self(self) -> bool:
        return self.kind == InspectionKind.SELF

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1),
                       preset=None)


# The query context -----------------------------------------------------------------------------


class Context:
    """One user's view of the figures under one set of filters, on one database session."""

    def __init__(self, session: Session, actor: User, filters: Filters, today: date | None = None):
        self.session = session
        self.actor = actor
        self.filters = filters
        self.today = today or clock.local_today()
        self.dialect = session.get_bind().dialect.name
        self.lo, self.hi = utc_bounds(filters.start, filters.end)

    def with_filters(self, **changes) -> Context:
        return Context(self.session, self.actor, replace(self.filters, **changes), self.today)

    # Scope

    def unit_ids(self) -> Select:
        """The ids of the units in the user's scope narrowed by the filters (active or not: history counts)."""
        stmt = authz.visible_unit_ids(self.actor)
        f = self.filters
        if f.district_id is not None:
            stmt = stmt.where(OrgNode.parent_id == f.district_id)
        if f.unit_type:
            stmt = stmt.where(OrgNode.unit_type == f.unit_type)
        if f.unit_id is not None:
            stmt = stmt.where(OrgNode.id == f.unit_id)
        return stmt

    def in_scope(self, column) -> ColumnElement:
        """`column` (a unit id) lies among the units in scope.

        Over a whole city or district SQLite would otherwise walk the index unit by unit through thousands
        of units; `+ 0` keeps it off that index (its documented way to steer the planner), so it reads the
        period's rows by date instead. For one unit the unit index is the right road and stays open.
        """
        return self.off_index(column).in_(self.unit_ids())

    @property
    def narrow(self) -> bool:
        return self.one_unit is not None

    @property
    def one_unit(self) -> int | None:
        """The one unit the figures are about (a drill-down to a unit, or an officer's own), else None."""
        if self.filters.unit_id is not None:
            return self.filters.unit_id
        return self.actor.org_node_id if self.actor.role == Role.OFFICER else None

    def off_index(self, column) -> ColumnElement:
        return column + 0 if self.dialect == "sqlite" and not self.narrow else column

    # Local dates in SQL

    def local_day(self, column) -> ColumnElement:
        """The local calendar date of a stored UTC timestamp, as the database computes it: shifted by the zone's
        offset (China keeps no summer time), which both databases do in plain arithmetic, far cheaper per row
        than a time-zone lookup."""
        if self.dialect == "postgresql":
            return cast(column + self._offset(), Date)
        return func.date(column, self._sqlite_shift())

    def _offset(self) -> timedelta:
        return clock.timezone().utcoffset(datetime.combine(self.filters.end, time.min)) or timedelta(0)

    def days_between(self, later, earlier) -> ColumnElement:
        """Whole local days from timestamp `earlier` to timestamp `later`."""
        if self.dialect == "postgresql":
            return self.local_day(later) - self.local_day(earlier)
        # The local day number is floor(julianday(local time) + 0.5): julianday counts from noon. SQLite keeps
        # julian days as whole milliseconds, so a local midnight lands exactly on the boundary, never beside it;
        # two calls a ticket instead of four through date().
        shift = self._sqlite_shift()

        def day_number(column):
            return cast(func.julianday(column, shift) + 0.5, Integer)

        return day_number(later) - day_number(earlier)

    def _sqlite_shift(self) -> str:
        return f"{int(self._offset().total_seconds() // 60):+d} minutes"

    def bucket(self, column, bounds: list[datetime]) -> ColumnElement:
        """The index of the bucket [bounds[i], bounds[i+1]) a timestamp falls in: a CASE that halves the range
        at each step, so 36 months cost six comparisons a row, not thirty-six (portable: no date functions)."""

        def split(first: int, last: int) -> ColumnElement:  # buckets first..last, inclusive
            if first == last:
                return literal(first)
            middle = (first + last + 1) // 2
            return case((column < bounds[middle], split(first, middle - 1)), else_=split(middle, last))

        return split(0, len(bounds) - 2)

    # The five bases

    def inspection_conditions(self, kinds: tuple[str, ...] | None = None) -> list[ColumnElement]:
        return [
            Inspection.kind.in_(kinds or self.filters.kinds),
            Inspection.status.in_(DONE_STATUSES),
            Inspection.submitted_at >= self.lo,
            Inspection.submitted_at < self.hi,
            self.in_scope(Inspection.unit_id),
        ]

    def base(self, name: str) -> Select:
        """The select of the rows a base holds (entities), with the base's conditions."""
        if name == "inspections":
            return select(Inspection).select_from(Inspection).where(*self.inspection_conditions())
        if name == "units":
            return select(OrgNode).select_from(OrgNode).where(
                OrgNode.kind == NodeKind.UNIT, OrgNode.active.is_(True), OrgNode.id.in_(self.unit_ids()))
        if name == "findings":
            stmt = (select(Finding).select_from(Finding)
                    .join(Inspection, Finding.inspection_id == Inspection.id)
                    .where(Finding.status == FindingStatus.ACTIVE, *self.inspection_conditions()))
            # For one unit, its own unit_id (the inspection's, on every unit-owned row) is the short road.
            return stmt.where(Finding.unit_id == self.one_unit) if self.narrow else stmt
        # Tickets are scoped through their inspection (same unit, and it has the kind), read by creation date
        # or by status, never unit by unit over a city; each looks its inspection up by primary key.
        if name == "tickets":
            stmt = (select(Ticket).select_from(Ticket)
                    .join(Inspection, Ticket.inspection_id == Inspection.id)
                    .where(Ticket.created_at >= self.lo, Ticket.created_at < self.hi,
                           Inspection.kind.in_(self.filters.kinds), self.in_scope(Inspection.unit_id)))
            return stmt.where(Ticket.unit_id == self.one_unit) if self.narrow else stmt
        if name == "backlog":
            stmt = (select(Ticket).select_from(Ticket)
                    .join(Inspection, Ticket.inspection_id == Inspection.id)
                    .where(Ticket.status.in_(UNFINISHED), Inspection.kind.in_(self.filters.kinds),
                           self.in_scope(Inspection.unit_id)))
            return stmt.where(Ticket.unit_id == self.one_unit) if self.narrow else stmt
        raise KeyError(name)

    def covered_unit_ids(self) -> Select:
        return select(Inspection.unit_id).where(*self.inspection_conditions())


# The figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One figure: a base narrowed by a predicate, with its name and one-line definition."""

    key: str
    base: str
    label: object
    definition: object
    where: Callable[[Context], ColumnElement | None] = lambda ctx: None


def _on_time(ctx: Context) -> ColumnElement:
    return and_(Ticket.status == TicketStatus.ACCEPTED, ctx.local_day(Ticket.accepted_at) <= Ticket.due_date)


MEASURES: dict[str, Measure] = {m.key: m for m in [
    Measure("inspections", "inspections", _l("完成检查"),
            _l("本期提交的检查次数（含已下发整改、已办结），不含已取消和未提交的。")),
    Measure("inspections_failing", "inspections", _l("不符合要求"),
            _l("本期完成的检查中，结论为“不符合要求”（低于80分或否决项不符合）的次数。"),
            lambda ctx: Inspection.band == "fails"),
    Measure("units_active", "units", _l("在册单位"), _l("范围内启用中的单位数。")),
    Measure("units_covered", "units", _l("已检查单位"),
            _l("范围内启用中的单位中，本期至少完成一次所选类型检查的单位数。"),
            lambda ctx: OrgNode.id.in_(ctx.covered_unit_ids())),
    Measure("units_uncovered", "units", _l("未检查单位"),
            _l("范围内启用中的单位中，本期尚未完成所选类型检查的单位数。"),
            lambda ctx: OrgNode.id.not_in(ctx.covered_unit_ids())),
    Measure("findings", "findings", _l("发现问题"),
            _l("本期完成的检查发现的问题数（不符合、基本符合各计一个），不含复核时撤销或合并的。")),
    Measure("findings_critical", "findings", _l("重大泄密隐患"), _l("本期发现问题中定为重大泄密隐患的。"),
            lambda ctx: Finding.severity == "critical"),
    Measure("findings_serious", "findings", _l("严重问题"), _l("本期发现问题中定为严重问题的。"),
            lambda ctx: Finding.severity == "serious"),
    Measure("findings_general", "findings", _l("一般问题"), _l("本期发现问题中定为一般问题的。"),
            lambda ctx: Finding.severity == "general"),
    Measure("findings_repeat", "findings", _l("屡查屡犯"),
            _l("本期发现问题中，同一单位24个月内在同一检查项上已被查出过的。"),
            lambda ctx: Finding.is_repeat.is_(True)),
    Measure("tickets_issued", "tickets", _l("下发整改事项"),
            _l("本期下发的整改事项数，不含已撤销的。整改完成率的分母。"),
            lambda ctx: Ticket.status != TicketStatus.CANCELLED),
    Measure("tickets_accepted", "tickets", _l("已销号"),
            _l("本期下发的整改事项中，经复查已销号的。"),
            lambda ctx: Ticket.status == TicketStatus.ACCEPTED),
    Measure("tickets_on_time", "tickets", _l("按期销号"),
            _l("已销号事项中，销号日期不晚于整改期限（含批准延期后的期限）的；到期当天销号算按期。"),
            _on_time),
    Measure("tickets_late", "tickets", _l("超期销号"),
            _l("已销号事项中，销号日期晚于整改期限的。"),
            lambda ctx: and_(Ticket.status == TicketStatus.ACCEPTED,
                             ctx.local_day(Ticket.accepted_at) > Ticket.due_date)),
    Measure("backlog", "backlog", _l("未完成整改"),
            _l("截至今天尚未销号、也未撤销的整改事项（整改中、已报送、已退回），不论何时下发。")),
    Measure("backlog_overdue", "backlog", _l("逾期未改"),
            _l("未完成整改事项中，整改期限早于今天的。"),
            lambda ctx: Ticket.due_date < ctx.today),
    Measure("backlog_due_soon", "backlog", _l("7日内到期"),
            _l("未完成整改事项中，整改期限在今天起7日内的。"),
            lambda ctx: and_(Ticket.due_date >= ctx.today,
                             Ticket.due_date <= ctx.today + timedelta(days=DUE_SOON_DAYS))),
    Measure("backlog_returned", "backlog", _l("退回重改"),
            _l("未完成整改事项中，整改情况被退回、尚待重新报送的。"),
            lambda ctx: Ticket.status == TicketStatus.RETURNED),
]}


def ratio(numerator: int, denominator: int) -> float | None:
    """A share in percent, or None when there is nothing to divide."""
    return round(numerator * 100 / denominator, 1) if denominator else None


@dataclass
class Figures:
    """Every headline figure of one context. Ratios are in percent; None means "no data", shown as —."""

    counts: dict[str, int]
    median_days: float | None

    def __getitem__(self, key: str) -> int:
        return self.counts[key]

    @property
    def coverage(self) -> float | None:
        """检查覆盖率: units covered / active units in scope."""
        return ratio(self.counts["units_covered"], self.counts["units_active"])

    @property
    def completion_rate(self) -> float | None:
        """整改完成率: accepted / tickets created in the period and not cancelled."""
        return ratio(self.counts["tickets_accepted"], self.counts["tickets_issued"])

    @property
    def on_time_rate(self) -> float | None:
        """按期完成率: accepted on or before the due date / accepted."""
        return ratio(self.counts["tickets_on_time"], self.counts["tickets_accepted"])


def _count_column(ctx: Context, measure: Measure) -> ColumnElement:
    condition = measure.where(ctx)
    return func.count() if condition is None else func.count(case((condition, 1)))


def count_measures(ctx: Context, base: str) -> dict[str, int]:
    """Every measure of one base, in one aggregate query."""
    return _sum_groups(*measure_groups(ctx, base))


def measure_groups(ctx: Context, base: str, dims=(), extra=()) -> tuple[list[Measure], list]:
    """Every measure of one base counted per group of `dims` (with `extra` aggregates after the counts), in
    one query: the dashboard reads its figures and its charts of the same rows off one pass."""
    measures = [m for m in MEASURES.values() if m.base == base]
    stmt = ctx.base(base).with_only_columns(*dims, *(_count_column(ctx, m) for m in measures), *extra)
    if dims:
        stmt = stmt.group_by(*dims)
    return measures, [(tuple(row[:len(dims)]), row[len(dims):]) for row in ctx.session.execute(stmt)]


def _sum_groups(measures: list[Measure], groups: list) -> dict[str, int]:
    totals = dict.fromkeys((m.key for m in measures), 0)
    for _dims, values in groups:
        for m, value in zip(measures, values[:len(measures)], strict=True):
            totals[m.key] += int(value or 0)
    return totals


def count(ctx: Context, key: str) -> int:
    return count_measures(ctx, MEASURES[key].base)[key]


def days_to_close(ctx: Context) -> ColumnElement:
    """Whole local days from a ticket's creation to its acceptance; NULL for a ticket not accepted. (The
    acceptance test sits in a CASE rather than the WHERE, so the tickets are still read by date.)"""
    return case((Ticket.status == TicketStatus.ACCEPTED, ctx.days_between(Ticket.accepted_at, Ticket.created_at)))


def median_days_to_close(ctx: Context) -> float | None:
    """整改用时中位数: the median, over tickets created in the period and accepted, of the whole local days from
    the ticket's creation to its acceptance. The database counts tickets per number of days; the median is
    read off that histogram, so no ticket row leaves the database."""
    days = days_to_close(ctx).label("days")
    rows = ctx.session.execute(ctx.base("tickets").with_only_columns(days, func.count()).group_by(days)).all()
    return _median_of_groups(rows)


def _median_of_groups(rows) -> float | None:
    return histogram_median(sorted((int(d), int(n)) for d, n in rows if d is not None))


def histogram_median(histogram: list[tuple[int, int]]) -> float | None:
    """The median of values given as sorted (value, how many) pairs."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]  # the one or two middle positions, 0-based
    found, seen = [], 0
    for value, n in histogram:
        while middle and middle[0] < seen + n:
            found.append(value)
            middle.pop(0)
        seen += n
    return statistics.fmean(found)


def figures(ctx: Context) -> Figures:
    """The headline figures alone (the dashboard gets them from `overview`, with its charts)."""
    counts: dict[str, int] = {}
    for base in ("inspections", "units", "findings", "tickets", "backlog"):
        counts.update(count_measures(ctx, base))
    return Figures(counts=counts, median_days=median_days_to_close(ctx))


# Drill-down lists ------------------------------------------------------------------------------

FINDING_FILTERS = ("severity", "category", "item", "repeat")


def listing(ctx: Context, key: str, **narrow) -> Select:
    """The rows behind figure `key`: its base with its predicate, and optionally narrowed further by
    `finding_conditions` (a chart's bar) for findings."""
    measure = MEASURES[key]
    stmt = ctx.base(measure.base)
    condition = measure.where(ctx)
    if condition is not None:
        stmt = stmt.where(condition)
    if measure.base == "findings":
        stmt = stmt.where(*finding_conditions(**narrow))
    return stmt


def finding_conditions(*, severity: str | None = None, category: str | None = None,
                       item: tuple[str, str] | None = None, repeat: bool | None = None) -> list[ColumnElement]:
    conditions = []
    if severity:
        conditions.append(Finding.severity == severity)
    if category:
        conditions.append(Finding.category == category)
    if item:
        conditions += [Finding.template_key == item[0], Finding.item_key == item[1]]
    if repeat:
        conditions.append(Finding.is_repeat.is_(True))
    return conditions


# Charts' data ----------------------------------------------------------------------------------


@dataclass
class AreaRow:
    category: str
    by_severity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))

    @property
    def total(self) -> int:
        return sum(self.by_severity.values())


@dataclass
class TrendPoint:
    label: str
    start: date
    end: date
    inspections: int = 0
    score_sum: float = 0.0
    scored: int = 0
    findings: int = 0
    repeat: int = 0

    @property
    def average_score(self) -> float | None:
        return round(self.score_sum / self.scored, 1) if self.scored else None

    @property
    def findings_per_inspection(self) -> float | None:
        return round(self.findings / self.inspections, 1) if self.inspections else None


def trend_buckets(start: date, end: date) -> list[tuple[str, date, date]]:
    """Months for periods up to three years, quarters up to ten, years beyond: (label, first, last day)."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = 1 if months <= 36 else 3 if months <= 120 else 12
    first = date(start.year, 1 if step == 12 else start.month - (start.month - 1) % step, 1)
    buckets = []
    while first <= end:
        nxt = _months_back(first, -step)
        label = (f"{first:%Y-%m}" if step == 1 else f"{first.year}Q{(first.month - 1) // 3 + 1}" if step == 3
                 else str(first.year))
        buckets.append((label, max(first, start), min(nxt - timedelta(days=1), end)))
        first = nxt
    return buckets


@dataclass
class Breakdown:
    """The period's findings by area and severity, and its inspections and findings over time."""

    areas: list[AreaRow]
    trend: list[TrendPoint]
    previous: TrendPoint | None = None  # the period of the same length before, when asked for

    @property
    def average_score(self) -> float | None:
        scored = sum(p.scored for p in self.trend)
        return round(sum(p.score_sum for p in self.trend) / scored, 1) if scored else None


def overview(ctx: Context, with_previous: bool = False) -> tuple[Figures, Breakdown]:
    """The headline figures with the area chart and the trend, one aggregate query per base: inspections per
    month (or quarter, year) with their scores; findings per month, area, severity and repeat flag; tickets
    per number of days to close (the median's histogram). Each figure is its measure's CASE count summed
    over the period's groups, so it is exactly `count_measures`.

    With `with_previous`, the inspections query also reads the period of the same length before, as one more
    bucket in front, and one count gives that period's findings, for the comparison; they count in no figure.

    Areas: the eight always (zero included), then any other category with findings (the self-assessment
    form's). Trend: leading empty buckets are left out for "all time", so it starts at the first inspection."""
    f = ctx.filters
    points = [TrendPoint(label, s, e) for label, s, e in trend_buckets(f.start, f.end)]
    bounds = [utc_bounds(p.start, p.start)[0] for p in points] + [ctx.hi]
    scan = ctx
    if with_previous:
        before = f.previous()
        points.insert(0, TrendPoint("previous", before.start, before.end))
        scan = ctx.with_filters(start=before.start, preset=None)
        bounds.insert(0, scan.lo)
    first = 1 if with_previous else 0  # the index of the period's own first bucket
    bucket = ctx.bucket(Inspection.submitted_at, bounds).label("bucket")
    counts: dict[str, int] = {}

    measures, groups = measure_groups(scan, "inspections", dims=(bucket,),
                                      extra=(func.sum(Inspection.score), func.count(Inspection.score)))
    counts.update(_sum_groups(measures, [g for g in groups if g[0][0] >= first]))
    done = [m.key for m in measures].index("inspections")
    for (i,), values in groups:
        point = points[i]
        point.inspections, point.score_sum, point.scored = values[done], float(values[-2] or 0), values[-1]

    measures, groups = measure_groups(ctx, "findings",
                                      dims=(bucket, Finding.category, Finding.severity, Finding.is_repeat))
    counts.update(_sum_groups(measures, groups))
    areas = {c: AreaRow(c) for c in AREAS}
    found = [m.key for m in measures].index("findings")
    for (i, category, severity, repeat), values in groups:
        n = values[found]
        points[i].findings += n
        points[i].repeat += n if repeat else 0
        row = areas.setdefault(category, AreaRow(category))
        row.by_severity[severity] = row.by_severity.get(severity, 0) + n
    if with_previous:
        # A plain count reads the earlier period's findings for a fraction of what grouping them would cost.
        points[0].findings = scan.session.scalar(
            ctx.with_filters(start=points[0].start, end=points[0].end, preset=None).base("findings")
            .with_only_columns(func.count())) or 0

    days = days_to_close(ctx).label("days")
    measures, groups = measure_groups(ctx, "tickets", dims=(days,), extra=(func.count(),))
    counts.update(_sum_groups(measures, groups))
    median = _median_of_groups([(d, values[-1]) for (d,), values in groups])

    counts.update(count_measures(ctx, "units"))
    counts.update(count_measures(ctx, "backlog"))
    previous = points.pop(0) if with_previous else None
    while points and not points[0].inspections and f.preset == "all":
        points.pop(0)
    return Figures(counts=counts, median_days=median), Breakdown(list(areas.values()), points, previous)


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
    node_id: int
    name: str
    value: float
    count: int = 0  # inspections behind an average; tickets behind a count
    is_bureau: bool = False  # the city bureau standing for its directly supervised units (市直)


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
    scored = ctx.base("inspections").where(Inspection.score.is_not(None))
    average = func.avg(Inspection.score).label("average")
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
    names = node_names(ctx.session, ids)
    bureaus = set(ctx.session.scalars(select(OrgNode.id).where(OrgNode.id.in_(ids),
                                                               OrgNode.kind == NodeKind.BUREAU))) if ids else set()
    district_ids = ctx.session.scalars(
        select(OrgNode.parent_id).where(OrgNode.id.in_(ctx.unit_ids())).distinct()).all()
    return Rankings(
        districts_by_score=[RankRow(d, names.get(d, ""), round(float(v), 1), c, d in bureaus)
                            for d, v, c in districts_by_score],
        districts_by_overdue=[RankRow(d, names.get(d, ""), c, c, d in bureaus) for d, c, _u in districts_by_overdue],
        units_by_score=[RankRow(u, names.get(u, ""), round(float(v), 1), c) for u, v, c in units_by_score],
        units_by_overdue=[RankRow(u, names.get(u, ""), c, c) for u, c in units_by_overdue],
        district_count=len(district_ids),
        units_with_overdue=sum(u for _d, _c, u in districts_by_overdue),  # a unit has one district
    )


def node_names(session: Session, ids) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return dict(session.execute(select(OrgNode.id, OrgNode.name).where(OrgNode.id.in_(ids))).all())


# Self-assessment against inspection ------------------------------------------------------------


def gap_query(ctx: Context) -> Select:
    """Per unit that, in the period, both completed a self-inspection (自查) and had a bureau inspection of
    the chosen kinds: the mean self score, the mean bureau score and the gap (self − bureau), largest gap
    first: the units rating themselves far above what the inspectors found. Rows: (unit_id, self_score,
    self_count, bureau_score, bureau_count, gap)."""
    bureau_kinds = tuple(k for k in ctx.filters.kinds if k != InspectionKind.SELF) or BUREAU_KINDS
    is_self = Inspection.kind == InspectionKind.SELF
    self_score = func.avg(case((is_self, Inspection.score)))
    bureau_score = func.avg(case((~is_self, Inspection.score)))
    self_n = func.count(case((is_self, 1)))
    bureau_n = func.count(case((~is_self, 1)))
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


# The dashboard as a whole ----------------------------------------------------------------------


@dataclass
class Comparison:
    """This period against the one of the same length before it."""

    average_score: float | None
    previous_average_score: float | None
    findings_per_inspection: float | None
    previous_findings_per_inspection: float | None

    @property
    def score_change(self) -> float | None:
        if self.average_score is None or self.previous_average_score is None:
            return None
        return round(self.average_score - self.previous_average_score, 1)

    @property
    def findings_change(self) -> float | None:
        if self.findings_per_inspection is None or self.previous_findings_per_inspection is None:
            return None
        return round(self.findings_per_inspection - self.previous_findings_per_inspection, 1)


def comparison(figures_now: Figures, now: Breakdown) -> Comparison | None:
    """Average score and findings per inspection, now and in the period of the same length before (read by
    `overview(…, with_previous=True)`)."""
    before = now.previous
    if before is None:
        return None
    return Comparison(
        average_score=now.average_score,
        previous_average_score=before.average_score,
        findings_per_inspection=(round(figures_now["findings"] / figures_now["inspections"], 1)
                                 if figures_now["inspections"] else None),
        previous_findings_per_inspection=before.findings_per_inspection,
    )


@dataclass
class Dashboard:
    figures: Figures
    breakdown: Breakdown
    items: list[ItemRow]
    rankings: Rankings
    gaps: list[GapRow]
    gap_total: int
    comparison: Comparison | None


def dashboard(ctx: Context) -> Dashboard:
    """Everything the leadership dashboard shows, in a fixed number of aggregate queries (no N+1)."""
    numbers, parts = overview(ctx, with_previous=ctx.filters.preset != "all")
    gaps, gap_total = gap_rows(ctx, limit=10)
    return Dashboard(
        figures=numbers,
        breakdown=parts,
        items=most_failed_items(ctx),
        rankings=rankings(ctx),
        gaps=gaps,
        gap_total=gap_total,
        comparison=comparison(numbers, parts),
    )


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
    and score, and the unfinished and overdue tickets (of any kind) today."""
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
               .where(Ticket.status.in_(UNFINISHED), Ticket.unit_id.in_(visible))
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
        .where(Ticket.unit_id.in_(ids), Ticket.status.in_(UNFINISHED)).group_by(Ticket.unit_id)):
        rows[unit_id].open, rows[unit_id].overdue = n, late
    return [rows[i] for i in ids]


def district_choices(session: Session, actor: User) -> list[OrgNode]:
    """The nodes a leader may filter by: the parents of the units in their scope (district bureaus, and the
    city bureau standing for its directly supervised units)."""
    parents = select(OrgNode.parent_id).where(OrgNode.id.in_(authz.visible_unit_ids(actor)))
    return list(session.scalars(select(OrgNode).where(OrgNode.id.in_(parents)).order_by(OrgNode.path)))

