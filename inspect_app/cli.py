"""Command-line entry points: `flask --app wsgi <command>`."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .analytics.cli import analytics_group
from .extensions import db
from .models import AuditHead, OrgNode, Role, User
from .services import DomainError, accounts, audit, checklists, demo
from .tasks.cli import worker


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(reset_password)
    app.cli.add_command(set_active)
    app.cli.add_command(audit_group)
    app.cli.add_command(checklists_group)
    app.cli.add_command(backup_group)
    app.cli.add_command(report_group)
    app.cli.add_command(analytics_group)
    app.cli.add_command(worker)


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
@with_appcontext
@click.option("--username", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.option("--role", type=click.Choice([r.value for r in Role if r != Role.PENDING]), prompt=True)
@click.option("--org-code", prompt="Org node code", help="The code of the org node the account belongs to.")
@click.option("--create-bureau", is_flag=True, help="Create the city bureau with this code first (a new system).")
@click.option("--bureau-name", default="", help="The bureau's name, with --create-bureau.")
@click.password_option()
def create_user(username, display_name, role, org_code, create_bureau, bureau_name, password) -> None:
    """Create an account, e.g. the first admin of a production set-up.

    The only way to make a 系统管理员, 安全保密管理员 or 安全审计员 account: the web cannot.
    """
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


def _account(username: str) -> User:
    user = accounts.find_user(db.session, username)
    if user is None:
        raise click.ClickException(f"no account has the username {username!r}")
    return user


@click.command("reset-password")
@with_appcontext
@click.argument("username")
@click.option("--reason", required=True, help="Why: kept in the audit trail and told to the account's holder.")
def reset_password(username: str, reason: str) -> None:
    """A temporary password for any account, the three admin accounts included (the web resets none of them).

    The holder must change it at the next login; their sessions end.
    """
    user = _account(username)
    try:
        temporary = accounts.reset_password(db.session, None, user, reason)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"temporary password of {user.username}: {temporary}  (to be changed at the next login)")


@click.command("set-active")
@with_appcontext
@click.argument("username")
@click.option("--on/--off", "active", required=True, help="Reactivate or deactivate the account.")
def set_active(username: str, active: bool) -> None:
    """Deactivate (ending its sessions) or reactivate any account, the three admin accounts included."""
    user = _account(username)
    accounts.set_user_active(db.session, None, user, active)
    click.echo(f"{user.username} is {'active' if active else 'deactivated'}")


@click.group("audit", cls=AppGroup)
def audit_group() -> None:
    """The audit trail."""


def _exported_head(_ctx, _param, value: str | None) -> audit.ChainHead | None:
    """A head given as `sequence:hash`, or the file the audit page or `audit head` wrote."""
    if not value:
        return None
    found = audit.parse_head(value)
    if found is None and Path(value).is_file():
        found = audit.parse_head(Path(value).read_text(errors="replace"))
    if found is None:
        raise click.BadParameter("expected SEQUENCE:HASH as `audit head` prints it, or the file it is in")
    return found


@audit_group.command("verify")
@click.option("--head", "exported", metavar="SEQUENCE:HASH|FILE", callback=_exported_head,
              help="A head exported earlier: the trail must still hold that record unchanged.")
def audit_verify(exported: audit.ChainHead | None) -> None:
    """Check the hash chain; exit 1 naming the first broken record."""
    broken = audit.verify_chain(db.session, exported)
    if broken is not None:
        click.echo(f"BROKEN: {broken}", err=True)
        sys.exit(1)
    count = db.session.get(AuditHead, 1).last_id
    click.echo(f"audit chain intact: {count} records"
               + (f"; record {exported.record_id} matches the exported head" if exported else ""))


@audit_group.command("head")
def audit_head() -> None:
    """Print the newest link, to keep outside the system and give to `audit verify --head` later."""
    head = audit.current_head(db.session)
    click.echo(f"sequence: {head.record_id}")
    click.echo(f"hash:     {head.hash}")
    click.echo(f"time:     {head.at.isoformat(sep=' ', timespec='seconds') + ' UTC' if head.at else '-'}")
    click.echo(f"key id:   {audit.key_id()}")
    click.echo(f"head:     {head.token}")


@audit_group.command("rekey")
def audit_rekey() -> None:
    """Put a trail written before the audit key under it (once, after upgrading): the old chain must verify."""
    try:
        sealed = audit.rekey(db.session)
    except audit.ChainNotIntact as exc:
        raise click.ClickException(f"the trail from before the key is broken, so it is not sealed: {exc}") from exc
    if sealed is None:
        click.echo("audit chain already under the key; nothing to do")
    else:
        click.echo(f"audit chain sealed under the key by record {sealed.id}: records 1-{sealed.id - 1} from before "
                   f"the key verified")


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
    from .formatting import cite_in_document
    from .services import legal_texts

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
    _sync_library()


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


def _sync_library() -> None:
    report = checklists.sync_library(db.session)
    for error in report.errors:
        click.echo(error, err=True)
    if report.errors:
        raise click.ClickException("the library has errors; nothing was synced")
    for version in report.created:
        click.echo(f"synced {version.template.key} version {version.version}")
    click.echo(f"{len(report.created)} new versions, {len(report.unchanged)} unchanged")


@click.group("backup", cls=AppGroup)
def backup_group() -> None:
    """Backups of the database and the attachments."""


@backup_group.command("create")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def backup_create(out: Path) -> None:
    """Take a consistent snapshot while the app keeps serving."""
    from .services import backup

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
    from .services import backup

    try:
        manifest = backup.restore(db.session, db.engine, backup_file)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored the backup of {manifest.created_at}: audit chain intact "
               f"({manifest.audit_records} records), {manifest.attachments} attachment files")


# Official documents ------------------------------------------------------------------------------


@click.group("report", cls=AppGroup)
def report_group() -> None:
    """Official documents as PDF (GB/T 9704 layout), and verification of their codes."""


_OUT = click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                    help="Where to write the PDF.")


def _write_document(kind: str, model, record_id: int, what: str, out: Path) -> None:
    record = db.session.get(model, record_id)
    if record is None:
        raise click.ClickException(f"there is no {what} with the id {record_id}")
    _write_record(kind, record, out)


def _check_fonts() -> None:
    from . import pdf

    try:
        pdf.check_fonts()
    except pdf.FontsMissing as exc:
        raise click.ClickException(str(exc)) from exc


def _write_record(kind: str, record, out: Path) -> None:
    from .services import documents

    _check_fonts()
    if not out.parent.is_dir():
        raise click.ClickException(f"cannot write {out}: the folder {out.parent} does not exist")
    try:
        prepared = documents.prepare(db.session, kind, record)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    started = time.perf_counter()
    document = documents.cached(db.session, prepared)
    how = "already rendered: the same version is kept"
    if document is None:
        document = documents.render_inline(db.session, None, prepared)
        how = f"rendered in {time.perf_counter() - started:.2f} s"
    try:
        shutil.copyfile(documents.file_path(document.sha256), out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror}") from exc
    click.echo(f"{out}: {prepared.kind.label}, {document.pages} pages, verification code "
               f"{document.verification_code} ({how})")


@report_group.command("fonts")
def report_fonts() -> None:
    """The face each part of the documents is set in on this machine, or which package to install."""
    from . import pdf

    _check_fonts()
    for role, face in pdf.faces().items():
        stand_in = f"stand-in from {face.package}" if face.package else "licensed GB font"
        click.echo(f"{pdf.ROLE_NAMES[role]}: {face.family} {face.weight} ({stand_in})")


@report_group.command("inspection")
@click.argument("inspection_id", type=int)
@_OUT
def report_inspection(inspection_id: int, out: Path) -> None:
    """The inspection report (检查报告) of inspection INSPECTION_ID."""
    from .models import DocumentKind, Inspection

    _write_document(DocumentKind.INSPECTION_REPORT, Inspection, inspection_id, "inspection", out)


@report_group.command("notice")
@click.argument("notice_id", type=int)
@_OUT
def report_notice(notice_id: int, out: Path) -> None:
    """The rectification notice (整改通知书) NOTICE_ID."""
    from .models import DocumentKind, Notice

    _write_document(DocumentKind.NOTICE, Notice, notice_id, "rectification notice", out)


@report_group.command("rectification")
@click.argument("inspection_id", type=int)
@_OUT
def report_rectification(inspection_id: int, out: Path) -> None:
    """The unit's rectification report (整改情况报告) for inspection INSPECTION_ID."""
    from .models import DocumentKind, Inspection

    _write_document(DocumentKind.RECTIFICATION_REPORT, Inspection, inspection_id, "inspection", out)


