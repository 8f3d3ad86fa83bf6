"""The leadership dashboard and the lists behind its figures. Thin: the figures are in services/dashboard/."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from .. import authz, clock, exports
from ..extensions import db
from ..incidents import views as incident_views
from ..kept import Kept
from ..models import Finding, Inspection, OrgNode, Ticket
from ..pagination import page_number, paginate, sort_order
from ..security import current_user
from ..services import analytics, dashboard, registers
from ..services.dashboard import MEASURES
from ..services.dashboard import sheet as dashboard_sheet
from ..services.units import finding_counts, unit_context, unit_summary
from . import bp, filters, views

# The drill-down pages and the figures each may show.
PAGES = {
    "inspections": ("inspections",),
    "units": ("units",),
    "findings": ("findings",),
    "tickets": ("tickets", "backlog"),
}
DEFAULT_MEASURE = {"inspections": "inspections", "units": "units_active", "findings": "findings",
                   "tickets": "backlog"}


@bp.context_processor
def _helpers():
    return {"measures": MEASURES, "labels_period": dashboard.PERIOD_PRESETS, "local_date": clock.local_date}


# Leaders and inspectors see their subtree's figures; an officer sees their own unit's.
VIEWERS = ("dashboard.view", "dashboard.unit")


@bp.route("/dashboard")
@authz.requires(*VIEWERS)
def index():
    fmt = exports.requested()
    user = current_user._get_current_object()
    state = filters.read(request.args, user)
    if not authz.can(user, "dashboard.view"):
        if fmt:
            abort(404)  # a unit's own dashboard is a page, not a table
        return _unit_dashboard(user, state)
    ctx = dashboard.Context(db.session, user, state.filters)
    if fmt:
        described = dashboard_sheet.describe_dashboard_filters(db.session, state.filters)
        return exports.send(dashboard_sheet.dashboard_export(dashboard.dashboard(ctx), described), fmt,
                            "dashboard.export")
    version = analytics.data_version(db.session)
    if version is None:
        return render_template("dashboard/index.html", board=Markup(_board(ctx, state)))
    # Kept until a write moves the data version: by the reader (scope, role, permissions), what they asked for
    # (every argument), the day (the periods end today), the language and where the figures are read from.
    key = (version, user.id, tuple(sorted(request.args.items(multi=True))), ctx.today, str(get_locale()),
           ctx.use_rollups)
    return render_template("dashboard/index.html", board=Markup(BOARDS.get(key, lambda: _board(ctx, state))))


BOARDS = Kept(limit=100)  # about 10 MB a web worker at 100 KB a board


def _board(ctx: dashboard.Context, state) -> str:
    data = dashboard.dashboard(ctx)
    score_chart, findings_chart = views.trend_charts(data.breakdown.trend, state)
    return render_template(
        "dashboard/_board.html", state=state, data=data, figures=data.figures,
        messages=views.key_messages(data, state), area_chart=views.area_chart(data.breakdown.areas, state),
        score_chart=score_chart, findings_chart=findings_chart, items_chart=views.items_chart(data.items, state),
        rankings=views.ranking_charts(data.rankings, state), incidents=incident_views.dashboard_section(ctx),
        register_rows=registers.district_rows(db.session, ctx.actor, district_id=state.filters.district_id,
                                              active_units=dashboard.active_units(ctx, state.districts)))


def _unit_dashboard(user, state):
    """An officer's own unit: what is open, what is due, what is late, and the latest scores."""
    unit = user.org_node
    ctx = unit_context(db.session, user, unit)
    summary = unit_summary(ctx)
    return render_template("dashboard/unit.html", unit=unit, summary=summary, state=state, today=ctx.today,
                           unit_registers=registers.unit_registers(db.session, unit, ctx.today))


def _measure(page: str) -> dashboard.Measure:
    key = request.args.get("show") or DEFAULT_MEASURE[page]
    measure = MEASURES.get(key)
    if measure is None or measure.base not in PAGES[page]:
        abort(404)
    return measure


def _page_context(page: str):
    user = current_user._get_current_object()
    state = filters.read(request.args, user)
    measure = _measure(page)
    ctx = dashboard.Context(db.session, user, state.filters)
    return state, measure, ctx


@bp.route("/dashboard/inspections")
@authz.requires(*VIEWERS)
def inspections():
    state, measure, ctx = _page_context("inspections")
    sort, order = sort_order(request.args, {
        "submitted": Inspection.submitted_at, "unit": OrgNode.name, "score": Inspection.score,
        "kind": Inspection.kind}, "-submitted")
    stmt = (dashboard.listing(ctx, measure.key, in_date_order=sort.lstrip("-") == "submitted")
            .join(OrgNode, OrgNode.id == Inspection.unit_id)
            .options(contains_eager(Inspection.unit)).order_by(order, Inspection.id.desc()))
    page = paginate(stmt, total=dashboard.list_total(ctx, measure.key))
    return render_template("dashboard/list_inspections.html", state=state, measure=measure, page=page, sort=sort,
                           finding_counts=finding_counts(db.session, [i.id for i in page.items]))


