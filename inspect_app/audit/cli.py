"""The audit trail on the command line: `audit verify`, `audit head`, `audit rekey`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import AuditHead
from ..services import audit


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


commands = [audit_group]
