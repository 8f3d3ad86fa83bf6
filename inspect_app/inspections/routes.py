import calendar
import uuid
from datetime import date, timedelta

from flask import abort, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from .. import authz, exports
from ..clock import local_today, parse_day
from ..downloads import send_attachment
from ..extensions import db
from ..i18n import localized
from ..ids import parse_id
from ..labels import INSPECTION_KIND_LABELS, INSPECTION_STATUS_LABELS
from ..models import Attachment, Inspection, NodeKind, OrgNode, Role
from ..pagination import paginate, sort_order
from ..scans.forms import ScanUploadForm
from ..security import current_user
from ..services import DomainError, checklists, inspections, org, scans, spreadsheets
from ..services.inspections import AnswerConflict, ClassifiedSuspected, InspectionFilter
from . import bp
from .forms import AnswerForm, ImportPlanForm, PlanForm, ReasonForm, SignForm


def _filter() -> InspectionFilter:
    return InspectionFilter(
        q=request.args.get("q", "").strip(), status=request.args.get("status", ""),
        kind=request.args.get("kind", ""), unit_id=parse_id(request.args.get("unit")),
        district_id=parse_id(request.args.get("district")),
        date_from=parse_day(request.args.get("from")), date_to=parse_day(request.args.get("to")),
    )


def _scope_choices() -> tuple[list[OrgNode], list[OrgNode]]:
    nodes = org.visible_tree(db.session, current_user)
    return [n for n in nodes if n.kind == NodeKind.DISTRICT], [n for n in nodes if n.kind == NodeKind.UNIT]


SORTS = {"date": Inspection.scheduled_on, "unit": OrgNode.name, "status": Inspection.status,
         "score": Inspection.score}


@bp.route("/")
@authz.requires("inspection.view")
def index():
    fmt = exports.requested()
    sort, order = sort_order(request.args, SORTS, default="-date")
    flt = _filter()
    stmt = inspections.search(current_user, flt).order_by(order, Inspection.id.desc())
    if fmt:
        described = inspections.describe_inspection_filters(db.session, flt)
        return exports.send(inspections.inspections_export(db.session, stmt, described), fmt, "inspections.export")
    page = paginate(stmt)
    districts, units = _scope_choices()
    return render_template("inspections/index.html", page=page, sort=sort, districts=districts, units=units,
                           kinds=INSPECTION_KIND_LABELS, statuses=INSPECTION_STATUS_LABELS, args=request.args)


@bp.route("/calendar")
@authz.requires("inspection.view")
def month():
    today = local_today()
    try:
        year, number = (int(p) for p in request.args.get("month", f"{today.year}-{today.month}").split("-"))
        first = date(year, number, 1)
    except ValueError:
        first = today.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    flt = _filter()
    flt.date_from, flt.date_to = first, last
    rows = db.session.scalars(inspections.search(current_user, flt).order_by(Inspection.scheduled_on)).all()
    by_day: dict[int, list[Inspection]] = {}
    for inspection in rows:
        by_day.setdefault(inspection.scheduled_on.day, []).append(inspection)
    weeks = calendar.Calendar(firstweekday=0).monthdayscalendar(first.year, first.month)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    districts, units = _scope_choices()
    return render_template("inspections/calendar.html", first=first, weeks=weeks, by_day=by_day, today=today,
                           previous=previous, following=following, districts=districts, units=units,
                           kinds=INSPECTION_KIND_LABELS, statuses=INSPECTION_STATUS_LABELS, args=request.args)


