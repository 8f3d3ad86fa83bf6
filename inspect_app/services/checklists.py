"""The checklist library: validating files against what was synced, syncing versions, uploads,
retiring, search and the difference between two versions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..database import transaction
from ..models import (
    Category,
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplate,
    TemplateVersion,
    User,
    VersionStatus,
    utcnow,
)
from . import DomainError, audit
from .checklist_schema import Item, LoadResult, Template, load_file, load_text

MAX_UPLOAD_BYTES = 512 * 1024


def library_dir() -> Path:
    return Path(current_app.config.get("CHECKLISTS_DIR") or Path(current_app.root_path).parent / "checklists")


def library_files() -> list[Path]:
    return sorted(library_dir().glob("*.yaml"))


def load_paths(paths: list[Path]) -> list[LoadResult]:
    root = library_dir().parent
    results = []
    for path in paths:
        try:
            source = str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            source = str(path)
        results.append(load_file(path, source))
    return results


def latest_version(session: Session, key: str) -> TemplateVersion | None:
    return session.scalar(
        select(TemplateVersion)
        .join(ChecklistTemplate)
        .where(ChecklistTemplate.key == key)
        .order_by(TemplateVersion.version.desc())
        .limit(1)
    )


def check_against_synced(session: Session, result: LoadResult) -> None:
    """Add errors when a file changes a synced version without bumping its number."""
    template = result.template
    if template is None:
        return
    synced = session.scalar(
        select(TemplateVersion)
        .join(ChecklistTemplate)
        .where(ChecklistTemplate.key == template.key, TemplateVersion.version == template.version)
    )
    latest = latest_version(session, template.key)
    if synced is not None and synced.content_hash != template.content_hash():
        old = {i["key"]: i for s in json.loads(synced.content)["sections"] for i in s["items"]}
        named = False
        for item in template.items():
            before = old.get(item.key)
            if before is not None and before != item.model_dump(mode="json"):
                changed = [f for f, v in item.model_dump(mode="json").items() if before.get(f) != v]
                result.error(
                    result.item_lines.get(item.key, result.line_of_version),
                    f"item {item.key}: {', '.join(changed)} changed since version {template.version} was synced; "
                    f"bump the version",
                )
                named = True
        if not named:
            result.error(result.line_of_version,
                         f"version {template.version} was synced with other content; bump the version")
    elif synced is None and latest is not None and template.version < latest.version:
        result.error(result.line_of_version,
                     f"version {template.version} is older than the synced version {latest.version}")


@dataclass
class SyncReport:
    created: list[TemplateVersion] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def store_version(session: Session, actor: User | None, template: Template, *, source: str) -> TemplateVersion:
    """Store one validated template as a new immutable version. Call inside a transaction."""
    record = session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.key == template.key))
    if record is None:
        record = ChecklistTemplate(key=template.key, category=template.category)
        session.add(record)
        session.flush()
    items = template.items()
    version = TemplateVersion(
        template=record,
        version=template.version,
        content_hash=template.content_hash(),
        title=template.title,
        title_en=template.title_en,
        description=template.description,
        description_en=template.description_en,
        status=VersionStatus.ACTIVE,
        source=source,
        item_count=len(items),
        total_points=sum(i.points for i in items),
        content=template.canonical_json(),
    )
    session.add(version)
    session.flush()
    for s_pos, section in enumerate(template.sections):
        row = ChecklistSection(version_id=version.id, key=section.key, position=s_pos, title=section.title,
                               title_en=section.title_en)
        session.add(row)
        session.flush()
        session.add_all(_item_row(version.id, row.id, i_pos, item) for i_pos, item in enumerate(section.items))
    session.flush()
    audit.record(session, actor, "checklist.version_create", version,
                 details={"key": template.key, "version": template.version, "source": source,
                          "hash": version.content_hash})
    return version


def _item_row(version_id: int, section_id: int, position: int, item: Item) -> ChecklistItem:
    dump = item.model_dump(mode="json")
    return ChecklistItem(
        version_id=version_id, section_id=section_id, key=item.key, position=position, text=item.text,
        text_en=item.text_en, guidance=item.guidance, guidance_en=item.guidance_en, materials=item.materials,
        severity=item.severity, points=item.points, response=item.response, deduction=item.deduction,
        deduction_points=item.deduction_points if item.deduction else 0, veto=item.veto, unit_label=item.unit,
        basis_json=json.dumps(dump["basis"], ensure_ascii=False),
        evidence_json=json.dumps(dump["evidence"], ensure_ascii=False),
        choices_json=json.dumps(dump["choices"] or [], ensure_ascii=False),
        keywords_json=json.dumps(dump["keywords"], ensure_ascii=False),
    )


def sync(session: Session, actor: User | None, results: list[LoadResult]) -> SyncReport:
    """Store every new content as a version; an unchanged file changes nothing. All or nothing."""
    report = SyncReport()
    for result in results:
        check_against_synced(session, result)
        report.errors.extend(result.errors)
    if report.errors:
        return report
    with transaction(session):
        for result in results:
            template = result.template
            existing = session.scalar(
                select(TemplateVersion)
                .join(ChecklistTemplate)
                .where(ChecklistTemplate.key == template.key, TemplateVersion.content_hash == template.content_hash())
            )
            if existing is not None:
                report.unchanged.append(template.key)
            else:
                report.created.append(store_version(session, actor, template, source="library"))
    return report


def sync_library(session: Session, actor: User | None = None) -> SyncReport:
    return sync(session, actor, load_paths(library_files()))


class UploadRejected(DomainError):
    def __init__(self, errors: list[str]):
        super().__init__(_("检查表文件有 %(n)d 处错误，未保存。", n=len(errors)))
        self.errors = errors


def upload_template(session: Session, actor: User, filename: str, data: bytes) -> TemplateVersion:
    """An admin's own template: validated exactly like the library, stored as a new version."""
    if not filename.lower().endswith((".yaml", ".yml")):
        raise DomainError(_("请上传 .yaml 格式的检查表文件。"))
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(_("检查表文件过大（上限 512 KB）。"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError(_("文件不是 UTF-8 编码的文本。")) from None
    result = load_text(text, Path(filename).name)
    check_against_synced(session, result)
    if result.errors:
        raise UploadRejected(result.errors)
    template = result.template
    with transaction(session):
        duplicate = session.scalar(
            select(TemplateVersion)
            .join(ChecklistTemplate)
            .where(ChecklistTemplate.key == template.key, TemplateVersion.content_hash == template.content_hash())
        )
        if duplicate is not None:
            raise DomainError(_("内容与已有的第 %(v)d 版完全相同，无需上传。", v=duplicate.version))
        return store_version(session, actor, template, source="upload")


def set_version_status(session: Session, actor: User, version: TemplateVersion, retired: bool) -> None:
    """Retire a version (no new inspection may use it) or bring it back. Pinned inspections keep it."""
    with transaction(session):
        status = VersionStatus.RETIRED if retired else VersionStatus.ACTIVE
        if version.status == status:
            return
        version.status = status
        version.retired_at = utcnow() if retired else None
        audit.record(session, actor, "checklist.version_retire" if retired else "checklist.version_restore",
                     version, details={"key": version.template.key, "version": version.version})


# Reading the library ------------------------------------------------------------------------------


def library_order(category: str) -> int:
    """Where a category stands in the library: the eight areas in the order of the work, the self-assessment last."""
    order = list(Category)
    return order.index(category) if category in order else len(order)


def current_versions(session: Session, category: str | None = None) -> list[TemplateVersion]:
    """The newest active version of every template (what new inspections use)."""
    newest = (
        select(TemplateVersion.template_id, func.max(TemplateVersion.version).label("version"))
        .where(TemplateVersion.status == VersionStatus.ACTIVE)
        .group_by(TemplateVersion.template_id)
        .subquery()
    )
    stmt = (
        select(TemplateVersion)
        .join(newest, (TemplateVersion.template_id == newest.c.template_id)
              & (TemplateVersion.version == newest.c.version))
        .join(ChecklistTemplate)
        .options(selectinload(TemplateVersion.template))
        .order_by(ChecklistTemplate.category, ChecklistTemplate.key)
    )
    if category:
        stmt = stmt.where(ChecklistTemplate.category == category)
    return sorted(session.scalars(stmt), key=lambda v: library_order(v.category))


# Where the search looks, in the order a result names the fields that matched.
SEARCH_FIELDS = ("text", "text_en", "guidance", "guidance_en", "materials", "keywords")
MAX_QUERY_LENGTH = 100


def _like_pattern(query: str) -> str:
    """A LIKE pattern that matches `query` literally: % and _ typed by a user are text, not wildcards."""
    return "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def mentions(value: str | None, query: str) -> bool:
    """Whether `value` contains `query`, ignoring case (as the highlighting on the page marks it)."""
    return bool(value and query and re.search(re.escape(query), value, re.IGNORECASE))


def matched_fields(item: ChecklistItem, query: str) -> list[str]:
    """The fields of `item` that mention `query` (ignoring case), among SEARCH_FIELDS."""
    found = [f for f in SEARCH_FIELDS if f != "keywords" and mentions(getattr(item, f), query)]
    if any(mentions(k, query) for k in item.keywords):
        found.append("keywords")
    return found


def search_items(session: Session, query: str, limit: int = 200) -> list[ChecklistItem]:
    """Items of the current versions that mention `query` in text, guidance, materials or keywords.
    A substring match, which is what Chinese needs: 手机 finds 智能手机 and 手机拍摄 alike."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query or "\x00" in query:  # no stored text holds a NUL (PostgreSQL refuses even to compare one)
        return []
    like = _like_pattern(query)
    current = [v.id for v in current_versions(session)]
    stmt = (
        select(ChecklistItem)
        .where(
            ChecklistItem.version_id.in_(current),
            or_(*(getattr(ChecklistItem, f).ilike(like, escape="\\") for f in SEARCH_FIELDS if f != "keywords"),
                ChecklistItem.keywords_json.ilike(like, escape="\\")),
        )
        .options(selectinload(ChecklistItem.version).selectinload(TemplateVersion.template),
                 selectinload(ChecklistItem.section))
        .order_by(ChecklistItem.version_id, ChecklistItem.section_id, ChecklistItem.position)
    )
    # The JSON of the keywords matches more than the keywords do (quotes, commas): check each item in full.
    found = []
    for item in session.scalars(stmt):
        if matched_fields(item, query):
            found.append(item)
            if len(found) >= limit:
                break
    return found


@dataclass
class SearchHit:
    item: ChecklistItem
    fields: list[str]


@dataclass
class SearchGroup:
    version: TemplateVersion
    hits: list[SearchHit]


@dataclass
class SearchResult:
    query: str
    groups: list[SearchGroup]
    count: int
    truncated: bool


def search_library(session: Session, query: str, limit: int = 200) -> SearchResult:
    """`search_items`, grouped by template in the library's order, each hit naming the fields that matched."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    items = search_items(session, query, limit=limit + 1)
    truncated = len(items) > limit
    items = items[:limit]
    order = {v.id: n for n, v in enumerate(current_versions(session))}
    groups: dict[int, SearchGroup] = {}
    for item in sorted(items, key=lambda i: (order.get(i.version_id, 0), i.section.position, i.position)):
        group = groups.setdefault(item.version_id, SearchGroup(item.version, []))
        group.hits.append(SearchHit(item, matched_fields(item, query)))
    return SearchResult(query, list(groups.values()), len(items), truncated)


# One template and its versions ------------------------------------------------------------------

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


# Which items cite a legal text ------------------------------------------------------------------


@dataclass
class CitingItem:
    version: TemplateVersion
    item: ChecklistItem
    entries: list[dict]  # the item's basis entries that cite the text (and article)
    current: bool  # the version is what new inspections use


def citing_items(session: Session, law: str, article: int | None = None) -> list[CitingItem]:
    """Every item, in every stored template version, whose basis cites `law` (a register key), or one article
    of it: when the law changes, the list of what to revise. Current versions first, in the library's order."""
    pattern = _like_pattern(json.dumps(law, ensure_ascii=False))
    rows = session.scalars(
        select(ChecklistItem)
        .where(ChecklistItem.basis_json.like(pattern, escape="\\"))
        .options(selectinload(ChecklistItem.version).selectinload(TemplateVersion.template),
                 selectinload(ChecklistItem.section))
    )
    current_ids = {v.id for v in current_versions(session)}
    found = []
    for item in rows:
        entries = [e for e in item.basis
                   if e.get("law") == law and (article is None or e.get("article") == article)]
        if entries:
            found.append(CitingItem(item.version, item, entries, item.version_id in current_ids))
    found.sort(key=lambda c: (not c.current, library_order(c.version.category), c.version.key,
                              -c.version.version, c.item.section.position, c.item.position))
    return found
