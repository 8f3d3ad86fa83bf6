"""Notifications: the in-app centre, and e-mail when an SMTP server is configured.

A notification stores a kind and its parameters; its text is made when it is shown, in the reader's
language. E-mail is off unless MAIL_SERVER is set (the bureau's network may be closed). Mail is sent
only after the transaction that made the notifications commits, and a failure to send is logged,
never raised: the action the user took has already happened.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import current_app, has_app_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, scoped_session

from ..labels import APPRAISAL_BAND_LABELS, INCIDENT_KIND_LABELS, INCIDENT_STATUS_LABELS, ROLE_LABELS
from ..models import NodeKind, Notification, OrgNode, Role, User, utcnow

# The text of each kind, made at display time from the stored parameters.
_TEXTS: dict[str, Callable[[dict], str]] = {
    "notice_issued": lambda p: _("整改通知书 %(number)s 已下发：共 %(count)d 项整改事项，请按期整改。", **p),
    "notice_closed": lambda p: _("%(unit)s 的检查已办结：整改事项全部销号。", **p),
    "ticket_responded": lambda p: _("%(unit)s 报送了“%(title)s”的整改情况，请复查。", **p),
    "ticket_returned": lambda p: _("“%(title)s”的整改情况被退回：%(reason)s", **p),
    "ticket_accepted": lambda p: _("“%(title)s”复查通过，已销号。", **p),
    "ticket_cancelled": lambda p: _("“%(title)s”已撤销：%(reason)s", **p),
    "ticket_comment": lambda p: _("%(author)s 在“%(title)s”上留言：%(excerpt)s", **p),
    "extension_requested": lambda p: _("%(unit)s 申请将“%(title)s”延期至 %(until)s。", **p),
    "extension_granted": lambda p: _("“%(title)s”的延期申请已同意，新的整改期限为 %(until)s。", **p),
    "extension_refused": lambda p: _("“%(title)s”的延期申请未获同意：%(reason)s", **p),
    "due_soon": lambda p: _("“%(title)s”将于 %(due)s 到期，请抓紧整改并报送。", **p),
    "overdue": lambda p: _("%(unit)s 的“%(title)s”已逾期 %(days)d 天（期限 %(due)s）。", **p),
    "overdue_digest": lambda p: _("您管辖范围内共有 %(count)d 项整改逾期未完成。", **p),
    "incident_reported": lambda p: _("%(unit)s 发生%(what)s“%(title)s”（发现于 %(found)s），请及时了解处置。", **{
        **p, "what": str(INCIDENT_KIND_LABELS.get(p["what"], p["what"]))})
    + (" " + _("报告时已超过24小时。") if p.get("late") else ""),
    "incident_report_requested": lambda p: _("保密局已登记“%(title)s”，请于 %(due)s 前报送事件报告和补救措施。", **p),
    "incident_unit_reported": lambda p: _("%(unit)s 报送了“%(title)s”的事件报告。", **p)
    + (" " + _("报告时已超过24小时。") if p.get("late") else ""),
    "incident_supplement": lambda p: _("%(unit)s 补充报告了“%(title)s”的情况。", **p),
    "incident_status": lambda p: _("案件“%(title)s”：%(status)s。", **{
        **p, "status": str(INCIDENT_STATUS_LABELS.get(p["status"], p["status"]))}),
    "incident_rectification": lambda p: _("案件“%(title)s”提出了整改要求，请于 %(due)s 前整改并报送。", **p),
    "incident_report_overdue": lambda p: _("%(unit)s 的“%(title)s”已超过报告时限（%(due)s）%(hours)d 小时仍未报告。",
                                           **p),
    "incident_past_target": lambda p: _("案件“%(title)s”（%(unit)s）已超过办结期限 %(target)s %(days)d 天，尚未结案。",
                                        **p),
    "account_requested": lambda p: _(
        "系统管理员新建了账户 %(username)s（%(name)s，%(org)s），申请角色：%(role)s，请审核授权。",
        **{**p, "role": str(ROLE_LABELS.get(p["role"], p["role"]))}),
    "scan_imported": lambda p: _("%(tool)s 的技术检查结果已导入“%(title)s”：%(count)d 项不符合待您确认。", **p),
    "password_reset": lambda p: _(
        "您的密码已被 %(by)s 重置，原因：%(reason)s。如非您本人申请，请立即告知安全保密管理员。",
        # No one named: the command line, said in the reader's language, not the one it ran in.
        **{**p, "by": p["by"] or _("服务器命令行")}),
    "register_warnings": lambda p: _("本单位台账有 %(count)d 条预警，请核实并更新台账。", **p),
    "appraisal_approved": lambda p: _(
        "%(year)d年度保密工作责任制考核结果已审定：本单位得分 %(score)s，等次为%(band)s。",
        **{**p, "band": str(APPRAISAL_BAND_LABELS.get(p["band"], p["band"]))}) if p["band"] else _(
        "%(year)d年度保密工作责任制考核结果已审定：本单位本年度不评定等次，原因见考核结果。", **p),
}



def kinds() -> list[str]:
    return list(_TEXTS)


def text_of(notification: Notification) -> str:
    """The message in the current locale."""
    make = _TEXTS.get(notification.kind)
    if make is None:
        return notification.kind
    try:
        return make(notification.params)
    except (KeyError, TypeError, ValueError):
        # Parameters from an older version of the text; show the kind rather than fail the page.
        return notification.kind


def url_of(notification: Notification) -> str | None:
    """Where the notification leads; the target route checks scope again."""
    if notification.object_type == "ticket" and notification.object_id:
        return url_for("tickets.show", ticket_id=notification.object_id)
    if notification.object_type == "incident" and notification.object_id:
        return url_for("incidents.show", incident_id=notification.object_id)
    if notification.object_type == "notice" and notification.object_id:
        return url_for("tickets.notice", notice_id=notification.object_id)
    if notification.kind == "overdue_digest":
        return url_for("tickets.overdue")
    if notification.kind == "account_requested" and notification.object_id:
        return url_for("rights.edit_user", user_id=notification.object_id)
    if notification.object_type == "inspection" and notification.object_id:
        return url_for("inspections.detail", inspection_id=notification.object_id)
    if notification.kind == "notice_closed":
        return url_for("tickets.index")  # a self-inspection has no notice to show
    if notification.kind == "register_warnings" and notification.object_id:
        return url_for("registers.unit", unit_id=notification.object_id)
    if notification.kind == "appraisal_approved":
        params = notification.params
        return url_for("appraisals.unit_result", round_id=params["round_id"], unit_id=params["unit_id"])
    return None


# Recipients ----------------------------------------------------------------------------------------


def unit_officers(session: Session, unit_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.org_node_id == unit_id, User.role == Role.OFFICER,
                                                   User.active.is_(True)).order_by(User.id)))


def holders_over(session: Session, role: str, node: OrgNode) -> list[User]:
    """Active holders of `role` at a bureau whose subtree holds `node`."""
    ancestors = [int(part) for part in node.path.strip("/").split("/") if part]
    return list(session.scalars(
        select(User).join(OrgNode, User.org_node_id == OrgNode.id)
        .where(User.role == role, User.active.is_(True), OrgNode.id.in_(ancestors),
               OrgNode.kind != NodeKind.UNIT)
        .order_by(User.id)))


def leaders_over(session: Session, unit: OrgNode) -> list[User]:
    """Active leaders whose subtree holds `unit`."""
    return holders_over(session, Role.LEADER, unit)


# Writing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mail:
    to: str
    subject: str
    body: str


def notify(session: Session, recipients: Iterable[User], kind: str, obj: Any = None, **params) -> list[Notification]:
    """One notification per distinct active recipient; call inside the transaction of the change."""
    if kind not in _TEXTS:
        raise KeyError(f"unknown notification kind {kind!r}")
    made, seen = [], set()
    for user in recipients:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        note = Notification(user_id=user.id, kind=kind, params_json=json.dumps(params, ensure_ascii=False,
                                                                                 default=str),
                            object_type=obj.__tablename__ if obj is not None else None,
                            object_id=obj.id if obj is not None else None, created_at=utcnow())
        session.add(note)
        made.append(note)
        if user.email and _mail_configured():
            _queue_mail(session, user, note)
    return made


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def for_user(user: User):
    """A select of the user's notifications, newest first."""
    return select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())


