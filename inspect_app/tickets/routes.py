"""Rectification tickets: the unit's inbox, the bureau's queue, every ticket with its timeline, the overdue
lists, the findings list, the exports and the notice. Thin: each route loads through authz and calls
one service in services/rectification/ (or reads through services/rectification/lists.py)."""

from __future__ import annotations

from datetime import date

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden, NotFound

from .. import authz
from ..clock import local_today
from ..database import transaction
from ..extensions import db
from ..models import (
    Attachment,
    AttachmentKind,
    ExtensionRequest,
    Inspection,
    InspectionStatus,
    Notice,
    Role,
    Ticket,
    TicketEvent,
)
from ..pagination import paginate, sort_order
from ..security import current_user
from ..services import DomainError, attachments, audit, dashboard, rectification
from ..services.rectification import Upload
from ..services.rectification import lists as ticket_lists
from . import bp

VIEW_ROLES = {"inbox": (Role.OFFICER,), "queue": (Role.INSPECTOR,), "all": (Role.OFFICER, Role.INSPECTOR, Role.LEADER)}


def _user():
    return current_user._get_current_object()


def _require(action: str, obj=None) -> None:
    if not authz.can(_user(), action, obj):
        raise Forbidden()


# Lists ------------------------------------------------------------------------------------------------


@bp.route("/tickets")
def index():
    _require("tickets.view")
    return _list(ticket_lists.default_view(_user()))


@bp.route("/tickets/inbox", endpoint="inbox")
def inbox():
    return _list("inbox")


@bp.route("/tickets/queue", endpoint="queue")
def queue():
    return _list("queue")


@bp.route("/tickets/all", endpoint="all")
def all_tickets():
    return _list("all")


def _check_view(view: str) -> None:
    _require("tickets.view")
    if _user().role not in VIEW_ROLES[view]:
        raise Forbidden()


def _list(view: str):
    _check_view(view)
    user, today = _user(), local_today()
    flt = ticket_lists.TicketFilter.from_args(request.args)
    sort, order = sort_order(request.args, ticket_lists.ticket_sorts(today), ticket_lists.DEFAULT_SORTS[view])
    stmt = ticket_lists.with_ticket_details(ticket_lists.tickets_query(user, view, flt, today))
    page = paginate(stmt.order_by(order, Ticket.id))
    awaiting_notice = []
    if user.role == Role.INSPECTOR:
        awaiting_notice = db.session.scalars(authz.scoped(select(Inspection), Inspection, user).where(
            Inspection.lead_id == user.id, Inspection.status == InspectionStatus.SUBMITTED)
            .order_by(Inspection.submitted_at)).all()
    return render_template(
        "tickets/list.html", view=view, page=page, flt=flt, sort=sort, today=today,
        pending_ext=ticket_lists.with_pending_extension(db.session, page.items),
        counts=ticket_lists.view_counts(db.session, user, today), awaiting_notice=awaiting_notice,
        units=ticket_lists.unit_choices(db.session, user), districts=dashboard.district_choices(db.session, user),
        endpoint=request.endpoint)


@bp.route("/tickets/overdue")
def overdue():
    _require("tickets.view")
    user, today = _user(), local_today()
    if user.role == Role.OFFICER:
        return redirect(url_for("tickets.inbox", overdue=1))
    flt = ticket_lists.TicketFilter.from_args(request.args)
    flt.overdue = True
    groups = ticket_lists.overdue_by_district(db.session, user, today, flt)
    sorts = ticket_lists.ticket_sorts(today)
    sort, order = sort_order(request.args, sorts, "due")
    stmt = ticket_lists.with_ticket_details(ticket_lists.tickets_query(user, "all", flt, today))
    page = paginate(stmt.order_by(order, Ticket.id))
    return render_template("tickets/overdue.html", groups=groups, page=page, flt=flt, sort=sort, today=today,
                           pending_ext=ticket_lists.with_pending_extension(db.session, page.items),
                           counts=ticket_lists.view_counts(db.session, user, today), view="overdue",
                           units=ticket_lists.unit_choices(db.session, user),
                           districts=dashboard.district_choices(db.session, user))


