"""The unit profile's chart, with the reader's words."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .. import charts
from ..models import OrgNode
from ..services.units import ScorePoint


def score_chart(points: list[ScorePoint], unit: OrgNode) -> Markup:
    """Every scored inspection in date order: bureau inspections and self-inspections as two series."""
    labels = [p.day.isoformat() for p in points]
    bureau = [p.score if p.kind != "self" else None for p in points]
    own = [p.score if p.kind == "self" else None for p in points]
    series = [charts.Series(_("保密局检查"), bureau)]
    if any(v is not None for v in own):
        series.append(charts.Series(_("自查"), own, colour="#6b2e8f", marker="square", dashed=True))
    present = [p.score for p in points]
    return charts.line_chart(
        labels, series, title=_("%(unit)s 历次检查得分", unit=unit.name), chart_id="unit-scores", width=760,
        desc=_("每次完成检查的得分，按提交日期排列；虚线为 90 分和 80 分。"),
        y_min=min(60.0, *present) if present else 60.0, y_max=100,
        thresholds=[charts.Threshold(90, _("90 符合要求")), charts.Threshold(80, _("80 基本符合要求"))],
        hrefs=[url_for("inspections.detail", inspection_id=p.inspection_id) for p in points],
        empty=_("还没有完成的检查。"))
