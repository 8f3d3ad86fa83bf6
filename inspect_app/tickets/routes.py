"""Rectification tickets: the unit's inbox, the bureau's queue, every ticket with its timeline, the overdue
lists, the findings list, the exports and the notice. Thin: each route loads through authz and calls
one service in services/rectification/ (or reads through its lists.py and view.py); the forms are in forms.py."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from .. import authz, exports
from ..clock import local_today
from ..downloads import send_attachment
from ..extensions import db
from ..forms import Form, act
from ..models import Attachment, ExtensionRequest, Notice, Role, Ticket
from ..pagination import paginate, sort_order
from ..security import current_user
from ..services import DomainError, dashboard, rectification, spreadsheets
from ..services.rectification import lists as ticket_lists
from . import bp
from .forms import (
    AcceptForm,
    CancelForm,
    CommentForm,
    DecideExtensionForm,
    ExtensionForm,
    RecheckForm,
    RespondForm,
    ReturnForm,
)

# Each list's gate: the unit's inbox, the bureau's queue, and all tickets in scope.
VIEW_ACTIONS = {"inbox": "tickets.inbox", "queue": "tickets.queue", "all": "tickets.view"}


# Lists ------------------------------------------------------------------------------------------------


@bp.route("/tickets")
@authz.requires("tickets.view")
def index():
    return _list(ticket_lists.default_view(current_user._get_current_object()))


@bp.route("/tickets/inbox", endpoint="inbox")
@authz.requires(VIEW_ACTIONS["inbox"])
def inbox():
    return _list("inbox")


@bp.route("/tickets/queue", endpoint="queue")
@authz.requires(VIEW_ACTIONS["queue"])
def queue():
    return _list("queue")


@bp.route("/tickets/all", endpoint="all")
@authz.requires(VIEW_ACTIONS["all"])
def all_tickets():
    return _list("all")


def _list(view: str):
    user, today = current_user._get_current_object(), local_today()
    flt = ticket_lists.TicketFilter.from_args(request.args)
    sort, order = sort_order(request.args, ticket_lists.ticket_sorts(today), ticket_lists.DEFAULT_SORTS[view])
    stmt = ticket_lists.with_ticket_details(ticket_lists.tickets_query(user, view, flt, today))
    page = paginate(stmt.order_by(order, Ticket.id))
    awaiting_notice = rectification.awaiting_notice(db.session, user) if user.role == Role.INSPECTOR else []
    return render_template(
        "tickets/list.html", view=view, page=page, flt=flt, sort=sort, today=today,
        pending_ext=ticket_lists.with_pending_extension(db.session, page.items),
        counts=ticket_lists.view_counts(db.session, user, today), awaiting_notice=awaiting_notice,
        units=ticket_lists.unit_choices(db.session, user), districts=dashboard.district_choices(db.session, user),
        endpoint=request.endpoint)


@bp.route("/tickets/overdue")
@authz.requires("tickets.view")
def overdue():
    user, today = current_user._get_current_object(), local_today()
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
@authz.requires("findings.view")
def findings():
    user, today = current_user._get_current_object(), local_today()
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

def _export(fmt: str, kind: str, title: str, columns, rows, flt) -> Response:
    filters = ticket_lists.describe_filter(flt, db.session)
    if request.args.get("view") in ticket_lists.VIEWS:
        filters.append(("列表", request.args["view"]))
    return exports.send(spreadsheets.Export.table(kind, title, columns, rows, filters), fmt, f"{kind}.export")


@bp.route("/tickets/export.<fmt>")
@authz.requires("tickets.view")
def export_tickets(fmt: str):
    view = request.args.get("view", "all")
    if view not in ticket_lists.VIEWS:
        view = "all"
    user, today = current_user._get_current_object(), local_today()
    authz.require(user, VIEW_ACTIONS[view])  # the list named in the query string, gated as its page is
    flt = ticket_lists.TicketFilter.from_args(request.args)
    _sort, order = sort_order(request.args, ticket_lists.ticket_sorts(today), ticket_lists.DEFAULT_SORTS[view])
    stmt = ticket_lists.tickets_query(user, view, flt, today).order_by(order, Ticket.id)
    return _export(fmt, "tickets", "整改事项", ticket_lists.TICKET_COLUMNS,
                   ticket_lists.ticket_rows(db.session, stmt, today), flt)


@bp.route("/tickets/findings/export.<fmt>")
@authz.requires("findings.view")
def export_findings(fmt: str):
    flt = ticket_lists.FindingFilter.from_args(request.args)
    _sort, order = sort_order(request.args, ticket_lists.FINDING_SORTS, "-created")
    user = current_user._get_current_object()
    stmt = ticket_lists.findings_query(user, flt).order_by(order, ticket_lists.Finding.id)
    return _export(fmt, "findings", "问题清单", ticket_lists.FINDING_COLUMNS,
                   ticket_lists.finding_rows(db.session, stmt), flt)


# One ticket -------------------------------------------------------------------------------------------------


def _page(ticket: Ticket, *, form: str | None = None, error: DomainError | None = None, status: int = 200,
          values: dict | None = None):
    view = rectification.ticket_view(db.session, current_user._get_current_object(), ticket)
    return render_template(
        "tickets/show.html", ticket=ticket, finding=ticket.finding, inspection=ticket.inspection,
        incident=ticket.incident, events=view.events,
        files=view.files, draft_files=view.draft_files, photos=view.photos, extensions=view.extensions,
        pending=view.pending, earlier=view.earlier, side=view.side, refusals=view.refusals, today=local_today(),
        form=form, error=error, values=values or {},
        upload_limit=int(current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)),
    ), status


@bp.route("/tickets/<int:ticket_id>")
@authz.loads(Ticket, "ticket_id", "tickets.view")
def show(ticket: Ticket):
    return _page(ticket)


def _act(ticket: Ticket, name: str, form, action, success: str, anchor: str = "timeline"):
    return act(ticket, name, form, action, success, page=_page,
               to=url_for("tickets.show", ticket_id=ticket.id, _anchor=anchor))


@bp.route("/tickets/<int:ticket_id>/respond", methods=["POST"])
@authz.loads(Ticket, "ticket_id", "tickets.view")
def respond(ticket: Ticket):
    user, form = current_user._get_current_object(), RespondForm()
    if form.is_draft:
        return _act(ticket, "respond", form, lambda: rectification.save_draft(
            db.session, user, ticket, measures=form.measures.data, responsible=form.responsible.data,
            completed_on=form.completed_on.day, uploads=form.uploads(),
            confirm_unclassified=form.confirm_unclassified.data), _("草稿已保存，尚未报送。"), "respond")
    return _act(ticket, "respond", form, lambda: rectification.respond(
        db.session, user, ticket, measures=form.measures.data, responsible=form.responsible.data,
        completed_on=form.completed_on.day, uploads=form.uploads(), revision=form.revision.revision,
        confirm_unclassified=form.confirm_unclassified.data), _("整改情况已报送，等待检查机关复查。"))


@bp.route("/tickets/<int:ticket_id>/evidence/<int:attachment_id>/remove", methods=["POST"])
@authz.loads(Ticket, "ticket_id", "tickets.view")
@authz.loads(Attachment, "attachment_id", "tickets.view")
def remove_evidence(ticket: Ticket, attachment: Attachment):
    user = current_user._get_current_object()
    return _act(ticket, "respond", Form(), lambda: rectification.remove_evidence(db.session, user, ticket, attachment),
                _("已删除这份草稿材料。"), "respond")


@bp.route("/tickets/<int:ticket_id>/extension", methods=["POST"])
@authz.loads(Ticket, "ticket_id", "tickets.view")
def request_extension(ticket: Ticket):
    user, form = current_user._get_current_object(), ExtensionForm()
    return _act(ticket, "extension", form, lambda: rectification.request_extension(
        db.session, user, ticket, until=form.until.day, reason=form.reason.data,
        confirm_unclassified=form.confirm_unclassified.data), _("延期申请已提交，等待审批。"))


@bp.route("/tickets/<int:ticket_id>/extensions/<int:extension_id>", methods=["POST"])
@authz.loads(Ticket, "ticket_id", "tickets.view")
@authz.loads(ExtensionRequest, "extension_id", "tickets.view")
def decide_extension(ticket: Ticket, extension: ExtensionRequest):
    if extension.ticket_id != ticket.id:
        raise NotFound()
    user, form = current_user._get_current_object(), DecideExtensionForm()
    return _act(ticket, "decide", form, lambda: rectification.decide_extension(
        db.session, user, extension, grant=form.grant, reason=form.decision_reason.data,
        new_due_date=form.new_due_date.day if form.grant else None),
        _("已同意延期。") if form.grant else _("已不同意延期。"))


@bp.route("/tickets/<int:ticket_id>/accept", methods=["POST"])
@authz.loads(Ticket, "ticket_id", "tickets.view")
def accept(ticket: Ticket):
    user, form = current_user._get_current_object(), AcceptForm()
    return _act(ticket, "accept", form, lambda: rectification.accept(
        db.session, user, ticket, note=form.note.data, revision=form.revision.revision,
        confirm_unclassified=form.confirm_unclassified.data), _("已复查通过，整改事项销号。"))


@bp.route("/tickets/<int:ticket_id>/return", methods=["POST"])
@authz.loads(Ticket, "ticket_id", "tickets.view")
def return_ticket(ticket: Ticket):
    user, form = current_user._get_current_object(), ReturnForm()
    return _act(ticket, "return", form, lambda: rectification.return_ticket(
        db.session, user, ticket, reason=form.reason.data, new_due_date=form.new_due_date.day,
        revision=form.revision.revision, confirm_unclassified=form.confirm_unclassified.data),
        _("已退回，单位将收到退回理由。"))


@bp.route("/tickets/<int:ticket_id>/recheck", methods=["POST"])
@authz.loads(Ticket, "ticket_id", "tickets.view")
def recheck(ticket: Ticket):
    user, form = current_user._get_current_object(), RecheckForm()
    return _act(ticket, "recheck", form, lambda: rectification.record_recheck(
        db.session, user, ticket, note=form.note.data, uploads=form.uploads(),
        confirm_unclassified=form.confirm_unclassified.data), _("现场复查情况已记录。"))


@bp.route("/tickets/<int:ticket_id>/cancel", methods=["POST"])
@authz.loads(Ticket, "ticket_id", "tickets.view")
def cancel(ticket: Ticket):
    user, form = current_user._get_current_object(), CancelForm()
    return _act(ticket, "cancel", form, lambda: rectification.cancel_ticket(
        db.session, user, ticket, reason=form.reason.data), _("整改事项已撤销。"))


@bp.route("/tickets/<int:ticket_id>/comment", methods=["POST"])
@authz.loads(Ticket, "ticket_id", "tickets.view")
def comment(ticket: Ticket):
    user, form = current_user._get_current_object(), CommentForm()
    return _act(ticket, "comment", form, lambda: rectification.comment(
        db.session, user, ticket, form.body.data, confirm_unclassified=form.confirm_unclassified.data),
        _("留言已发送。"))


@bp.route("/tickets/<int:ticket_id>/files/<int:attachment_id>")
@authz.loads(Ticket, "ticket_id", "tickets.view")
@authz.loads(Attachment, "attachment_id", "tickets.view")
def file(ticket: Ticket, attachment: Attachment):
    """Evidence and the finding's photos, only through the ticket the reader may see."""
    if not rectification.shows_file(current_user._get_current_object(), ticket, attachment):
        raise NotFound()
    return send_attachment(attachment, thumbnail=request.args.get("size") == "thumb" and attachment.is_image)


# The notice -----------------------------------------------------------------------------------------------


@bp.route("/notices/<int:notice_id>")
@authz.loads(Notice, "notice_id", "notice.view")
def notice(notice: Notice):
    view = rectification.notice_view(db.session, notice)
    return render_template("tickets/notice.html", notice=notice, inspection=notice.inspection, tickets=view.tickets,
                           finished=view.finished, today=local_today())
