"""Inspections: the visit, its team and pinned checklist versions, the answers with their history,
the photos and signatures taken on the tablet."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .checklist import ChecklistItem, TemplateVersion
from .org import OrgNode, User


class InspectionKind(StrEnum):
    ROUTINE = "routine"  # 例行检查
    SPECIAL = "special"  # 专项检查
    SPOT = "spot"  # 抽查
    SELF = "self"  # 自查


class InspectionStatus(StrEnum):
    PLANNED = "planned"  # 检查计划
    IN_PROGRESS = "in_progress"  # 现场检查
    SUBMITTED = "submitted"  # 已提交
    ISSUED = "issued"  # 已下发整改通知
    CLOSED = "closed"  # 已办结
    CANCELLED = "cancelled"  # 已取消


# The kinds a bureau conducts (a self-inspection is the unit's own), and the states of an inspection done: signed
# and scored, whatever became of its notice.
BUREAU_KINDS = (InspectionKind.ROUTINE, InspectionKind.SPECIAL, InspectionKind.SPOT)
DONE_STATUSES = (InspectionStatus.SUBMITTED, InspectionStatus.ISSUED, InspectionStatus.CLOSED)


class Band(StrEnum):
    MEETS = "meets"  # 符合要求, 90 and above
    BASIC = "basic"  # 基本符合要求, 80–89
    FAILS = "fails"  # 不符合要求, below 80 or a failed veto item


class Inspection(db.Model):
    __tablename__ = "inspection"
    __table_args__ = (
        CheckConstraint("kind IN ('routine', 'special', 'spot', 'self')", name="kind"),
        CheckConstraint(
            "status IN ('planned', 'in_progress', 'submitted', 'issued', 'closed', 'cancelled')", name="status"
        ),
        Index("ix_inspection_unit_status", "unit_id", "status"),
        # The dashboard: inspections done in a period, read from the index alone (services/dashboard/). The id
        # is there for PostgreSQL, whose indexes do not carry the key that findings and tickets join on.
        Index("ix_inspection_done", "status", "submitted_at", "kind", "unit_id", "score", "band", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    # The bureau (city or district) that conducts it; numbers its notices. A self-inspection's is the unit.
    bureau_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=InspectionStatus.PLANNED, index=True)
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(Text)  # 检查范围 / 重点
    notes: Mapped[str | None] = mapped_column(Text)
    scheduled_on: Mapped[date] = mapped_column(Date, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    lead_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set at submit by the scoring function.
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(16))
    veto: Mapped[bool] = mapped_column(Boolean, default=False)
    deductions: Mapped[float] = mapped_column(Float, default=0)
    score_json: Mapped[str | None] = mapped_column(Text)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped on every change that a document of this inspection shows.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    unit: Mapped[OrgNode] = relationship(foreign_keys=[unit_id])
    bureau: Mapped[OrgNode] = relationship(foreign_keys=[bureau_id])
    lead: Mapped[User] = relationship(foreign_keys=[lead_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    members: Mapped[list[InspectionMember]] = relationship(back_populates="inspection", order_by="InspectionMember.id")
    templates: Mapped[list[InspectionTemplate]] = relationship(
        back_populates="inspection", order_by="InspectionTemplate.position"
    )

    @property
    def versions(self) -> list[TemplateVersion]:
        return [pinned.version for pinned in self.templates]

    @property
    def score_detail(self) -> dict | None:
        return json.loads(self.score_json) if self.score_json else None

    @property
    def is_self(self) -> bool:
        return self.kind == InspectionKind.SELF

    @property
    def is_locked(self) -> bool:
        """Answers can no longer change (until the lead reopens it)."""
        return self.status not in (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS)


class InspectionMember(db.Model):
    """The team: the lead inspector (组长) and members."""

    __tablename__ = "inspection_member"
    __table_args__ = (UniqueConstraint("inspection_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)

    inspection: Mapped[Inspection] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class InspectionTemplate(db.Model):
    """A checklist version pinned by an inspection."""

    __tablename__ = "inspection_template"
    __table_args__ = (UniqueConstraint("inspection_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("template_version.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    inspection: Mapped[Inspection] = relationship(back_populates="templates")
    version: Mapped[TemplateVersion] = relationship()


class Answer(db.Model):
    """The current answer to one item of one inspection; its history is in AnswerRevision."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("inspection_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_item.id"), index=True)
    # compliant / partial / noncompliant / not_applicable, or the number, text or choice key.
    value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    finding_text: Mapped[str | None] = mapped_column(Text)  # required for noncompliant and partial
    severity: Mapped[str | None] = mapped_column(String(16))
    na_reason: Mapped[str | None] = mapped_column(Text)  # required for not_applicable
    # The author confirmed that text flagged as looking classified holds no state secret.
    classified_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    inspection: Mapped[Inspection] = relationship()
    item: Mapped[ChecklistItem] = relationship()
    answered_by: Mapped[User] = relationship()


class AnswerRevision(db.Model):
    """Every write of an answer. `client_uuid` makes each offline write count exactly once in its inspection:
    the same UUID sent to another inspection is another write, and tells nothing of the first."""

    __tablename__ = "answer_revision"
    __table_args__ = (UniqueConstraint("inspection_id", "client_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    finding_text: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(16))
    na_reason: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    client_uuid: Mapped[str | None] = mapped_column(String(36))

    changed_by: Mapped[User] = relationship()


class AttachmentKind(StrEnum):
    PHOTO = "photo"  # taken during an inspection, on an item
    EVIDENCE = "evidence"  # a unit's evidence of rectification, or of an incident it reports
    SIGNATURE = "signature"
    RECORD = "record"  # a case's 询问笔录 or other investigation record: the bureau's only


class Attachment(db.Model):
    """A file kept on disk by its SHA-256, reachable only through scoped routes."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_item.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    ticket_event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_event.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    incident_event_id: Mapped[int | None] = mapped_column(ForeignKey("incident_event.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)

    uploaded_by: Mapped[User] = relationship()

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


class Signature(db.Model):
    """A signature drawn on the tablet at submit: the lead inspector's and the unit representative's."""

    __tablename__ = "signature"
    __table_args__ = (
        UniqueConstraint("inspection_id", "role"),
        CheckConstraint("role IN ('lead', 'unit')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    signer_name: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"))

    attachment: Mapped[Attachment] = relationship()
