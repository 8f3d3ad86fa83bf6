"""The dashboard's figures read from the rollups (services/analytics), for a leader's or inspector's view.

A period is read as its whole local months from the rollups, and any part-month at either end from the records
(measures.py), unless no record falls in the rest of that month, when the month's rollup row is exact for the
period too: so the presets, which end today, read no records at all. The result is what `measures.overview`
computes from the records, figure for figure; the tests compare the two.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlalchemy.orm import Session

from ...models import AnalyticsState, Finding, FindingStatus, Inspection, NodeKind, Ticket, TicketStatus
from ...models.analytics import (
    BacklogRollup,
    FindingRollup,
    InspectionRollup,
    ItemStanding,
    SliceStanding,
    TicketRollup,
)
from ..analytics import PRESETS, STALE, stored_windows, windows_for
from ..analytics.slices import as_date, month_start, next_month, scope_slice
from ..analytics.sources import DONE, NOT_ACCEPTED
from .context import AREAS, DUE_SOON_DAYS, SEVERITIES, Context, utc_bounds
from .measures import (
    AreaRow,
    Breakdown,
    Figures,
    TrendPoint,
    _median_of_groups,
    count_measures,
    days_to_close,
    measure_groups,
    trend_buckets,
)


def _any_record(lo: datetime, hi: datetime | None = None) -> ColumnElement[bool]:
    """An inspection was done, or a ticket made, at or after `lo` (and before `hi`): what the rollups' months hold."""
    done = exists().where(Inspection.status.in_(DONE), Inspection.submitted_at >= lo,
                          *([Inspection.submitted_at < hi] if hi else []))
    made = exists().where(Ticket.created_at >= lo, *([Ticket.created_at < hi] if hi else []))
    return done | made


def _rollups_state(ctx: Context) -> tuple[bool, bool]:
    """(the rollups are built and current, a record is dated after the period's end), asked in one query."""
    stale = exists().where(AnalyticsState.name == STALE)
    is_stale, later = ctx.session.execute(select(stale, _any_record(ctx.hi))).one()
    return not is_stale, bool(later)


def slice_of(ctx: Context) -> str | None:
    """The rollup slice holding `ctx`'s figures, or None when they are read from the records: one unit's view,
    a drill-down to one unit, or an installation whose rollups have not been built yet."""
    if "slice" not in ctx.memo:
        name = None
        if not ctx.narrow and ctx.use_rollups:
            name = scope_slice(ctx.actor.org_node, ctx.filters.district_id, ctx.filters.unit_type, ctx.filters.kind)
            if name is not None:
                current, ctx.memo["later records"] = _rollups_state(ctx)
                name = name if current else None
        ctx.memo["slice"] = name
    return ctx.memo["slice"]


@dataclass(frozen=True)
class Span:
    """A period cut at month boundaries: whole months read from the rollups (first..last, inclusive; none
    when first > last), and the part-months at the ends read from the records."""

    first: date
    last: date
    edges: tuple[tuple[date, date], ...]


def _quiet(session: Session, ranges: list[tuple[date, date]]) -> dict[tuple[date, date], bool]:
    """For each range of local days (first, last): no inspection was done, and no ticket made, within it (an empty
    range is quiet). One query for all of them."""
    asked = sorted({(first, last) for first, last in ranges if first <= last})
    tests = [_any_record(*utc_bounds(first, last)) for first, last in asked]
    found = session.execute(select(*tests)).one() if tests else ()
    return {**dict.fromkeys(ranges, True), **{r: not any_record for r, any_record in zip(asked, found, strict=True)}}


def spans(session: Session, periods: list[tuple[date, date]]) -> list[Span]:
    """Which months of each period the rollups can give, and which part-months must be read from the records."""
    day = timedelta(days=1)
    months = [(start, end, month_start(start), month_start(end)) for start, end in periods]
    quiet = _quiet(session, [rest for start, end, first, last in months
                             for rest in ((first, start - day), (end + day, next_month(last) - day))])
    cuts = []
    for start, end, first, last in months:
        edges = []
        if start != first and not quiet[(first, start - day)]:
            edges.append((start, min(end, next_month(first) - day)))
            first = next_month(first)
        if first <= last and not quiet[(end + day, next_month(last) - day)]:
            edges.append((max(start, last), end))
            last = month_start(last - day)
        cuts.append(Span(first, last, tuple(edges)))
    return cuts


# The standings of a preset ----------------------------------------------------------------------------

