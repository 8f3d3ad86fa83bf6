"""What every rectification step shares: the deadlines, who may act, which states allow which action
(and the explanation when they refuse it), the text checks and the ticket's timeline events."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ... import authz
from ...config import Defaults
from ...models import (
    Inspection,
    Role,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
    utcnow,
)
from ...models.rectification import AWAITING_UNIT, UNFINISHED
from .. import Conflict, DomainError, audit, notifications
from ..classified import find_suspicions

DEFAULT_REMIND_DAYS = 3
EVIDENCE_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
RECHECK_PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
TEXT_LIMIT = 2000
NAME_LIMIT = 64
MAX_PENDING_EVIDENCE = 20
MAX_EXTENSION = timedelta(days=365)


# Configuration --------------------------------------------------------------------------------------


def app_setting(key: str, default):
    """The instance's setting `key`; `default` outside an app (a script without one)."""
    return current_app.config.get(key, default) if has_app_context() else default


def rectification_days(severity: str) -> int:
    # An instance's config may set some severities only; the others keep the defaults.
    days = {**Defaults.RECTIFICATION_DAYS, **(app_setting("RECTIFICATION_DAYS", None) or {})}
    return int(days[severity])


def due_date_for(severity: str, start: date) -> date:
    """The deadline of a finding of `severity` issued on `start` (critical 7 days, serious 30, general 60)."""
    return start + timedelta(days=rectification_days(severity))


# Who may act ----------------------------------------------------------------------------------------


def is_unit_officer(user: User | None, ticket: Ticket) -> bool:
    """The unit's side of its ticket: its secrecy officer, or a machine client given the unit's answers to send."""
    return bool(user and user.active and user.org_node_id == ticket.unit_id and authz.can(user, "tickets.respond"))


def is_verifier(user: User | None, ticket: Ticket) -> bool:
    """The bureau verifies what it (or a bureau below it) issued, by a notice or a case; a unit verifies its own
    self-inspection."""
    if user is None or not user.active:
        return False
    if ticket.is_self:
        return is_unit_officer(user, ticket)
    return (user.role == Role.INSPECTOR and user.org_node.contains(ticket.issuer)
            and user.org_node.contains(ticket.unit))


def may_comment(user: User | None, ticket: Ticket) -> bool:
    if is_unit_officer(user, ticket):
        return True
    return (user is not None and user.active and user.role == Role.INSPECTOR and not ticket.is_self
            and user.org_node.contains(ticket.unit))


def is_review_lead(user: User | None, inspection: Inspection) -> bool:
    return bool(user and user.active and user.role == Role.INSPECTOR and inspection.lead_id == user.id
                and not inspection.is_self)


# What each action needs, and the explanation when the ticket's state refuses it ---------------------

_ALLOWED = {
    "respond": AWAITING_UNIT,
    "draft": AWAITING_UNIT,
    "evidence": AWAITING_UNIT,
    "extension": AWAITING_UNIT,
    "accept": (TicketStatus.RESPONDED,),
    "return": (TicketStatus.RESPONDED,),
    "recheck": UNFINISHED,
    "cancel": UNFINISHED,
    "decide_extension": UNFINISHED,
}


def _action_name(action: str) -> str:
    return {
        "respond": _("报送整改情况"),
        "draft": _("保存草稿"),
        "evidence": _("修改佐证材料"),
        "extension": _("申请延期"),
        "accept": _("销号"),
        "return": _("退回"),
        "recheck": _("记录现场复查"),
        "cancel": _("撤销"),
        "decide_extension": _("审批延期申请"),
    }[action]


def refusal(action: str, status: str) -> str | None:
    """Why `action` is refused in `status`, in words; None when it is allowed."""
    if status in _ALLOWED[action]:
        return None
    what = _action_name(action)
    if status == TicketStatus.ACCEPTED:
        return _("这项整改已复查销号，不能再%(what)s。", what=what)
    if status == TicketStatus.CANCELLED:
        return _("这项整改已撤销，不能再%(what)s。", what=what)
    if status == TicketStatus.RESPONDED:
        return _("整改情况已报送，正在等待复查，现在不能%(what)s。如需补充说明，请留言。", what=what)
    if status == TicketStatus.RETURNED:
        return _("整改情况已退回，须单位重新报送后才能%(what)s。", what=what)
    return _("单位尚未报送整改情况，不能%(what)s。", what=what)


