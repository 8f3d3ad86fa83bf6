"""After submit: the lead inspector reviews the findings and issues the notice (整改通知书).

Routes under /inspections/<id>/findings and /inspections/<id>/notice; the work is in
services/rectification/.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from .. import authz
from ..clock import local_today
from ..extensions import db
from ..ids import parse_id
from ..models import Finding, FindingStatus, Inspection, InspectionStatus
from ..security import current_user
from ..services import DomainError, inspections, rectification
from . import bp
from .forms import FindingReviewForm


def _review_page(inspection: Inspection, *, form: str | None = None, finding_id: int | None = None,
                 error: DomainError | None = None, status: int = 200, values: dict | None = None):
    user = current_user._get_current_object()
    view = inspections.inspection_view(db.session, user, inspection)
    findings = rectification.review_findings(db.session, inspection)
    by_id = {f.id: f for f in findings}
    tickets = {t.finding_id: t for t in view.tickets}
    today = local_today()
    suggestions = {}
    for f in findings:
        if f.is_repeat and f.item is not None:
            suggested = inspections.step_up(f.item.severity)
            if suggested != f.severity:
                suggestions[f.id] = suggested
    return render_template(
        "inspections/review_findings.html", inspection=inspection, findings=findings, by_id=by_id,
        tickets=tickets, notice=view.notice, lead=rectification.is_review_lead(user, inspection),
        editable=inspection.status == InspectionStatus.SUBMITTED and rectification.is_review_lead(user, inspection),
        due={f.id: rectification.due_date_for(f.severity, today) for f in findings}, suggestions=suggestions,
        form=form, finding_id=finding_id, error=error, values=values or {},
    ), status


@bp.route("/<int:inspection_id>/findings", endpoint="review_findings")
@authz.loads(Inspection, "inspection_id", "findings.review")
def review_findings(inspection: Inspection):
    return _review_page(inspection)


@bp.route("/<int:inspection_id>/findings/<int:finding_id>", methods=["POST"], endpoint="review_finding")
@authz.loads(Inspection, "inspection_id", "findings.review")
@authz.loads(Finding, "finding_id", "findings.review")
def review_finding(inspection: Inspection, finding: Finding):
    """One change to one finding: action = edit | merge | drop | restore."""
    if finding.inspection_id != inspection.id:
        raise NotFound()
    form = FindingReviewForm()
    action = form.action.data or ""
    user = current_user._get_current_object()
    try:
        if action == "edit":
            rectification.edit_finding(db.session, user, finding, description=form.description.data or "",
                                       severity=form.severity.data or "",
                                       confirm_unclassified=form.confirm_unclassified.data)
            message = _("已保存对问题的修改。")
        elif action == "merge":
            into = rectification.finding_of(db.session, inspection, parse_id(form.into.data))
            if into is None:
                raise DomainError(_("请选择要合并到的问题。"), field="into")
            rectification.merge_finding(db.session, user, finding, into)
            message = _("已合并到问题 %(key)s。", key=into.item_key)
        elif action == "drop":
            rectification.drop_finding(db.session, user, finding, form.reason.data or "")
            message = _("问题已撤销，不会下发整改。")
        elif action == "restore":
            rectification.restore_finding(db.session, user, finding)
            message = _("问题已恢复。")
        else:
            raise DomainError(_("未知的操作。"))
    except DomainError as exc:
        db.session.rollback()
        return _review_page(inspection, form=action, finding_id=finding.id, error=exc, status=exc.status_code,
                            values=form.submitted())
    flash(message, "success")
    return redirect(url_for("inspections.review_findings", inspection_id=inspection.id,
                            _anchor=f"finding-{finding.id}"))


@bp.route("/<int:inspection_id>/notice", methods=["GET", "POST"], endpoint="issue_notice")
@authz.loads(Inspection, "inspection_id", "findings.review")
def issue_notice(inspection: Inspection):
    user = current_user._get_current_object()
    notice = inspections.inspection_view(db.session, user, inspection).notice
    if notice is not None:
        return redirect(url_for("tickets.notice", notice_id=notice.id))
    error = None
    if request.method == "POST":
        try:
            notice = rectification.issue_notice(db.session, user, inspection)
        except DomainError as exc:
            db.session.rollback()
            error = exc
        else:
            flash(_("整改通知书 %(number)s 已下发，单位保密员已收到通知。", number=notice.number), "success")
            return redirect(url_for("tickets.notice", notice_id=notice.id))
    today = local_today()
    findings = rectification.active_findings(db.session, inspection)
    return render_template(
        "inspections/review_notice.html", inspection=inspection, findings=findings,
        planned=rectification.plan_tickets(findings, today), today=today,
        number=rectification.preview_number(db.session, inspection, today),
        lead=rectification.is_review_lead(user, inspection),
        dropped=[f for f in rectification.review_findings(db.session, inspection) if f.status != FindingStatus.ACTIVE],
        error=error,
    ), (error.status_code if error else 200)
