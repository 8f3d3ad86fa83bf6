"""Official documents: download buttons, the stored PDFs, progress of big renders, and /verify.

Route names for the buttons on other areas' pages (all GET, scoped like everything else):

    url_for("documents.inspection_report", inspection_id=…)      检查报告
    url_for("documents.notice", notice_id=…)                     整改通知书
    url_for("documents.rectification_report", inspection_id=…)   整改情况报告
    url_for("documents.verify", code=…)                          文件核验

    url_for("documents.summary", **{"from": …, "to": …, "district": …})  保密检查情况通报
    url_for("documents.incident_report", incident_id=…)          泄密事件报告
    url_for("documents.case_bulletin", incident_id=…)            案件通报
    url_for("documents.appraisal_bulletin", round_id=…)          考核结果通报

Each renders the current version of the record (or finds it already rendered) and redirects to
/documents/<id>.pdf; a big document redirects to a progress page instead. Rendering the same version
again changes nothing, so these are safe as plain links. In templates, `document_url(kind, record)` gives
a button's URL only when the reader may have the document now, and `summary_url(filters)` the summary of
the dashboard's period and district.
"""

from __future__ import annotations

from datetime import date

from flask import jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound

from .. import authz, clock
from ..extensions import db
from ..ids import parse_id
from ..models import AppraisalRound, Document, DocumentKind, Incident, Inspection, NodeKind, Notice
from ..security import current_user, wants_json
from ..services import Conflict, DomainError, dashboard, documents
from ..services.documents import summary as summaries
from . import bp
from .forms import VerifyFileForm

_DOWNLOAD_ROUTES = {
    DocumentKind.INSPECTION_REPORT: ("documents.inspection_report", "inspection_id"),
    DocumentKind.NOTICE: ("documents.notice", "notice_id"),
    DocumentKind.RECTIFICATION_REPORT: ("documents.rectification_report", "inspection_id"),
    DocumentKind.INCIDENT_REPORT: ("documents.incident_report", "incident_id"),
    DocumentKind.CASE_BULLETIN: ("documents.case_bulletin", "incident_id"),
    DocumentKind.APPRAISAL: ("documents.appraisal_bulletin", "round_id"),
}


def render_url(kind: str, object_id: int | None, params: dict | None = None) -> str | None:
    """The URL that renders the current version of a record's document (a summary's: of its parameters)."""
    if kind == DocumentKind.SUMMARY:
        record = summaries.load(db.session, params or {})
        return _summary_url(record) if record is not None else None
    route = _DOWNLOAD_ROUTES.get(kind)
    return url_for(route[0], **{route[1]: object_id}) if route and object_id else None


def _summary_url(record: summaries.PeriodSummary) -> str:
    args = {"from": record.start.isoformat(), "to": record.end.isoformat()}
    if record.direct or record.bureau.kind == NodeKind.DISTRICT:
        args["district"] = str(record.bureau.id)
    return url_for("documents.summary", **args)


@bp.app_template_global()
def document_url(kind: str, record) -> str | None:
    """A download button's URL, or None when the reader may not have the document (yet): out of their role, or
    refused by the document's own rule (a report before submission, an officer's before the notice…)."""
    user = current_user._get_current_object() if current_user else None
    if record is None or not authz.can(user, "documents.view", record):
        return None
    try:
        documents.kind(kind).check(user, record)
    except DomainError:
        return None
    return render_url(kind, record.id)


@bp.app_template_global()
def summary_url(filters: dashboard.Filters) -> str | None:
    """The summary of the dashboard's period and district, for leaders and inspectors."""
    if not authz.can(current_user._get_current_object() if current_user else None, "documents.summary"):
        return None
    args = {"from": filters.start.isoformat(), "to": filters.end.isoformat()}
    if filters.district_id is not None:
        args["district"] = str(filters.district_id)
    return url_for("documents.summary", **args)


def _send(kind: str, record):
    prepared = documents.prepare(db.session, kind, record, current_user)
    result = documents.request_document(db.session, current_user, prepared)
    if isinstance(result, Document):
        return redirect(url_for(".download", document_id=result.id), 303)
    return redirect(url_for(".job", code=result.code), 303)


@bp.get("/inspections/<int:inspection_id>/report.pdf")
@authz.loads(Inspection, "inspection_id", "documents.view")
def inspection_report(inspection: Inspection):
    return _send(DocumentKind.INSPECTION_REPORT, inspection)


@bp.get("/notices/<int:notice_id>.pdf")
@authz.loads(Notice, "notice_id", "documents.view")
def notice(notice: Notice):
    return _send(DocumentKind.NOTICE, notice)


@bp.get("/inspections/<int:inspection_id>/rectification-report.pdf")
@authz.loads(Inspection, "inspection_id", "documents.view")
def rectification_report(inspection: Inspection):
    return _send(DocumentKind.RECTIFICATION_REPORT, inspection)


@bp.get("/incidents/<int:incident_id>/report.pdf")
@authz.loads(Incident, "incident_id", "documents.view")
def incident_report(incident: Incident):
    return _send(DocumentKind.INCIDENT_REPORT, incident)


@bp.get("/incidents/<int:incident_id>/bulletin.pdf")
@authz.loads(Incident, "incident_id", "documents.view")
def case_bulletin(incident: Incident):
    return _send(DocumentKind.CASE_BULLETIN, incident)


@bp.get("/appraisals/<int:round_id>/bulletin.pdf")
@authz.loads(AppraisalRound, "round_id", "appraisal.view_round", name="appraisal")
def appraisal_bulletin(appraisal: AppraisalRound):
    return _send(DocumentKind.APPRAISAL, appraisal)


