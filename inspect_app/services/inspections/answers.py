"""Inspections: the checklist of one inspection and its progress, repeat findings (屡查屡犯), answering
(idempotent, offline-safe) and photos."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, selectinload

from ...database import transaction
from ...models import (
    Answer,
    AnswerRevision,
    Attachment,
    AttachmentKind,
    ChecklistItem,
    ChecklistSection,
    Compliance,
    Finding,
    FindingStatus,
    Inspection,
    InspectionStatus,
    ResponseType,
    TemplateVersion,
    User,
    utcnow,
)
from ...models.checklist import SEVERITY_ORDER
from .. import Conflict, DomainError, NotAllowed, attachments, audit
from ..classified import Suspicion, find_suspicions
from ..registers import SampleInput, save_sample
from .planning import is_team_member

REPEAT_WINDOW = timedelta(days=730)  # 24 months
TEXT_LIMIT = 2000
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
# The checklist of one inspection ---------------------------------------------------------------


def load_items(session: Session, inspection: Inspection) -> list[ChecklistItem]:
    """Every item of the pinned versions, in template, section and item order."""
    order = {pinned.version_id: pinned.position for pinned in inspection.templates}
    # The sections come from the join; the few versions and their templates in one query more.
    items = session.scalars(
        select(ChecklistItem)
        .join(ChecklistItem.section)
        .where(ChecklistItem.version_id.in_(order))
        .options(contains_eager(ChecklistItem.section),
                 selectinload(ChecklistItem.version).joinedload(TemplateVersion.template))
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


def _recent_failures(unit_id: int, other_than: int | None) -> Select:
    """The repeat rule's look back: the unit's standing findings in inspections submitted in the last 24 months,
    leaving out the inspection `other_than` (the one being answered or submitted)."""
    stmt = (
        select(Finding)
        .join(Inspection, Finding.inspection_id == Inspection.id)
        .where(Finding.unit_id == unit_id, Finding.status == FindingStatus.ACTIVE,
               Inspection.submitted_at >= utcnow() - REPEAT_WINDOW)
    )
    return stmt if other_than is None else stmt.where(Finding.inspection_id != other_than)


def earlier_failure(session: Session, unit_id: int, template_key: str, item_key: str, *,
                    before_inspection: int | None = None) -> Finding | None:
    """The unit's latest finding on the same item in an inspection submitted in the last 24 months."""
    return session.scalar(
        _recent_failures(unit_id, before_inspection)
        .where(Finding.template_key == template_key, Finding.item_key == item_key)
        .order_by(Inspection.submitted_at.desc())
        .limit(1)
    )


def repeat_suggestions(session: Session, inspection: Inspection, items: list[ChecklistItem]) -> dict[int, Finding]:
    """For each item the unit failed in the last 24 months, the latest such finding (one query)."""
    keys = {(i.version.template.key, i.key): i.id for i in items}
    rows = session.scalars(_recent_failures(inspection.unit_id, inspection.id).order_by(Inspection.submitted_at))
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
    sample: SampleInput | None = None  # the draw from a register and its checks, on an item that samples one

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
        replayed = _replayed(session, inspection, data, content)
        if replayed is not None:
            return replayed, False  # the same write, replayed
        item = _pinned_item(session, inspection, data.item_id)
        _validate_value(item, content)
        suspicions = _unconfirmed_suspicions(item, content, data.confirm_unclassified,
                                             data.sample.texts() if data.sample else {})
        answer = session.scalar(select(Answer).where(Answer.inspection_id == inspection.id,
                                                     Answer.item_id == item.id).with_for_update())
        # A draw's checks are set, not added: written again, they change nothing.
        sampled = save_sample(session, actor, inspection, item, data.sample, content)
        if _holds_already(answer, data.base_revision, content):
            return answer, sampled
        if content["value"] in (Compliance.NONCOMPLIANT, Compliance.PARTIAL) and not content["severity"]:
            content["severity"] = suggested_severity(session, inspection, item)
        answer, written = _write(session, actor, inspection, item, answer, data.client_uuid, content,
                                 confirmed=bool(suspicions))
        if not written:
            return answer, False
        _record(session, actor, inspection, item, answer, data.client_uuid, content, suspicions)
    return answer, True