@bp.route("/dashboard/units")
@authz.requires(*VIEWERS)
def units():
    state, measure, ctx = _page_context("units")
    sort, order = sort_order(request.args, {"name": OrgNode.name, "code": OrgNode.code,
                                            "type": OrgNode.unit_type}, "name")
    stmt = dashboard.listing(ctx, measure.key).options(joinedload(OrgNode.parent)).order_by(order, OrgNode.id)
    page = paginate(stmt, total=dashboard.list_total(ctx, measure.key))
    done = dashboard.inspections_per_unit(ctx, [u.id for u in page.items])
    return render_template("dashboard/list_units.html", state=state, measure=measure, page=page, sort=sort,
                           done=done)


@bp.route("/dashboard/findings")
@authz.requires(*VIEWERS)
def findings():
    state, measure, ctx = _page_context("findings")
    narrow, narrow_params = _finding_narrowing()
    sort, order = sort_order(request.args, {
        "date": Inspection.submitted_at, "unit": OrgNode.name, "severity": Finding.severity,
        "area": Finding.category}, "-date")
    stmt = (dashboard.listing(ctx, measure.key, in_date_order=sort.lstrip("-") == "date", **narrow)
            .join(OrgNode, OrgNode.id == Finding.unit_id)
            .options(contains_eager(Finding.unit), contains_eager(Finding.inspection), joinedload(Finding.item))
            .order_by(order, Finding.id.desc()))
    page = paginate(stmt, total=dashboard.list_total(ctx, measure.key, **narrow))
    return render_template("dashboard/list_findings.html", state=state, measure=measure, page=page, sort=sort,
                           narrow=narrow, narrow_params=narrow_params)


def _finding_narrowing() -> tuple[dict, dict]:
    """A chart bar's extra filter on findings: an area, a severity or one checklist item."""
    narrow, params = {}, {}
    category = request.args.get("category")
    if category:
        if category not in dashboard.AREAS and category != "self_assessment":
            abort(404)
        narrow["category"], params["category"] = category, category
    severity = request.args.get("severity")
    if severity:
        if severity not in dashboard.SEVERITIES:
            abort(404)
        narrow["severity"], params["severity"] = severity, severity
    item = request.args.get("item")
    if item:
        template_key, _sep, item_key = item.partition(":")
        if not template_key or not item_key or len(item) > 100:
            abort(404)
        narrow["item"], params["item"] = (template_key, item_key), item
    return narrow, params


@bp.route("/dashboard/tickets")
@authz.requires(*VIEWERS)
def tickets():
    state, measure, ctx = _page_context("tickets")
    sort, order = sort_order(request.args, {
        "due": Ticket.due_date, "created": Ticket.created_at, "unit": OrgNode.name, "status": Ticket.status,
        "accepted": Ticket.accepted_at}, "due" if measure.base == "backlog" else "-created")
    stmt = (dashboard.listing(ctx, measure.key).join(OrgNode, OrgNode.id == Ticket.unit_id)
            .options(contains_eager(Ticket.unit), selectinload(Ticket.finding).joinedload(Finding.item))
            .order_by(order, Ticket.id))
    page = paginate(stmt, total=dashboard.list_total(ctx, measure.key))
    return render_template("dashboard/list_tickets.html", state=state, measure=measure, page=page, sort=sort,
                           today=ctx.today)


@bp.route("/dashboard/gap")
@authz.requires(*VIEWERS)
def gap():
    user = current_user._get_current_object()
    state = filters.read(request.args, user)
    ctx = dashboard.Context(db.session, user, state.filters)
    number = page_number(request.args)
    per_page = 25
    rows, total = dashboard.gap_rows(ctx, limit=per_page, offset=(number - 1) * per_page)
    page = _SimplePage(number, per_page, total, rows)
    return render_template("dashboard/gap.html", state=state, page=page)


class _SimplePage:
    """What the pager macro needs, for a list that is not one ORM entity."""

    def __init__(self, page: int, per_page: int, total: int, items: list):
        self.page, self.per_page, self.total, self.items = page, per_page, total, items
        self.pages = max(1, -(-total // per_page)) if total else 0
        self.has_prev, self.prev_num = page > 1, page - 1
        self.has_next, self.next_num = page < self.pages, page + 1
