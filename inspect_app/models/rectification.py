"""Rectification: the numbered notice (整改通知书), one ticket per finding, its timeline and extensions.

A ticket is `open` → `responded` → `accepted`, or `returned` (and then `responded` again); `cancelled`
ends it without a fix. Overdue is derived from the due date, never stored. A ticket answers a finding of an
inspection, or the 整改要求 of a case (its finding's incident): then it has no inspection and no notice.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .finding import Finding
from .incident import Incident
from .inspection import Inspection
from .org import OrgNode, User


class Notice(db.Model):
    """The 检查意见 / 整改通知书 of one inspection, numbered per bureau per year without gaps."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("bureau_id", "year", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    bureau_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64), unique=True)  # 文号, e.g. 宝保检〔2026〕12号
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    inspection: Mapped[Inspection] = relationship()
    unit: Mapped[OrgNode] = relationship(foreign_keys=[unit_id])
    bureau: Mapped[OrgNode] = relationship(foreign_keys=[bureau_id])
    issued_by: Mapped[User] = relationship()


class NoticeCounter(db.Model):
    """The last notice number a bureau issued in a year; locked while the next one is taken."""

    __tablename__ = "notice_counter"

    bureau_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


class TicketStatus(StrEnum):
    OPEN = "open"  # 整改中
    RESPONDED = "responded"  # 已报送
    ACCEPTED = "accepted"  # 已销号
    RETURNED = "returned"  # 退回
    CANCELLED = "cancelled"  # 已撤销


# A ticket's states by who holds the next step: the unit (to fix and answer), anyone (not yet verified), nobody.
AWAITING_UNIT = (TicketStatus.OPEN, TicketStatus.RETURNED)
UNFINISHED = (TicketStatus.OPEN, TicketStatus.RESPONDED, TicketStatus.RETURNED)
FINISHED = (TicketStatus.ACCEPTED, TicketStatus.CANCELLED)


class Ticket(db.Model):
    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'responded', 'accepted', 'returned', 'cancelled')", name="status"),
        Index("ix_ticket_unit_status", "unit_id", "status"),
        Index("ix_ticket_status_due", "status", "due_date"),
        # The dashboard: a period's tickets, their state, due date and acceptance, from the index alone.
        Index("ix_ticket_created", "created_at", "inspection_id", "status", "due_date", "accepted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("finding.id"), unique=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"), index=True)  # none for a case
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"), index=True)  # none for 自查
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.OPEN)
    due_date: Mapped[date] = mapped_column(Date)
    original_due_date: Mapped[date] = mapped_column(Date)
    returns_count: Mapped[int] = mapped_column(Integer, default=0)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_reminded_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # The officer's response kept as a draft before it is sent.
    draft_measures: Mapped[str | None] = mapped_column(Text)
    draft_responsible: Mapped[str | None] = mapped_column(String(64))
    draft_completed_on: Mapped[date | None] = mapped_column(Date)
    draft_saved_at: Mapped[datetime | None] = mapped_column(DateTime)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    finding: Mapped[Finding] = relationship()
    inspection: Mapped[Inspection | None] = relationship()
    notice: Mapped[Notice | None] = relationship()
    unit: Mapped[OrgNode] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id")

    @property
    def incident(self) -> Incident | None:
        """The case whose 整改要求 this ticket answers; None for an inspection's finding."""
        return self.finding.incident if self.inspection_id is None else None

    @property
    def is_self(self) -> bool:
        """A self-inspection's: the unit answers and verifies it itself."""
        return self.inspection is not None and self.inspection.is_self

    @property
    def issuer(self) -> OrgNode:
        """The bureau that required the fix: the inspection's (a self-inspection's is the unit), or the case's."""
        return self.inspection.bureau if self.inspection is not None else self.finding.incident.bureau

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def awaits_unit(self) -> bool:
        return self.status in AWAITING_UNIT

    def is_overdue(self, today: date) -> bool:
        """Past its due date while the unit still owes the fix. A response sent and waiting for
        verification is the bureau's to act on, not the unit's overdue."""
        return self.awaits_unit and self.due_date < today


class TicketEventKind(StrEnum):
    ISSUED = "issued"
    RESPONDED = "responded"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    RECHECKED = "rechecked"  # an on-site recheck (复查) recorded
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_GRANTED = "extension_granted"
    EXTENSION_REFUSED = "extension_refused"
    COMMENT = "comment"
    REMINDED = "reminded"
    CANCELLED = "cancelled"


class TicketEvent(db.Model):
    """One entry on a ticket's timeline. A response carries its measures and evidence attachments."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    body: Mapped[str | None] = mapped_column(Text)  # the reason, the comment, the recheck note
    measures: Mapped[str | None] = mapped_column(Text)  # 整改措施
    responsible: Mapped[str | None] = mapped_column(String(64))  # 责任人
    completed_on: Mapped[date | None] = mapped_column(Date)  # 完成日期
    old_due_date: Mapped[date | None] = mapped_column(Date)
    new_due_date: Mapped[date | None] = mapped_column(Date)
    extension_id: Mapped[int | None] = mapped_column(ForeignKey("extension_request.id"))
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"


class ExtensionRequest(db.Model):
    """A unit's 延期申请; an inspector grants it (moving the due date) or refuses it."""

    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    requested_due_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ExtensionStatus.PENDING)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
