"""Inspections: planning, answering (idempotent, offline-safe), photos, submitting and reopening."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..database import transaction
from ..models import (
    Answer,
    AnswerRevision,
    Attachment,
    AttachmentKind,
    ChecklistItem,
    ChecklistSection,
    Compliance,
    Finding,
    Inspection,
    InspectionKind,
    InspectionMember,
    InspectionStatus,
    InspectionTemplate,
    NodeKind,
    OrgNode,
    ResponseType,
    Role,
    Signature,
    TemplateVersion,
    User,
    VersionStatus,
    utcnow,
)
from ..models.checklist import SEVERITY_ORDER
from . import Conflict, DomainError, NotAllowed, attachments, audit, scoring
from .classified import Suspicion, find_suspicions

REPEAT_WINDOW = timedelta(days=730)  # 24 months
TEXT_LIMIT = 2000
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
BUREAU_KINDS = (InspectionKind.ROUTINE, InspectionKind.SPECIAL, InspectionKind.SPOT)


# Who may do what -------------------------------------------------------------------------------


def is_team_member(user: User, inspection: Inspection) -> bool:
    if inspection.is_self:
        return user.role == Role.OFFICER and user.org_node_id == inspection.unit_id
    return any(m.user_id == user.id for m in inspection.members)


def is_lead(user: User, inspection: Inspection) -> bool:
    if inspection.is_self:
        return is_team_member(user, inspection)
    return inspection.lead_id == user.id


# Planning --------------------------------------------------------------------------------------


def _check_team(unit: OrgNode, lead: User, members: Iterable[User]) -> None:
    for person in (lead, *members):
        if person.role != Role.INSPECTOR or not person.active:
            raise DomainError(_("%(name)s 不是在岗的检查员。", name=person.display_name), field="members")
        if not person.org_node.contains(unit):
            raise DomainError(_("%(name)s 无权检查该单位。", name=person.display_name), field="members")


def _check_versions(versions: list[TemplateVersion]) -> None:
    if not versions:
        raise DomainError(_("请至少选择一份检查表。"), field="templates")
    if len({v.template_id for v in versions}) != len(versions):
        raise DomainError(_("同一检查表只能选一个版本。"), field="templates")
    retired = [v for v in versions if v.status != VersionStatus.ACTIVE]
    if retired:
        raise DomainError(_("检查表“%(title)s”第 %(v)d 版已停用。", title=retired[0].title, v=retired[0].version),
                          field="templates")


def default_title(unit: OrgNode, kind: str, scheduled_on: date) -> str:
    """A record's title is Chinese, as its unit's name is, whatever language its planner reads."""
    from flask_babel import force_locale

    from ..labels import INSPECTION_KIND_LABELS

    with force_locale("zh"):
        return f"{unit.name}{scheduled_on.year}年{INSPECTION_KIND_LABELS[kind]}"


def plan_inspection(
    session: Session,
    actor: User,
    *,
    unit: OrgNode,
    kind: str,
    versions: list[TemplateVersion],
    scheduled_on: date,
    lead: User | None = None,
    members: Iterable[User] = (),
    title: str | None = None,
    scope: str | None = None,
    notes: str | None = None,
) -> Inspection:
    """Plan an inspection of `unit`. Inspectors plan routine, special and spot inspections of units in
    their subtree; a unit's officer plans its self-inspection (自查)."""
    from .. import authz

    if kind not in set(InspectionKind):
        raise DomainError(_("未知的检查类型。"), field="kind")
    if unit.kind != NodeKind.UNIT or not unit.active:
        raise DomainError(_("只能对启用中的单位开展检查。"), field="unit")
    if not authz.in_scope(actor, unit):
        raise DomainError(_("该单位不在您的管辖范围内。"), field="unit")
    members = [m for m in members if lead is None or m.id != lead.id]
    if kind == InspectionKind.SELF:
        if actor.role != Role.OFFICER:
            raise DomainError(_("自查由单位保密员发起。"), field="kind")
        lead, members, bureau = actor, [], unit
    else:
        if actor.role != Role.INSPECTOR:
            raise DomainError(_("只有检查员可以安排检查。"), field="kind")
        lead = lead or actor
        _check_team(unit, lead, members)
        bureau = actor.org_node
    _check_versions(versions)
    with transaction(session):
        inspection = Inspection(
            unit_id=unit.id, bureau_id=bureau.id, kind=kind, status=InspectionStatus.PLANNED,
            title=(title or "").strip() or default_title(unit, kind, scheduled_on),
            scope=(scope or "").strip() or None, notes=(notes or "").strip() or None,
            scheduled_on=scheduled_on, lead_id=lead.id, created_by_id=actor.id,
        )
        session.add(inspection)
        session.flush()
        session.add(InspectionMember(inspection_id=inspection.id, user_id=lead.id, is_lead=True))
        session.add_all(InspectionMember(inspection_id=inspection.id, user_id=m.id) for m in members)
        session.add_all(InspectionTemplate(inspection_id=inspection.id, version_id=v.id, position=i)
                        for i, v in enumerate(versions))
        audit.record(session, actor, "inspection.plan", inspection, details={
            "unit_id": unit.id, "kind": kind, "scheduled_on": scheduled_on.isoformat(), "lead_id": lead.id,
            "members": [m.id for m in members], "versions": [v.id for v in versions]})
    session.refresh(inspection)
    return inspection