def preset_of(ctx: Context) -> str | None:
    """The preset whose standings hold `ctx`'s figures, or None."""
    if "preset" not in ctx.memo:
        ctx.memo["preset"] = _preset_of(ctx)
    return ctx.memo["preset"]


def _preset_of(ctx: Context) -> str | None:
    preset = ctx.filters.preset
    if preset not in PRESETS or slice_of(ctx) is None:
        return None
    window = stored_windows(ctx.session).get(preset)
    if window is None or window != windows_for(ctx.today)[preset]:
        return None
    if window[1] is None and ctx.memo["later records"]:
        return None  # records dated after the period's end (a clock set back): the window would hold them
    return preset


def scope_conditions(ctx: Context, table) -> list:
    """The conditions putting a unit's standing or backlog row in `ctx`'s scope (its unit type included)."""
    f = ctx.filters
    node = ctx.actor.org_node
    if f.district_id is not None:
        conditions = [table.parent_id == f.district_id]
    elif node.kind == NodeKind.BUREAU:
        conditions = [table.root_id == node.id]
    else:
        conditions = [table.parent_id == node.id]
    if f.unit_type:
        conditions.append(table.unit_type == f.unit_type)
    return conditions


def slice_standing(ctx: Context, preset: str) -> tuple[int, int, int]:
    """(units active, units covered, units in the gap list) of `ctx`'s slice in the preset's window."""
    key = ("standing", preset)
    if key not in ctx.memo:
        s = SliceStanding
        row = ctx.session.execute(select(s.units_active, s.units_covered, s.gap_units)
                                  .where(s.preset == preset, s.slice == slice_of(ctx))).first()
        ctx.memo[key] = tuple(int(v) for v in row) if row else (0, 0, 0)
    return ctx.memo[key]


# What the figures read -----------------------------------------------------------------------------------


@dataclass
class Counts:
    """The summable part of the overview, from the rollups and the edges alike."""

    inspections: dict[date, list[int]]  # month -> [inspections, failing, scored, score_tenths]
    findings: dict[tuple[date, str], list[int]]  # (month, category) -> [critical, serious, general, repeat]
    tickets: dict[int, list[int]]  # days -> [tickets, issued, accepted, on_time, late]
    edges: tuple[tuple[date, date], ...] = ()  # part-months left unread (the period before's: `edge_totals`)


def _add(target: dict, key, values) -> None:
    known = target.get(key)
    target[key] = [int(v or 0) for v in values] if known is None else [
        a + int(b or 0) for a, b in zip(known, values, strict=True)]


def read_months(session: Session, name: str, periods: list[tuple[date, date, Counts]],
                with_tickets: bool = True) -> None:
    """The whole months first..last of each period from the rollups, into its counts: one query per rollup for all
    the periods (the tickets, when asked for, of the first period only)."""
    tickets = periods[0] if with_tickets and periods[0][0] <= periods[0][1] else None
    periods = [(first, last, counts) for first, last, counts in periods if first <= last]
    if not periods:
        return
    lo, hi = min(p[0] for p in periods), max(p[1] for p in periods)

    def add(month: date, part: str, key, values) -> None:
        for first, last, counts in periods:
            if first <= month <= last:
                _add(getattr(counts, part), key, values)

    i = InspectionRollup
    for month, *values in session.execute(
            select(i.month, func.sum(i.inspections), func.sum(i.failing), func.sum(i.scored), func.sum(i.score_tenths))
            .where(i.slice == name, i.month >= lo, i.month <= hi).group_by(i.month)):
        add(as_date(month), "inspections", as_date(month), values)
    f = FindingRollup
    for month, category, *values in session.execute(
            select(f.month, f.category, func.sum(f.critical), func.sum(f.serious), func.sum(f.general),
                   func.sum(f.repeat))
            .where(f.slice == name, f.month >= lo, f.month <= hi).group_by(f.month, f.category)):
        add(as_date(month), "findings", (as_date(month), category), values)
    if tickets is None:
        return
    first, last, counts = tickets
    t = TicketRollup
    for days, *values in session.execute(
            select(t.days, func.sum(t.tickets), func.sum(t.issued), func.sum(t.accepted), func.sum(t.on_time),
                   func.sum(t.late))
            .where(t.slice == name, t.month >= first, t.month <= last).group_by(t.days)):
        _add(counts.tickets, days, values)