def _day(option: str, value: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD", param_hint=option) from None


@report_group.command("summary")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="First day of the period.")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Last day of the period.")
@click.option("--district", "district_code", metavar="CODE",
              help="A district bureau's code (its units), or the city bureau's (the units directly under it).")
@_OUT
def report_summary(start: str, end: str, district_code: str | None, out: Path) -> None:
    """The period summary for leadership (保密检查情况通报) of the whole city, or of one district."""
    from .models import DocumentKind
    from .services.documents import summary

    first, last = _day("--from", start), _day("--to", end)
    if first > last:
        raise click.BadParameter(f"{start} is after --to {end}", param_hint="--from")
    district = None
    if district_code:
        district = db.session.scalar(select(OrgNode).where(OrgNode.code == district_code.strip()))
        if district is None:
            raise click.BadParameter(f"there is no district with the code {district_code!r}", param_hint="--district")
        if district not in summary.district_choices(db.session, None):
            raise click.BadParameter(f"{district_code!r} is {district.name}, which has no units of its own: give a "
                                     "district bureau's code, or the city bureau's for its directly supervised units",
                                     param_hint="--district")
    city = summary.root_bureau(db.session)
    if city is None and district is None:
        raise click.ClickException("there is no single city bureau in the org tree; give --district")
    try:
        record = summary.period_summary(first, last, city or district, district)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    _write_record(DocumentKind.SUMMARY, record, out)


