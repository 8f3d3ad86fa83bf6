"""The appraisal schemes on the command line: `appraisals validate`, `appraisals sync`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import appraisals


@click.group("appraisals", cls=AppGroup)
def appraisals_group() -> None:
    """The annual appraisal's schemes in checklists/appraisal/."""


@appraisals_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def appraisals_validate(paths: tuple[Path, ...]) -> None:
    """Validate schemes (default: every one); exit 1 listing every error as file:line."""
    results = appraisals.load_paths(list(paths) or appraisals.scheme_files())
    errors = []
    for result in results:
        appraisals.check_against_synced(db.session, result)
        errors.extend(result.errors)
    for error in errors:
        click.echo(error, err=True)
    if errors:
        sys.exit(1)
    click.echo(f"{len(results)} schemes: valid")


@appraisals_group.command("sync")
def appraisals_sync() -> None:
    """Store every new scheme content as an immutable version; unchanged files change nothing."""
    sync_schemes()


def sync_schemes() -> None:
    """Sync the schemes, saying what was stored; refuse (nothing synced) when any file has errors."""
    report = appraisals.sync_schemes(db.session)
    for error in report.errors:
        click.echo(error, err=True)
    if report.errors:
        raise click.ClickException("the appraisal schemes have errors; nothing was synced")
    for scheme in report.created:
        click.echo(f"synced appraisal scheme {scheme.key} version {scheme.version}")
    click.echo(f"{len(report.created)} new scheme versions, {len(report.unchanged)} unchanged")


commands = [appraisals_group]
