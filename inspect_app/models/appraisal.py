"""The annual appraisal of units (保密工作责任制考核): its schemes, rounds and results.

A scheme (`checklists/appraisal/*.yaml`) names indicators, their weights and sources, the veto items and the bands;
each distinct content synced is one version, never changed afterwards. A round appraises the units of one area
(the city, or a district) for one year under one scheme version: computed from what the system holds, with the
bureau's manual values and adjustments, and stored per unit with every indicator's value and the records behind it,
so that once the round is approved the results no longer move when the data does.
"""

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
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .org import OrgNode, User


class AppraisalScheme(db.Model):
    __tablename__ = "appraisal_scheme"
    __table_args__ = (UniqueConstraint("key", "version"), UniqueConstraint("key", "content_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    # The validated scheme as canonical JSON, exactly what was hashed.
    content: Mapped[str] = mapped_column(Text)
    synced_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def data(self) -> dict:
        return json.loads(self.content)


class RoundStatus(StrEnum):
    DRAFT = "draft"  # 待审定: computed, and recomputed on every change
    APPROVED = "approved"  # 已审定: frozen


class AppraisalRound(db.Model):
    """One year's appraisal of the units of an area (a bureau's subtree). Not unit-owned: authz scopes it by its
    area; its results are unit-owned rows."""

    __tablename__ = "appraisal_round"
    __table_args__ = (
        UniqueConstraint("area_id", "year"),
        CheckConstraint("status IN ('draft', 'approved')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    area_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("appraisal_scheme.id"))
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.DRAFT)
    title: Mapped[str] = mapped_column(String(200))
    # The last day whose data the results read (the year's end, or the day they were computed if earlier).
    as_of: Mapped[date | None] = mapped_column(Date)
    computed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Bumped on every computation: approval names the revision the approver saw.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    number: Mapped[str | None] = mapped_column(String(64), unique=True)  # the 通报's 文号, given on approval

    area: Mapped[OrgNode] = relationship()
    scheme: Mapped[AppraisalScheme] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def is_approved(self) -> bool:
        return self.status == RoundStatus.APPROVED


class AppraisalResult(db.Model):
    """One unit's result in a round: the total, its band and rank, and every indicator and veto check as computed
    (value, score, weight, the records behind it), stored so an approved round reads the same forever."""

    __tablename__ = "appraisal_result"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("appraisal_round.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    computed_score: Mapped[float | None] = mapped_column(Float)  # the weighted indicators, before adjustments
    adjustment: Mapped[float] = mapped_column(Float, default=0)
    score: Mapped[float | None] = mapped_column(Float)  # none when no indicator could be computed
    band: Mapped[str | None] = mapped_column(String(16))
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    rank: Mapped[int | None] = mapped_column(Integer)
    indicators_json: Mapped[str] = mapped_column(Text, default="[]")
    vetoes_json: Mapped[str] = mapped_column(Text, default="[]")

    unit: Mapped[OrgNode] = relationship()

    @property
    def indicators(self) -> list[dict]:
        return json.loads(self.indicators_json)

    @property
    def vetoes(self) -> list[dict]:
        return json.loads(self.vetoes_json)


class AppraisalEntry(db.Model):
    """The bureau's value for a manual indicator of one unit in a round (0–100), with the reason for it."""

    __tablename__ = "appraisal_entry"
    __table_args__ = (UniqueConstraint("round_id", "unit_id", "indicator_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("appraisal_round.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    indicator_key: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    entered_by: Mapped[User] = relationship()


class AppraisalAdjustment(db.Model):
    """Points the bureau adds to or takes from a unit's total in a round (加分、减分), with the reason."""

    __tablename__ = "appraisal_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("appraisal_round.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    made_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    made_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    made_by: Mapped[User] = relationship()
