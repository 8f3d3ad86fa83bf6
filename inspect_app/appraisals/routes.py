"""The annual appraisal (保密工作责任制考核): the rounds, a new round, one round's results and rankings (and with
`?format=xlsx|csv` as a spreadsheet), and one unit's result with every indicator and the records behind it, where the
bureau enters its values and adjustments. Thin: each route loads through authz and calls one service in
services/appraisals/; the 通报 PDF is served by documents (`documents.appraisal_bulletin`)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from .. import authz, exports
from ..extensions import db
from ..forms import act
from ..ids import parse_id
from ..models import AppraisalRound, NodeKind, OrgNode, Role
from ..pagination import paginate
from ..security import current_user
from ..services import DomainError, appraisals
from . import bp
from .forms import AdjustmentForm, ApproveForm, ComputeForm, NewRoundForm, RemoveAdjustmentForm, ValueForm

# Where a record behind a number opens, by its kind (services/appraisals/readings.py `Record.link`).
RECORD_LINKS = {"inspection": ("inspections.detail", "inspection_id"), "ticket": ("tickets.show", "ticket_id"),
                "incident": ("incidents.show", "incident_id"), "person": ("registers.show_personnel", "person_id")}


@bp.context_processor
def _helpers():
    return {"record_url": record_url, "max_adjustment": int(appraisals.MAX_ADJUSTMENT)}


def record_url(record: dict) -> str | None:
    link = record.get("link")
    route = RECORD_LINKS.get(link[0]) if link else None
    return url_for(route[0], **{route[1]: link[1]}) if route else None


def _user():
    return current_user._get_current_object()


@bp.route("")
@authz.requires("appraisal.view")
def index():
    user = _user()
    page = paginate(appraisals.rounds_query(user))
    return render_template("appraisals/index.html", page=page, own_unit=user.org_node if user.role == Role.OFFICER
                           else None)


@bp.route("/new", methods=["GET", "POST"])
@authz.requires("appraisal.manage")
def new():
    user, form = _user(), NewRoundForm()
    areas, schemes = appraisals.areas_for(db.session, user), appraisals.current_schemes(db.session)
    form.year.choices = [(y, str(y)) for y in appraisals.years_for()]
    form.area_id.choices = [(a.id, a.name) for a in areas]
    form.scheme_id.choices = [(s.id, f"{s.title}（{s.version}）") for s in schemes]
    if form.is_submitted():
        try:
            form.check()
            appraisal = appraisals.create_round(
                db.session, user, area=next(a for a in areas if a.id == form.area_id.data), year=form.year.data,
                scheme=next(s for s in schemes if s.id == form.scheme_id.data))
        except DomainError as exc:
            db.session.rollback()
            return render_template("appraisals/new.html", form=form, error=exc, schemes=schemes), exc.status_code
        flash(_("已建立%(title)s，并已按现有数据计算。", title=appraisal.title), "success")
        return redirect(url_for("appraisals.show", round_id=appraisal.id))
    return render_template("appraisals/new.html", form=form, error=None, schemes=schemes)


@bp.route("/<int:round_id>")
@authz.loads(AppraisalRound, "round_id", "appraisal.view_round", name="appraisal")
def show(appraisal: AppraisalRound):
    fmt = exports.requested()
    if fmt:
        return exports.send(appraisals.results_export(db.session, _user(), appraisal), fmt, "appraisal.export")
    return _round_page(appraisal)


def _round_page(appraisal: AppraisalRound, error: DomainError | None = None, status: int = 200):
    view = appraisals.round_view(db.session, _user(), appraisal)
    return render_template("appraisals/round.html", view=view, appraisal=appraisal, error=error,
                           compute_form=ComputeForm(), approve_form=ApproveForm()), status


@bp.route("/<int:round_id>/compute", methods=["POST"])
@authz.loads(AppraisalRound, "round_id", "appraisal.manage", name="appraisal")
def compute(appraisal: AppraisalRound):
    form = ComputeForm()
    try:
        form.check()
        appraisals.compute(db.session, _user(), appraisal)
    except DomainError as exc:
        db.session.rollback()
        return _round_page(appraisal, exc, exc.status_code)
    flash(_("已按现有数据重新计算。"), "success")
    return redirect(url_for("appraisals.show", round_id=appraisal.id))


@bp.route("/<int:round_id>/approve", methods=["POST"])
@authz.loads(AppraisalRound, "round_id", "appraisal.approve", name="appraisal")
def approve(appraisal: AppraisalRound):
    form = ApproveForm()
    try:
        form.check()
        appraisals.approve(db.session, _user(), appraisal, form.revision.revision)
    except DomainError as exc:
        db.session.rollback()
        db.session.refresh(appraisal)
        return _round_page(appraisal, exc, exc.status_code)
    flash(_("考核结果已审定，不再随数据变化；各单位已收到通知。"), "success")
    return redirect(url_for("appraisals.show", round_id=appraisal.id))


# One unit's result ------------------------------------------------------------------------------------------


def _unit_page(appraisal: AppraisalRound, unit: OrgNode, *, form: str | None = None,
               error: DomainError | None = None, values: dict | None = None, status: int = 200):
    if unit.kind != NodeKind.UNIT:
        raise NotFound()
    result = appraisals.unit_result(db.session, appraisal, unit)
    if result is None:
        raise NotFound()  # a unit the round does not hold, as a unit that does not exist
    return render_template("appraisals/unit.html", view=result, appraisal=appraisal, unit=unit, form=form,
                           error=error, values=values or {}), status


@bp.route("/<int:round_id>/units/<int:unit_id>")
@authz.loads(AppraisalRound, "round_id", "appraisal.view", name="appraisal")
@authz.loads(OrgNode, "unit_id", "appraisal.view")
def unit_result(appraisal: AppraisalRound, unit: OrgNode):
    return _unit_page(appraisal, unit)


def _act(appraisal: AppraisalRound, unit: OrgNode, name: str, form, action, success: str):
    return act(appraisal, name, form, action, success, page=lambda a, **shown: _unit_page(a, unit, **shown),
               to=url_for("appraisals.unit_result", round_id=appraisal.id, unit_id=unit.id))


@bp.route("/<int:round_id>/units/<int:unit_id>/values", methods=["POST"])
@authz.loads(AppraisalRound, "round_id", "appraisal.manage", name="appraisal")
@authz.loads(OrgNode, "unit_id", "appraisal.manage")
def enter_value(appraisal: AppraisalRound, unit: OrgNode):
    form = ValueForm()
    return _act(appraisal, unit, f"value-{form.indicator.data}", form, lambda: appraisals.enter_value(
        db.session, _user(), appraisal, unit, form.indicator.data or "", float(form.value.data), form.reason.data,
        confirmed=form.confirm_unclassified.data), _("已保存评定分值，考核结果已重新计算。"))


@bp.route("/<int:round_id>/units/<int:unit_id>/adjustments", methods=["POST"])
@authz.loads(AppraisalRound, "round_id", "appraisal.manage", name="appraisal")
@authz.loads(OrgNode, "unit_id", "appraisal.manage")
def adjust(appraisal: AppraisalRound, unit: OrgNode):
    form = AdjustmentForm()
    return _act(appraisal, unit, "adjust", form, lambda: appraisals.adjust(
        db.session, _user(), appraisal, unit, float(form.points.data), form.reason.data,
        confirmed=form.confirm_unclassified.data), _("已记录加减分，考核结果已重新计算。"))


@bp.route("/<int:round_id>/units/<int:unit_id>/adjustments/remove", methods=["POST"])
@authz.loads(AppraisalRound, "round_id", "appraisal.manage", name="appraisal")
@authz.loads(OrgNode, "unit_id", "appraisal.manage")
def remove_adjustment(appraisal: AppraisalRound, unit: OrgNode):
    form = RemoveAdjustmentForm()
    return _act(appraisal, unit, "adjust", form, lambda: appraisals.remove_adjustment(
        db.session, _user(), appraisal, unit, parse_id(form.adjustment_id.data)),
        _("已撤回这项加减分，考核结果已重新计算。"))