@bp.route("/new", methods=["GET", "POST"])
@authz.requires("inspection.plan")
def new():
    is_officer = current_user.role == Role.OFFICER
    form = PlanForm()
    _districts, units = _scope_choices()
    units = [u for u in units if u.active]
    form.unit_id.choices = [(u.id, u.name) for u in units]
    form.kind.choices = ([("self", str(INSPECTION_KIND_LABELS["self"]))] if is_officer else
                         [(k, str(INSPECTION_KIND_LABELS[k])) for k in ("routine", "special", "spot")])
    current = checklists.current_versions(db.session)
    form.versions.choices = [(v.id, v.title) for v in current]
    unit = next((u for u in units if u.id == (form.unit_id.data or parse_id(request.args.get("unit")))),
                units[0] if units else None)
    candidates = inspections.team_candidates(db.session, unit) if unit and not is_officer else []
    if is_officer:
        del form.lead_id, form.member_ids  # a self-inspection's team is the unit's own officer
    else:
        form.lead_id.choices = [(u.id, u.display_name) for u in candidates]
        form.member_ids.choices = [(u.id, f"{u.display_name}（{u.org_node.name}）") for u in candidates]
    if request.method == "GET":
        if not is_officer:
            form.lead_id.data = current_user.id
        if unit:
            form.unit_id.data = unit.id
        default = "self-assessment" if is_officer else "network"
        form.versions.data = [v.id for v in current if v.template.key == default]
    if form.validate_on_submit():
        unit = authz.get_or_404(current_user, OrgNode, form.unit_id.data)
        chosen = [v for v in current if v.id in set(form.versions.data)]
        by_id = {u.id: u for u in candidates}
        try:
            inspection = inspections.plan_inspection(
                db.session, current_user, unit=unit, kind=form.kind.data, versions=chosen,
                scheduled_on=form.scheduled_on.data,
                lead=None if is_officer else by_id.get(form.lead_id.data, current_user),
                members=[] if is_officer else [by_id[i] for i in form.member_ids.data if i in by_id],
                title=form.title.data,
                scope=form.scope.data, notes=form.notes.data,
            )
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("已安排检查：%(title)s。", title=inspection.title), "success")
            return redirect(url_for("inspections.detail", inspection_id=inspection.id))
    return render_template("inspections/new.html", form=form, is_officer=is_officer)


@bp.route("/import", methods=["GET", "POST"])
@authz.requires("inspection.import")
def import_plan():
    form = ImportPlanForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = spreadsheets.read_table(upload.filename or "", upload.read(), inspections.MAX_PLAN_ROWS)
            report = inspections.import_plan(db.session, current_user, rows)
        except DomainError as exc:
            form.file.errors.append(exc.message)
        else:
            if not report.errors:
                flash(_("已导入 %(n)d 次检查。", n=len(report.created)), "success")
                return redirect(url_for("inspections.index", sort="date"))
    return render_template("inspections/import.html", form=form, report=report)


def _view(inspection: Inspection) -> inspections.InspectionView:
    return inspections.inspection_view(db.session, current_user._get_current_object(), inspection)


@bp.route("/<int:inspection_id>")
@authz.loads(Inspection, "inspection_id", "inspection.view")
def detail(inspection: Inspection):
    fmt = exports.requested()
    if fmt:
        sheet = inspections.answer_sheet(db.session, current_user._get_current_object(), inspection)
        return exports.send(sheet, fmt, "inspection.export")
    view = _view(inspection)
    return render_template(
        "inspections/detail.html", inspection=inspection, items=view.items, answers=view.answers,
        progress=view.progress, show_answers=view.show_answers, photos=view.photos, findings=view.findings,
        signatures=view.signatures, reason_form=ReasonForm(), notice=view.notice, tickets=view.tickets,
        section_titles={f"{i.version_id}:{i.section.key}": localized(i.section, "title") for i in view.items},
        can_fill=view.can_answer, is_lead=view.is_lead,
        scans=scans.scans_of(db.session, inspection) if view.show_answers else [], scan_form=ScanUploadForm(),
    )


@bp.route("/<int:inspection_id>/cancel", methods=["POST"])
@authz.loads(Inspection, "inspection_id", "inspection.view")
def cancel(inspection: Inspection):
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            inspections.cancel_inspection(db.session, current_user, inspection, form.reason.data)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("检查已取消。"), "success")
    else:
        flash(_("请填写取消原因。"), "error")
    return redirect(url_for("inspections.detail", inspection_id=inspection.id))


@bp.route("/<int:inspection_id>/reopen", methods=["POST"])
@authz.loads(Inspection, "inspection_id", "inspection.view")
def reopen(inspection: Inspection):
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            inspections.reopen_inspection(db.session, current_user, inspection, form.reason.data)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("检查已重新打开，可以更正答案；更正后需重新签名提交。"), "success")
            return redirect(url_for("inspections.fill", inspection_id=inspection.id))
    else:
        flash(_("请填写重新打开的原因。"), "error")
    return redirect(url_for("inspections.detail", inspection_id=inspection.id))


# Filling ----------------------------------------------------------------------------------------


