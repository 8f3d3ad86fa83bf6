"""Accounts on the command line: `create-user`, `reset-password`, `set-active`.

The only way to make, reset or deactivate the three admin accounts (三员): no page touches them.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import OrgNode, Role, User
from ..services import DomainError, accounts, org


@click.command("create-user")
@with_appcontext
@click.option("--username", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.option("--role", type=click.Choice([r.value for r in Role if r not in (Role.PENDING, Role.CLIENT)]), prompt=True)
@click.option("--org-code", prompt="Org node code", help="The code of the org node the account belongs to.")
@click.option("--create-bureau", is_flag=True, help="Create the city bureau with this code first (a new system).")
@click.option("--bureau-name", default="", help="The bureau's name, with --create-bureau.")
@click.password_option()
def create_user(username, display_name, role, org_code, create_bureau, bureau_name, password) -> None:
    """Create an account, e.g. the first admin of a production set-up.

    The only way to make a 系统管理员, 安全保密管理员 or 安全审计员 account: the web cannot.
    """
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


commands = [create_user, reset_password, set_active]