def cancel_inspection(session: Session, actor: User, inspection: Inspection, reason: str) -> None:
    if inspection.status not in (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS):
        raise DomainError(_("只有计划中或检查中的检查可以取消。"))
    if not is_lead(actor, inspection) and actor.id != inspection.created_by_id:
        raise DomainError(_("只有组长或安排人可以取消检查。"))
    if not reason.strip():
        raise DomainError(_("请填写取消原因。"), field="reason")
    with transaction(session):
        inspection.status = InspectionStatus.CANCELLED
        inspection.cancelled_at = utcnow()
        inspection.cancel_reason = reason.strip()
        inspection.revision += 1
        audit.record(session, actor, "inspection.cancel", inspection, details={"reason": reason.strip()})


# The checklist of one inspection ---------------------------------------------------------------


def load_items(session: Session, inspection: Inspection) -> list[ChecklistItem]:
    """Every item of the pinned versions, in template, section and item order."""
    order = {pinned.version_id: pinned.position for pinned in inspection.templates}
    items = session.scalars(
        select(ChecklistItem)
        .join(ChecklistSection)
        .where(ChecklistItem.version_id.in_(order))
        .options(selectinload(ChecklistItem.section),
                 selectinload(ChecklistItem.version).selectinload(TemplateVersion.template))
        .order_by(ChecklistSection.position, ChecklistItem.position)
    ).all()
    return sorted(items, key=lambda i: order[i.version_id])


def items_by_id(session: Session, inspection: Inspection, ids: set[int]) -> dict[int, ChecklistItem]:
    """The items with these ids that belong to the inspection's pinned versions."""
    pinned = [p.version_id for p in inspection.templates]
    return {i.id: i for i in session.scalars(
        select(ChecklistItem).where(ChecklistItem.id.in_(ids), ChecklistItem.version_id.in_(pinned)))}


def load_answers(session: Session, inspection: Inspection) -> dict[int, Answer]:
    return {a.item_id: a for a in session.scalars(select(Answer).where(Answer.inspection_id == inspection.id))}


def is_complete(item: ChecklistItem, answer: Answer | None) -> bool:
    """Answered, with what its answer needs: a finding for 不符合/基本符合, a reason for 不适用."""
    if answer is None or answer.value in (None, ""):
        return False
    if item.response == ResponseType.COMPLIANCE:
        if answer.value in (Compliance.NONCOMPLIANT, Compliance.PARTIAL):
            return bool((answer.finding_text or "").strip()) and bool(answer.severity)
        if answer.value == Compliance.NOT_APPLICABLE:
            return bool((answer.na_reason or "").strip())
    return True


@dataclass
class SectionProgress:
    section_id: int
    title: str
    title_en: str | None
    total: int = 0
    answered: int = 0
    complete: int = 0

    @property
    def done(self) -> bool:
        return self.complete == self.total


@dataclass
class Progress:
    sections: list[SectionProgress] = field(default_factory=list)
    incomplete: list[ChecklistItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.sections)

    @property
    def complete(self) -> int:
        return sum(s.complete for s in self.sections)

    @property
    def done(self) -> bool:
        return self.complete == self.total