def check_state(ticket: Ticket, action: str) -> None:
    """Conflict, with the reason in words, when the ticket's state does not allow `action`."""
    message = refusal(action, ticket.status)
    if message:
        raise Conflict(message)


def check_revision(ticket: Ticket, revision: int | None) -> None:
    """Conflict when the ticket moved on since the page showing `revision` was loaded."""
    if revision is not None and revision != ticket.revision:
        raise Conflict(_("这项整改在您打开页面后已有新的变化，请查看最新情况后再操作。"))


def lock_ticket(session: Session, ticket: Ticket) -> Ticket:
    """Reload the ticket under a row lock, so two people cannot move it at once."""
    session.refresh(ticket, with_for_update=True)
    return ticket


def lock_inspection(session: Session, inspection: Inspection) -> Inspection:
    """Reload the inspection under a row lock, so its review and its tickets' closing do not race."""
    session.refresh(inspection, with_for_update=True)
    return inspection


# Text checks ------------------------------------------------------------------------------------------


class ClassifiedText(DomainError):
    """Free text that looks like a classification mark; kept only once the author confirms it is not."""

    status_code = 422

    def __init__(self, excerpt: str, field_name: str):
        super().__init__(_("内容中出现了疑似密级标志（%(excerpt)s）。本系统严禁录入国家秘密，请修改；如确认不含国家秘密，"
                           "请勾选确认后再提交。", excerpt=excerpt), field=field_name)


def clean_text(value: str | None, *, field_name: str, required: str | None = None,
               limit: int = TEXT_LIMIT) -> str | None:
    """The text stripped, None when empty; DomainError (on `field_name`) when required and empty, or too long."""
    value = (value or "").strip()
    if not value:
        if required:
            raise DomainError(required, field=field_name)
        return None
    if len(value) > limit:
        raise DomainError(_("文字不能超过 %(n)d 个字。", n=limit), field=field_name)
    return value


def check_unclassified(fields: dict[str, str | None], confirmed: bool) -> bool:
    """Raise ClassifiedText unless confirmed; True when a confirmation was needed (the caller audits it)."""
    suspicions = find_suspicions(fields)
    if suspicions and not confirmed:
        raise ClassifiedText(suspicions[0].excerpt, suspicions[0].field)
    return bool(suspicions)


def record_confirmation(session: Session, actor: User, obj, fields: dict[str, str | None], needed: bool) -> None:
    """The audit record of a confirmation that text looking classified is not (when one was `needed`)."""
    if needed:
        audit.record(session, actor, "ticket.unclassified_confirmed", obj,
                     details={"fields": [s.field for s in find_suspicions(fields)]})


def ticket_title(ticket: Ticket, limit: int = 40) -> str:
    text = ticket.finding.item_text
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Events ----------------------------------------------------------------------------------------------------


def record_event(session: Session, actor: User | None, ticket: Ticket, kind: str, *, details: dict | None = None,
                 **fields) -> TicketEvent:
    """One timeline entry, and the audit record that carries it."""
    event = TicketEvent(ticket_id=ticket.id, unit_id=ticket.unit_id, kind=kind, actor_id=actor.id if actor else None,
                        at=utcnow(), **fields)
    session.add(event)
    session.flush()
    recorded = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items() if v is not None}
    audit.record(session, actor, f"ticket.{kind}", ticket, actor_name="system",
                 details={"event_id": event.id, "status": ticket.status, **recorded, **(details or {})})
    return event


def bureau_side(ticket: Ticket) -> list[User]:
    """Who hears of a unit's step: the lead inspector of a bureau inspection, the handler of a case; nobody for a
    self-inspection."""
    if ticket.is_self:
        return []
    lead = ticket.inspection.lead if ticket.inspection is not None else ticket.incident.handler
    return [lead] if lead is not None else []


def unit_side(session: Session, ticket: Ticket, actor: User | None = None) -> list[User]:
    """Who hears of the bureau's step: the unit's officers, but not `actor` when that is one of them."""
    return [u for u in notifications.unit_officers(session, ticket.unit_id) if actor is None or u.id != actor.id]
