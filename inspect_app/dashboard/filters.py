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
    start, end, preset = _period(args, today, errors, params)
    districts = dashboard.district_choices(db.session, user)
    district = _district(args, districts, params)
    unit_type = _known(args, "type", UNIT_TYPE_LABELS, _("未知的单位类型，已忽略。"), errors, params)
    kind = _known(args, "kind", {*INSPECTION_KIND_LABELS, dashboard.ANY_KIND}, _("未知的检查类型，已忽略。"), errors,
                  params)
    unit = _unit(args, user, params)
    filters = Filters(start=start, end=end, district_id=district.id if district else None, unit_type=unit_type,
                      kind=kind, unit_id=unit.id if unit else None, preset=preset)
    return FilterState(filters=filters, districts=districts, errors=errors, district=district, unit=unit,
                       params=params)


def _period(args: MultiDict, today: date, errors: list[str], params: dict[str, str]) -> tuple[date, date, str | None]:
    """(start, end, preset): a preset period, or custom dates with the preset None. A bad one is set aside, with
    a message in `errors`, for the preset asked for or else the default."""
    preset = args.get("period") or DEFAULT_PERIOD
    raw_from, raw_to = args.get("from", "").strip(), args.get("to", "").strip()
    if preset == "custom" or raw_from or raw_to:
        start, end = _custom_dates(raw_from, raw_to, today, errors)
        if start is not None:
            params.update({"period": "custom", "from": start.isoformat(), "to": end.isoformat()})
            return start, end, None
    if preset not in PERIOD_PRESETS:
        if preset != "custom":
            errors.append(_("未知的时间段；已改为近12个月。"))
        preset = DEFAULT_PERIOD
    start, end = dashboard.period_bounds(preset, today)
    if preset != DEFAULT_PERIOD:
        params["period"] = preset
    return start, end, preset


def _custom_dates(raw_from: str, raw_to: str, today: date, errors: list[str]) -> tuple[date | None, date | None]:
    """The days typed, bounded to what the figures cover; (None, None) and a message when they cannot be used."""
    start, end = _date(raw_from), _date(raw_to)
    if (raw_from and start is None) or (raw_to and end is None):
        errors.append(_("日期格式有误，请按“年-月-日”填写；已改为近12个月。"))
        return None, None
    start = max(start or EARLIEST, EARLIEST)
    end = min(end or today, date(today.year + 1, 12, 31))
    if start > end:
        errors.append(_("开始日期晚于结束日期；已改为近12个月。"))
        return None, None
    if (end - start).days > MAX_SPAN_DAYS:
        errors.append(_("时间段不能超过十年；已改为近12个月。"))
        return None, None
    return start, end


def _district(args: MultiDict, districts: list[OrgNode], params: dict[str, str]) -> OrgNode | None:
    district_id = _id(args.get("district"))
    if district_id is None:
        return None
    district = next((d for d in districts if d.id == district_id), None)
    if district is None:
        raise NotFound()
    params["district"] = str(district.id)
    return district


def _known(args: MultiDict, name: str, known, message: str, errors: list[str], params: dict[str, str]) -> str | None:
    """A parameter that must be one of `known`; anything else is ignored, saying so."""
    value = args.get(name) or None
    if value and value not in known:
        errors.append(message)
        return None
    if value:
        params[name] = value
    return value


def _unit(args: MultiDict, user: User, params: dict[str, str]) -> OrgNode | None:
    unit_id = _id(args.get("unit"))
    if unit_id is None:
        return None
    unit = authz.get_or_404(user, OrgNode, unit_id)
    if unit.kind != NodeKind.UNIT:
        raise NotFound()
    params["unit"] = str(unit.id)
    return unit