def progress(items: list[ChecklistItem], answers: dict[int, Answer]) -> Progress:
    result = Progress()
    by_section: dict[int, SectionProgress] = {}
    for item in items:
        section = by_section.get(item.section_id)
        if section is None:
            section = by_section[item.section_id] = SectionProgress(item.section_id, item.section.title,
                                                                    item.section.title_en)
            result.sections.append(section)
        answer = answers.get(item.id)
        section.total += 1
        if answer is not None and answer.value not in (None, ""):
            section.answered += 1
        if is_complete(item, answer):
            section.complete += 1
        else:
            result.incomplete.append(item)
    return result


# Repeat findings (屡查屡犯) ---------------------------------------------------------------------


def earlier_failure(session: Session, unit_id: int, template_key: str, item_key: str, *,
                    before_inspection: int | None = None) -> Finding | None:
    """The unit's latest finding on the same item in an inspection submitted in the last 24 months."""
    since = utcnow() - REPEAT_WINDOW
    stmt = (
        select(Finding)
        .join(Inspection, Finding.inspection_id == Inspection.id)
        .where(Finding.unit_id == unit_id, Finding.template_key == template_key, Finding.item_key == item_key,
               Finding.status == "active", Inspection.submitted_at >= since)
        .order_by(Inspection.submitted_at.desc())
        .limit(1)
    )
    if before_inspection is not None:
        stmt = stmt.where(Finding.inspection_id != before_inspection)
    return session.scalar(stmt)


def repeat_suggestions(session: Session, inspection: Inspection, items: list[ChecklistItem]) -> dict[int, Finding]:
    """For each item the unit failed in the last 24 months, the latest such finding (one query)."""
    keys = {(i.version.template.key, i.key): i.id for i in items}
    since = utcnow() - REPEAT_WINDOW
    rows = session.scalars(
        select(Finding)
        .join(Inspection, Finding.inspection_id == Inspection.id)
        .where(Finding.unit_id == inspection.unit_id, Finding.inspection_id != inspection.id,
               Finding.status == "active", Inspection.submitted_at >= since)
        .order_by(Inspection.submitted_at)
    )
    return {keys[(f.template_key, f.item_key)]: f for f in rows if (f.template_key, f.item_key) in keys}


def step_up(severity: str) -> str:
    index = SEVERITY_ORDER.index(severity)
    return SEVERITY_ORDER[min(index + 1, len(SEVERITY_ORDER) - 1)]


def suggested_severity(session: Session, inspection: Inspection, item: ChecklistItem) -> str:
    """The item's severity, one step higher when the unit failed the same item before."""
    repeat = earlier_failure(session, inspection.unit_id, item.version.template.key, item.key,
                             before_inspection=inspection.id)
    return step_up(item.severity) if repeat else item.severity


# Answering -------------------------------------------------------------------------------------

ANSWER_FIELDS = ("value", "note", "finding_text", "severity", "na_reason")


@dataclass
class AnswerInput:
    """One write of one answer, as the tablet sends it."""

    item_id: int
    client_uuid: str
    base_revision: int  # the revision the edit started from; 0 when the author saw no answer
    value: str | None = None
    note: str | None = None
    finding_text: str | None = None
    severity: str | None = None
    na_reason: str | None = None
    confirm_unclassified: bool = False

    def content(self) -> dict:
        return {f: _clean(getattr(self, f)) for f in ANSWER_FIELDS}


def _same_content(stored, content: dict) -> bool:
    """Whether a stored answer (or revision) holds `content`. A severity the author left empty was
    filled in by the server, so any stored severity matches it."""
    return all(getattr(stored, f) == content[f] for f in ANSWER_FIELDS if not (f == "severity" and not content[f]))


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


class ClassifiedSuspected(DomainError):
    """The text looks like classified content; saved only once the author confirms it is not."""

    status_code = 422

    def __init__(self, suspicions: list[Suspicion]):
        super().__init__(_("内容中出现了疑似密级标志（%(excerpt)s）。本系统严禁录入国家秘密，请修改；如确认不含国家秘密，请勾选确认后再保存。",
                           excerpt=suspicions[0].excerpt))
        self.suspicions = suspicions


class AnswerConflict(Conflict):
    """Someone else changed the answer since the author loaded it; the client lets the author choose."""

    def __init__(self, current: Answer | None, message: str | None = None):
        super().__init__(message or _("这一项已被他人修改，请选择保留哪一个答案。"))
        self.current = current


