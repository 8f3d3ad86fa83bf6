"""The units in scope (as a page, or with `?format=xlsx|csv` as a spreadsheet) and one unit's profile. Thin: the
queries are in services/units.py."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.exceptions import NotFound

from .. import authz, clock, exports
from ..extensions import db
from ..labels import UNIT_TYPE_LABELS
from ..models import NodeKind, OrgNode
from ..pagination import paginate, sort_order
from ..security import current_user
from ..services import dashboard, registers, units
from . import bp, views


@bp.context_processor
def _helpers():
    return {"measures": dashboard.MEASURES}


@bp.route("")
@authz.requires("units.view")
def index():
    fmt = exports.requested()
    user = current_user._get_current_object()
    districts = dashboard.district_choices(db.session, user)
    district = None
    if request.args.get("district"):
        district = next((d for d in districts if str(d.id) == request.args["district"]), None)
        if district is None:
            raise NotFound()
    unit_type = request.args.get("type") or None
    if unit_type not in UNIT_TYPE_LABELS:
        unit_type = None
    search = request.args.get("q", "").strip()[:100]
    key_only, include_inactive = request.args.get("key") == "1", request.args.get("inactive") == "1"
    today = clock.local_today()
    stmt, columns = units.units_query(
        db.session, user, search=search or None, district_id=district.id if district else None,
        unit_type=unit_type, key_only=key_only, include_inactive=include_inactive, today=today)
    sort, order = sort_order(request.args, columns, "name")
    stmt = stmt.order_by(order.nulls_last(), columns["name"], OrgNode.id)
    if fmt:
        described = units.describe_unit_filters(search=search, district=district, unit_type=unit_type,
                                                key_only=key_only, include_inactive=include_inactive)
        return exports.send(units.units_export(db.session, stmt, described, today), fmt, "units.export")
    page = paginate(stmt)
    rows = units.unit_rows(db.session, page.items, today)
    return render_template("units/index.html", page=page, rows=rows, sort=sort, search=search,
                           districts=districts, district=district, unit_type=unit_type)


@bp.route("/<int:unit_id>")
@authz.loads(OrgNode, "unit_id", "units.view")
def profile(unit: OrgNode):
    if unit.kind != NodeKind.UNIT:
        raise NotFound()  # a bureau has the dashboard, not a unit's profile
    today = clock.local_today()
    data = units.unit_profile(db.session, current_user._get_current_object(), unit, today)
    history = paginate(units.unit_history(unit), per_page=10)
    counts = units.finding_counts(db.session, [i.id for i in history.items])
    return render_template("units/profile.html", unit=unit, data=data, history=history, counts=counts,
                           today=today, score_chart=views.score_chart(data.scores, unit),
                           unit_registers=registers.unit_registers(db.session, unit, today))