@bp.route("/tickets/findings")
def findings():
    _require("findings.view")
    user, today = _user(), local_today()
    flt = ticket_lists.FindingFilter.from_args(request.args)
    sort, order = sort_order(request.args, ticket_lists.FINDING_SORTS, "-created")
    stmt = ticket_lists.with_finding_details(ticket_lists.findings_query(user, flt))
    page = paginate(stmt.order_by(order, ticket_lists.Finding.id))
    return render_template("tickets/findings.html", page=page, flt=flt, sort=sort, today=today, view="findings",
                           tickets=ticket_lists.tickets_of(db.session, page.items),
                           counts=ticket_lists.view_counts(db.session, user, today),
                           units=ticket_lists.unit_choices(db.session, user),
                           districts=dashboard.district_choices(db.session, user))


# Exports ------------------------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(fmt: str, kind: str, title: str, columns, rows, flt) -> Response:
    if fmt not in ("xlsx", "csv"):
        raise NotFound()
    with transaction(db.session):
        audit.record(db.session, _user(), f"{kind}.export", details={"format": fmt, **flt.as_args(),
                                                                     **({"view": request.args["view"]}
                                                                        if request.args.get("view") else {})})
    stamp = local_today().isoformat()
    filename = f"{kind}-{stamp}.{fmt}"
    if fmt == "xlsx":
        data = ticket_lists.to_xlsx(title, columns, rows, ticket_lists.describe_filter(flt, db.session),
                                    _user().display_name)
        return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={filename}"})
    return Response(stream_with_context(ticket_lists.to_csv(columns, rows)), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.route("/tickets/export.<fmt>")
def export_tickets(fmt: str):
    view = request.args.get("view", "all")
    if view not in ticket_lists.VIEWS:
        view = "all"
    _check_view(view)
    user, today = _user(), local_today()
    flt = ticket_lists.TicketFilter.from_args(request.args)
    _sort, order = sort_order(request.args, ticket_lists.ticket_sorts(today), ticket_lists.DEFAULT_SORTS[view])
    stmt = ticket_lists.tickets_query(user, view, flt, today).order_by(order, Ticket.id)
    return _export(fmt, "tickets", "整改事项", ticket_lists.TICKET_COLUMNS,
                   ticket_lists.ticket_rows(db.session, stmt, today), flt)


@bp.route("/tickets/findings/export.<fmt>")
def export_findings(fmt: str):
    _require("findings.view")
    flt = ticket_lists.FindingFilter.from_args(request.args)
    _sort, order = sort_order(request.args, ticket_lists.FINDING_SORTS, "-created")
    stmt = ticket_lists.findings_query(_user(), flt).order_by(order, ticket_lists.Finding.id)
    return _export(fmt, "findings", "问题清单", ticket_lists.FINDING_COLUMNS,
                   ticket_lists.finding_rows(db.session, stmt), flt)


# One ticket -------------------------------------------------------------------------------------------------


def _load(ticket_id: int) -> Ticket:
    _require("tickets.view")
    return authz.get_or_404(_user(), Ticket, ticket_id)


def _page(ticket: Ticket, *, form: str | None = None, error: DomainError | None = None, status: int = 200):
    user, today = _user(), local_today()
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                .order_by(TicketEvent.at, TicketEvent.id)).all()
    files: dict[int | None, list[Attachment]] = {}
    for attachment in db.session.scalars(select(Attachment).where(
            Attachment.ticket_id == ticket.id, Attachment.removed_at.is_(None)).order_by(Attachment.id)):
        files.setdefault(attachment.ticket_event_id, []).append(attachment)
    photos = db.session.scalars(select(Attachment).where(
        Attachment.inspection_id == ticket.inspection_id, Attachment.item_id == ticket.finding.item_id,
        Attachment.kind == AttachmentKind.PHOTO, Attachment.removed_at.is_(None)).order_by(Attachment.id)).all()
    extensions = db.session.scalars(select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id)
                                    .order_by(ExtensionRequest.id)).all()
    earlier = None
    if ticket.finding.repeat_of_id:
        earlier = db.session.scalar(authz.scoped(select(Ticket), Ticket, user)
                                    .where(Ticket.finding_id == ticket.finding.repeat_of_id))
    side = {
        "officer": rectification.is_unit_officer(user, ticket),
        "verifier": rectification.is_verifier(user, ticket),
        "comment": rectification.may_comment(user, ticket),
    }
    refusals = {action: rectification.refusal(action, ticket.status)
                for action in ("respond", "extension", "accept", "recheck", "cancel")}
    values = request.form if request.method == "POST" else {}
    return render_template(
        "tickets/show.html", ticket=ticket, finding=ticket.finding, inspection=ticket.inspection, events=events,
        files=files, draft_files=files.get(None, []), photos=photos, extensions=extensions,
        pending=next((e for e in extensions if e.status == "pending"), None), earlier=earlier, side=side,
        refusals=refusals, today=today, form=form, error=error, values=values,
        upload_limit=int(current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)),
    ), status