@bp.route("/<int:inspection_id>/fill")
@authz.loads(Inspection, "inspection_id", "inspection.view")
def fill(inspection: Inspection):
    view = _view(inspection)
    if not view.is_member:
        abort(403)  # the team fills it; everyone else who sees it reads it
    if inspection.is_locked:
        flash(_("检查已提交，答案只读。"), "info")
        return redirect(url_for("inspections.detail", inspection_id=inspection.id))
    items = view.items
    suggestions = inspections.repeat_suggestions(db.session, inspection, items)
    return render_template(
        "inspections/fill.html", inspection=inspection, items=items, answers=view.answers,
        progress=view.progress, photos=view.photos, suggestions=suggestions, new_uuid=lambda: str(uuid.uuid4()),
        proposals=scans.pending_by_item(db.session, inspection),
        severities={i.id: inspections.step_up(i.severity) if i.id in suggestions else i.severity for i in items},
    )


# Rendered parts of checklist items, by (item id, language): items never change once synced.
_FRAGMENTS: dict[tuple[int, str], tuple[Markup, Markup]] = {}
_FRAGMENTS_LIMIT = 20000


@bp.app_template_global()
def item_fragments(items, words) -> dict[int, tuple[Markup, Markup]]:
    language = str(get_locale())
    missing = [i for i in items if (i.id, language) not in _FRAGMENTS]
    if missing:
        if len(_FRAGMENTS) > _FRAGMENTS_LIMIT:
            _FRAGMENTS.clear()
        static = get_template_attribute("inspections/_item_static.html", "item_static")
        help_ = get_template_attribute("inspections/_item_static.html", "item_help")
        for item in missing:
            _FRAGMENTS[item.id, language] = (static(item, words), help_(item, words))
    return {i.id: _FRAGMENTS[i.id, language] for i in items}


@bp.route("/<int:inspection_id>/items/<int:item_id>", methods=["POST"])
@authz.loads(Inspection, "inspection_id", "inspection.view")
def save_item(inspection: Inspection, item_id: int):
    """One answer sent by the plain form (the page's script sends the same through the API)."""
    data = AnswerForm().answer(item_id)
    if len(data.client_uuid) != 36:
        abort(400)
    try:
        inspections.save_answer(db.session, current_user, inspection, data)
    except ClassifiedSuspected as exc:
        flash(exc.message, "error")
    except AnswerConflict as exc:
        flash(exc.message, "error")
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("已保存。"), "success")
    return redirect(url_for("inspections.fill", inspection_id=inspection.id, _anchor=f"item-{item_id}"))


@bp.route("/<int:inspection_id>/submit", methods=["GET", "POST"])
@authz.loads(Inspection, "inspection_id", "inspection.view")
def submit(inspection: Inspection):
    view = _view(inspection)
    if not view.is_lead:
        abort(403)  # the lead signs and submits
    items, answers, state = view.items, view.answers, view.progress
    form = SignForm()
    if form.is_submitted() and not inspection.is_locked:
        try:
            findings = inspections.submit_inspection(db.session, current_user, inspection, form.signatures())
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("检查已提交，共发现 %(n)d 个问题。", n=len(findings)), "success")
            return redirect(url_for("inspections.detail", inspection_id=inspection.id, _anchor="findings"))
    if inspection.is_locked:
        return redirect(url_for("inspections.detail", inspection_id=inspection.id))
    return render_template("inspections/submit.html", inspection=inspection, items=items, progress=state,
                           preview=inspections.compute_score(items, answers) if state.done else None)


# Files ------------------------------------------------------------------------------------------


def _photo_or_404(inspection: Inspection, photo_id: int) -> Attachment:
    photo = inspections.photo_of(db.session, inspection, photo_id)
    if photo is None:
        abort(404)
    return photo


@bp.route("/<int:inspection_id>/photos/<int:photo_id>")
@authz.loads(Inspection, "inspection_id", "inspection.view")
def photo(inspection: Inspection, photo_id: int):
    return send_attachment(_photo_or_404(inspection, photo_id))


@bp.route("/<int:inspection_id>/photos/<int:photo_id>/thumb")
@authz.loads(Inspection, "inspection_id", "inspection.view")
def photo_thumbnail(inspection: Inspection, photo_id: int):
    return send_attachment(_photo_or_404(inspection, photo_id), thumbnail=True)


@bp.route("/<int:inspection_id>/signatures/<role>.png")
@authz.loads(Inspection, "inspection_id", "inspection.view")
def signature(inspection: Inspection, role: str):
    signed = _view(inspection).signatures.get(role)
    if signed is None:
        abort(404)
    return send_attachment(signed.attachment)
