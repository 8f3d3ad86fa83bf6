"""The charts of the period summary (保密检查情况通报): the dashboard's charts, drawn by the same code
(inspect_app/charts.py) from the summary's data, with the dashboard's titles in Chinese and no links.

Drawn at the width the dashboard uses and scaled to the type area by the stylesheet (svg.chart), so the
labels print at about 9 pt, and with fixed ids, so the same data always gives the same markup.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from .. import charts

SEVERITIES = ("critical", "serious", "general")
WIDE = 760  # the area and item charts, as on the dashboard
NARROW = 620  # trends and rankings: wider than on the dashboard's half-width cards, so they fill the line


# The dashboard's font stack names faces that tablets have; in the PDF the charts use the face the document
# already embeds for its headings and labels, in its two weights, so no other face is embedded (and fontconfig
# never falls back to a Japanese or Latin face for the labels).
PRINT_FONT = '"Noto Sans CJK SC"'


def for_print(chart: Markup) -> Markup:
    text = str(chart).replace(f'font-family="{escape(charts.FONT)}"', f'font-family="{escape(PRINT_FONT)}"', 1)
    return Markup(text.replace('font-weight="600"', 'font-weight="700"'))


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}".rstrip("0").rstrip(".")


def area_chart(data: dict) -> Markup:
    names = data["severity_labels"]
    bars = []
    for row in data["areas"]:
        by_severity = {s: row[s] for s in SEVERITIES}
        parts = "，".join(f"{names[s]} {row[s]}" for s in SEVERITIES)
        bars.append(charts.Bar(label=row["label"], value=row["total"], display=str(row["total"]),
                               note="★" if row["three"] else None,
                               segments=charts.severity_segments(by_severity, names),
                               title=f"{row['label']}：{row['total']}（{parts}）"))
    return charts.hbar_chart(bars, title="问题分布：八个方面", legend=charts.severity_legend(names), width=WIDE,
                             chart_id="sum-areas", empty="本期没有发现问题。",
                             desc="各方面发现的问题数，按问题等级分段；★ 为定密、网络、涉密人员三大管理。")


def trend_charts(data: dict) -> tuple[Markup, Markup]:
    points = data["trend"]
    labels = [p["label"] for p in points]
    scores = [p["average_score"] for p in points]
    present = [s for s in scores if s is not None]
    score = charts.line_chart(
        labels, [charts.Series("平均得分", scores)], title="检查平均得分", chart_id="sum-trend-score", width=NARROW,
        desc="各月完成检查的平均得分；虚线为 90 分（符合要求）和 80 分（基本符合要求）。",
        y_min=min(60.0, *present) if present else 60.0, y_max=100,
        thresholds=[charts.Threshold(90, "90 符合要求"), charts.Threshold(80, "80 基本符合要求")],
        empty="本期没有完成的检查。")
    rate = charts.column_chart(
        labels, [p["per_inspection"] for p in points], title="每次检查发现问题数", chart_id="sum-trend-findings",
        width=NARROW, desc="各月发现问题数除以完成检查次数；越低越好。", empty="本期没有发现问题。")
    return score, rate


def items_chart(data: dict) -> Markup:
    bars = [charts.Bar(label=f"{row['item_key']} {row['text']}", value=row["findings"],
                       display=f"{row['findings']} 次 · {row['units']} 个单位")
            for row in data["typical"]]
    return charts.hbar_chart(bars, title="问题最多的 10 个检查项", chart_id="sum-items", width=WIDE, label_width=400,
                             label_lines=2, desc="本期被查出问题（不符合或基本符合）次数最多的检查项，及涉及的单位数。",
                             empty="本期没有发现问题。")


def ranking_charts(data: dict) -> dict[str, Markup]:
    rankings = data["rankings"]
    out = {}
    if rankings["districts_by_score"]:
        out["districts_by_score"] = charts.hbar_chart(
            [charts.Bar(r["name"], r["value"], display=f"{_fmt(r['value'])} 分 · {r['count']} 次")
             for r in rankings["districts_by_score"]],
            title="各区县平均得分（低分在前）", chart_id="sum-districts-score", width=NARROW, max_value=100,
            desc="本期完成检查的平均得分；市直单位记在市局名下。", empty="本期没有完成的检查。")
    if rankings["districts_by_overdue"] or rankings["districts_by_score"]:
        out["districts_by_overdue"] = charts.hbar_chart(
            [charts.Bar(r["name"], r["value"], display=f"{r['count']} 项") for r in rankings["districts_by_overdue"]],
            title="各区县逾期未改事项", chart_id="sum-districts-overdue", width=NARROW,
            desc="截至成文之日已过整改期限、尚未销号的事项数。", empty="没有逾期未改的事项。")
    out["units_by_score"] = charts.hbar_chart(
        [charts.Bar(r["name"], r["value"], display=f"{_fmt(r['value'])} 分 · {r['count']} 次")
         for r in rankings["units_by_score"]],
        title="得分最低的 10 个单位", chart_id="sum-units-score", width=NARROW, max_value=100,
        desc="本期完成检查的平均得分最低的单位。", empty="本期没有完成的检查。")
    out["units_by_overdue"] = charts.hbar_chart(
        [charts.Bar(r["name"], r["value"], display=f"{r['count']} 项") for r in rankings["units_by_overdue"]],
        title="逾期未改最多的 10 个单位", chart_id="sum-units-overdue", width=NARROW,
        desc="截至成文之日已过整改期限、尚未销号的事项最多的单位。", empty="没有逾期未改的事项。")
    return out


def charts_for(data: dict) -> dict[str, Markup]:
    score, rate = trend_charts(data)
    drawn = {"areas": area_chart(data), "trend_score": score, "trend_findings": rate, "top_items": items_chart(data),
             **ranking_charts(data)}
    return {name: for_print(chart) for name, chart in drawn.items()}
