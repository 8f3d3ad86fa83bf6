"""API tokens on the command line: `api-token create|list|revoke`, for the server's operator (as the three
administrators' accounts are made here too); the secadmin has the same on the web (/rights/tokens)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..clock import local_today
from ..extensions import db
from ..models import ApiToken, OrgNode, utcnow
from ..services import DomainError, tokens


@click.group("api-token", cls=AppGroup)
def token_group() -> None:
    """API tokens of machine clients."""


def _permissions(values: tuple[str, ...]) -> list[str]:
    """`--permission a --permission b`, or `--permission a,b`."""
    return [p.strip() for value in values for p in value.replace(" ", ",").split(",") if p.strip()]


@token_group.command("create")
@click.option("--name", required=True, help="The client's name, e.g. dh-tech-kit.")
@click.option("--scope", "scope_code", required=True, help="The code of the org node whose subtree it may reach.")
@click.option("--permission", "permissions", multiple=True, required=True,
              help=f"Repeat, or separate by commas: {', '.join(tokens.PERMISSIONS)}.")
@click.option("--days", type=click.IntRange(1, tokens.MAX_DAYS), default=365, show_default=True,
              help="How long it is valid, from today.")
def create(name: str, scope_code: str, permissions: tuple[str, ...], days: int) -> None:
    """Issue a token and print it: it is shown this once, and only its digest is kept."""
    scope = db.session.scalar(select(OrgNode).where(func.lower(OrgNode.code) == scope_code.strip().lower()))
    if scope is None:
        raise click.ClickException(f"no org node has the code {scope_code!r}")
    try:
        token, secret = tokens.issue_token(db.session, None, name=name, scope=scope,
                                           permissions=_permissions(permissions),
                                           expires_on=local_today() + timedelta(days=days))
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"issued to {token.name} (scope {scope.code} {scope.name}; {', '.join(token.permissions)}; "
               f"valid until {token.expires_at:%Y-%m-%d %H:%M} UTC)", err=True)
    click.echo(secret)


def _state(token: ApiToken) -> str:
    if token.is_revoked:
        return "revoked"
    return "expired" if token.is_expired(utcnow()) else "active"


@token_group.command("list")
def list_tokens() -> None:
    """Every token: name, prefix, scope, permissions, expiry, last use and state."""
    rows = db.session.scalars(tokens.token_list(None)).all()
    if not rows:
        click.echo("no API tokens")
    for token in rows:
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(f"{token.name}\tbmjc_{token.prefix}_…\t{token.scope.code}\t{','.join(token.permissions)}\t"
                   f"expires {token.expires_at:%Y-%m-%d}\tused {used}\t{_state(token)}")


@token_group.command("revoke")
@click.argument("name")
@click.option("--reason", required=True, help="Why: kept in the audit trail.")
def revoke(name: str, reason: str) -> None:
    """Revoke a client's token at once."""
    token = db.session.scalar(select(ApiToken).where(func.lower(ApiToken.name) == name.strip().lower()))
    if token is None:
        raise click.ClickException(f"no API token is issued to {name!r}")
    try:
        revoked = tokens.revoke_token(db.session, None, token, reason)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"revoked the token of {token.name}" if revoked else f"the token of {token.name} was revoked already")


commands = [token_group]
