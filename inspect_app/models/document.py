"""Rendered official documents and their verification codes."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import db, utcnow


class DocumentKind(StrEnum):
    INSPECTION_REPORT = "inspection_report"  # 检查报告
    NOTICE = "notice"  # 整改通知书
    RECTIFICATION_REPORT = "rectification_report"  # 整改情况报告
    SUMMARY = "summary"  # 保密检查情况通报
    INCIDENT_REPORT = "incident_report"  # 泄密事件报告: the unit's report to the bureau
    CASE_BULLETIN = "case_bulletin"  # 案件通报
    APPRAISAL = "appraisal"  # 考核结果通报


class Document(db.Model):
    """One rendering of one version of a record. The verification code is printed on the PDF; a
    newer rendering of the same record with other content supersedes it."""

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_object", "kind", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)  # the inspection, notice or incident; none for a summary
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    scope_node_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"))  # a summary's district
    record_version: Mapped[str] = mapped_column(String(64))  # SHA-256 of the record's content
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The SM2 key the issued PDF was signed with (keys.py); None for documents issued unsigned, so a copy of a
    # signed document whose signature was stripped reads as not genuine rather than as unsigned.
    signature_key_id: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def params(self) -> dict:
        return json.loads(self.params_json)