def _validate_value(item: ChecklistItem, content: dict) -> None:
    value = content["value"]
    if value is None:
        return
    if item.response == ResponseType.COMPLIANCE:
        if value not in set(Compliance):
            raise DomainError(_("答案无效。"), field="value")
    elif item.response == ResponseType.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise DomainError(_("请填写数字。"), field="value") from None
        if not number.is_finite() or number < 0 or number > 10**9:
            raise DomainError(_("请填写 0 或更大的数字。"), field="value")
    elif item.response == ResponseType.CHOICE and value not in {c["key"] for c in item.choices}:
        raise DomainError(_("请从选项中选择。"), field="value")
    for name in ANSWER_FIELDS:
        if content[name] and len(content[name]) > TEXT_LIMIT:
            raise DomainError(_("文字不能超过 %(n)d 个字。", n=TEXT_LIMIT), field=name)
    if content["severity"] is not None and content["severity"] not in SEVERITY_ORDER:
        raise DomainError(_("问题等级无效。"), field="severity")


def _check_can_answer(actor: User, inspection: Inspection) -> None:
    if inspection.is_locked:
        raise Conflict(_("检查已提交，答案不能再修改。如需更正，请组长重新打开检查。"))
    if not is_team_member(actor, inspection):
        raise NotAllowed(_("只有检查组成员可以填写。"))


def _revision_by_uuid(session: Session, inspection: Inspection, client_uuid: str) -> AnswerRevision | None:
    """The write `client_uuid` names in this inspection; a UUID is looked up in no other."""
    return session.scalar(select(AnswerRevision).where(AnswerRevision.inspection_id == inspection.id,
                                                       AnswerRevision.client_uuid == client_uuid))


def _answer_of(session: Session, inspection: Inspection, item_id: int) -> Answer | None:
    return session.scalar(select(Answer).where(Answer.inspection_id == inspection.id, Answer.item_id == item_id))


def save_answer(session: Session, actor: User, inspection: Inspection, data: AnswerInput) -> tuple[Answer, bool]:
    """Save one answer write. Returns (answer, changed): an identical replay changes nothing.

    Raises AnswerConflict when the answer moved on since `base_revision`, or when the same client
    UUID comes back with other content; ClassifiedSuspected when text looks classified and is not
    confirmed.
    """
    _check_can_answer(actor, inspection)
    content = data.content()
    with transaction(session):
        previous = _revision_by_uuid(session, inspection, data.client_uuid)
        if previous is not None:
            answer = session.get(Answer, previous.answer_id)
            if answer.item_id != data.item_id or not _same_content(previous, content):
                # The conflict shows the item this write was for, never the one the UUID was first used on.
                raise AnswerConflict(_answer_of(session, inspection, data.item_id),
                                     _("这条记录的编号已被使用，但内容不同，未保存。"))
            return answer, False  # the same write, replayed
        item = session.scalar(
            select(ChecklistItem).where(ChecklistItem.id == data.item_id,
                                        ChecklistItem.version_id.in_([p.version_id for p in inspection.templates]))
        )
        if item is None:
            raise DomainError(_("这一项不属于本次检查。"), field="item_id")
        _validate_value(item, content)
        suspicions = find_suspicions({k: content[k] for k in ("note", "finding_text", "na_reason")}
                                     | ({"value": content["value"]} if item.response == ResponseType.TEXT else {}))
        if suspicions and not data.confirm_unclassified:
            raise ClassifiedSuspected(suspicions)
        answer = session.scalar(select(Answer).where(Answer.inspection_id == inspection.id,
                                                     Answer.item_id == item.id).with_for_update())
        if answer is not None and answer.revision != data.base_revision:
            if _same_content(answer, content):
                return answer, False  # someone saved the very same answer meanwhile
            raise AnswerConflict(answer)
        if answer is None and data.base_revision != 0:
            raise AnswerConflict(None)
        if answer is not None and _same_content(answer, content):
            return answer, False  # nothing changed: no new revision, no audit noise
        if content["value"] in (Compliance.NONCOMPLIANT, Compliance.PARTIAL) and not content["severity"]:
            content["severity"] = suggested_severity(session, inspection, item)
        try:
            # A savepoint around every write of the answer: when another request stored this write (or a
            # first answer to this item) a moment ago, the unique constraints say so, and the transaction
            # goes on to tell the client. (begin_nested() flushes what is pending first, so nothing may
            # be added or changed before it.)
            with session.begin_nested():
                if answer is None:
                    answer = Answer(inspection_id=inspection.id, unit_id=inspection.unit_id, item_id=item.id,
                                    revision=0, answered_by_id=actor.id)
                    session.add(answer)
                for name in ANSWER_FIELDS:
                    setattr(answer, name, content[name])
                answer.revision += 1
                answer.answered_by_id = actor.id
                answer.answered_at = utcnow()
                answer.classified_confirmed = answer.classified_confirmed or bool(suspicions)
                session.flush()
                session.add(AnswerRevision(answer_id=answer.id, inspection_id=inspection.id,
                                           unit_id=inspection.unit_id, revision=answer.revision,
                                           changed_by_id=actor.id, client_uuid=data.client_uuid,
                                           **{f: content[f] for f in ANSWER_FIELDS}))
        except IntegrityError:
            session.expire_all()
            stored = _revision_by_uuid(session, inspection, data.client_uuid)
            current = _answer_of(session, inspection, item.id)
            if stored is not None and _same_content(stored, content) and current is not None:
                return current, False
            raise AnswerConflict(current) from None
        if inspection.status == InspectionStatus.PLANNED:
            inspection.status = InspectionStatus.IN_PROGRESS
            inspection.started_at = utcnow()
            audit.record(session, actor, "inspection.start", inspection)
        audit.record(session, actor, "inspection.answer", answer,
                     details={"item": item.key, "value": content["value"], "revision": answer.revision,
                              "client_uuid": data.client_uuid})
        if suspicions:
            audit.record(session, actor, "inspection.unclassified_confirmed", answer,
                         details={"item": item.key, "fields": [s.field for s in suspicions]})
    return answer, True


