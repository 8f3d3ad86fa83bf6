"""The checklist library: templates, their immutable versions, and the versions' sections and items.

A template (key `network`) has versions; each distinct content synced from `checklists/*.yaml` or
uploaded is one version, never changed afterwards, so an inspection that pinned it reads the same forever.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow


class Category(StrEnum):
    RESPONSIBILITY = "responsibility"  # 保密工作责任制
    EDUCATION = "education"  # 保密宣传教育培训
    CLASSIFICATION = "classification"  # 定密管理
    PERSONNEL = "personnel"  # 涉密人员管理
    CARRIER = "carrier"  # 涉密载体管理
    NETWORK = "network"  # 网络与信息设备保密管理
    KEY_DEPARTMENT = "key_department"  # 保密要害部门部位
    MEETING = "meeting"  # 涉密会议、活动
    SELF_ASSESSMENT = "self_assessment"  # 自查自评


class Severity(StrEnum):
    GENERAL = "general"  # 一般问题
    SERIOUS = "serious"  # 严重问题
    CRITICAL = "critical"  # 重大泄密隐患


SEVERITY_ORDER = [Severity.GENERAL, Severity.SERIOUS, Severity.CRITICAL]


class ResponseType(StrEnum):
    COMPLIANCE = "compliance"
    NUMBER = "number"
    TEXT = "text"
    CHOICE = "choice"


class Compliance(StrEnum):
    COMPLIANT = "compliant"  # 符合
    PARTIAL = "partial"  # 基本符合
    NONCOMPLIANT = "noncompliant"  # 不符合
    NOT_APPLICABLE = "not_applicable"  # 不适用


class VersionStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class ChecklistTemplate(db.Model):
    __tablename__ = "checklist_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    versions: Mapped[list[TemplateVersion]] = relationship(
        back_populates="template", order_by="TemplateVersion.version"
    )


class TemplateVersion(db.Model):
    __tablename__ = "template_version"
    __table_args__ = (
        UniqueConstraint("template_id", "version"),
        UniqueConstraint("template_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_template.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.ACTIVE)
    source: Mapped[str] = mapped_column(String(16), default="library")  # library | upload
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    total_points: Mapped[int] = mapped_column(Integer, default=0)
    # The validated template as canonical JSON, exactly what was hashed. Read only to compare versions, so it
    # is not loaded with every version a checklist page shows.
    content: Mapped[str] = mapped_column(Text, deferred=True)
    synced_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # who: the audit trail says
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="versions")
    sections: Mapped[list[ChecklistSection]] = relationship(
        back_populates="version", order_by="ChecklistSection.position"
    )

    @property
    def key(self) -> str:
        return self.template.key

    @property
    def category(self) -> str:
        return self.template.category

    @property
    def is_active(self) -> bool:
        return self.status == VersionStatus.ACTIVE


class ChecklistSection(db.Model):
    __tablename__ = "checklist_section"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("template_version.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))

    version: Mapped[TemplateVersion] = relationship(back_populates="sections")
    items: Mapped[list[ChecklistItem]] = relationship(back_populates="section", order_by="ChecklistItem.position")


class ChecklistItem(db.Model):
    __tablename__ = "checklist_item"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("template_version.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("checklist_section.id"), index=True)
    key: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text)
    guidance_en: Mapped[str | None] = mapped_column(Text)
    materials: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer, default=0)
    response: Mapped[str] = mapped_column(String(16))
    deduction: Mapped[bool] = mapped_column(Boolean, default=False)
    deduction_points: Mapped[int] = mapped_column(Integer, default=0)
    veto: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_label: Mapped[str | None] = mapped_column(String(16))
    # JSON lists, as validated: basis entries, evidence kinds, choices, keywords.
    basis_json: Mapped[str] = mapped_column(Text, default="[]")
    evidence_json: Mapped[str] = mapped_column(Text, default="[]")
    choices_json: Mapped[str] = mapped_column(Text, default="[]")
    keywords_json: Mapped[str] = mapped_column(Text, default="[]")
    # The register the item samples, how many entries and what to verify of each; None for most items.
    sample_json: Mapped[str | None] = mapped_column(Text)

    section: Mapped[ChecklistSection] = relationship(back_populates="items")
    version: Mapped[TemplateVersion] = relationship()

    @property
    def basis(self) -> list[dict]:
        return json.loads(self.basis_json)

    @property
    def evidence(self) -> list[str]:
        return json.loads(self.evidence_json)

    @property
    def choices(self) -> list[dict]:
        return json.loads(self.choices_json)

    @property
    def keywords(self) -> list[str]:
        return json.loads(self.keywords_json)

    @property
    def sample(self) -> dict | None:
        return json.loads(self.sample_json) if self.sample_json else None

    @property
    def is_scored(self) -> bool:
        return self.response == ResponseType.COMPLIANCE and not self.deduction and not self.veto
