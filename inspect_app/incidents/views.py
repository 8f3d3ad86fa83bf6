"""The incidents section of the leadership dashboard: the figures with the reader's words and the links behind them.

Request-time helpers only: the figures are services/incidents/lists.py's, the drawing is inspect_app.charts'."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .. import charts
from ..services import dashboard, incidents


@dataclass
class Section:
    figures: incidents.IncidentFigures
    months: Markup

    def href(self, flt: incidents.IncidentFilter, **narrow) -> str:
        """The list behind a figure: its filter, narrowed once more."""
        return url_for("incidents.index", **flt.but(**narrow).as_args())


def dashboard_section(ctx: dashboard.Context) -> Section:
    found = incidents.figures(ctx)
    months = found.by_month
    hrefs = [url_for("incidents.index", **found.period.but(date_from=m.start, date_to=m.end).as_args())
             for m in months]
    chart = charts.column_chart(
        [m.label for m in months], [m.count for m in months], title=_("各月发现的泄密事件"),
        chart_id="incidents-months",
        desc=_("按发现时间统计的事件数（含违规行为）；点击柱形查看清单。"), hrefs=hrefs, width=760,
        empty=_("本期没有发现泄密事件。"))
    return Section(found, chart)
