"""The installation as a whole on the command line: the demo (`seed-demo`) and backups (`backup create`,
`backup restore`)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..appraisals.cli import sync_schemes
from ..checklists.cli import sync_library
from ..extensions import db
from ..services import backup, demo


@click.command("seed-demo")
@with_appcontext
@click.option("--scale", type=click.IntRange(min=0, max=500_000), default=0,
              help="Also add N synthetic inspections with answers, findings and tickets (benchmarks).")
@click.option("--seed", "rng_seed", type=int, default=2026, show_default=True, help="Random seed for --scale.")
def seed_demo(scale: int, rng_seed: int) -> None:
    """Bring an empty database to a ready demo (needs INSPECT_DEMO=1)."""
    if not current_app.config["INSPECT_DEMO"]:
        raise click.ClickException("seed-demo runs only in demo mode: set INSPECT_DEMO=1.")
    _migrated_database()
    sync_library()
    sync_schemes()
    created = demo.seed(db.session)
    click.echo("demo data created" if created else "demo data already present; nothing changed")
    if scale:
        report = demo.add_scale(db.session, scale, seed=rng_seed, progress=click.echo)
        states = ", ".join(f"{k} {v}" for k, v in sorted(report.ticket_states.items()))
        click.echo(f"added {report.inspections} inspections, {report.answers} answers, {report.findings} findings, "
                   f"{report.tickets} tickets ({states}), {report.units_added} units")


def _migrated_database() -> None:
    """An empty database is migrated to the newest version; one at an older version is left to the admin."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    head = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_current_head()
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        click.echo("empty database: migrating it to the newest version first")
        upgrade()
    elif current != head:
        raise click.ClickException(f"the database is at migration {current}, this version needs {head}: "
                                   "run `.venv/bin/flask --app wsgi db upgrade` first.")


@click.group("backup", cls=AppGroup)
def backup_group() -> None:
    """Backups of the database and the attachments."""


@backup_group.command("create")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def backup_create(out: Path) -> None:
    """Take a consistent snapshot while the app keeps serving."""
    try:
        manifest = backup.create(db.session, db.engine, out)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {out}: {manifest.audit_records} audit records, "
               f"{manifest.attachments} attachment files")


@backup_group.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def backup_restore(backup_file: Path) -> None:
    """Restore a backup into an empty database, then verify the audit chain."""
    try:
        manifest = backup.restore(db.session, db.engine, backup_file)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored the backup of {manifest.created_at}: audit chain intact "
               f"({manifest.audit_records} records), {manifest.attachments} attachment files")


commands = [seed_demo, backup_group]
