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
    check = audit.check_chain(db.session, exported)
    if check.broken is not None:
        click.echo(f"BROKEN: {check.broken}", err=True)
        sys.exit(1)
    count = db.session.get(AuditHead, 1).last_id
    under = f" ({', '.join(map(str, check.segments))})" if check.segments else ""
    click.echo(f"audit chain intact: {count} records{under}"
               + (f"; record {exported.record_id} matches the exported head" if exported else ""))


@audit_group.command("head")
def audit_head() -> None:
    """Print the newest link, to keep outside the system and give to `audit verify --head` later."""
    head = audit.current_head(db.session)
    click.echo(f"sequence: {head.record_id}")
    click.echo(f"hash:     {head.hash}")
    click.echo(f"time:     {head.at.isoformat(sep=' ', timespec='seconds') + ' UTC' if head.at else '-'}")
    click.echo(f"key id:   {audit.key_id()}")
    click.echo(f"chain:    {audit.algorithm()}")
    click.echo(f"head:     {head.token}")


@audit_group.command("rekey")
def audit_rekey() -> None:
    """Put the trail under the audit key and AUDIT_ALGORITHM (once, after upgrading): the trail must verify.

    Seals a trail from before the key, or one under HMAC-SHA256 once AUDIT_ALGORITHM is HMAC-SM3; its older records
    keep verifying."""
    try:
        sealed = audit.rekey(db.session)
    except audit.ChainNotIntact as exc:
        raise click.ClickException(f"the trail does not verify, so it is not sealed: {exc}") from exc
    except audit.AlgorithmNotSupported as exc:
        raise click.ClickException(str(exc)) from exc
    if sealed is None:
        click.echo(f"audit chain already under the key and {audit.algorithm()}; nothing to do")
    elif sealed.action == "audit.rekey":
        click.echo(f"audit chain sealed under the key by record {sealed.id}: records 1-{sealed.id - 1} from before "
                   f"the key verified")
    else:
        click.echo(f"audit chain goes on under {audit.algorithm()} from record {sealed.id}: records 1-{sealed.id - 1} "
                   f"verified and sealed; they keep verifying under their own algorithm")


commands = [audit_group]
