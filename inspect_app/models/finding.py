"""Findings: one per 不符合 or 基本符合 answer, made at submit, carrying a snapshot of the item; or the 整改要求 of a
case (案件), whose source is the incident rather than an inspection, so that the unit answers it as a ticket."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .checklist import ChecklistItem
from .incident import Incident
from .inspection import Inspection
from .org import OrgNode


class FindingStatus(StrEnum):
    ACTIVE = "active"  # stands, and becomes a ticket when the notice is issued
    DROPPED = "dropped"  # dropped by the lead at review, with a reason
    MERGED = "merged"  # merged into another finding of the same inspection


class Finding(db.Model):
    __tablename__ = "finding"
    __table_args__ = (
        # Repeat detection: the same unit failing the same item (by template and item key) before.
        Index("ix_finding_unit_item", "unit_id", "template_key", "item_key"),
        # The dashboard: an inspection's findings counted by area, severity, repeat and item from the index alone.
        Index("ix_finding_figures", "inspection_id", "status", "category", "severity", "is_repeat", "template_key",
              "item_key", "unit_id"),
        CheckConstraint("(inspection_id IS NULL) <> (incident_id IS NULL)", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The source: an inspection's checklist item, or a case (then no inspection and no item).
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_item.id"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answer.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Snapshots, so a finding reads the same whatever happens to the library later.
    template_key: Mapped[str] = mapped_column(String(64))
    item_key: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32), index=True)
    item_text: Mapped[str] = mapped_column(Text)
    basis_json: Mapped[str] = mapped_column(Text, default="[]")
    compliance: Mapped[str] = mapped_column(String(16))  # noncompliant or partial
    severity: Mapped[str] = mapped_column(String(16), index=True)
    description: Mapped[str] = mapped_column(Text)
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("finding.id"))
    status: Mapped[str] = mapped_column(String(16), default=FindingStatus.ACTIVE)
    drop_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("finding.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    inspection: Mapped[Inspection | None] = relationship()
    incident: Mapped[Incident | None] = relationship()
    unit: Mapped[OrgNode] = relationship()
    item: Mapped[ChecklistItem | None] = relationship()
    repeat_of: Mapped[Finding | None] = relationship(remote_side=[id], foreign_keys=[repeat_of_id])

    @property
    def basis(self) -> list[dict]:
        return json.loads(self.basis_json)
