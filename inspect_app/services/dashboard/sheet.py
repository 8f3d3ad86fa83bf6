"""The dashboard as a spreadsheet for leaders: its figures with their definitions, the findings by area, and its
rankings, read from the dashboard's own result (`board.dashboard`), never from its queries, so the sheet always
says what the page says."""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import force_locale
from sqlalchemy.orm import Session

from ...labels import CATEGORY_LABELS, INSPECTION_KIND_LABELS, SEVERITY_LABELS, UNIT_TYPE_LABELS, label
from ...models import OrgNode
from ..org import district_name
from ..spreadsheets import Column, Export, Sheet
from .board import Dashboard
from .context import ANY_KIND, Filters
from .measures import MEASURES
from .standings import RankRow

COLUMNS = [
    Column("部分", 24),
    Column("名次", 6, "number"),
    Column("名称", 36),
    Column("数值", 10, "decimal"),
    Column("单位", 6),
    Column("计数", 8, "number"),
    Column("说明", 60),
]
# What each base counts, as the figure's unit.
BASE_UNITS = {"inspections": "次", "units": "个", "findings": "个", "tickets": "项", "backlog": "项"}


def dashboard_export(data: Dashboard, filters: list[tuple[str, str]]) -> Export:
    """Two sheets of the same columns (the CSV holds both): the figures and the findings by area; the rankings."""
    with force_locale("zh"):
        figures = list(_figures(data))
        rankings = list(_rankings(data))
    return Export("dashboard", "工作台数据", [Sheet("主要数字", COLUMNS, figures), Sheet("排名", COLUMNS, rankings)],
                  filters)


def _figures(data: Dashboard) -> Iterator[list]:
    numbers = data.figures
    for key, measure in MEASURES.items():
        yield ["主要数字", None, str(measure.label), numbers[key], BASE_UNITS[measure.base], None,
               str(measure.definition)]
    yield ["主要数字", None, "检查覆盖率", numbers.coverage, "%", None,
           "本期至少完成一次所选类型检查的单位 ÷ 范围内启用中的单位。"]
    yield ["主要数字", None, "整改完成率", numbers.completion_rate, "%", None,
           "本期下发的整改事项中已销号的 ÷ 本期下发的整改事项（不含已撤销）。"]
    yield ["主要数字", None, "按期完成率", numbers.on_time_rate, "%", None,
           "已销号事项中，在整改期限内（含到期当天、含批准的延期）销号的 ÷ 已销号事项。"]
    yield ["主要数字", None, "整改用时中位数", numbers.median_days, "天", None,
           "本期下发并已销号的事项，从下发到销号所用天数的中位数。"]
    for area in data.breakdown.areas:
        parts = "，".join(f"{label(SEVERITY_LABELS, s)} {area.by_severity.get(s, 0)}"
                         for s in ("critical", "serious", "general"))
        yield ["问题分布", None, label(CATEGORY_LABELS, area.category), area.total, "个", None, parts]


def _ranked(part: str, rows: list[RankRow], unit: str, note: str, *, districts: bool = False) -> Iterator[list]:
    for place, row in enumerate(rows, start=1):
        name = district_name(row.node, chinese=True) if districts else row.name
        yield [part, place, name, row.value, unit, row.count, note]


def _rankings(data: Dashboard) -> Iterator[list]:
    r = data.rankings
    if r.district_count > 1:
        yield from _ranked("各区县平均得分（低分在前）", r.districts_by_score, "分", "计数为本期完成的检查次数。",
                           districts=True)
        yield from _ranked("各区县逾期未改事项", r.districts_by_overdue, "项", "计数为逾期未改事项数。", districts=True)
    yield from _ranked("得分最低的单位", r.units_by_score, "分", "计数为本期完成的检查次数。")
    yield from _ranked("逾期未改最多的单位", r.units_by_overdue, "项", "计数为逾期未改事项数。")
    for place, item in enumerate(data.items, start=1):
        text = item.item.text if item.item is not None else item.ref
        yield ["问题最多的检查项", place, f"{item.item_key} {text}", item.findings, "次", item.units,
               "计数为涉及的单位数。"]
    for place, gap in enumerate(data.gaps, start=1):
        yield ["自查与检查得分差距（自查减检查）", place, gap.name, gap.gap, "分", None,
               f"自查平均 {gap.self_score} 分（{gap.self_count} 次），"
               f"检查平均 {gap.bureau_score} 分（{gap.bureau_count} 次）"]


def describe_dashboard_filters(session: Session, filters: Filters) -> list[tuple[str, str]]:
    """The dashboard's filters as the export's last sheet names them, in Chinese."""
    out = [("时间段", f"{filters.start.isoformat()} 至 {filters.end.isoformat()}")]
    with force_locale("zh"):
        if filters.district_id is not None:
            out.append(("区县", district_name(session.get(OrgNode, filters.district_id), chinese=True)))
        if filters.unit_type:
            out.append(("单位类型", label(UNIT_TYPE_LABELS, filters.unit_type)))
        if filters.kind:
            out.append(("检查类型", "全部（含自查）" if filters.kind == ANY_KIND
                        else label(INSPECTION_KIND_LABELS, filters.kind)))
        if filters.unit_id is not None:
            unit = session.get(OrgNode, filters.unit_id)
            out.append(("单位", unit.name if unit else str(filters.unit_id)))
    return out
