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

Nothing here is cached: tickets change state every day, and a leader must not see yesterday's overdue count.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, func, select

from ...models import (
    Finding,
    Inspection,
    OrgNode,
    Ticket,
    TicketStatus,
)
from .context import AREAS, DUE_SOON_DAYS, SEVERITIES, Context, months_back, utc_bounds

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


def listing(ctx: Context, key: str, in_date_order: bool = False, **narrow) -> Select:
    """The rows behind figure `key`: its base with its predicate, and optionally narrowed further by
    `finding_conditions` (a chart's bar) for findings; `in_date_order` when they are listed by inspection date."""
    measure = MEASURES[key]
    stmt = ctx.base(measure.base, in_date_order=in_date_order)
    condition = measure.where(ctx)
    if condition is not None:
        stmt = stmt.where(condition)
    if measure.base == "findings":
        stmt = stmt.where(*finding_conditions(**narrow, steer=ctx.off_index if in_date_order else None))
    return stmt


def inspections_per_unit(ctx: Context, unit_ids: list[int]) -> dict[int, int]:
    """The inspections done in the period, per unit, for a page of the units list."""
    if not unit_ids:
        return {}
    return dict(ctx.session.execute(
        select(Inspection.unit_id, func.count()).where(*ctx.inspection_conditions(), Inspection.unit_id.in_(unit_ids))
        .group_by(Inspection.unit_id)).all())


def finding_conditions(*, severity: str | None = None, category: str | None = None,
                       item: tuple[str, str] | None = None, repeat: bool | None = None,
                       steer: Callable[[ColumnElement], ColumnElement] | None = None) -> list[ColumnElement]:
    """A chart bar's narrowing of the findings; `steer` (Context.off_index) keeps the severity and area off
    their indexes for a list walked in date order."""
    steer = steer or (lambda column: column)
    conditions = []
    if severity:
        conditions.append(steer(Finding.severity) == severity)
    if category:
        conditions.append(steer(Finding.category) == category)
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
        nxt = months_back(first, -step)
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