def mark_read(session: Session, user: User, notification: Notification) -> None:
    from ..database import transaction

    if notification.user_id != user.id:
        raise PermissionError("not the reader's notification")
    if notification.read_at is None:
        with transaction(session):
            notification.read_at = utcnow()


def mark_all_read(session: Session, user: User) -> int:
    from ..database import transaction

    with transaction(session):
        result = session.execute(update(Notification)
                                 .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                                 .values(read_at=utcnow()))
    return result.rowcount or 0


# E-mail -----------------------------------------------------------------------------------------------


def _mail_configured() -> bool:
    return has_app_context() and bool(current_app.config.get("MAIL_SERVER"))


def _real(session: Session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def _queue_mail(session: Session, user: User, note: Notification) -> None:
    """Render the mail now (the reader's language; no SQL may run after commit) and send it after commit."""
    real = _real(session)
    with force_locale(user.language if user.language in current_app.config["LANGUAGES"] else "zh"):
        subject = _("【保密检查】%(text)s", text=text_of(note))[:150]
        body = "\n\n".join([text_of(note), _("请登录保密检查系统查看详情。"),
                            _("此邮件由系统自动发送，请勿回复。")])
    outbox = real.info.setdefault("mail_outbox", [])
    outbox.append(_Mail(user.email, subject, body))
    if not real.info.get("mail_hooked"):
        real.info["mail_hooked"] = True
        app = current_app._get_current_object()
        event.listen(real, "after_commit", lambda s: _send_outbox(app, s))
        event.listen(real, "after_soft_rollback", lambda s, _t: s.info.pop("mail_outbox", None))


def _send_outbox(app, session: Session) -> None:
    mails = session.info.pop("mail_outbox", None)
    if mails:
        send_mail(app.config, mails, app.logger)


def send_mail(config, mails: list[_Mail], log: logging.Logger) -> int:
    """Send over one SMTP connection; returns how many went. Never raises: failures are logged (on the
    app's logger: a module logger made at import time is silenced when Alembic configures logging)."""
    server = config.get("MAIL_SERVER", "")
    host, _sep, port_text = server.partition(":")
    try:
        port = int(port_text or config.get("MAIL_PORT", 25))
    except ValueError:
        log.error("MAIL_SERVER %r: the port is not a number; no mail sent", server)
        return 0
    sent = 0
    try:
        with smtplib.SMTP(host, port, timeout=config.get("MAIL_TIMEOUT", 5)) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            for mail in mails:
                message = EmailMessage()
                message["From"] = config.get("MAIL_FROM") or "noreply@localhost"
                message["To"] = mail.to
                message["Subject"] = mail.subject
                message.set_content(mail.body)
                try:
                    smtp.send_message(message)
                    sent += 1
                except smtplib.SMTPException:
                    log.exception("mail to %s was not sent", mail.to)
    except (OSError, smtplib.SMTPException):
        log.exception("mail server %s unreachable; %d notification mails not sent", server, len(mails) - sent)
    return sent
