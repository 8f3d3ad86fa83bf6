"""Command-line entry points: `flask --app wsgi <command>`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from .extensions import db
from .models import AuditHead, OrgNode, Role
from .services import DomainError, accounts, audit, checklists, demo


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(audit_group)
    app.cli.add_command(checklists_group)


@click.command("seed-demo")
@click.option("--scale", type=click.IntRange(min=0, max=500_000), default=0,
              help="Also add N synthetic inspections with answers, findings and tickets (benchmarks).")
@click.option("--seed", "rng_seed", type=int, default=2026, show_default=True, help="Random seed for --scale.")
def seed_demo(scale: int, rng_seed: int) -> None:
    """Bring an empty database to a ready demo (needs INSPECT_DEMO=1)."""
    if not current_app.config["INSPECT_DEMO"]:
        raise click.ClickException("seed-demo runs only in demo mode: set INSPECT_DEMO=1.")
    _sync_library()
    created = demo.seed(db.session)
    click.echo("demo data created" if created else "demo data already present; nothing changed")
    if scale:
        from .services import demo_scale

        report = demo_scale.add_scale(db.session, scale, seed=rng_seed, progress=click.echo)
        states = ", ".join(f"{k} {v}" for k, v in sorted(report.ticket_states.items()))
        click.echo(f"added {report.inspections} inspections, {report.answers} answers, {report.findings} findings, "
                   f"{report.tickets} tickets ({states}), {report.units_added} units")


@click.command("create-user")
@click.option("--username", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.option("--role", type=click.Choice([r.value for r in Role]), prompt=True)
@click.option("--org-code", prompt="Org node code", help="The code of the org node the account belongs to.")
@click.option("--create-bureau", is_flag=True, help="Create the city bureau with this code first (a new system).")
@click.option("--bureau-name", default="", help="The bureau's name, with --create-bureau.")
@click.password_option()
def create_user(username, display_name, role, org_code, create_bureau, bureau_name, password) -> None:
    """Create an account, e.g. the first admin of a production set-up."""
    from .services import org

    session = db.session
    node = session.scalar(select(OrgNode).where(OrgNode.code == org_code))
    try:
        if node is None and create_bureau:
            node = org.create_node(session, None, kind="bureau", name=bureau_name or org_code, code=org_code,
                                   parent=None)
        if node is None:
            raise click.ClickException(f"no org node has the code {org_code!r} (use --create-bureau for a new system)")
        user, _ = accounts.create_user(session, None, username=username, display_name=display_name, role=role,
                                       org_node=node, password=password, must_change_password=False)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"created {user.username} ({user.role}) at {node.name}")


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 1 naming the first broken record."""
    broken = audit.verify_chain(db.session)
    if broken is not None:
        click.echo(f"BROKEN: {broken}", err=True)
        sys.exit(1)
    count = db.session.get(AuditHead, 1).last_id
    click.echo(f"audit chain intact: {count} records")


@click.group("checklists")
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


@checklists_group.command("sync")
def checklists_sync() -> None:
    """Store every new template content as an immutable version; unchanged files change nothing."""
    _sync_library()


def _sync_library() -> None:
    report = checklists.sync_library(db.session)
    for error in report.errors:
        click.echo(error, err=True)
    if report.errors:
        raise click.ClickException("the library has errors; nothing was synced")
    for version in report.created:
        click.echo(f"synced {version.template.key} version {version.version}")
    click.echo(f"{len(report.created)} new versions, {len(report.unchanged)} unchanged")
