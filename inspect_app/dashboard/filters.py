"""The dashboard's filters, read from the query string: period, district, unit type, inspection kind, unit.

Bad values never fail the page: a date that does not parse or a type that does not exist is set aside with a
message saying so. A district or unit outside the user's scope answers 404, exactly as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from .. import authz, clock
from ..extensions import db
from ..labels import INSPECTION_KIND_LABELS, UNIT_TYPE_LABELS
from ..models import NodeKind, OrgNode, User
from ..services import dashboard
from ..services.dashboard import DEFAULT_PERIOD, EARLIEST, MAX_SPAN_DAYS, PERIOD_PRESETS, Filters

# The parameters a drill-down link carries over from the dashboard.
FILTER_PARAMS = ("period", "from", "to", "district", "type", "kind", "unit")


@dataclass
class FilterState:
    filters: Filters
    districts: list[OrgNode]
    errors: list[str] = field(default_factory=list)
    district: OrgNode | None = None
    unit: OrgNode | None = None
    params: dict[str, str] = field(default_factory=dict)  # the valid parameters, for links

    @property
    def is_custom(self) -> bool:
        return self.filters.preset is None

    def args(self, **changes) -> dict[str, str]:
        """The query parameters of these filters, changed as given (None drops one)."""
        merged = {**self.params, **changes}
        return {k: v for k, v in merged.items() if v not in (None, "")}


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        raise NotFound() from None


def read(args: MultiDict, user: User, today: date | None = None) -> FilterState:
    """The filters the query string asks for, checked against what `user` may see."""
    today = today or clock.local_today()
    errors: list[str] = []
    params: dict[str, str] = {}

    preset = args.get("period") or DEFAULT_PERIOD
    raw_from, raw_to = args.get("from", "").strip(), args.get("to", "").strip()
    start = end = None
    if preset == "custom" or raw_from or raw_to:
        start, end = _date(raw_from), _date(raw_to)
        if (raw_from and start is None) or (raw_to and end is None):
            errors.append(_("日期格式有误，请按“年-月-日”填写；已改为近12个月。"))
            start = end = None
        else:
            start = max(start or EARLIEST, EARLIEST)
            end = min(end or today, date(today.year + 1, 12, 31))
            if start > end:
                errors.append(_("开始日期晚于结束日期；已改为近12个月。"))
                start = end = None
            elif (end - start).days > MAX_SPAN_DAYS:
                errors.append(_("时间段不能超过十年；已改为近12个月。"))
                start = end = None
    if start is not None:
        preset = None
        params.update({"period": "custom", "from": start.isoformat(), "to": end.isoformat()})
    else:
        if preset not in PERIOD_PRESETS:
            if preset != "custom":
                errors.append(_("未知的时间段；已改为近12个月。"))
            preset = DEFAULT_PERIOD
        start, end = dashboard.period_bounds(preset, today)
        if preset != DEFAULT_PERIOD:
            params["period"] = preset

    districts = dashboard.district_choices(db.session, user)
    district = None
    district_id = _id(args.get("district"))
    if district_id is not None:
        district = next((d for d in districts if d.id == district_id), None)
        if district is None:
            raise NotFound()
        params["district"] = str(district.id)

    unit_type = args.get("type") or None
    if unit_type and unit_type not in UNIT_TYPE_LABELS:
        errors.append(_("未知的单位类型，已忽略。"))
        unit_type = None
    if unit_type:
        params["type"] = unit_type

    kind = args.get("kind") or None
    if kind and kind not in INSPECTION_KIND_LABELS and kind != dashboard.ANY_KIND:
        errors.append(_("未知的检查类型，已忽略。"))
        kind = None
    if kind:
        params["kind"] = kind

    unit = None
    unit_id = _id(args.get("unit"))
    if unit_id is not None:
        unit = authz.get_or_404(user, OrgNode, unit_id)
        if unit.kind != NodeKind.UNIT:
            raise NotFound()
        params["unit"] = str(unit.id)

    filters = Filters(start=start, end=end, district_id=district.id if district else None, unit_type=unit_type,
                      kind=kind, unit_id=unit.id if unit else None, preset=preset)
    return FilterState(filters=filters, districts=districts, errors=errors, district=district, unit=unit,
                       params=params)