@bp.route("/tickets/<int:ticket_id>")
def show(ticket_id: int):
    return _page(_load(ticket_id))


def _form_date(name: str) -> date | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("日期格式不正确，请用日期选择器选择。"), field=name) from None


def _revision() -> int | None:
    raw = request.form.get("revision")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # a mangled form is as stale as an old one


def _uploads() -> list[Upload]:
    return [Upload(f.read(), f.filename or "") for f in request.files.getlist("files") if f and f.filename]


def _confirmed() -> bool:
    return request.form.get("confirm_unclassified") == "1"


def _act(ticket: Ticket, form: str, action, success: str, anchor: str = "timeline"):
    """Run one service call; on refusal show the ticket again with the reason beside the form and the
    user's input kept."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        db.session.refresh(ticket)
        return _page(ticket, form=form, error=exc, status=exc.status_code)
    flash(success, "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id, _anchor=anchor))


@bp.route("/tickets/<int:ticket_id>/respond", methods=["POST"])
def respond(ticket_id: int):
    ticket = _load(ticket_id)
    if request.form.get("action") == "draft":
        return _act(ticket, "respond", lambda: rectification.save_draft(
            db.session, _user(), ticket, measures=request.form.get("measures"),
            responsible=request.form.get("responsible"), completed_on=_form_date("completed_on"),
            uploads=_uploads(), confirm_unclassified=_confirmed()), _("草稿已保存，尚未报送。"), "respond")
    return _act(ticket, "respond", lambda: rectification.respond(
        db.session, _user(), ticket, measures=request.form.get("measures"),
        responsible=request.form.get("responsible"), completed_on=_form_date("completed_on"), uploads=_uploads(),
        revision=_revision(), confirm_unclassified=_confirmed()), _("整改情况已报送，等待检查机关复查。"))


@bp.route("/tickets/<int:ticket_id>/evidence/<int:attachment_id>/remove", methods=["POST"])
def remove_evidence(ticket_id: int, attachment_id: int):
    ticket = _load(ticket_id)
    attachment = authz.get_or_404(_user(), Attachment, attachment_id)
    return _act(ticket, "respond", lambda: rectification.remove_evidence(db.session, _user(), ticket, attachment),
                _("已删除这份草稿材料。"), "respond")


@bp.route("/tickets/<int:ticket_id>/extension", methods=["POST"])
def request_extension(ticket_id: int):
    ticket = _load(ticket_id)
    return _act(ticket, "extension", lambda: rectification.request_extension(
        db.session, _user(), ticket, until=_form_date("until"), reason=request.form.get("reason"),
        confirm_unclassified=_confirmed()), _("延期申请已提交，等待审批。"))


@bp.route("/tickets/<int:ticket_id>/extensions/<int:extension_id>", methods=["POST"])
def decide_extension(ticket_id: int, extension_id: int):
    ticket = _load(ticket_id)
    extension = authz.get_or_404(_user(), ExtensionRequest, extension_id)
    if extension.ticket_id != ticket.id:
        raise NotFound()
    grant = request.form.get("decision") == "grant"
    if request.form.get("decision") not in ("grant", "refuse"):
        return _page(ticket, form="decide", error=DomainError(_("请选择同意或不同意。"), field="decision"),
                     status=400)
    return _act(ticket, "decide", lambda: rectification.decide_extension(
        db.session, _user(), extension, grant=grant, reason=request.form.get("decision_reason"),
        new_due_date=_form_date("new_due_date") if grant else None),
        _("已同意延期。") if grant else _("已不同意延期。"))


@bp.route("/tickets/<int:ticket_id>/accept", methods=["POST"])
def accept(ticket_id: int):
    ticket = _load(ticket_id)
    return _act(ticket, "accept", lambda: rectification.accept(
        db.session, _user(), ticket, note=request.form.get("note"), revision=_revision(),
        confirm_unclassified=_confirmed()), _("已复查通过，整改事项销号。"))


@bp.route("/tickets/<int:ticket_id>/return", methods=["POST"])
def return_ticket(ticket_id: int):
    ticket = _load(ticket_id)
    return _act(ticket, "return", lambda: rectification.return_ticket(
        db.session, _user(), ticket, reason=request.form.get("reason"), new_due_date=_form_date("new_due_date"),
        revision=_revision(), confirm_unclassified=_confirmed()), _("已退回，单位将收到退回理由。"))


@bp.route("/tickets/<int:ticket_id>/recheck", methods=["POST"])
def recheck(ticket_id: int):
    ticket = _load(ticket_id)
    return _act(ticket, "recheck", lambda: rectification.record_recheck(
        db.session, _user(), ticket, note=request.form.get("note"), uploads=_uploads(),
        confirm_unclassified=_confirmed()), _("现场复查情况已记录。"))


@bp.route("/tickets/<int:ticket_id>/cancel", methods=["POST"])
def cancel(ticket_id: int):
    ticket = _load(ticket_id)
    return _act(ticket, "cancel", lambda: rectification.cancel_ticket(
        db.session, _user(), ticket, reason=request.form.get("reason")), _("整改事项已撤销。"))


@bp.route("/tickets/<int:ticket_id>/comment", methods=["POST"])
def comment(ticket_id: int):
    ticket = _load(ticket_id)
    return _act(ticket, "comment", lambda: rectification.comment(
        db.session, _user(), ticket, request.form.get("body"), confirm_unclassified=_confirmed()),
        _("留言已发送。"))


@bp.route("/tickets/<int:ticket_id>/files/<int:attachment_id>")
def file(ticket_id: int, attachment_id: int):
    """Evidence and the finding's photos, only through the ticket the reader may see."""
    user = _user()
    ticket = _load(ticket_id)
    attachment = authz.get_or_404(user, Attachment, attachment_id)
    if attachment.removed_at is not None:
        raise NotFound()
    if attachment.kind == AttachmentKind.EVIDENCE and attachment.ticket_id == ticket.id:
        # A draft's files are the unit's until it sends them.
        if attachment.ticket_event_id is None and not rectification.is_unit_officer(user, ticket):
            raise NotFound()
    elif not (attachment.kind == AttachmentKind.PHOTO and attachment.inspection_id == ticket.inspection_id
              and attachment.item_id == ticket.finding.item_id):
        raise NotFound()
    thumb = request.args.get("size") == "thumb" and attachment.is_image
    try:
        stored = attachments.open_stored(attachment.sha256, thumbnail=thumb)
    except (OSError, ValueError):
        raise NotFound() from None
    response = send_file(stored, mimetype="image/jpeg" if thumb else attachment.mime,
                         as_attachment=not attachment.is_image, download_name=attachment.filename,
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# The notice -----------------------------------------------------------------------------------------------


@bp.route("/notices/<int:notice_id>")
def notice(notice_id: int):
    _require("notice.view")
    item = authz.get_or_404(_user(), Notice, notice_id)
    tickets = db.session.scalars(select(Ticket).where(Ticket.notice_id == item.id).order_by(Ticket.id)).all()
    finished = db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.notice_id == item.id, Ticket.status.in_(rectification.FINISHED)))
    return render_template("tickets/notice.html", notice=item, inspection=item.inspection, tickets=tickets,
                           finished=finished, today=local_today())
