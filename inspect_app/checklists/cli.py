"""The checklist library on the command line: `checklists validate`, `checklists cites`, `checklists sync`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from ..formatting import cite_in_document
from ..services import checklists
from ..services.checklists import legal_texts


@click.group("checklists", cls=AppGroup)
def checklists_group() -> None:
    """The checklist library in checklists/."""


@checklists_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def checklists_validate(paths: tuple[Path, ...]) -> None:
    """Validate templates (default: the whole library); exit 1 listing every error as file:line."""
    results = checklists.load_paths(list(paths) or checklists.library_files())
    errors = []
    for result in results:
        checklists.check_against_synced(db.session, result)
        errors.extend(result.errors)
    for error in errors:
        click.echo(error, err=True)
    if errors:
        sys.exit(1)
    items = sum(len(r.template.items()) for r in results)
    click.echo(f"{len(results)} templates, {items} items: valid")


@checklists_group.command("cites")
@click.argument("law")
@click.option("--article", type=click.IntRange(min=1, max=500), default=None, help="Only this article.")
def checklists_cites(law: str, article: int | None) -> None:
    """List every item and template version whose basis cites LAW (e.g. 保守国家秘密法), or one article of it."""
    key = legal_texts.resolve(law)
    if key is None:
        known = "、".join(dict.fromkeys(t.key for t in legal_texts.register().texts))
        raise click.ClickException(f"{law} is not in the register of legal texts (known: {known})")
    found = checklists.citing_items(db.session, key, article)
    for citing in found:
        version = citing.version
        state = "current" if citing.current else ("retired" if not version.is_active else "older")
        cites = "；".join(cite_in_document(e) for e in citing.entries)
        click.echo(f"{version.key} v{version.version} ({state}) {citing.item.key} {citing.item.text} — {cites}")
    versions = {c.version.id for c in found}
    what = f"{key} article {article}" if article else key
    click.echo(f"{len(found)} items in {len(versions)} template versions cite {what}")


@checklists_group.command("sync")
def checklists_sync() -> None:
    """Store every new template content as an immutable version; unchanged files change nothing."""
    sync_library()


def sync_library() -> None:
    """Sync the library, saying what was stored; refuse (nothing synced) when any file has errors."""
    report = checklists.sync_library(db.session)
    for error in report.errors:
        click.echo(error, err=True)
    if report.errors:
        raise click.ClickException("the library has errors; nothing was synced")
    for version in report.created:
        click.echo(f"synced {version.template.key} version {version.version}")
    click.echo(f"{len(report.created)} new versions, {len(report.unchanged)} unchanged")


commands = [checklists_group]