def _replayed(session: Session, inspection: Inspection, data: AnswerInput, content: dict) -> Answer | None:
    """The answer a write with this client UUID already saved; AnswerConflict when the UUID came with other
    content or for another item; None for a new write."""
    previous = _revision_by_uuid(session, inspection, data.client_uuid)
    if previous is None:
        return None
    answer = session.get(Answer, previous.answer_id)
    if answer.item_id != data.item_id or not _same_content(previous, content):
        # The conflict shows the item this write was for, never the one the UUID was first used on.
        raise AnswerConflict(_answer_of(session, inspection, data.item_id),
                             _("这条记录的编号已被使用，但内容不同，未保存。"))
    return answer


def _pinned_item(session: Session, inspection: Inspection, item_id: int) -> ChecklistItem:
    # By primary key: an item the request has read already (the API reads a batch's items first) costs no query.
    item = session.get(ChecklistItem, item_id)
    if item is None or item.version_id not in {p.version_id for p in inspection.templates}:
        raise DomainError(_("这一项不属于本次检查。"), field="item_id")
    return item


def _unconfirmed_suspicions(item: ChecklistItem, content: dict, confirmed: bool,
                            sample_notes: dict[str, str | None]) -> list[Suspicion]:
    """The texts that look classified (ClassifiedSuspected unless the author confirmed they are not)."""
    suspicions = find_suspicions({k: content[k] for k in ("note", "finding_text", "na_reason")}
                                 | ({"value": content["value"]} if item.response == ResponseType.TEXT else {})
                                 | sample_notes)
    if suspicions and not confirmed:
        raise ClassifiedSuspected(suspicions)
    return suspicions


def _holds_already(answer: Answer | None, base_revision: int, content: dict) -> bool:
    """Whether the stored answer already holds this write, so nothing is saved; AnswerConflict when it moved on
    since the author loaded it (`base_revision`) to other content."""
    if answer is not None and answer.revision != base_revision:
        if _same_content(answer, content):
            return True  # someone saved the very same answer meanwhile
        raise AnswerConflict(answer)
    if answer is None and base_revision != 0:
        raise AnswerConflict(None)
    return answer is not None and _same_content(answer, content)  # no new revision, no audit noise


def _write(session: Session, actor: User, inspection: Inspection, item: ChecklistItem, answer: Answer | None,
           client_uuid: str, content: dict, *, confirmed: bool) -> tuple[Answer, bool]:
    """Store the answer's new revision: (answer, True); or, when a concurrent request stored this very write a
    moment ago, (its answer, False); AnswerConflict when it stored another."""
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
            answer.classified_confirmed = answer.classified_confirmed or confirmed
            session.flush()
            session.add(AnswerRevision(answer_id=answer.id, inspection_id=inspection.id,
                                       unit_id=inspection.unit_id, revision=answer.revision,
                                       changed_by_id=actor.id, client_uuid=client_uuid,
                                       **{f: content[f] for f in ANSWER_FIELDS}))
    except IntegrityError:
        session.expire_all()
        stored = _revision_by_uuid(session, inspection, client_uuid)
        current = _answer_of(session, inspection, item.id)
        if stored is not None and _same_content(stored, content) and current is not None:
            return current, False
        raise AnswerConflict(current) from None
    return answer, True


def _record(session: Session, actor: User, inspection: Inspection, item: ChecklistItem, answer: Answer,
            client_uuid: str, content: dict, suspicions: list[Suspicion]) -> None:
    """The first answer starts the inspection; every saved answer, and a confirmation that its text is not
    classified, goes into the audit trail."""
    if inspection.status == InspectionStatus.PLANNED:
        inspection.status = InspectionStatus.IN_PROGRESS
        inspection.started_at = utcnow()
        audit.record(session, actor, "inspection.start", inspection)
    audit.record(session, actor, "inspection.answer", answer,
                 details={"item": item.key, "value": content["value"], "revision": answer.revision,
                          "client_uuid": client_uuid})
    if suspicions:
        audit.record(session, actor, "inspection.unclassified_confirmed", answer,
                     details={"item": item.key, "fields": [s.field for s in suspicions]})


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