# Photos ----------------------------------------------------------------------------------------


def add_photo(session: Session, actor: User, inspection: Inspection, item_id: int, data: bytes, *,
              filename: str, client_uuid: str | None) -> tuple[Attachment, bool]:
    """Attach a photo to an item. The same upload replayed (same client UUID, same bytes) is a no-op."""
    _check_can_answer(actor, inspection)
    if client_uuid:
        existing = session.scalar(select(Attachment).where(Attachment.client_uuid == client_uuid))
        if existing is not None:
            if existing.inspection_id != inspection.id or existing.sha256 != hashlib.sha256(data).hexdigest():
                raise Conflict(_("这条记录的编号已被使用，但内容不同，未保存。"))
            return existing, False
    item = session.scalar(select(ChecklistItem).where(
        ChecklistItem.id == item_id, ChecklistItem.version_id.in_([p.version_id for p in inspection.templates])))
    if item is None:
        raise DomainError(_("这一项不属于本次检查。"), field="item_id")
    stored = attachments.store(data, allowed=PHOTO_TYPES)
    with transaction(session):
        photo = Attachment(unit_id=inspection.unit_id, kind=AttachmentKind.PHOTO, inspection_id=inspection.id,
                           item_id=item.id, sha256=stored.sha256, mime=stored.mime, size=stored.size,
                           filename=attachments.display_name(filename, "photo.jpg"), width=stored.width,
                           height=stored.height, client_uuid=client_uuid, uploaded_by_id=actor.id)
        try:
            with session.begin_nested():  # the same upload may be arriving twice at once
                session.add(photo)
        except IntegrityError:
            existing = session.scalar(select(Attachment).where(Attachment.client_uuid == client_uuid))
            if existing is not None and existing.inspection_id == inspection.id and existing.sha256 == stored.sha256:
                return existing, False
            raise Conflict(_("这条记录的编号已被使用，但内容不同，未保存。")) from None
        audit.record(session, actor, "inspection.photo_add", photo,
                     details={"inspection_id": inspection.id, "item": item.key, "sha256": stored.sha256})
    return photo, True


def remove_photo(session: Session, actor: User, inspection: Inspection, photo: Attachment) -> None:
    _check_can_answer(actor, inspection)
    if photo.inspection_id != inspection.id or photo.kind != AttachmentKind.PHOTO:
        raise DomainError(_("照片不属于本次检查。"))
    with transaction(session):
        if photo.removed_at is None:
            photo.removed_at = utcnow()
            audit.record(session, actor, "inspection.photo_remove", photo, details={"inspection_id": inspection.id})


