"""Making and changing accounts: the admin's work (create, edit, deactivate, reset a password), the
secadmin's (rights, unlock; who may do which is in duties.py) and the holder's own (password, language)."""

from __future__ import annotations

import secrets
import string

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, or_
from sqlalchemy.orm import Session

from ... import authz
from ...database import transaction
from ...models import OrgNode, Role, User
from ...models.org import ROLE_NODE_KINDS
from .. import DomainError, audit, notifications
from . import passwords, security_settings
from .duties import AccountAction, check
from .login import clear_lockout, find_user
from .sessions import end_user_sessions

ACCOUNT_SORTS = {
    "username": User.username,
    "name": User.display_name,
    "role": User.role,
    "last_login": User.last_login_at,
}


def account_list(actor: User, *, query: str = "", role: str = "") -> Select:
    """A select of the accounts in the subtree `actor` manages, matching a search and a role."""
    stmt = authz.visible_accounts(actor)
    if query:
        like = f"%{query}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.display_name.ilike(like), OrgNode.name.ilike(like)))
    if role in set(Role):
        stmt = stmt.where(User.role == role)
    return stmt


def generate_temporary_password() -> str:
    """Twelve characters from an alphabet without look-alikes, to read out or hand over on paper."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def _check_placement(role: str, node: OrgNode) -> None:
    if role not in ROLE_NODE_KINDS:
        raise DomainError(_("未知的角色。"), field="role")
    if node.kind not in ROLE_NODE_KINDS[role]:
        if role == Role.OFFICER:
            raise DomainError(_("单位保密员必须归属于一个单位。"), field="org_node_id")
        raise DomainError(_("局方账户必须归属于市局或区县局。"), field="org_node_id")
    if not node.active:
        raise DomainError(_("不能把账户归属到已停用的机构。"), field="org_node_id")


def _check_username(session: Session, username: str, exclude: User | None = None) -> str:
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise DomainError(_("用户名不能为空、不能含空格，且不超过 64 个字符。"), field="username")
    other = find_user(session, username)
    if other is not None and other is not exclude:
        raise DomainError(_("用户名 %(name)s 已被使用。", name=username), field="username")
    return username


def check_new_password(session: Session, password: str, username: str) -> None:
    problems = passwords.password_problems(password, username,
                                           security_settings.value(session, "PASSWORD_MIN_LENGTH"))
    if problems:
        raise DomainError(" ".join(problems), field="password")


def create_user(
    session: Session,
    actor: User | None,
    *,
    username: str,
    display_name: str,
    role: str,
    org_node: OrgNode,
    email: str | None = None,
    password: str | None = None,
    must_change_password: bool = True,
) -> tuple[User, str | None]:
    """Create an account. Without a password a temporary one is generated and returned once.

    On the command line (no actor) the account holds `role` at once. Made by the admin, it holds no rights:
    `role` is a request, and the secadmins over `org_node` are asked to grant it.
    """
    check(actor, AccountAction.CREATE, role)
    with transaction(session):
        username = _check_username(session, username)
        _check_placement(role, org_node)
        temporary = None
        if password is None:
            password = temporary = generate_temporary_password()
        else:
            check_new_password(session, password, username)
        user = User(
            username=username,
            display_name=display_name.strip() or username,
            role=role if actor is None else Role.PENDING,
            requested_role=None if actor is None else role,
            org_node=org_node,
            email=(email or "").strip() or None,
            password_hash=passwords.hash_password(password),
            must_change_password=must_change_password,
        )
        session.add(user)
        session.flush()
        audit.record(session, actor, "user.create", user,
                     details={"username": username, "role": user.role, "requested_role": user.requested_role,
                              "org_node_id": org_node.id})
        if user.role == Role.PENDING:
            notifications.notify(session, notifications.holders_over(session, Role.SECADMIN, org_node),
                                 "account_requested", user, username=username, name=user.display_name,
                                 role=role, org=org_node.name)
    return user, temporary


def update_profile(session: Session, actor: User, user: User, *, display_name: str, email: str | None) -> None:
    """The admin's part of an account's record: the name and the e-mail address."""
    check(actor, AccountAction.EDIT, user.role)
    _apply(session, actor, user, "user.update",
           {"display_name": display_name.strip() or user.username, "email": (email or "").strip() or None})


def assign_rights(session: Session, actor: User, user: User, *, role: str, org_node: OrgNode) -> None:
    """The secadmin grants, changes or revokes (Role.PENDING) an account's role and moves it in the tree."""
    if role != user.role:
        check(actor, AccountAction.CHANGE_ROLE, user.role)
        check(actor, AccountAction.CHANGE_ROLE, role)
    if org_node.id != user.org_node_id:
        check(actor, AccountAction.CHANGE_SCOPE, user.role)
    _check_placement(role, org_node)
    # A granted role answers the request; a revoked one leaves it for the next decision.
    also = {"org_node": org_node, **({"requested_role": None} if role != Role.PENDING else {})}
    _apply(session, actor, user, "user.assign", {"role": role, "org_node_id": org_node.id}, also)