def _day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("日期格式有误，请按“年-月-日”填写。"), field=name) from None


@bp.get("/documents/summary.pdf")
@authz.requires("documents.summary")
def summary():
    """保密检查情况通报 of a period (default: the dashboard's twelve months) for the reader's area, or one district
    of it: a district outside the reader's area answers 404 like one that does not exist."""
    user = current_user._get_current_object()
    start, end = _day("from"), _day("to")
    if start is None or end is None:
        default_start, default_end = dashboard.period_bounds(dashboard.DEFAULT_PERIOD, clock.local_today())
        start, end = start or default_start, end or default_end
    district = None
    if request.args.get("district"):
        district_id = parse_id(request.args["district"])
        district = next((d for d in summaries.district_choices(db.session, user) if d.id == district_id), None)
        if district is None:
            raise NotFound()
    record = summaries.period_summary(start, end, authz.scope_node(user), district)
    authz.require(user, "documents.summary", record.bureau)  # what it covers lies in the reader's area
    return _send(DocumentKind.SUMMARY, record)


def _document_or_404(document_id: int) -> Document:
    """A document through the scoping rules: a unit's through its unit; a summary's (no unit) through its area."""
    document = db.session.get(Document, document_id)
    if document is None or not authz.can_see_document(current_user, document):
        raise NotFound()
    return document


@bp.get("/documents/<int:document_id>.pdf")
@authz.requires("signed_in")  # a document outside the reader's scope answers 404 (_document_or_404)
def download(document_id: int):
    document = _document_or_404(document_id)
    record = documents.record_of(db.session, document)
    if record is not None and document.kind in documents.KINDS:
        documents.KINDS[document.kind].check(current_user, record)  # the same rules as the download buttons
    path = documents.file_path(document.sha256) if document.sha256 else None
    if path is None or not path.is_file():
        # The file was lost (a restored backup without the instance folder): render the version again,
        # which is possible only while it is still the record's current version.
        if record is None:
            raise NotFound()
        prepared = documents.prepare(db.session, document.kind, record, current_user)
        if prepared.code != document.verification_code:
            raise Conflict(_("记录已经更新，这一旧版本的文件已不再保存。请下载最新版本。"))
        document = documents.render_inline(db.session, current_user, prepared)
        path = documents.file_path(document.sha256)
    name = document.params.get("filename") or f"{document.verification_code}.pdf"
    response = send_file(path, mimetype="application/pdf", download_name=name,
                         as_attachment=request.args.get("download") == "1")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _job_or_404(code: str) -> documents.Job:
    job = documents.job_status(db.session, code)
    if job is None or not authz.can_see_document(current_user, job):
        raise NotFound()
    return job


_FAILURES = {
    "timeout": _l("文件过大，未能在规定时间内生成。请稍后重试；如仍失败，请联系系统管理员。"),
    "memory": _l("文件过大，生成时超出了内存上限。请联系系统管理员。"),
}


def _job_payload(job: documents.Job) -> dict:
    payload = {"state": job.state, "progress": job.progress, "pages_done": job.pages_done,
               "estimated_pages": job.estimated_pages}
    if job.state == "done" and job.document is not None:
        payload["url"] = url_for(".download", document_id=job.document.id)
    if job.state == "failed":
        payload["message"] = str(_FAILURES.get(job.error or "") or _("生成文件时出错，请重试。"))
    return payload


@bp.get("/documents/jobs/<code>")
@authz.requires("signed_in")  # a job outside the reader's scope answers 404 (_job_or_404)
def job(code: str):
    job = _job_or_404(code)
    if job.state == "done" and job.document is not None:
        return redirect(url_for(".download", document_id=job.document.id), 303)
    return render_template("documents/job.html", job=job, payload=_job_payload(job),
                           retry_url=render_url(job.kind or "", job.object_id, job.params),
                           kind_label=documents.KINDS[job.kind].label if job.kind in documents.KINDS else "")


@bp.get("/documents/jobs/<code>.json")
@authz.requires("signed_in")
def job_status(code: str):
    return jsonify(_job_payload(_job_or_404(code)))


@bp.get("/verify")
@authz.requires("signed_in")  # a code of a document outside the reader's scope reads as an unknown code
def verify():
    text = request.args.get("code", "").strip()
    result = documents.verify(db.session, current_user, text) if text else None
    malformed = bool(text) and documents.normalise_code(text) is None
    if wants_json():
        if result is None:
            return jsonify(found=False, message=_("未找到与该验证码对应的文件。")), 404
        return jsonify(found=True, code=result.document.verification_code, kind=result.document.kind,
                       record=result.record_label, current=result.current,
                       created_at=result.document.created_at.isoformat(),
                       latest_code=result.latest.verification_code if result.latest else None)
    shown = documents.normalise_code(text) or text  # what was scanned or typed, written as printed
    return render_template("documents/verify.html", text=shown, result=result, malformed=malformed,
                           render_url=render_url), (404 if text and result is None else 200)


@bp.post("/verify")
@authz.requires("signed_in")
def verify_file():
    """A PDF file checked whole: the bureau's SM2 signature, then what its verification code stands for."""
    form = VerifyFileForm()
    checked = None
    if form.validate_on_submit():
        data = form.file.data.read()
        if data.startswith(b"%PDF-"):
            checked = documents.verify_file(db.session, current_user, data)
        else:
            form.file.errors.append(_("这不是 PDF 文件。"))
    return render_template("documents/verify.html", text="", result=None, malformed=False, render_url=render_url,
                           checked=checked, file_errors=form.file.errors), (200 if checked else 422)
