"""Technical inspection results on the pages. Thin: services/scans/ reads the file, imports it and decides."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import authz
from ..extensions import db
from ..models import Inspection
from ..security import current_user
from ..services import DomainError, inspections, scans
from ..services.inspections import ClassifiedSuspected
from . import bp
from .forms import DecisionForm, ScanUploadForm


@bp.route("/<int:inspection_id>/scans", methods=["POST"])
@authz.loads(Inspection, "inspection_id", "scans.import")
def upload(inspection: Inspection):
    form = ScanUploadForm()
    if not form.validate_on_submit():
        flash(next((str(e) for f in form for e in f.errors), _("请选择文件。")), "error")
        return redirect(url_for("inspections.detail", inspection_id=inspection.id, _anchor="scans"))
    file = form.file.data
    try:
        scan, created = scans.import_scan(
            db.session, current_user._get_current_object(), inspection,
            scans.format.read(file.read(scans.format.MAX_BYTES + 1), file.filename or ""), source="upload",
            confirm_unclassified=form.confirm_unclassified.data)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("inspections.detail", inspection_id=inspection.id, _anchor="scans"))
    flash(_("已导入技术检查结果：%(n)d 条结果，%(f)d 条不通过。", n=scan.result_count, f=scan.failing_count) if created
          else _("这次扫描此前已导入，没有重复保存。"), "success")
    return redirect(url_for("scans.show", inspection_id=inspection.id, scan_id=scan.id))


@bp.route("/<int:inspection_id>/scans/<int:scan_id>")
@authz.loads(Inspection, "inspection_id", "inspection.view")
def show(inspection: Inspection, scan_id: int):
    scan = scans.scan_of(db.session, inspection, scan_id)
    view = inspections.inspection_view(db.session, current_user._get_current_object(), inspection)
    if scan is None or not view.show_answers:
        abort(404)
    return render_template("scans/scan.html", inspection=inspection, view=scans.scan_view(db.session, scan),
                           can_decide=view.can_answer, form=DecisionForm())


@bp.route("/<int:inspection_id>/proposals/<int:proposal_id>", methods=["POST"])
@authz.loads(Inspection, "inspection_id", "inspection.view")
def decide(inspection: Inspection, proposal_id: int):
    proposal = scans.proposal_of(db.session, inspection, proposal_id)
    if proposal is None:
        abort(404)
    form = DecisionForm()
    back = url_for("inspections.fill", inspection_id=inspection.id, _anchor=f"item-{proposal.item_id}")
    user = current_user._get_current_object()
    try:
        form.check()
        if form.decision.data == "confirm":
            scans.confirm(db.session, user, proposal, finding_text=form.finding_text.data,
                          confirm_unclassified=form.confirm_unclassified.data)
            flash(_("已确认：此项记为不符合，技术检查结果已写入备注。"), "success")
        else:
            scans.reject(db.session, user, proposal, form.reason.data)
            flash(_("已驳回这条技术检查结果。"), "success")
    except ClassifiedSuspected as exc:
        flash(exc.message, "error")
        # Back to the item, now asking for the confirmation.
        back = url_for("inspections.fill", inspection_id=inspection.id, confirm_proposal=proposal.id,
                       _anchor=f"item-{proposal.item_id}")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(back)