def _apply(session: Session, actor: User, user: User, action: str, values: dict, also: dict | None = None
           ) -> None:
    """Set the fields that differ, audit them as [old, new], and end the sessions when rights changed."""
    with transaction(session):
        changes = {field: [getattr(user, field), value] for field, value in values.items()
                   if getattr(user, field) != value}
        if not changes:
            return
        for field, value in {**values, **(also or {})}.items():
            setattr(user, field, value)
        if "role" in changes or "org_node_id" in changes:
            # What the user may see changed: make them log in again.
            end_user_sessions(session, user, "role_changed")
        audit.record(session, actor, action, user, details=changes)


def set_user_active(session: Session, actor: User | None, user: User, active: bool) -> None:
    """No actor: the command line, where the three admin accounts are managed."""
    if actor is not None and user.id == actor.id and not active:
        raise DomainError(_("不能停用自己的账户。"))
    check(actor, AccountAction.REACTIVATE if active else AccountAction.DEACTIVATE, user.role)
    with transaction(session):
        if user.active == active:
            return
        user.active = active
        if not active:
            end_user_sessions(session, user, "deactivated")
        audit.record(session, actor, "user.activate" if active else "user.deactivate", user)


def reset_password(session: Session, actor: User | None, user: User, reason: str) -> str:
    """A new temporary password, returned once; the user must change it at the next login.

    Their sessions end and they are told who reset it and why; the trail keeps both. No actor: the command line.
    """
    check(actor, AccountAction.RESET_PASSWORD, user.role)
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise DomainError(_("请写明重置密码的原因（不超过 200 个字）。"), field="reason")
    temporary = generate_temporary_password()
    with transaction(session):
        user.password_hash = passwords.hash_password(temporary)
        user.must_change_password = True
        clear_lockout(session, user)
        end_user_sessions(session, user, "password_reset")
        audit.record(session, actor, "user.password_reset", user, details={"reason": reason})
        notifications.notify(session, [user], "password_reset",
                             by=actor.display_name if actor is not None else "", reason=reason)
    return temporary


def unlock(session: Session, actor: User, user: User) -> None:
    """End a lock-out from failed logins before it runs out, from every address."""
    check(actor, AccountAction.UNLOCK, user.role)
    with transaction(session):
        was_locked = user.is_locked
        clear_lockout(session, user)
        audit.record(session, actor, "user.unlock", user, details={"was_locked": was_locked})


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise DomainError(_("当前密码不正确。"), field="current_password")
    if new == current:
        raise DomainError(_("新密码不能与当前密码相同。"), field="password")
    check_new_password(session, new, user.username)
    with transaction(session):
        user.password_hash = passwords.hash_password(new)
        user.must_change_password = False
        audit.record(session, user, "user.password_change", user)


def set_language(session: Session, user: User, language: str) -> None:
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_("不支持该语言。"))
    with transaction(session):
        user.language = language