def photos_by_item(session: Session, inspection: Inspection) -> dict[int, list[Attachment]]:
    result: dict[int, list[Attachment]] = {}
    for photo in session.scalars(
        select(Attachment)
        .where(Attachment.inspection_id == inspection.id, Attachment.kind == AttachmentKind.PHOTO,
               Attachment.removed_at.is_(None))
        .order_by(Attachment.id)
    ):
        result.setdefault(photo.item_id, []).append(photo)
    return result


# Submitting and reopening ----------------------------------------------------------------------


@dataclass
class SignatureInput:
    role: str  # lead | unit
    signer_name: str
    png: bytes


def scored_items(items: list[ChecklistItem]) -> list[scoring.ScoredItem]:
    return [scoring.ScoredItem(key=f"{i.version_id}:{i.key}", section=f"{i.version_id}:{i.section.key}",
                               points=i.points, response=i.response, deduction=i.deduction,
                               deduction_points=i.deduction_points, veto=i.veto) for i in items]


def compute_score(items: list[ChecklistItem], answers: dict[int, Answer]) -> scoring.Result:
    values = {f"{i.version_id}:{i.key}": (answers[i.id].value if i.id in answers else None) for i in items}
    return scoring.score(scored_items(items), values)


def submit_inspection(session: Session, actor: User, inspection: Inspection,
                      signatures: list[SignatureInput]) -> list[Finding]:
    """Sign, lock, score, and make one finding per 不符合 or 基本符合 answer."""
    if not is_lead(actor, inspection):
        raise NotAllowed(_("只有组长可以提交检查。"))
    if inspection.status not in (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS):
        raise Conflict(_("这次检查已经提交过了。"))
    items = load_items(session, inspection)
    answers = load_answers(session, inspection)
    state = progress(items, answers)
    if not state.done:
        raise Conflict(_("还有 %(n)d 项未完成（未作答，或缺少问题描述、不适用原因），不能提交。",
                            n=len(state.incomplete)))
    roles = {s.role: s for s in signatures}
    if set(roles) != {"lead", "unit"}:
        raise DomainError(_("需要组长和被检查单位代表两人签名。"), field="signatures")
    for signature in signatures:
        if not signature.signer_name.strip():
            raise DomainError(_("请填写签名人姓名。"), field="signatures")
    stored = {role: attachments.store(s.png, allowed={"image/png"}) for role, s in roles.items()}
    result = compute_score(items, answers)
    with transaction(session):
        session.refresh(inspection)
        if inspection.status not in (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS):
            raise Conflict(_("这次检查已经提交过了。"))
        for role, signature in roles.items():
            file = stored[role]
            attachment = Attachment(unit_id=inspection.unit_id, kind=AttachmentKind.SIGNATURE,
                                    inspection_id=inspection.id, sha256=file.sha256, mime=file.mime, size=file.size,
                                    filename=f"signature-{role}.png", width=file.width, height=file.height,
                                    uploaded_by_id=actor.id)
            session.add(attachment)
            session.flush()
            session.add(Signature(inspection_id=inspection.id, unit_id=inspection.unit_id, role=role,
                                  signer_name=signature.signer_name.strip()[:64], attachment_id=attachment.id))
        findings = _make_findings(session, inspection, items, answers)
        inspection.status = InspectionStatus.SUBMITTED
        inspection.submitted_at = utcnow()
        inspection.score, inspection.band = result.score, result.band
        inspection.veto, inspection.deductions = result.veto, result.deductions
        inspection.score_json = json.dumps(result.as_dict(), ensure_ascii=False)
        inspection.revision += 1
        audit.record(session, actor, "inspection.submit", inspection,
                     details={"score": result.score, "band": result.band, "veto": result.veto,
                              "findings": len(findings), "signers": {r: s.signer_name for r, s in roles.items()}})
        if inspection.is_self:  # 自查: the findings become the unit's own tickets at once
            from . import rectification

            rectification.open_self_tickets(session, actor, inspection, findings)
    return findings


