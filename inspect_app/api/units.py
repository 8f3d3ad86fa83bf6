"""Units and the dashboard's figures: read through the services of the units pages and the dashboard."""

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from .. import authz, clock
from ..extensions import db
from ..models import NodeKind, OrgNode
from ..services import DomainError, dashboard, units
from . import api, schemas
from .common import BAD, NOT_FOUND, actor, page, query, unit_ref


def _summary(row: units.UnitRow) -> schemas.UnitSummary:
    unit = row.unit
    return schemas.UnitSummary(
        id=unit.id, name=unit.name, code=unit.code, unit_type=unit.unit_type, is_key_unit=unit.is_key_unit,
        active=unit.active, parent=unit_ref(unit.parent) if unit.parent else None,
        last_inspected_at=row.inspected_at, last_score=row.score, last_band=row.band, open_tickets=row.open,
        overdue_tickets=row.overdue)


@api.operation("GET", "/units", summary="The units in the caller's scope, with their latest inspection and tickets",
               query=schemas.UnitQuery, responses={200: ("A page of units", schemas.UnitList), 400: BAD[1]})
@authz.requires("units.view")
def list_units():
    args, today = query(schemas.UnitQuery), clock.local_today()
    stmt, _columns = units.units_query(db.session, actor(), search=args.q or None, district_id=args.district_id,
                                       unit_type=args.unit_type, key_only=args.key_only, today=today)
    rows, following = page(stmt.options(selectinload(OrgNode.parent)), OrgNode.id, args.cursor, args.limit)
    items = [_summary(row) for row in units.unit_rows(db.session, list(rows), today)]
    return jsonify(schemas.UnitList(items=items, next_cursor=following).model_dump(mode="json"))


@api.operation("GET", "/units/<int:unit_id>", summary="A unit's figures and score history, as its profile shows",
               responses={200: ("The unit", schemas.UnitOut), 404: NOT_FOUND[1]})
@authz.loads(OrgNode, "unit_id", "units.view")
def get_unit(unit: OrgNode):
    if unit.kind != NodeKind.UNIT:
        raise NotFound()  # a bureau has figures, not a unit's profile
    today = clock.local_today()
    profile = units.unit_profile(db.session, actor(), unit, today)
    row = units.unit_rows(db.session, [unit], today)[0]
    summary = profile.summary
    out = schemas.UnitOut(
        **_summary(row).model_dump(), backlog=summary.backlog, overdue=summary.overdue, due_soon=summary.due_soon,
        returned=summary.returned, repeat_findings=summary.repeat_findings,
        scores=[schemas.ScorePoint(day=p.day, kind=p.kind, score=p.score, inspection_id=p.inspection_id)
                for p in profile.scores])
    return jsonify(out.model_dump(mode="json"))


def _filters(args: schemas.FiguresQuery) -> dashboard.Filters:
    today = clock.local_today()
    default_start, default_end = dashboard.period_bounds(dashboard.DEFAULT_PERIOD, today)
    start, end = args.start or default_start, args.end or default_end
    if start > end:
        raise DomainError(_("开始日期不能晚于结束日期。"), field="from")
    if (end - start).days > dashboard.MAX_SPAN_DAYS or start < dashboard.EARLIEST:
        raise DomainError(_("统计期间过长，请缩短后再试。"), field="from")
    if args.district_id is not None and args.district_id not in {
            d.id for d in dashboard.district_choices(db.session, actor())}:
        raise NotFound()
    return dashboard.Filters(start=start, end=end, kind=args.kind, district_id=args.district_id,
                             unit_type=args.unit_type, preset=None)


@api.operation("GET", "/figures", summary="The dashboard's figures for a period, in the caller's scope",
               query=schemas.FiguresQuery,
               responses={200: ("The figures", schemas.FiguresOut), 400: BAD[1], 404: NOT_FOUND[1]})
@authz.requires("dashboard.view", "dashboard.unit")
def get_figures():
    filters = _filters(query(schemas.FiguresQuery))
    numbers = dashboard.figures(dashboard.Context(db.session, actor(), filters))
    out = schemas.FiguresOut(
        period=schemas.Period(first=filters.start, last=filters.end), counts=numbers.counts,
        rates=schemas.Rates(coverage=numbers.coverage, completion_rate=numbers.completion_rate,
                            on_time_rate=numbers.on_time_rate),
        median_days_to_close=numbers.median_days)
    return jsonify(out.model_dump(mode="json"))
