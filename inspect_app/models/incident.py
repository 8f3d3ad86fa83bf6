"""Incidents (泄密事件 and 违规行为) and the case (案件) the bureau runs on each: the report and its 24-hour clock,
the states from 已报告 to 已结案, and the timeline.

An incident is `reported` (已报告) → `investigating` (调查中) → `determined` (已认定: 泄密, 违规未泄密 or 不构成) →
`handled` (已处理) → `closed` (已结案); a case found not to be one (不构成) may close once determined. The report
clock runs from `found_at` to `reported_at`: within 24 hours (实施条例第六十一条) it is on time, later it is late,
and a case the bureau opened before the unit's report reached it waits with `reported_at` empty.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .org import OrgNode, User

# 实施条例（2024）第六十一条: report within 24 hours of finding a leak or a possible one.
REPORT_WITHIN = timedelta(hours=24)


class IncidentKind(StrEnum):
    LEAK = "leak"  # 泄密事件（含可能泄密）
    VIOLATION = "violation"  # 违规行为


class Carrier(StrEnum):
    """What the secret was on, or went through: the carrier or the kind of system."""

    PAPER = "paper"  # 纸介质文件资料
    REMOVABLE = "removable"  # 移动存储介质（U盘、移动硬盘、光盘）
    COMPUTER = "computer"  # 涉密计算机及办公设备
    INTERNET = "internet"  # 互联网（网站、邮箱、网盘、即时通信）
    PHONE = "phone"  # 手机等智能终端
    SYSTEM = "system"  # 涉密信息系统
    OTHER = "other"  # 其他（会议、口头等）


class SecretLevel(StrEnum):
    TOP_SECRET = "top_secret"  # 绝密
    SECRET = "secret"  # 机密
    CONFIDENTIAL = "confidential"  # 秘密
    UNDETERMINED = "undetermined"  # 密级待鉴定


class IncidentStatus(StrEnum):
    REPORTED = "reported"  # 已报告
    INVESTIGATING = "investigating"  # 调查中
    DETERMINED = "determined"  # 已认定
    HANDLED = "handled"  # 已处理
    CLOSED = "closed"  # 已结案


OPEN_STATUSES = (IncidentStatus.REPORTED, IncidentStatus.INVESTIGATING, IncidentStatus.DETERMINED,
                 IncidentStatus.HANDLED)


class Determination(StrEnum):
    LEAK = "leak"  # 泄密
    VIOLATION = "violation"  # 违规未泄密
    UNFOUNDED = "unfounded"  # 不构成


def _values(enum) -> str:
    return "(" + ", ".join(f"'{member}'" for member in enum) + ")"


class Incident(db.Model):
    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint(f"kind IN {_values(IncidentKind)}", name="kind"),
        CheckConstraint(f"carrier IN {_values(Carrier)}", name="carrier"),
        CheckConstraint(f"level IN {_values(SecretLevel)}", name="level"),
        CheckConstraint(f"status IN {_values(IncidentStatus)}", name="status"),
        CheckConstraint(f"determination IS NULL OR determination IN {_values(Determination)}",
                        name="determination"),
        CheckConstraint("quantity > 0", name="quantity"),
        # The figures: a period's incidents by when they were found, and the open cases.
        Index("ix_incident_found", "found_at", "unit_id"),
        Index("ix_incident_status", "status", "target_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    # The secrecy bureau of the unit's level, which the report is due to and which runs the case.
    bureau_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120))  # 事件名称, e.g. 涉密U盘遗失
    description: Mapped[str] = mapped_column(Text)  # 事件经过, described without reproducing any secret
    carrier: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    involved: Mapped[str] = mapped_column(Text)  # what was involved, in general words: 会议纪要复印件
    persons: Mapped[str | None] = mapped_column(Text)  # who was involved: names or roles, as the bureau allows
    remedies: Mapped[str | None] = mapped_column(Text)  # 补救措施 taken at once
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime)
    found_at: Mapped[datetime] = mapped_column(DateTime)
    report_due_at: Mapped[datetime] = mapped_column(DateTime)  # found_at + 24 hours
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)  # when the unit's report reached the bureau
    # The time zone the reporter gave the times in (they are stored in UTC and shown in the bureau's zone).
    zone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.REPORTED)
    target_date: Mapped[date] = mapped_column(Date)  # the case is to be concluded by then
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # 承办人
    determination: Mapped[str | None] = mapped_column(String(16))
    determined_at: Mapped[datetime | None] = mapped_column(DateTime)
    discipline: Mapped[str | None] = mapped_column(Text)  # 处分建议 to the unit's 主管部门
    requirement: Mapped[str | None] = mapped_column(Text)  # 整改要求, answered through a ticket
    handled_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))  # the 专项检查 planned from it
    # The 案件通报: its 文号, whether it names the unit, and the bureau's account of the case for it.
    bulletin_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    bulletin_named: Mapped[bool] = mapped_column(Boolean, default=False)
    bulletin_summary: Mapped[str | None] = mapped_column(Text)
    bulletin_on: Mapped[date | None] = mapped_column(Date)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))  # who put it in the system
    # The report form's one-time id: the same form sent twice (a replay, a double tap) is one report.
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    last_reminded_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    unit: Mapped[OrgNode] = relationship(foreign_keys=[unit_id])
    bureau: Mapped[OrgNode] = relationship(foreign_keys=[bureau_id])
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    reported_by: Mapped[User] = relationship(foreign_keys=[reported_by_id])

    @property
    def is_closed(self) -> bool:
        return self.status == IncidentStatus.CLOSED

    @property
    def is_late(self) -> bool:
        """Reported more than 24 hours after it was found (exactly 24 hours is on time)."""
        return self.reported_at is not None and self.reported_at > self.report_due_at

    def report_overdue(self, now: datetime) -> bool:
        """No report yet, and the 24 hours are over."""
        return self.reported_at is None and now > self.report_due_at

    def past_target(self, today: date) -> bool:
        return not self.is_closed and self.target_date < today


class IncidentEventKind(StrEnum):
    REPORTED = "reported"  # the unit reported it
    OPENED = "opened"  # the bureau registered it
    UNIT_REPORTED = "unit_reported"  # the unit's report on a case the bureau opened
    SUPPLEMENT = "supplement"  # the unit adds to its report
    INVESTIGATION = "investigation"  # → 调查中
    NOTE = "note"  # an investigation note, with 询问笔录 (the bureau's only)
    DETERMINED = "determined"  # → 已认定
    HANDLED = "handled"  # → 已处理
    CLOSED = "closed"  # → 已结案
    FOLLOW_UP = "follow_up"  # a 专项检查 planned from the case
    BULLETIN = "bulletin"  # the 案件通报 drawn up
    REMINDED = "reminded"


class IncidentEvent(db.Model):
    """One entry on an incident's timeline: who did what, and why. `internal` entries (the investigation's notes
    and records) are the bureau's and never shown to the unit."""

    __tablename__ = "incident_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    body: Mapped[str | None] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)

    actor: Mapped[User | None] = relationship()
