"""The notification centre: the reader's own notifications, newest first; opening one marks it read."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import authz
from ..extensions import db
from ..models import Notification
from ..pagination import paginate
from ..security import current_user, safe_next
from ..services import notifications
from . import bp
from .forms import MarkReadForm


@bp.app_context_processor
def _unread():
    # A function, so the count is read only on pages that show it.
    def unread_notification_count() -> int:
        user = current_user._get_current_object() if current_user else None
        return notifications.unread_count(db.session, user) if user is not None else 0

    return {"unread_notification_count": unread_notification_count}


@bp.route("")
@authz.requires("notifications.read")
def index():
    user = current_user._get_current_object()
    unread_only = request.args.get("unread") == "1"
    stmt = notifications.for_user(user)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    page = paginate(stmt)
    return render_template("notifications/index.html", page=page, unread_only=unread_only,
                           text_of=notifications.text_of, url_of=notifications.url_of,
                           unread=notifications.unread_count(db.session, user))


# A notification is the reader's own: anyone else's answers 404 (authz loads it by the reader's id).


@bp.route("/<int:notification_id>/open")
@authz.loads(Notification, "notification_id", "notifications.read", name="note")
def open_(note: Notification):
    """Follow a notification to its object, marking it read on the way."""
    notifications.mark_read(db.session, current_user._get_current_object(), note)
    return redirect(notifications.url_of(note) or url_for("notifications.index"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@authz.loads(Notification, "notification_id", "notifications.read", name="note")
def mark_read(note: Notification):
    form = MarkReadForm()
    if form.validate_on_submit():
        notifications.mark_read(db.session, current_user._get_current_object(), note)
    return redirect(safe_next(form.next.data) or url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@authz.requires("notifications.read")
def mark_all_read():
    count = notifications.mark_all_read(db.session, current_user._get_current_object())
    flash(_("已将 %(n)d 条通知标为已读。", n=count) if count else _("没有未读通知。"), "success")
    return redirect(url_for("notifications.index"))
