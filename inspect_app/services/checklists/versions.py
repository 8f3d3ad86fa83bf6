"""One template and its versions: finding them, the version a reader sees, sections and item tallies, and the
difference between two versions."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from ...models import ChecklistItem, ChecklistSection, ChecklistTemplate, TemplateVersion
from .. import DomainError
from .library import library_order

# Far beyond any real version number; keeps a number typed into a URL inside the database's integer range.
MAX_VERSION_NUMBER = 1_000_000


def get_template(session: Session, key: str) -> ChecklistTemplate | None:
    if len(key) > 64 or "\x00" in key:  # no template key is that long or holds a NUL; PostgreSQL refuses NULs
        return None
    return session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.key == key))


def get_version(session: Session, template: ChecklistTemplate, number: int) -> TemplateVersion | None:
    if not 1 <= number <= MAX_VERSION_NUMBER:
        return None
    return session.scalar(
        select(TemplateVersion).where(TemplateVersion.template_id == template.id, TemplateVersion.version == number)
    )


def current_version(template: ChecklistTemplate) -> TemplateVersion | None:
    """The newest active version: what new inspections use. None when every version is retired."""
    active = [v for v in template.versions if v.is_active]
    return active[-1] if active else None


def reading_version(template: ChecklistTemplate) -> TemplateVersion:
    """The version a reader of the template sees first: the current one, else the newest (all retired)."""
    return current_version(template) or template.versions[-1]


def load_sections(session: Session, version: TemplateVersion) -> list[ChecklistSection]:
    """The version's sections with their items, in order, in two queries."""
    return list(session.scalars(
        select(ChecklistSection)
        .where(ChecklistSection.version_id == version.id)
        .options(selectinload(ChecklistSection.items))
        .order_by(ChecklistSection.position)
    ))


@dataclass
class ItemTally:
    deductions: int = 0
    vetoes: int = 0
    critical: int = 0


def item_tallies(session: Session, version_ids: list[int]) -> dict[int, ItemTally]:
    """Deduction, veto and critical items per version, for the library's cards."""
    rows = session.execute(
        select(ChecklistItem.version_id,
               func.sum(case((ChecklistItem.deduction.is_(True), 1), else_=0)),
               func.sum(case((ChecklistItem.veto.is_(True), 1), else_=0)),
               func.sum(case((ChecklistItem.severity == "critical", 1), else_=0)))
        .where(ChecklistItem.version_id.in_(version_ids))
        .group_by(ChecklistItem.version_id)
    )
    tallies = {version_id: ItemTally() for version_id in version_ids}
    for version_id, deductions, vetoes, critical in rows:
        tallies[version_id] = ItemTally(int(deductions or 0), int(vetoes or 0), int(critical or 0))
    return tallies


def all_templates(session: Session) -> list[ChecklistTemplate]:
    """Every template with every version, for the administrator's list."""
    templates = session.scalars(
        select(ChecklistTemplate)
        .options(selectinload(ChecklistTemplate.versions))
        .order_by(ChecklistTemplate.category, ChecklistTemplate.key)
    )
    return sorted(templates, key=lambda t: library_order(t.category))


def versions_to_compare(template: ChecklistTemplate, old_number: int | None,
                        new_number: int | None) -> tuple[TemplateVersion, TemplateVersion]:
    """The two versions a diff compares. Missing numbers default to the previous and the current version."""
    by_number = {v.version: v for v in template.versions}
    for number in (old_number, new_number):
        if number is not None and number not in by_number:
            raise DomainError(_("没有第 %(v)d 版。", v=number) if number <= MAX_VERSION_NUMBER
                              else _("版本号过大。"))
    if len(by_number) < 2:
        raise DomainError(_("此检查表只有一个版本，没有可比较的版本。"))
    numbers = sorted(by_number)
    if new_number is None:
        if old_number is not None:
            current = reading_version(template).version
            new_number = current if current != old_number else next((n for n in numbers if n > old_number),
                                                                    current)
        else:
            new_number = reading_version(template).version
    if old_number is None:
        earlier = [n for n in numbers if n < new_number]
        if earlier:
            old_number = earlier[-1]
        else:  # the current version is the first: compare it with the one after
            old_number, new_number = new_number, next(n for n in numbers if n > new_number)
    return by_number[old_number], by_number[new_number]


@dataclass
class ItemChange:
    key: str
    old: dict
    new: dict
    fields: list[str]


@dataclass
class VersionDiff:
    added: list[dict]
    removed: list[dict]
    changed: list[ItemChange]
    template_fields: list[str]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.template_fields)


def diff_versions(old: TemplateVersion, new: TemplateVersion) -> VersionDiff:
    """Items added, removed and changed (with the fields that changed), matched by item key."""
    old_content, new_content = json.loads(old.content), json.loads(new.content)

    def items(content: dict) -> dict[str, dict]:
        return {i["key"]: {**i, "section": s["title"], "section_en": s.get("title_en")}
                for s in content["sections"] for i in s["items"]}

    before, after = items(old_content), items(new_content)
    changed = []
    for key in after.keys() & before.keys():
        fields = [f for f in after[key] if after[key].get(f) != before[key].get(f)]
        if fields:
            changed.append(ItemChange(key, before[key], after[key], fields))
    order = list(after)
    changed.sort(key=lambda c: order.index(c.key))
    template_fields = [f for f in ("title", "title_en", "description", "description_en", "category")
                       if old_content.get(f) != new_content.get(f)]
    return VersionDiff(
        added=[after[k] for k in after if k not in before],
        removed=[before[k] for k in before if k not in after],
        changed=changed,
        template_fields=template_fields,
    )


