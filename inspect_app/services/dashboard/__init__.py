"""The leadership dashboard: the period and scope (context.py), the figures and the lists behind them (measures.py),
the rankings (standings.py), the page's whole (board.py) and the page as a spreadsheet (sheet.py, read through the
page's own result); the units list and a unit's profile are in units.py."""

from .board import Dashboard, dashboard, overview
from .context import (
    ANY_KIND,
    AREAS,
    DEFAULT_PERIOD,
    EARLIEST,
    MAX_SPAN_DAYS,
    PERIOD_PRESETS,
    SEVERITIES,
    THREE_MANAGEMENTS,
    Context,
    Filters,
    district_choices,
    period_bounds,
)
from .measures import (
    MEASURES,
    AreaRow,
    Figures,
    Measure,
    TrendPoint,
    comparison,
    count,
    count_measures,
    figures,
    histogram_median,
    inspections_per_unit,
    listing,
    median_days_to_close,
    trend_buckets,
)
from .presets import active_units
from .rollups import list_total
from .standings import ItemRow, Rankings, RankRow, gap_rows, most_failed_items, rankings

__all__ = [
    "ANY_KIND", "AREAS", "DEFAULT_PERIOD", "EARLIEST", "MAX_SPAN_DAYS", "MEASURES", "PERIOD_PRESETS", "SEVERITIES",
    "THREE_MANAGEMENTS", "AreaRow", "Context", "Dashboard", "Figures", "Filters", "ItemRow", "Measure", "RankRow",
    "Rankings", "TrendPoint", "active_units", "comparison", "count", "count_measures", "dashboard", "district_choices",
    "figures", "gap_rows", "histogram_median", "inspections_per_unit", "list_total", "listing", "median_days_to_close",
    "most_failed_items", "overview", "period_bounds", "rankings", "trend_buckets",
]