def read_edge(ctx: Context, start: date, end: date, counts: Counts, with_tickets: bool = True) -> None:
    """A part-month from the records, through the same bases the figures are defined on."""
    edge = ctx.with_filters(start=start, end=end, preset=None)
    month = month_start(start)
    measures, groups = measure_groups(edge, "inspections", extra=(func.count(Inspection.score),
                                                                  func.sum(Inspection.score)))
    keys = [m.key for m in measures]
    for _dims, values in groups:
        tenths = round(float(values[-1] or 0) * 10)
        _add(counts.inspections, month, [values[keys.index("inspections")],
                                         values[keys.index("inspections_failing")], values[-2], tenths])
    measures, groups = measure_groups(edge, "findings", dims=(Finding.category, Finding.severity, Finding.is_repeat))
    found = [m.key for m in measures].index("findings")
    for (category, severity, repeat), values in groups:
        n = values[found]
        row = [n if severity == s else 0 for s in SEVERITIES] + [n if repeat else 0]
        _add(counts.findings, (month, category), row)
    if not with_tickets:
        return
    days = days_to_close(edge).label("days")
    measures, groups = measure_groups(edge, "tickets", dims=(days,), extra=(func.count(),))
    keys = [m.key for m in measures]
    for (d,), values in groups:
        _add(counts.tickets, NOT_ACCEPTED if d is None else int(d),
             [values[-1], *(values[keys.index(k)] for k in ("tickets_issued", "tickets_accepted", "tickets_on_time",
                                                             "tickets_late"))])


def edge_totals(ctx: Context, start: date, end: date) -> tuple[int, int, int, int]:
    """(inspections, scored, score tenths, findings) of a part-month from the records, in one query: all that the
    comparison with the period before asks of it."""
    edge = ctx.with_filters(start=start, end=end, preset=None)
    findings = (select(func.count()).where(Finding.inspection_id == Inspection.id,
                                           Finding.status == FindingStatus.ACTIVE).scalar_subquery())
    n, scored, score, found = ctx.session.execute(edge.base("inspections").with_only_columns(
        func.count(), func.count(Inspection.score), func.sum(Inspection.score), func.sum(findings))).one()
    return n, scored, round(float(score or 0) * 10), int(found or 0)


def period_counts(ctx: Context, name: str, periods: list[tuple[date, date]], with_tickets: bool = True) -> list[Counts]:
    """The counts of each period (the tickets, when asked for, of the first only): the whole months of all of
    them read together from the rollups, the first period's part-months from the records; the others' are left
    in `edges`."""
    cuts = spans(ctx.session, periods)
    counts = [Counts({}, {}, {}, () if at == 0 else cut.edges) for at, cut in enumerate(cuts)]
    read_months(ctx.session, name, [(cut.first, cut.last, n) for cut, n in zip(cuts, counts, strict=True)],
                with_tickets)
    for edge_start, edge_end in cuts[0].edges:
        read_edge(ctx, edge_start, edge_end, counts[0], with_tickets)
    return counts


def backlog_counts(ctx: Context, name: str) -> dict[str, int]:
    b = BacklogRollup
    today = ctx.today
    row = ctx.session.execute(
        select(func.sum(b.tickets), func.sum(case((b.due_date < today, b.tickets), else_=0)),
               func.sum(case(((b.due_date >= today) & (b.due_date <= today + timedelta(days=DUE_SOON_DAYS)),
                              b.tickets), else_=0)),
               func.sum(case((b.status == TicketStatus.RETURNED, b.tickets), else_=0)))
        .where(b.slice == name)).one()
    return dict(zip(("backlog", "backlog_overdue", "backlog_due_soon", "backlog_returned"),
                    (int(v or 0) for v in row), strict=True))


def unit_counts(ctx: Context) -> dict[str, int]:
    """The units base, active and covered, from the preset's standings."""
    preset = preset_of(ctx)
    if preset is None:
        return count_measures(ctx, "units")
    active, covered, _gap = slice_standing(ctx, preset)
    return {"units_active": active, "units_covered": covered, "units_uncovered": active - covered}


