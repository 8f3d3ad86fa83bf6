"""The appraisal schemes beside the checklists (`checklists/appraisal/*.yaml`): validating them against what was
synced, and syncing each distinct content as an immutable version, all or nothing, as the checklist library does."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...database import transaction
from ...models import AppraisalScheme, User
from .. import audit
from .scheme import Scheme, SchemeFile, load_file


def schemes_dir() -> Path:
    configured = current_app.config.get("APPRAISAL_SCHEMES_DIR")
    return Path(configured) if configured else Path(current_app.root_path).parent / "checklists" / "appraisal"


def scheme_files() -> list[Path]:
    return sorted(schemes_dir().glob("*.yaml"))


def load_paths(paths: list[Path]) -> list[SchemeFile]:
    root = Path(current_app.root_path).parent
    results = []
    for path in paths:
        try:
            source = str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            source = str(path)
        results.append(load_file(path, source))
    return results


def _synced(session: Session, key: str, **where) -> AppraisalScheme | None:
    stmt = select(AppraisalScheme).where(AppraisalScheme.key == key)
    for name, value in where.items():
        stmt = stmt.where(getattr(AppraisalScheme, name) == value)
    return session.scalar(stmt.order_by(AppraisalScheme.version.desc()).limit(1))


def check_against_synced(session: Session, result: SchemeFile) -> None:
    """Add an error when a file changes a synced version without bumping its number, or goes back a version."""
    scheme = result.scheme
    if scheme is None:
        return
    same = _synced(session, scheme.key, version=scheme.version)
    latest = _synced(session, scheme.key)
    line, version = result.line_of_version, scheme.version
    if same is not None and same.content_hash != scheme.content_hash():
        result.error(line, f"version {version} was synced with other content; bump the version")
    elif same is None and latest is not None and version < latest.version:
        result.error(line, f"version {version} is older than the synced version {latest.version}")


@dataclass
class SyncReport:
    created: list[AppraisalScheme] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _store(session: Session, actor: User | None, scheme: Scheme) -> AppraisalScheme:
    row = AppraisalScheme(key=scheme.key, version=scheme.version, content_hash=scheme.content_hash(),
                          title=scheme.title, title_en=scheme.title_en, content=scheme.canonical_json())
    session.add(row)
    session.flush()
    audit.record(session, actor, "appraisal.scheme_create", row,
                 details={"key": scheme.key, "version": scheme.version, "hash": row.content_hash})
    return row


def sync_schemes(session: Session, actor: User | None = None, paths: list[Path] | None = None) -> SyncReport:
    """Store every new scheme content as a version; an unchanged file changes nothing. All or nothing."""
    report = SyncReport()
    results = load_paths(scheme_files() if paths is None else paths)
    for result in results:
        check_against_synced(session, result)
        report.errors.extend(result.errors)
    if report.errors:
        return report
    with transaction(session):
        for result in results:
            scheme = result.scheme
            if _synced(session, scheme.key, content_hash=scheme.content_hash()) is not None:
                report.unchanged.append(scheme.key)
            else:
                report.created.append(_store(session, actor, scheme))
    return report


def current_schemes(session: Session) -> list[AppraisalScheme]:
    """The newest synced version of every scheme (what a new round is offered)."""
    newest = (select(AppraisalScheme.key, func.max(AppraisalScheme.version).label("version"))
              .group_by(AppraisalScheme.key).subquery())
    return list(session.scalars(
        select(AppraisalScheme).join(newest, (AppraisalScheme.key == newest.c.key)
                                     & (AppraisalScheme.version == newest.c.version))
        .order_by(AppraisalScheme.key)))
