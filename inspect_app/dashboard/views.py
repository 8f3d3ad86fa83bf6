"""The dashboard's charts and messages, made from the figures with the reader's words and the links behind them.

Request-time helpers only: the chart drawing itself is in `inspect_app.charts`, which knows nothing of requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .. import charts, i18n
from ..labels import CATEGORY_LABELS, SEVERITY_LABELS
from ..services import dashboard
from ..services.dashboard import THREE_MANAGEMENTS, Dashboard
from ..services.org import district_name
from .filters import FilterState


def severity_names() -> dict[str, str]:
    return {k: str(v) for k, v in SEVERITY_LABELS.items()}


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


def area_chart(areas: list[dashboard.AreaRow], state: FilterState, chart_id: str = "areas") -> Markup:
    names = severity_names()
    bars = []
    for row in areas:
        label = str(CATEGORY_LABELS.get(row.category, row.category))
        parts = "，".join(f"{names[k]} {row.by_severity.get(k, 0)}" for k in dashboard.SEVERITIES)
        bars.append(charts.Bar(
            label=label, value=row.total, display=str(row.total),
            note="★" if row.category in THREE_MANAGEMENTS else None,
            segments=charts.severity_segments(row.by_severity, names),
            href=url_for("dashboard.findings", **state.args(show="findings", category=row.category)),
            title=f"{label}：{row.total}（{parts}）"))
    return charts.hbar_chart(
        bars, title=_("问题分布：八个方面"), legend=charts.severity_legend(names), chart_id=chart_id,
        desc=_("各方面发现的问题数，按问题等级分段；★ 为定密、网络、涉密人员三大管理。"),
        empty=_("本期没有发现问题。"))


def trend_charts(points: list[dashboard.TrendPoint], state: FilterState) -> tuple[Markup, Markup]:
    labels = [p.label for p in points]
    hrefs = [url_for("dashboard.inspections", **state.args(show="inspections", period="custom",
                                                           **{"from": p.start.isoformat(), "to": p.end.isoformat()}))
             for p in points]
    scores = [p.average_score for p in points]
    present = [s for s in scores if s is not None]
    score = charts.line_chart(
        labels, [charts.Series(_("平均得分"), scores)], title=_("检查平均得分"), chart_id="trend-score",
        desc=_("各月完成检查的平均得分；虚线为 90 分（符合要求）和 80 分（基本符合要求）。"),
        y_min=min(60.0, *present) if present else 60.0, y_max=100,
        thresholds=[charts.Threshold(90, _("90 符合要求")), charts.Threshold(80, _("80 基本符合要求"))],
        hrefs=hrefs, width=760, empty=_("本期没有完成的检查。"))
    rate = charts.column_chart(
        labels, [p.findings_per_inspection for p in points], title=_("每次检查发现问题数"),
        chart_id="trend-findings", desc=_("各月发现问题数除以完成检查次数；越低越好。"), hrefs=hrefs, width=760,
        empty=_("本期没有发现问题。"))
    return score, rate


def items_chart(items: list[dashboard.ItemRow], state: FilterState) -> Markup:
    bars = []
    for row in items:
        text = i18n.localized(row.item, "text") if row.item is not None else row.ref
        bars.append(charts.Bar(
            label=f"{row.item_key} {text}", value=row.findings,
            display=_("%(n)d 次 · %(u)d 个单位", n=row.findings, u=row.units),
            href=url_for("dashboard.findings", **state.args(show="findings", item=row.ref)),
            title=f"{row.item_key} {text}：" + _("%(n)d 次 · %(u)d 个单位", n=row.findings, u=row.units)))
    return charts.hbar_chart(bars, title=_("问题最多的 10 个检查项"), chart_id="items", label_width=400, label_lines=2,
                             heading=False,
                             desc=_("本期被查出问题（不符合或基本符合）次数最多的检查项，及涉及的单位数。"),
                             empty=_("本期没有发现问题。"))


def ranking_charts(rankings: dashboard.Rankings, state: FilterState) -> dict[str, Markup]:
    out = {}
    if rankings.district_count > 1:
        out["districts_by_score"] = charts.hbar_chart(
            [charts.Bar(district_name(r.node), r.value, display=_("%(s)s 分 · %(n)d 次", s=_fmt(r.value), n=r.count),
                        href=url_for("dashboard.index", **state.args(district=r.node_id, unit=None)))
             for r in rankings.districts_by_score],
            title=_("各区县平均得分（低分在前）"), chart_id="districts-score", width=560, max_value=100,
            desc=_("本期完成检查的平均得分；市直单位记在市局名下。"), empty=_("本期没有完成的检查。"))
        out["districts_by_overdue"] = charts.hbar_chart(
            [charts.Bar(district_name(r.node), r.value, display=_("%(n)d 项", n=r.value),
                        href=url_for("dashboard.tickets", **state.args(show="backlog_overdue", district=r.node_id)))
             for r in rankings.districts_by_overdue],
            title=_("各区县逾期未改事项"), chart_id="districts-overdue", width=560,
            desc=_("截至今天已过整改期限、尚未销号的事项数。"), empty=_("没有逾期未改的事项。"))
    out["units_by_score"] = charts.hbar_chart(
        [charts.Bar(r.name, r.value, display=_("%(s)s 分 · %(n)d 次", s=_fmt(r.value), n=r.count),
                    href=url_for("units.profile", unit_id=r.node_id))
         for r in rankings.units_by_score],
        title=_("得分最低的 10 个单位"), chart_id="units-score", width=560, max_value=100,
        desc=_("本期完成检查的平均得分最低的单位。"), empty=_("本期没有完成的检查。"))
    out["units_by_overdue"] = charts.hbar_chart(
        [charts.Bar(r.name, r.value, display=_("%(n)d 项", n=r.value),
                    href=url_for("dashboard.tickets", **state.args(show="backlog_overdue", unit=r.node_id)))
         for r in rankings.units_by_overdue],
        title=_("逾期未改最多的 10 个单位"), chart_id="units-overdue", width=560,
        desc=_("截至今天已过整改期限、尚未销号的事项最多的单位。"), empty=_("没有逾期未改的事项。"))
    return out


@dataclass
class Message:
    heading: str
    text: str
    href: str | None = None


def key_messages(data: Dashboard, state: FilterState) -> list[Message]:
    """Three sentences for a leader with two minutes: where are we weak, who does not fix, is it improving."""
    figures, areas = data.figures, data.breakdown.areas
    messages = []
    worst = max(areas, key=lambda a: (a.total, a.by_severity.get("critical", 0)), default=None)
    if worst is None or not worst.total:
        messages.append(Message(_("薄弱环节"), _("本期没有发现问题。")))
    else:
        share = round(worst.total * 100 / figures["findings"]) if figures["findings"] else 0
        messages.append(Message(
            _("薄弱环节"),
            _("问题最多的是“%(area)s”：%(n)d 个，占本期问题的 %(share)d%%，其中重大泄密隐患 %(c)d 个。",
              area=CATEGORY_LABELS.get(worst.category, worst.category), n=worst.total, share=share,
              c=worst.by_severity.get("critical", 0)),
            url_for("dashboard.findings", **state.args(show="findings", category=worst.category))))
    top = data.rankings.units_by_overdue[:1]
    if figures["backlog_overdue"] and top:
        messages.append(Message(
            _("整改不力"),
            _("逾期未改 %(n)d 项，涉及 %(u)d 个单位；最多的是%(unit)s（%(m)d 项）。",
              n=figures["backlog_overdue"], u=data.rankings.units_with_overdue, unit=top[0].name, m=top[0].value),
            url_for("dashboard.tickets", **state.args(show="backlog_overdue"))))
    else:
        messages.append(Message(_("整改不力"), _("没有逾期未改的事项。")))
    c = data.comparison
    if c is None or c.score_change is None:
        messages.append(Message(_("变化趋势"), _("没有可比较的上一时期数据。")))
    else:
        direction = (_("提高") if c.score_change > 0 else _("下降") if c.score_change < 0 else _("持平"))
        text = _("平均得分 %(now)s，比上一同长时期%(dir)s %(delta)s 分", now=_fmt(c.average_score), dir=direction,
                 delta=_fmt(abs(c.score_change)))
        if c.findings_change is not None:
            text += _("；每次检查发现问题 %(now)s 个（上期 %(before)s 个）",
                      now=_fmt(c.findings_per_inspection), before=_fmt(c.previous_findings_per_inspection))
        messages.append(Message(_("变化趋势"), text + _("。")))
    return messages
