"""The registers (台账): a bureau's units and their registers, one unit's registers and warnings, one register's
entries, an entry, and the spreadsheets in and out. Thin: each route loads through authz and calls
services/registers/."""

from __future__ import annotations

from functools import partial

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from .. import authz, clock
from ..extensions import db
from ..models import NodeKind, OrgNode, Role
from ..pagination import paginate, sort_order
from ..security import current_user
from ..services import DomainError, dashboard, registers, spreadsheets
from ..services.registers import REGISTERS, Field, Register
from . import bp
from .forms import ImportForm, RemoveForm, entry_form, entry_text, form_data

# The URL's name of each register's entry id.
ENTRY_IDS = {"personnel": "person_id", "carriers": "carrier_id", "devices": "device_id",
             "classifiers": "classifier_id", "matters": "matter_id", "key_places": "place_id"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_template_global()
def entry_url(register: Register, entry, action: str = "show") -> str:
    return url_for(f"registers.{action}_{register.key}", **{ENTRY_IDS[register.key]: entry.id})


@bp.app_template_global()
def register_value(entry, field: Field) -> str:
    return registers.shown(field, getattr(entry, field.name))


def _register(kind: str) -> Register:
    register = REGISTERS.get(kind)
    if register is None:
        raise NotFound()
    return register


def _unit_only(unit: OrgNode) -> None:
    if unit.kind != NodeKind.UNIT:
        raise NotFound()  # a bureau keeps no registers


@bp.route("")
@authz.requires("registers.view")
def index():
    user = current_user._get_current_object()
    if user.role == Role.OFFICER:
        return redirect(url_for("registers.unit", unit_id=user.org_node_id))
    districts = dashboard.district_choices(db.session, user)
    district = next((d for d in districts if str(d.id) == request.args.get("district")), None)
    if request.args.get("district") and district is None:
        raise NotFound()
    today = clock.local_today()
    stmt, columns = registers.units_query(user, q=request.args.get("q", ""),
                                          district_id=district.id if district else None, today=today)
    sort, order = sort_order(request.args, columns, "-violations")
    page = paginate(stmt.order_by(order, columns["name"]))
    return render_template("registers/index.html", page=page, sort=sort, rows=registers.unit_rows(
        db.session, page.items, today), districts=districts, district=district,
        district_rows=registers.district_rows(db.session, user, today))


@bp.route("/units/<int:unit_id>")
@authz.loads(OrgNode, "unit_id", "registers.view")
def unit(unit: OrgNode):
    _unit_only(unit)
    return render_template("registers/unit.html", unit=unit, data=registers.unit_registers(db.session, unit),
                           registers=REGISTERS.values())


@bp.route("/units/<int:unit_id>/<kind>")
@authz.loads(OrgNode, "unit_id", "registers.view")
def entries(unit: OrgNode, kind: str):
    _unit_only(unit)
    register, today = _register(kind), clock.local_today()
    model = register.model
    columns = {name: getattr(model, name) for name in ("number", register.title_field, *register.listed)}
    sort, order = sort_order(request.args, columns, "number")
    stmt = registers.entries_query(unit, register, q=request.args.get("q", ""), state=request.args.get("state", ""),
                                   rule=request.args.get("rule", ""), today=today)
    page = paginate(stmt.order_by(order.nulls_last(), model.id), per_page=50)
    return render_template("registers/entries.html", unit=unit, register=register, page=page, sort=sort,
                           today=today, flags=registers.flags(db.session, register, page.items, today),
                           rules=registers.rules_of(register))


def _entry_page(unit: OrgNode, register: Register, form, entry=None, status: int = 200):
    """The entry's page: its form for the unit's officer (with the confirmation box after a 422), its facts for
    everyone else."""
    today = clock.local_today()
    return render_template("registers/entry.html", unit=unit, register=register, form=form, entry=entry, today=today,
                           remove_form=RemoveForm(), confirm=status == 422,
                           flags=registers.flags(db.session, register, [entry], today) if entry else {},
                           editable=authz.can(current_user._get_current_object(), "registers.edit", unit)), status


def _refused(form, exc: DomainError) -> None:
    """Show a service's refusal beside the field it names (or above the form)."""
    db.session.rollback()
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
    else:
        flash(exc.message, "error")


@bp.route("/units/<int:unit_id>/<kind>/new", methods=["GET", "POST"])
@authz.loads(OrgNode, "unit_id", "registers.edit")
def new(unit: OrgNode, kind: str):
    _unit_only(unit)
    register = _register(kind)
    form = entry_form(register)
    if request.method == "POST":
        try:
            form.check()
            entry = registers.create_entry(db.session, current_user._get_current_object(), unit, register,
                                           entry_text(form, register),
                                           confirm_unclassified=form.confirm_unclassified.data)
        except DomainError as exc:
            _refused(form, exc)
            return _entry_page(unit, register, form, status=exc.status_code)
        flash(_("已登记 %(number)s。", number=entry.number), "success")
        return redirect(url_for("registers.entries", unit_id=unit.id, kind=register.key))
    return _entry_page(unit, register, form)


def show_entry(register: Register, entry):
    unit = db.session.get(OrgNode, entry.unit_id)
    return _entry_page(unit, register, entry_form(register, data={**form_data(register, entry),
                                                                  "revision": str(entry.revision)}), entry)


def update_entry(register: Register, entry):
    unit = db.session.get(OrgNode, entry.unit_id)
    form = entry_form(register)
    try:
        form.check()
        changed = registers.update_entry(db.session, current_user._get_current_object(), entry, register,
                                         entry_text(form, register), revision=form.revision.revision,
                                         confirm_unclassified=form.confirm_unclassified.data)
    except DomainError as exc:
        _refused(form, exc)
        db.session.refresh(entry)
        return _entry_page(unit, register, form, entry, status=exc.status_code)
    flash(_("已保存 %(number)s。", number=entry.number) if changed else _("没有改动。"), "success")
    return redirect(url_for("registers.entries", unit_id=unit.id, kind=register.key))


def remove_entry(register: Register, entry):
    form, unit_id, number = RemoveForm(), entry.unit_id, entry.number
    try:
        form.check()
        registers.remove_entry(db.session, current_user._get_current_object(), entry, register,
                               revision=form.revision.revision)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(entry_url(register, entry))
    flash(_("已删除 %(number)s。", number=number), "success")
    return redirect(url_for("registers.entries", unit_id=unit_id, kind=register.key))


def _entry_rules(register: Register) -> None:
    """An entry's pages: each register is a table of its own, its rows loaded through authz by their own id."""
    arg, key = ENTRY_IDS[register.key], register.key

    def gate(action: str):
        return authz.loads(register.model, arg, action, name="entry")

    bp.add_url_rule(f"/{key}/<int:{arg}>", f"show_{key}", gate("registers.view")(partial(show_entry, register)),
                    methods=["GET"])
    bp.add_url_rule(f"/{key}/<int:{arg}>", f"update_{key}", gate("registers.edit")(partial(update_entry, register)),
                    methods=["POST"])
    bp.add_url_rule(f"/{key}/<int:{arg}>/remove", f"remove_{key}",
                    gate("registers.edit")(partial(remove_entry, register)), methods=["POST"])


for _register_of in REGISTERS.values():
    _entry_rules(_register_of)


# Spreadsheets ---------------------------------------------------------------------------------------------


@bp.route("/units/<int:unit_id>/<kind>/import", methods=["GET", "POST"])
@authz.loads(OrgNode, "unit_id", "registers.edit")
def import_entries(unit: OrgNode, kind: str):
    _unit_only(unit)
    register, form, report = _register(kind), ImportForm(), None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            rows = spreadsheets.read_table(upload.filename or "", data, registers.MAX_IMPORT_ROWS)
            report = registers.import_entries(db.session, current_user._get_current_object(), unit, register, rows,
                                              digest=registers.file_digest(data),
                                              confirm_unclassified=form.confirm_unclassified.data)
        except DomainError as exc:
            form.file.errors.append(exc.message)
        else:
            if not report.errors:
                flash(_("已导入：新增 %(created)d 条，更新 %(updated)d 条，%(unchanged)d 条无变化。",
                        created=report.created, updated=report.updated, unchanged=report.unchanged), "success")
                return redirect(url_for("registers.entries", unit_id=unit.id, kind=register.key))
    return render_template("registers/import.html", unit=unit, register=register, form=form, report=report,
                           max_rows=registers.MAX_IMPORT_ROWS), 400 if report and report.errors else 200


@bp.route("/units/<int:unit_id>/<kind>/export.<fmt>")
@authz.loads(OrgNode, "unit_id", "registers.view")
def export(unit: OrgNode, kind: str, fmt: str):
    _unit_only(unit)
    if fmt not in ("xlsx", "csv"):
        abort(404)
    data, filename = registers.export(db.session, current_user._get_current_object(), unit, _register(kind), fmt)
    disposition = {"Content-Disposition": f"attachment; filename={filename}"}
    if fmt == "xlsx":
        return Response(data, mimetype=XLSX, headers=disposition)
    return Response(stream_with_context(data), content_type="text/csv; charset=utf-8", headers=disposition)