def _make_findings(session: Session, inspection: Inspection, items: list[ChecklistItem],
                   answers: dict[int, Answer]) -> list[Finding]:
    findings = []
    for item in items:
        answer = answers.get(item.id)
        if item.response != ResponseType.COMPLIANCE or answer is None:
            continue
        if answer.value not in (Compliance.NONCOMPLIANT, Compliance.PARTIAL):
            continue
        template_key = item.version.template.key
        repeat = earlier_failure(session, inspection.unit_id, template_key, item.key,
                                 before_inspection=inspection.id)
        finding = Finding(
            inspection_id=inspection.id, unit_id=inspection.unit_id, item_id=item.id, answer_id=answer.id,
            position=len(findings), template_key=template_key, item_key=item.key,
            category=item.version.template.category, item_text=item.text, basis_json=item.basis_json,
            compliance=answer.value, severity=answer.severity or item.severity,
            description=answer.finding_text or "", is_repeat=repeat is not None,
            repeat_of_id=repeat.id if repeat else None,
        )
        session.add(finding)
        findings.append(finding)
    session.flush()
    return findings


def reopen_inspection(session: Session, actor: User, inspection: Inspection, reason: str) -> None:
    """The lead reopens a submitted inspection to correct it: answers editable again, findings and
    signatures withdrawn until the next submit. Not once the notice is issued."""
    if not is_lead(actor, inspection):
        raise DomainError(_("只有组长可以重新打开检查。"))
    if inspection.status != InspectionStatus.SUBMITTED:
        raise Conflict(_("只有已提交、尚未下发整改通知的检查可以重新打开。"))
    if not reason.strip():
        raise DomainError(_("请填写重新打开的原因。"), field="reason")
    with transaction(session):
        for finding in session.scalars(select(Finding).where(Finding.inspection_id == inspection.id)):
            session.delete(finding)
        for signature in session.scalars(select(Signature).where(Signature.inspection_id == inspection.id)):
            attachment = session.get(Attachment, signature.attachment_id)
            session.delete(signature)
            attachment.removed_at = utcnow()
        inspection.status = InspectionStatus.IN_PROGRESS
        inspection.submitted_at = None
        inspection.score = inspection.band = inspection.score_json = None
        inspection.veto, inspection.deductions = False, 0
        inspection.reopen_count += 1
        inspection.revision += 1
        audit.record(session, actor, "inspection.reopen", inspection, details={"reason": reason.strip()})


# Lists ------------------------------------------------------------------------------------------


@dataclass
class InspectionFilter:
    q: str = ""
    status: str = ""
    kind: str = ""
    unit_id: int | None = None
    district_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def search(actor: User, flt: InspectionFilter):
    """A select of the inspections `actor` sees, filtered."""
    from .. import authz

    stmt = authz.scoped(select(Inspection).join(Inspection.unit), Inspection, actor)
    if flt.q:
        like = f"%{flt.q}%"
        stmt = stmt.where((Inspection.title.ilike(like)) | (OrgNode.name.ilike(like)))
    if flt.status in set(InspectionStatus):
        stmt = stmt.where(Inspection.status == flt.status)
    if flt.kind in set(InspectionKind):
        stmt = stmt.where(Inspection.kind == flt.kind)
    if flt.unit_id:
        stmt = stmt.where(Inspection.unit_id == flt.unit_id)
    if flt.district_id:
        district = select(OrgNode.path).where(OrgNode.id == flt.district_id).scalar_subquery()
        stmt = stmt.where(OrgNode.path.startswith(district))
    if flt.date_from:
        stmt = stmt.where(Inspection.scheduled_on >= flt.date_from)
    if flt.date_to:
        stmt = stmt.where(Inspection.scheduled_on <= flt.date_to)
    return stmt


def team_candidates(session: Session, unit: OrgNode) -> list[User]:
    """The active inspectors who may inspect `unit`: those whose org node contains it."""
    ancestors = [int(part) for part in unit.path.strip("/").split("/")]
    return list(session.scalars(
        select(User).where(User.role == Role.INSPECTOR, User.active.is_(True), User.org_node_id.in_(ancestors))
        .order_by(User.display_name)))


# The annual plan -------------------------------------------------------------------------------

PLAN_COLUMNS = {
    "unit": ("单位代码", "unit_code"),
    "kind": ("检查类型", "kind"),
    "date": ("计划日期", "scheduled_on", "date"),
    "templates": ("检查表", "templates"),
    "lead": ("组长", "lead"),
    "members": ("组员", "members"),
    "title": ("名称", "title"),
    "notes": ("备注", "notes"),
}
KIND_NAMES = {"例行检查": "routine", "例行": "routine", "专项检查": "special", "专项": "special", "抽查": "spot",
              "routine": "routine", "special": "special", "spot": "spot"}