def overview(ctx: Context, name: str, with_previous: bool = False):
    """`measures.overview`, from the rollups of slice `name`."""
    f = ctx.filters
    points = [TrendPoint(label, s, e) for label, s, e in trend_buckets(f.start, f.end)]
    before = f.previous() if with_previous else None
    both = period_counts(ctx, name, [(f.start, f.end)] + ([(before.start, before.end)] if before else []))
    counts = both[0]
    starts = [p.start for p in points]

    figures: dict[str, int] = dict.fromkeys(
        ("inspections", "inspections_failing", "findings", "findings_critical", "findings_serious",
         "findings_general", "findings_repeat", "tickets_issued", "tickets_accepted", "tickets_on_time",
         "tickets_late"), 0)
    tenths_of = [0] * len(points)
    for month, (n, failing, scored, tenths) in counts.inspections.items():
        index = max(0, bisect.bisect_right(starts, month) - 1)
        point = points[index]
        point.inspections += n
        point.scored += scored
        tenths_of[index] += tenths
        figures["inspections"] += n
        figures["inspections_failing"] += failing
    for point, tenths in zip(points, tenths_of, strict=True):
        point.score_sum = tenths / 10
    areas = {c: AreaRow(c) for c in AREAS}
    for (month, category), (critical, serious, general, repeat) in counts.findings.items():
        n = critical + serious + general
        point = points[max(0, bisect.bisect_right(starts, month) - 1)]
        point.findings += n
        point.repeat += repeat
        row = areas.setdefault(category, AreaRow(category))
        for severity, value in zip(SEVERITIES, (critical, serious, general), strict=True):
            row.by_severity[severity] += value
        figures["findings"] += n
        figures["findings_critical"] += critical
        figures["findings_serious"] += serious
        figures["findings_general"] += general
        figures["findings_repeat"] += repeat
    histogram = []
    for days, (_tickets, issued, accepted, on_time, late) in counts.tickets.items():
        figures["tickets_issued"] += issued
        figures["tickets_accepted"] += accepted
        figures["tickets_on_time"] += on_time
        figures["tickets_late"] += late
        if days != NOT_ACCEPTED and accepted:
            histogram.append((days, accepted))
    figures.update(unit_counts(ctx))
    figures.update(backlog_counts(ctx, name))

    previous = None
    if before is not None:
        earlier = both[1]
        totals = [sum(v[0] for v in earlier.inspections.values()), sum(v[2] for v in earlier.inspections.values()),
                  sum(v[3] for v in earlier.inspections.values()),
                  sum(c + s + g for c, s, g, _r in earlier.findings.values())]
        for edge in earlier.edges:
            totals = [a + b for a, b in zip(totals, edge_totals(ctx, *edge), strict=True)]
        n, scored, tenths, findings = totals
        previous = TrendPoint("previous", before.start, before.end, inspections=n, score_sum=tenths / 10,
                              scored=scored, findings=findings)
    while points and not points[0].inspections and f.preset == "all":
        points.pop(0)
    return (Figures(counts=figures, median_days=_median_of_groups(histogram)),
            Breakdown(list(areas.values()), points, previous))



def list_total(ctx: Context, key: str, *, severity: str | None = None, category: str | None = None,
               item: tuple[str, str] | None = None, repeat: bool | None = None) -> int | None:
    """The length of the drill-down list behind figure `key` (narrowed as a chart's bar narrows it), from the
    rollups and standings; None when they cannot say (the list is then counted from the records)."""
    from .measures import MEASURES

    name = slice_of(ctx)
    if name is None:
        return None
    base = MEASURES[key].base
    f = ctx.filters
    if base == "backlog":
        return backlog_counts(ctx, name)[key]
    if base == "units":
        return unit_counts(ctx)[key] if preset_of(ctx) else None
    if base == "findings" and item is not None:
        if severity or category or repeat or key != "findings" or preset_of(ctx) is None:
            return None
        i = ItemStanding
        return ctx.session.scalar(select(i.findings).where(i.preset == f.preset, i.slice == name,
                                                           i.template_key == item[0], i.item_key == item[1])) or 0
    counts = period_counts(ctx, name, [(f.start, f.end)], with_tickets=base == "tickets")[0]
    if base == "inspections":
        at = {"inspections": 0, "inspections_failing": 1}[key]
        return sum(v[at] for v in counts.inspections.values())
    if base == "tickets":
        at = {"tickets_issued": 1, "tickets_accepted": 2, "tickets_on_time": 3, "tickets_late": 4}[key]
        return sum(v[at] for v in counts.tickets.values())
    severity = severity or {"findings_critical": "critical", "findings_serious": "serious",
                            "findings_general": "general"}.get(key)
    repeat = repeat or key == "findings_repeat"
    if severity and repeat:
        return None  # the rollups count repeats by area, not by area and severity
    total = 0
    for (_month, area), (critical, serious, general, repeats) in counts.findings.items():
        if category and area != category:
            continue
        total += (repeats if repeat else dict(zip(SEVERITIES, (critical, serious, general), strict=True))[severity]
                  if severity else critical + serious + general)
    return total
