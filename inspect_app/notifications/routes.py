"""The notification centre: the reader's own notifications, newest first; opening one marks it read."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from ..extensions import db
from ..models import Notification
from ..pagination import paginate
from ..security import current_user, safe_next
from ..services import notifications
from . import bp


def _user():
    return current_user._get_current_object()


def _own(notification_id: int) -> Notification:
    """The reader's notification; anyone else's answers 404."""
    note = db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                        Notification.user_id == _user().id))
    if note is None:
        raise NotFound()
    return note


@bp.app_context_processor
def _unread():
    # A function, so the count is read only on pages that show it.
    def unread_notification_count() -> int:
        user = current_user._get_current_object() if current_user else None
        return notifications.unread_count(db.session, user) if user is not None else 0

    return {"unread_notification_count": unread_notification_count}


@bp.route("")
def index():
    unread_only = request.args.get("unread") == "1"
    stmt = notifications.for_user(_user())
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    page = paginate(stmt)
    return render_template("notifications/index.html", page=page, unread_only=unread_only,
                           text_of=notifications.text_of, url_of=notifications.url_of,
                           unread=notifications.unread_count(db.session, _user()))


@bp.route("/<int:notification_id>/open")
def open_(notification_id: int):
    """Follow a notification to its object, marking it read on the way."""
    note = _own(notification_id)
    notifications.mark_read(db.session, _user(), note)
    return redirect(notifications.url_of(note) or url_for("notifications.index"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
def mark_read(notification_id: int):
    notifications.mark_read(db.session, _user(), _own(notification_id))
    return redirect(safe_next(request.form.get("next")) or url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
def mark_all_read():
    count = notifications.mark_all_read(db.session, _user())
    flash(_("已将 %(n)d 条通知标为已读。", n=count) if count else _("没有未读通知。"), "success")
    return redirect(url_for("notifications.index"))