MAX_PLAN_ROWS = 1000


@dataclass
class PlanImportReport:
    created: list[Inspection] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _parse_date(text: str) -> date | None:
    text = text.strip().split(" ")[0].replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                return None
    return None


def import_plan(session: Session, actor: User, rows: list[list[str]]) -> PlanImportReport:
    """Plan the inspections an annual plan lists, all or none, with every bad row explained."""
    from .. import authz
    from . import checklists

    report = PlanImportReport()
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if len(rows) < 2:
        report.errors.append(_("文件中没有计划行。"))
        return report
    header = [str(c).strip().lower() for c in rows[0]]
    columns = {key: next((i for i, h in enumerate(header) if h in {n.lower() for n in names}), None)
               for key, names in PLAN_COLUMNS.items()}
    missing = [PLAN_COLUMNS[k][0] for k in ("unit", "kind", "date", "templates") if columns[k] is None]
    if missing:
        report.errors.append(_("第 1 行缺少列：%(cols)s。", cols="、".join(missing)))
        return report
    units = {u.code.lower(): u for u in session.scalars(
        select(OrgNode).where(OrgNode.kind == NodeKind.UNIT, OrgNode.id.in_(authz.visible_unit_ids(actor))))}
    current = {v.template.key: v for v in checklists.current_versions(session)}
    by_title = {v.title: v for v in current.values()}
    people = {u.username.lower(): u for u in session.scalars(select(User).where(User.role == Role.INSPECTOR))}

    def cell(row, key):
        index = columns[key]
        return str(row[index]).strip() if index is not None and index < len(row) and row[index] is not None else ""

    planned = []
    for number, row in enumerate(rows[1:], start=2):
        problems = []
        unit = units.get(cell(row, "unit").lower())
        if unit is None:
            problems.append(_("单位代码 %(code)s 不存在或不在您的管辖范围内", code=cell(row, "unit")))
        elif not unit.active:
            problems.append(_("单位 %(code)s 已停用", code=unit.code))
        kind = KIND_NAMES.get(cell(row, "kind"))
        if kind is None:
            problems.append(_("检查类型应为例行检查、专项检查或抽查"))
        scheduled_on = _parse_date(cell(row, "date"))
        if scheduled_on is None:
            problems.append(_("计划日期“%(d)s”无法识别，应为 2026-03-15 这样的日期", d=cell(row, "date")))
        chosen, unknown = [], False
        for name in filter(None, (t.strip() for t in cell(row, "templates").replace("，", "、").replace(",", "、")
                                  .split("、"))):
            version = current.get(name) or by_title.get(name)
            if version is None:
                problems.append(_("检查表“%(t)s”不存在", t=name))
                unknown = True
            else:
                chosen.append(version)
        if not chosen and not unknown:
            problems.append(_("请填写至少一份检查表"))
        lead = people.get(cell(row, "lead").lower()) if cell(row, "lead") else actor
        if lead is None:
            problems.append(_("组长 %(u)s 不是检查员账户", u=cell(row, "lead")))
        members = []
        for name in filter(None, (m.strip() for m in cell(row, "members").replace("，", "、").replace(",", "、")
                                  .split("、"))):
            member = people.get(name.lower())
            if member is None:
                problems.append(_("组员 %(u)s 不是检查员账户", u=name))
            else:
                members.append(member)
        if unit is not None and lead is not None and not problems:
            try:
                _check_team(unit, lead, members)
            except DomainError as exc:
                problems.append(exc.message.rstrip("。"))
        if problems:
            report.errors.append(_("第 %(row)d 行：%(problems)s。", row=number, problems="；".join(map(str, problems))))
        else:
            planned.append((unit, kind, chosen, scheduled_on, lead, members, cell(row, "title"), cell(row, "notes")))
    if report.errors:
        return report
    with transaction(session):
        for unit, kind, chosen, scheduled_on, lead, members, title, notes in planned:
            report.created.append(plan_inspection(session, actor, unit=unit, kind=kind, versions=chosen,
                                                  scheduled_on=scheduled_on, lead=lead, members=members,
                                                  title=title, notes=notes))
        audit.record(session, actor, "inspection.import_plan", details={"created": len(planned)})
    return report