@report_group.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def report_verify(path: Path) -> None:
    """Read the verification code from a PDF and say which record and version it is and whether it is current.

    Exit status: 0 current, 1 superseded (or its record is gone), 2 no code or a code this system never issued.
    """
    from .pdf import reader
    from .services import documents

    code = reader.read_code(str(path))
    if code is None:
        click.echo(f"{path}: no verification code found (not a document of this system, or not a PDF)", err=True)
        sys.exit(2)
    result = documents.verify(db.session, None, code)
    if result is None:
        click.echo(f"verification code {code}: NOT FOUND: this system never issued a document with this code", err=True)
        sys.exit(2)
    doc = result.document
    identical = bool(doc.sha256) and documents.sha256_of(path) == doc.sha256
    click.echo(f"verification code: {code}")
    of = f" of record {doc.object_id}" if doc.object_id is not None else ""
    click.echo(f"document:          {result.kind_label} ({doc.kind}{of}): {result.record_label}")
    click.echo(f"version:           {doc.record_version[:16]}, rendered {doc.created_at:%Y-%m-%d %H:%M} UTC, "
               f"{doc.pages} pages")
    if result.current:
        click.echo("status:            CURRENT: the record has not changed since this version")
    elif result.record is None:
        click.echo("status:            SUPERSEDED: the record no longer exists")
    else:
        newer = f" (current version: {result.latest.verification_code})" if result.latest else ""
        click.echo(f"status:            SUPERSEDED: the record has changed since{newer}")
    click.echo("file:              " + ("identical to the copy the system issued" if identical else
                                        "the code is ours, but the file is not byte-identical to the issued copy"))
    sys.exit(0 if result.current else 1)
