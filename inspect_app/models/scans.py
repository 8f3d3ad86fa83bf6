"""Technical inspection results (技术检查结果): a scan of one unit's devices by a technical inspection tool,
attached to an inspection, with a row per device and check, and the answers it proposes for the inspector to
confirm or reject on the tablet. The file format is docs/scans.md; the mapping of checks to checklist items is in
the checklist data (`technical_checks`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .checklist import ChecklistItem
from .inspection import Inspection
from .org import User


class ScanCheck(StrEnum):
    """What a tool checked, in the words of format version 1."""

    INTERNET_CONNECTION = "internet_connection"  # 违规外联: a classified computer reached the internet
    DUAL_USE = "dual_use"  # 一机两用: one computer used on the classified network and the internet
    USB_STORAGE = "usb_storage"  # a storage medium seen on classified and unclassified computers
    CLASSIFIED_CONTENT = "classified_content"  # classification marks or keywords on an unclassified computer
    SECURITY_SOFTWARE = "security_software"  # the host's monitoring and audit programs removed or stopped
    UNAPPROVED_SOFTWARE = "unapproved_software"  # software installed without approval
    WIRELESS_DEVICE = "wireless_device"  # wireless network cards, Bluetooth, wireless keyboards or mice
    SMART_DEVICE = "smart_device"  # phones and other smart devices connected by cable or Bluetooth


class ScanOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # the tool could not check


class ProposalStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


def _among(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Scan(db.Model):
    __tablename__ = "scan"
    __table_args__ = (
        # A scan sent twice (the same id from the tool) is stored once, within its inspection.
        UniqueConstraint("inspection_id", "reference"),
        CheckConstraint("source IN ('api', 'upload')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64))  # the scan's id as the tool gave it
    format_version: Mapped[int] = mapped_column(Integer)
    tool_name: Mapped[str] = mapped_column(String(100))
    tool_version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(DateTime)  # the first and last result's time
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    content_sha256: Mapped[str] = mapped_column(String(64))  # of the results as parsed: a re-send must match
    source: Mapped[str] = mapped_column(String(8))
    received_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    device_count: Mapped[int] = mapped_column(Integer, default=0)
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    failing_count: Mapped[int] = mapped_column(Integer, default=0)
    # The sender confirmed that text flagged as looking classified holds no state secret.
    classified_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)

    inspection: Mapped[Inspection] = relationship()
    received_by: Mapped[User] = relationship()
    results: Mapped[list[ScanResult]] = relationship(back_populates="scan", order_by="ScanResult.id")


class ScanResult(db.Model):
    __tablename__ = "scan_result"
    __table_args__ = (
        CheckConstraint(_among("result", ScanOutcome), name="result"),
        CheckConstraint(_among("check_kind", ScanCheck), name="check_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    asset_number: Mapped[str | None] = mapped_column(String(64))
    device_name: Mapped[str | None] = mapped_column(String(100))
    check_kind: Mapped[str] = mapped_column(String(32))
    result: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str | None] = mapped_column(Text)  # the evidence, in the tool's words
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))  # of the tool's evidence file
    scanned_at: Mapped[datetime] = mapped_column(DateTime)
    # The item the checklist's mapping table gives this check among the inspection's pinned versions; None: none.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_item.id"))

    scan: Mapped[Scan] = relationship(back_populates="results")
    item: Mapped[ChecklistItem | None] = relationship()


class ProposedAnswer(db.Model):
    """不符合 on one item, proposed by a scan's failing results: the inspector confirms it (it becomes the answer,
    with the results as its note) or rejects it."""

    __tablename__ = "proposed_answer"
    __table_args__ = (
        UniqueConstraint("scan_id", "item_id"),
        CheckConstraint(_among("status", ProposalStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_item.id"))
    finding_text: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    reject_reason: Mapped[str | None] = mapped_column(Text)

    scan: Mapped[Scan] = relationship()
    item: Mapped[ChecklistItem] = relationship()
    decided_by: Mapped[User | None] = relationship()
