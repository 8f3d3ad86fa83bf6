"""保密检查情况通报: the period summary for leadership, as one more official document.

Its "record" is its parameters: a period (local days, inclusive) and the bureau whose units it covers,
optionally narrowed to the units directly under the city bureau (市直单位). The figures are the dashboard's
(services/dashboard/) for the same period and area, as a leader of that bureau sees them, so the same
summary asked for by the city's leader (choosing a district) or by that district's leader is one record,
one version and one verification code.

The data is plain JSON values (hashed into the record version): the headline figures, the charts' numbers,
rankings, typical problems, repeat offenders, and the period's incidents and cases (services/incidents/). The
charts themselves are drawn from it at render time by pdf/summary_charts.py, with the dashboard's drawing code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ... import clock
from ...formatting import cite_in_document
from ...labels import CATEGORY_LABELS, SEVERITY_LABELS, label
from ...models import Finding, Incident, NodeKind, OrgNode, Role, User
from .. import DomainError, dashboard, incidents, org

TYPICAL_ITEMS = 10  # typical problems: the most failed items, as the dashboard's chart
REPEAT_UNITS_SHOWN = 20  # repeat offenders listed by name; the rest are counted


@dataclass(frozen=True)
class PeriodSummary:
    """What a summary is of: local days `start` … `end`, the units of `bureau`'s subtree, or with `direct`
    only the units directly under it (the city bureau's 市直单位)."""

    start: date
    end: date
    bureau: OrgNode
    direct: bool = False

    @property
    def scope_node_id(self) -> int:
        return self.bureau.id

    def params(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "bureau": self.bureau.id,
                "direct": self.direct}

    @property
    def area_name(self) -> str:
        """宝川市, 东湖区, or 宝川市市直单位: what the summary is about, in its own words."""
        name = self.bureau.place_name
        return f"{name}{org.district_name(self.bureau, chinese=True)}" if self.direct else name

    @property
    def district_id(self) -> int | None:
        """The dashboard's district filter that shows the same units to a leader of `bureau`."""
        return self.bureau.id if self.direct else None


@dataclass(frozen=True)
class _BureauLeader:
    """A leader of `org_node`, as the scoping layer reads one: the figures of a summary never depend on who
    asked for it (or on the command line, which has no user), only on the bureau it is of."""

    org_node: OrgNode
    role: str = Role.LEADER
    active: bool = True

    @property
    def org_node_id(self) -> int:
        return self.org_node.id


def district_choices(session: Session, actor: User | None) -> list[OrgNode]:
    """The nodes a summary may be narrowed to, as the dashboard's district filter offers them: the parents of
    the units in `actor`'s scope (district bureaus, and the city bureau for its 市直 units). `actor` None is
    the command line, which may choose any."""
    if actor is not None:
        return dashboard.district_choices(session, actor)
    parents = select(OrgNode.parent_id).where(OrgNode.kind == NodeKind.UNIT)
    return list(session.scalars(select(OrgNode).where(OrgNode.id.in_(parents)).order_by(OrgNode.path)))


def root_bureau(session: Session) -> OrgNode | None:
    """The city bureau: the command line's area when no district is given."""
    roots = session.scalars(select(OrgNode).where(OrgNode.parent_id.is_(None), OrgNode.kind == NodeKind.BUREAU)
                            .limit(2)).all()
    return roots[0] if len(roots) == 1 else None


def check_period(start: date, end: date) -> None:
    if start > end:
        raise DomainError(_("开始日期晚于结束日期，请重新选择时间段。"))
    if start < dashboard.EARLIEST:
        raise DomainError(_("开始日期过早，请选择 %(year)d 年以后的日期。", year=dashboard.EARLIEST.year))
    if (end - start).days > dashboard.MAX_SPAN_DAYS:
        raise DomainError(_("时间段不能超过十年。"))


def period_summary(start: date, end: date, own: OrgNode, district: OrgNode | None = None) -> PeriodSummary:
    """The summary of a period for the user whose scope is `own` (the command line: the city bureau), narrowed
    to `district` (already checked to be one of `district_choices`). A district bureau stands for its whole
    subtree, so the city's leader choosing it and the district's own leader ask for the same summary."""
    check_period(start, end)
    if district is None:
        return PeriodSummary(start, end, own)
    if district.kind == NodeKind.BUREAU:  # the city bureau as a district: the units directly under it
        return PeriodSummary(start, end, district, direct=True)
    return PeriodSummary(start, end, district)


def load(session: Session, params: dict) -> PeriodSummary | None:
    """A summary again from its stored parameters (verification recomputes it); None when its bureau is gone."""
    try:
        bureau = session.get(OrgNode, int(params["bureau"]))
        start, end = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
    except (KeyError, TypeError, ValueError):
        return None
    return PeriodSummary(start, end, bureau, bool(params.get("direct"))) if bureau is not None else None


def context(session: Session, record: PeriodSummary, today: date | None = None) -> dashboard.Context:
    """The dashboard's context for the summary: the period, the bureau's units, the three bureau kinds."""
    filters = dashboard.Filters(start=record.start, end=record.end, district_id=record.district_id, preset=None)
    return dashboard.Context(session, _BureauLeader(record.bureau), filters, today)  # type: ignore[arg-type]


# The data ---------------------------------------------------------------------------------------------


def _round(value: float | None) -> float | None:
    return round(float(value), 1) if value is not None else None


def period_text(start: date, end: date) -> str:
    """2025年12月至2026年11月 for whole months, else 2025年12月5日至2026年11月30日."""
    from ...pdf import cn_date

    whole = start.day == 1 and (end + timedelta(days=1)).day == 1
    if whole:
        first, last = f"{start.year}年{start.month}月", f"{end.year}年{end.month}月"
        if start.month == 1 and end.month == 12 and start.year == end.year:
            return f"{start.year}年"
        return first if first == last else f"{first}至{last}"
    return f"{cn_date(start)}至{cn_date(end)}"


def _figures(figures: dashboard.Figures) -> dict:
    return {**figures.counts, "coverage": figures.coverage, "completion_rate": figures.completion_rate,
            "on_time_rate": figures.on_time_rate, "median_days": _round(figures.median_days)}


def _areas(areas: list[dashboard.AreaRow]) -> list[dict]:
    return [{"category": a.category, "label": label(CATEGORY_LABELS, a.category), "total": a.total,
             **{s: a.by_severity.get(s, 0) for s in dashboard.SEVERITIES},
             "three": a.category in dashboard.THREE_MANAGEMENTS} for a in areas]


def _trend(points: list[dashboard.TrendPoint]) -> list[dict]:
    return [{"label": p.label, "from": p.start.isoformat(), "to": p.end.isoformat(), "inspections": p.inspections,
             "average_score": p.average_score, "findings": p.findings,
             "per_inspection": p.findings_per_inspection, "repeat": p.repeat} for p in points]


def _typical(ctx: dashboard.Context, items: list[dashboard.ItemRow]) -> list[dict]:
    """The most failed items, each with what its findings were: 不符合 or 基本符合, severity, repeats, area."""
    if not items:
        return []
    which = or_(*(and_(Finding.template_key == i.template_key, Finding.item_key == i.item_key) for i in items))
    rows = ctx.session.execute(
        ctx.base("findings").where(which)
        .with_only_columns(Finding.template_key, Finding.item_key, Finding.category, Finding.compliance,
                           Finding.severity, Finding.is_repeat, func.count())
        .group_by(Finding.template_key, Finding.item_key, Finding.category, Finding.compliance, Finding.severity,
                  Finding.is_repeat)).all()
    parts: dict[tuple[str, str], dict] = {}
    for template_key, item_key, category, compliance, severity, repeat, n in rows:
        part = parts.setdefault((template_key, item_key), {"categories": {}, "noncompliant": 0, "partial": 0,
                                                           "repeat": 0, **dict.fromkeys(dashboard.SEVERITIES, 0)})
        part["categories"][category] = part["categories"].get(category, 0) + n
        part[compliance] = part.get(compliance, 0) + n
        part[severity] = part.get(severity, 0) + n
        part["repeat"] += n if repeat else 0
    out = []
    for row in items:
        part = parts.get((row.template_key, row.item_key), {"categories": {}})
        category = max(part["categories"], key=part["categories"].get) if part["categories"] else None
        item = row.item
        out.append({
            "template_key": row.template_key, "item_key": row.item_key,
            "text": item.text if item is not None else row.ref, "findings": row.findings, "units": row.units,
            "area": label(CATEGORY_LABELS, category) if category else "",
            "noncompliant": part.get("noncompliant", 0), "partial": part.get("partial", 0),
            "critical": part.get("critical", 0), "serious": part.get("serious", 0),
            "general": part.get("general", 0), "repeat": part.get("repeat", 0),
            "basis": [cite_in_document(b) for b in item.basis] if item is not None else [],
        })
    return out


def _rank_rows(rows: list[dashboard.RankRow], *, districts: bool = False) -> list[dict]:
    return [{"name": org.district_name(r.node, chinese=True) if districts else r.name, "value": _round(r.value),
             "count": r.count} for r in rows]


def _rankings(rankings: dashboard.Rankings) -> dict:
    ranked = rankings.district_count > 1  # one district has no district ranking
    return {
        "districts_by_score": _rank_rows(rankings.districts_by_score, districts=True) if ranked else [],
        "districts_by_overdue": _rank_rows(rankings.districts_by_overdue, districts=True) if ranked else [],
        "units_by_score": _rank_rows(rankings.units_by_score),
        "units_by_overdue": _rank_rows(rankings.units_by_overdue),
        "district_count": rankings.district_count,
        "units_with_overdue": rankings.units_with_overdue,
    }


def repeat_offenders(ctx: dashboard.Context, shown: int = REPEAT_UNITS_SHOWN) -> dict:
    """Units with repeat findings (屡查屡犯) in the period, most first: how many, on which items. The counts
    add up to the figure `findings_repeat`, since they are its rows grouped by unit."""
    n = func.count().label("n")
    repeats = dashboard.listing(ctx, "findings_repeat")
    ranked = ctx.session.execute(
        repeats.with_only_columns(Finding.unit_id, n).group_by(Finding.unit_id)
        .order_by(n.desc(), Finding.unit_id)).all()
    top = [unit_id for unit_id, _n in ranked[:shown]]
    items: dict[int, dict[str, str]] = {}
    if top:
        for unit_id, item_key, text in ctx.session.execute(
                repeats.where(Finding.unit_id.in_(top))
                .with_only_columns(Finding.unit_id, Finding.item_key, func.min(Finding.item_text))
                .group_by(Finding.unit_id, Finding.item_key).order_by(Finding.unit_id, Finding.item_key)):
            items.setdefault(unit_id, {})[item_key] = text
    units = {u.id: u for u in ctx.session.scalars(select(OrgNode).where(OrgNode.id.in_(top)))} if top else {}
    parents = ({p.id: p for p in ctx.session.scalars(
        select(OrgNode).where(OrgNode.id.in_({u.parent_id for u in units.values()})))} if units else {})
    rows = []
    for unit_id, count in ranked[:shown]:
        unit = units[unit_id]
        district = org.district_name(parents.get(unit.parent_id), short=True, chinese=True)
        rows.append({"name": unit.name, "district": "" if unit.name.startswith(district) else district,
                     "repeat": count,
                     "repeated": [{"key": k, "text": t} for k, t in items.get(unit_id, {}).items()]})
    return {"units": len(ranked), "findings": sum(c for _u, c in ranked), "rows": rows,
            "others": max(0, len(ranked) - shown), "others_findings": sum(c for _u, c in ranked[shown:])}


def summary_data(session: Session, record: PeriodSummary) -> dict:
    """Everything the summary shows, from the dashboard's own queries for its period and area."""
    today = clock.local_today()
    ctx = context(session, record, today)
    numbers, parts = dashboard.overview(ctx, with_previous=True)
    comparison = dashboard.comparison(numbers, parts)
    bureau = record.bureau
    return {
        "issuer": bureau.name,
        "area": record.area_name,
        "city": bureau.kind == NodeKind.BUREAU and not record.direct,
        "direct": record.direct,
        "period": {"from": record.start.isoformat(), "to": record.end.isoformat(),
                   "text": period_text(record.start, record.end)},
        "figures": _figures(numbers),
        "severity_labels": {s: label(SEVERITY_LABELS, s) for s in dashboard.SEVERITIES},
        "areas": _areas(parts.areas),
        "trend": _trend(parts.trend),
        "comparison": None if comparison is None else {
            "average_score": comparison.average_score, "previous_average_score": comparison.previous_average_score,
            "score_change": comparison.score_change,
            "findings_per_inspection": comparison.findings_per_inspection,
            "previous_findings_per_inspection": comparison.previous_findings_per_inspection},
        "typical": _typical(ctx, dashboard.most_failed_items(ctx, TYPICAL_ITEMS)),
        "rankings": _rankings(dashboard.rankings(ctx)),
        "repeat_offenders": repeat_offenders(ctx),
        "incidents": incidents.summary_section(ctx),
        # The day it was drawn up (成文日期) and the day the backlog is counted to. Part of the record version:
        # a download on a later day shows that day, never the date of an earlier rendering.
        "date": today.isoformat(),
        "number": bulletin_number(session, record, today.year),
        "printed_by": f"{bureau.name}办公室",
    }


def bulletin_prefix(bureau: OrgNode) -> str:
    """The 通报's 文号 prefix: BULLETIN_PREFIXES[code], else the first character of the bureau's name + 保通."""
    from flask import current_app

    configured = (current_app.config.get("BULLETIN_PREFIXES") or {}).get(bureau.code)
    return configured or f"{bureau.name[:1]}保通"


def _sequence(number: str | None, prefix: str, year: int) -> int | None:
    """12 of 宝保通〔2026〕12号, when the number is of this prefix and year."""
    head = f"{prefix}〔{year}〕"
    if not number or not number.startswith(head):
        return None
    try:
        return int(number.removeprefix(head).removesuffix("号"))
    except ValueError:
        return None


def _case_sequences(session: Session, bureau: OrgNode, prefix: str, year: int) -> list[int]:
    """The numbers of the year's 案件通报 of the bureau (services/incidents): they share the 通报's series."""
    numbers = session.scalars(select(Incident.bulletin_number).where(Incident.bureau_id == bureau.id,
                                                                     Incident.bulletin_number.is_not(None)))
    return [n for n in (_sequence(number, prefix, year) for number in numbers) if n is not None]


def bulletin_number(session: Session, record: PeriodSummary | None, year: int, bureau: OrgNode | None = None) -> str:
    """宝保通〔2026〕2号: the 通报 of a period keeps the number it was first rendered with; a period rendered for the
    first time, or a case's 案件通报 (`record` None, of `bureau`), takes the next number of the bureau's year.
    The summaries' numbers live in the documents' parameters and the cases' on the case, so no counter is needed;
    two first renderings in the same instant could share a number, which the bureau's registry would see at once
    (documents are drawn up by a few leaders, not in bulk)."""
    from ...models import Document, DocumentKind

    bureau = record.bureau if record is not None else bureau
    prefix, params = bulletin_prefix(bureau), record.params() if record is not None else None
    taken = _case_sequences(session, bureau, prefix, year)
    rows = session.scalars(select(Document).where(Document.kind == DocumentKind.SUMMARY,
                                                  Document.scope_node_id == bureau.id)
                           .order_by(Document.id))
    for document in rows:
        stored = document.params
        sequence = _sequence(stored.get("number"), prefix, year)
        if sequence is None:
            continue
        if params is not None and all(stored.get(k) == v for k, v in params.items()):
            return stored["number"]
        taken.append(sequence)
    return f"{prefix}〔{year}〕{max(taken, default=0) + 1}号"


def estimate_pages(data: dict) -> float:
    """Calibrated on rendered summaries (4 to 14 pages): about five pages of text, figures and charts, one and a
    half more for the districts' rankings, a typical problem a third of a page, a repeat offender a fifth."""
    districts = 1.5 if data["rankings"]["districts_by_score"] else 0
    return 5 + districts + 0.3 * len(data["typical"]) + 0.2 * len(data["repeat_offenders"]["rows"])
