"""After submit: the lead inspector reviews the findings and issues the notice (整改通知书).

Routes under /inspections/<id>/findings and /inspections/<id>/notice; the work is in
services/rectification/.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from .. import authz
from ..clock import local_today
from ..extensions import db
from ..models import Finding, FindingStatus, Inspection, InspectionStatus, Notice, Ticket
from ..security import current_user
from ..services import DomainError, inspections, rectification
from . import bp


def _user():
    return current_user._get_current_object()


def _load(inspection_id: int) -> Inspection:
    inspection = authz.get_or_404(_user(), Inspection, inspection_id)
    if not authz.can(_user(), "findings.review", inspection):
        raise Forbidden()
    return inspection


def _notice_of(inspection: Inspection) -> Notice | None:
    return db.session.scalar(select(Notice).where(Notice.inspection_id == inspection.id))


def _review_page(inspection: Inspection, *, form: str | None = None, finding_id: int | None = None,
                 error: DomainError | None = None, status: int = 200):
    findings = rectification.review_findings(db.session, inspection)
    by_id = {f.id: f for f in findings}
    tickets = {t.finding_id: t for t in db.session.scalars(select(Ticket).where(Ticket.inspection_id == inspection.id))}
    today = local_today()
    suggestions = {}
    for f in findings:
        if f.is_repeat and f.item is not None:
            suggested = inspections.step_up(f.item.severity)
            if suggested != f.severity:
                suggestions[f.id] = suggested
    return render_template(
        "inspections/review_findings.html", inspection=inspection, findings=findings, by_id=by_id,
        tickets=tickets, notice=_notice_of(inspection), lead=rectification.is_review_lead(_user(), inspection),
        editable=inspection.status == InspectionStatus.SUBMITTED and rectification.is_review_lead(_user(), inspection),
        due={f.id: rectification.due_date_for(f.severity, today) for f in findings}, suggestions=suggestions,
        form=form, finding_id=finding_id, error=error, values=request.form if request.method == "POST" else {},
    ), status


@bp.route("/<int:inspection_id>/findings", endpoint="review_findings")
def review_findings(inspection_id: int):
    return _review_page(_load(inspection_id))


@bp.route("/<int:inspection_id>/findings/<int:finding_id>", methods=["POST"], endpoint="review_finding")
def review_finding(inspection_id: int, finding_id: int):
    """One change to one finding: action = edit | merge | drop | restore."""
    inspection = _load(inspection_id)
    finding = authz.get_or_404(_user(), Finding, finding_id)
    if finding.inspection_id != inspection.id:
        raise NotFound()
    action = request.form.get("action", "")
    user = _user()
    try:
        if action == "edit":
            rectification.edit_finding(db.session, user, finding, description=request.form.get("description", ""),
                                       severity=request.form.get("severity", ""),
                                       confirm_unclassified=request.form.get("confirm_unclassified") == "1")
            message = _("已保存对问题的修改。")
        elif action == "merge":
            into_id = _int(request.form.get("into"))
            into = db.session.get(Finding, into_id) if into_id else None
            if into is None or into.inspection_id != inspection.id:
                raise DomainError(_("请选择要合并到的问题。"), field="into")
            rectification.merge_finding(db.session, user, finding, into)
            message = _("已合并到问题 %(key)s。", key=into.item_key)
        elif action == "drop":
            rectification.drop_finding(db.session, user, finding, request.form.get("reason", ""))
            message = _("问题已撤销，不会下发整改。")
        elif action == "restore":
            rectification.restore_finding(db.session, user, finding)
            message = _("问题已恢复。")
        else:
            raise DomainError(_("未知的操作。"))
    except DomainError as exc:
        db.session.rollback()
        return _review_page(inspection, form=action, finding_id=finding.id, error=exc, status=exc.status_code)
    flash(message, "success")
    return redirect(url_for("inspections.review_findings", inspection_id=inspection.id,
                            _anchor=f"finding-{finding.id}"))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@bp.route("/<int:inspection_id>/notice", methods=["GET", "POST"], endpoint="issue_notice")
def issue_notice(inspection_id: int):
    inspection = _load(inspection_id)
    notice = _notice_of(inspection)
    if notice is not None:
        return redirect(url_for("tickets.notice", notice_id=notice.id))
    error = None
    if request.method == "POST":
        try:
            notice = rectification.issue_notice(db.session, _user(), inspection)
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
        lead=rectification.is_review_lead(_user(), inspection),
        dropped=[f for f in rectification.review_findings(db.session, inspection) if f.status != FindingStatus.ACTIVE],
        error=error,
    ), (error.status_code if error else 200)
