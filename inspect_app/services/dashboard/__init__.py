"""The leadership dashboard's figures: the period and query context, the figures and drill-down lists, the
rankings, and the dashboard as a whole (the units list and a unit's profile are in services/units.py)."""

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
from .figures import (
    MEASURES,
    AreaRow,
    Figures,
    Measure,
    TrendPoint,
    comparison,
    count,
    figures,
    histogram_median,
    listing,
    median_days_to_close,
    trend_buckets,
)
from .rankings import ItemRow, Rankings, RankRow, gap_rows, most_failed_items, rankings
from .rollups import list_total

__all__ = [
    "ANY_KIND", "AREAS", "DEFAULT_PERIOD", "EARLIEST", "MAX_SPAN_DAYS", "MEASURES", "PERIOD_PRESETS", "SEVERITIES",
    "THREE_MANAGEMENTS", "AreaRow", "Context", "Dashboard", "Figures", "Filters", "ItemRow", "Measure", "RankRow",
    "Rankings", "TrendPoint", "comparison", "count", "dashboard", "district_choices", "figures", "gap_rows",
    "histogram_median", "list_total", "listing", "median_days_to_close", "most_failed_items", "overview",
    "period_bounds", "rankings", "trend_buckets",
]
