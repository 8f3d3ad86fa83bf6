"""Inspections as spreadsheets: the list under its filters (with scores and findings), and one inspection's whole
answer sheet, item by item. Chinese, as the ticket exports and the documents are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from ... import clock
from ...formatting import cite_in_document
from ...labels import (
    BAND_LABELS,
    COMPLIANCE_LABELS,
    INSPECTION_KIND_LABELS,
    INSPECTION_STATUS_LABELS,
    SEVERITY_LABELS,
    label,
)
from ...models import Finding, FindingStatus, Inspection, OrgNode, ResponseType, User
from .. import NotAllowed
from ..org import district_name
from ..spreadsheets import Column, Export
from .planning import InspectionFilter
from .view import inspection_view

LIST_COLUMNS = [
    Column("计划日期", 12, "date"),
    Column("检查名称", 34),
    Column("被检查单位", 28),
    Column("所属区县", 14),
    Column("检查类型", 10),
    Column("组长", 10),
    Column("状态", 10),
    Column("提交日期", 12, "date"),
    Column("得分", 8, "decimal"),
    Column("检查结论", 14),
    Column("否决项不符合", 12),
    Column("扣分", 8, "decimal"),
    Column("发现问题", 10, "number"),
]


def inspections_export(session: Session, inspections: Select, filters: list[tuple[str, str]],
                       chunk: int = 500) -> Export:
    """The inspections of `inspections` (a `search`, ordered), a chunk at a time, with their scores and the
    number of their standing findings."""

    def rows() -> Iterator[list]:
        ids = session.scalars(inspections.with_only_columns(Inspection.id)).all()
        with force_locale("zh"):
            for start in range(0, len(ids), chunk):
                part = ids[start:start + chunk]
                loaded = {i.id: i for i in session.scalars(
                    select(Inspection).where(Inspection.id.in_(part))
                    .options(joinedload(Inspection.unit).joinedload(OrgNode.parent), joinedload(Inspection.lead)))}
                found = dict(session.execute(
                    select(Finding.inspection_id, func.count()).where(Finding.inspection_id.in_(part),
                                                                      Finding.status == FindingStatus.ACTIVE)
                    .group_by(Finding.inspection_id)).all())
                for inspection in (loaded[i] for i in part):
                    yield _list_row(inspection, found.get(inspection.id, 0))

    return Export.table("inspections", "检查一览", LIST_COLUMNS, rows(), filters)


def _list_row(inspection: Inspection, findings: int) -> list:
    scored = inspection.score is not None
    return [
        inspection.scheduled_on, inspection.title, inspection.unit.name,
        district_name(inspection.unit.parent, short=True, chinese=True),
        label(INSPECTION_KIND_LABELS, inspection.kind), inspection.lead.display_name,
        label(INSPECTION_STATUS_LABELS, inspection.status),
        clock.local_date(inspection.submitted_at) if inspection.submitted_at else None,
        inspection.score, label(BAND_LABELS, inspection.band) if inspection.band else "",
        ("是" if inspection.veto else "否") if scored else "", inspection.deductions if scored else None,
        findings if inspection.submitted_at else None,
    ]


def describe_inspection_filters(session: Session, flt: InspectionFilter) -> list[tuple[str, str]]:
    """The inspections list's filters as the export's last sheet names them, in Chinese."""
    out = []
    with force_locale("zh"):
        if flt.q:
            out.append(("关键词", flt.q))
        for name, node_id in (("区县", flt.district_id), ("单位", flt.unit_id)):
            node = session.get(OrgNode, node_id) if node_id else None
            if node is not None:
                out.append((name, node.name))
        if flt.kind in INSPECTION_KIND_LABELS:
            out.append(("检查类型", label(INSPECTION_KIND_LABELS, flt.kind)))
        if flt.status in INSPECTION_STATUS_LABELS:
            out.append(("状态", label(INSPECTION_STATUS_LABELS, flt.status)))
        if flt.date_from:
            out.append(("起始日期", flt.date_from.isoformat()))
        if flt.date_to:
            out.append(("截止日期", flt.date_to.isoformat()))
    return out


# One inspection's answer sheet ----------------------------------------------------------------------

ANSWER_COLUMNS = [
    Column("检查表", 24),
    Column("部分", 18),
    Column("检查项", 8),
    Column("检查内容", 44),
    Column("依据", 30),
    Column("分值", 6, "number"),
    Column("判定", 10),
    Column("数值", 8, "decimal"),
    Column("记录", 30),
    Column("问题描述", 40),
    Column("问题等级", 12),
    Column("不适用理由", 24),
    Column("备注", 24),
    Column("填写人", 10),
    Column("填写时间", 16, "datetime"),
]


def answer_sheet(session: Session, actor: User, inspection: Inspection) -> Export:
    """Every item of the inspection with its answer, in checklist order, as `actor` may read it (loaded through
    authz): a unit's officer reads the bureau's answers once the inspection is submitted, as on its page."""
    view = inspection_view(session, actor, inspection)
    if not view.show_answers:
        raise NotAllowed(_("检查提交后才能导出检查记录。"))
    items, answers = view.items, view.answers  # read now: a CSV is written after the request's session ends
    by_user = {u.id: u.display_name for u in session.scalars(
        select(User).where(User.id.in_({a.answered_by_id for a in answers.values()})))} if answers else {}

    def rows() -> Iterator[list]:
        with force_locale("zh"):
            for item in items:
                answer = answers.get(item.id)
                yield [item.version.title, item.section.title, item.key, item.text,
                       "；".join(cite_in_document(b) for b in item.basis), item.points,
                       *_answered(item, answer),
                       by_user.get(answer.answered_by_id, "") if answer else "",
                       _local(answer.answered_at) if answer else None]

    filters = [("检查", inspection.title), ("被检查单位", inspection.unit.name),
               ("检查类型", str(label(INSPECTION_KIND_LABELS, inspection.kind)))]
    if inspection.score is not None:
        filters += [("得分", f"{inspection.score:.1f}"), ("检查结论", str(label(BAND_LABELS, inspection.band)))]
    return Export.table(f"inspection-{inspection.id}", "检查记录", ANSWER_COLUMNS, rows(), filters)


def _answered(item, answer) -> list:
    """判定, 数值, 记录, 问题描述, 问题等级, 不适用理由, 备注 of one answer (blank when unanswered)."""
    if answer is None or answer.value in (None, ""):
        return ["未填写", None, "", "", "", "", ""]
    verdict, number, record = "", None, ""
    if item.response == ResponseType.COMPLIANCE:
        verdict = label(COMPLIANCE_LABELS, answer.value)
    elif item.response == ResponseType.NUMBER:
        number = _number(answer.value)
        record = "" if number is not None else answer.value
    elif item.response == ResponseType.CHOICE:
        record = next((c["label"] for c in item.choices if c["key"] == answer.value), answer.value)
    else:
        record = answer.value
    return [verdict, number, record, answer.finding_text or "",
            label(SEVERITY_LABELS, answer.severity) if answer.severity and answer.finding_text else "",
            answer.na_reason or "", answer.note or ""]


def _number(text: str) -> float | int | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _local(moment: datetime) -> datetime:
    """A stored (naive UTC) time as the bureau's local time, which a spreadsheet shows as it is."""
    return moment.replace(tzinfo=UTC).astimezone(clock.timezone()).replace(tzinfo=None)
