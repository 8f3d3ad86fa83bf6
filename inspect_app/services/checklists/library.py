"""The checklist library: its files, validating them against what was synced, syncing versions, uploads,
retiring and restoring, and the current version of each template."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ...database import transaction
from ...models import (
    Category,
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplate,
    TemplateVersion,
    User,
    VersionStatus,
    utcnow,
)
from .. import DomainError, audit
from .schema import Item, LoadResult, Template, load_file, load_text

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
        sample_json=json.dumps(dump["sample"], ensure_ascii=False) if "sample" in dump else None,
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
