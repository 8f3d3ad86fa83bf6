"""Issuing an API token to a named machine client, listing the tokens, revoking one.

A token is a grant of rights (a scope and permissions) to a machine, so under 三员分立 it is the secadmin's to issue
and revoke, as every grant of a role and a scope is (services/accounts/duties.py); the admin, who makes people's
accounts exist but holds no rights over the units' work, issues none. On the command line (no actor) the
server's operator issues them, as the three administrators' own accounts are made there.

Each token gets an account of its own (role `client`, at the scope's org node, with a password no one knows): the
actor of everything the token does. The token itself is returned once; only its SHA-256 is kept.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ... import authz
from ...clock import local_today, utc_start
from ...database import transaction
from ...models import ApiToken, NodeKind, OrgNode, Role, TokenPermission, User, utcnow
from .. import DomainError, NotAllowed, audit
from ..accounts import passwords
from .use import new_token

PERMISSIONS = tuple(TokenPermission)
MAX_DAYS = 730
NAME_PATTERN = re.compile(r"^[\w.-]{2,48}$")  # letters of any script, digits, '.', '-', '_'
ACCOUNT_PREFIX = "api:"  # the client's username: api:<name>, as the audit trail names it
REASON_LIMIT = 500


def _check_issuer(actor: User | None, scope: OrgNode) -> None:
    if actor is None:
        return  # the server's command line
    if not authz.can(actor, "tokens.manage"):
        raise NotAllowed(_("接口令牌由安全保密管理员签发和吊销。"))
    if not actor.org_node.contains(scope):
        raise DomainError(_("令牌的范围须在您管理的机构之内。"), field="scope")


def _check_name(session: Session, name: str) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.fullmatch(name):
        raise DomainError(_("客户端名称为 2 至 48 个字母、数字、“.”、“-”或“_”，不含空格。"), field="name")
    taken = session.scalar(select(func.count()).select_from(User).where(
        func.lower(User.username) == (ACCOUNT_PREFIX + name).lower()))
    if taken or session.scalar(select(ApiToken.id).where(func.lower(ApiToken.name) == name.lower())):
        raise DomainError(_("客户端名称 %(name)s 已被使用。", name=name), field="name")
    return name


def _check_grant(scope: OrgNode, permissions: Iterable[str]) -> list[str]:
    chosen = sorted(set(permissions))
    if not chosen:
        raise DomainError(_("请至少选择一项权限。"), field="permissions")
    unknown = [p for p in chosen if p not in PERMISSIONS]
    if unknown:
        raise DomainError(_("未知的权限：%(names)s。", names="、".join(unknown)[:200]), field="permissions")
    if not scope.active:
        raise DomainError(_("不能把令牌限定于已停用的机构。"), field="scope")
    if TokenPermission.TICKETS_RESPOND in chosen and scope.kind != NodeKind.UNIT:
        raise DomainError(_("报送整改情况的令牌只能限定于一个单位。"), field="permissions")
    if TokenPermission.INSPECTIONS_PLAN in chosen and scope.kind == NodeKind.UNIT:
        raise DomainError(_("安排检查的令牌须限定于市局或区县局。"), field="permissions")
    return chosen


def _check_expiry(expires_on: date | None) -> date:
    today = local_today()
    if expires_on is None or expires_on <= today:
        raise DomainError(_("有效期须晚于今天。"), field="expires_on")
    if expires_on > today + timedelta(days=MAX_DAYS):
        raise DomainError(_("有效期最长 %(n)d 天。", n=MAX_DAYS), field="expires_on")
    return expires_on


def issue_token(session: Session, actor: User | None, *, name: str, scope: OrgNode, permissions: Iterable[str],
                expires_on: date | None) -> tuple[ApiToken, str]:
    """Issue a token to the client `name`, valid in `scope`'s subtree until the end of `expires_on` (local).
    Returns the token record and the token, which is shown this once and never again."""
    _check_issuer(actor, scope)
    chosen = _check_grant(scope, permissions)
    expires_on = _check_expiry(expires_on)
    with transaction(session):
        name = _check_name(session, name)
        account = User(username=ACCOUNT_PREFIX + name, display_name=name, role=Role.CLIENT, org_node=scope,
                       password_hash=passwords.hash_password(secrets.token_urlsafe(32)), must_change_password=False)
        session.add(account)
        session.flush()
        secret, prefix, digest = new_token()
        token = ApiToken(name=name, account_id=account.id, prefix=prefix, secret_hash=digest,
                         permissions_json=json.dumps(chosen), created_by_id=actor.id if actor else None,
                         expires_at=utc_start(expires_on + timedelta(days=1)))
        session.add(token)
        session.flush()
        audit.record(session, actor, "api.token_issue", token, actor_name="command line", details={
            "name": name, "account_id": account.id, "scope": scope.code, "permissions": chosen,
            "expires_on": expires_on.isoformat(), "prefix": prefix})
    return token, secret


def revoke_token(session: Session, actor: User | None, token: ApiToken, reason: str | None) -> bool:
    """Revoke a token at once (its account is switched off with it); False when it was revoked already."""
    if actor is not None:
        _check_issuer(actor, token.scope)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写吊销原因。"), field="reason")
    if len(reason) > REASON_LIMIT:
        raise DomainError(_("文字不能超过 %(n)d 个字。", n=REASON_LIMIT), field="reason")
    with transaction(session):
        session.refresh(token, with_for_update=True)
        if token.revoked_at is not None:
            return False
        token.revoked_at, token.revoked_by_id, token.revoke_reason = utcnow(), actor.id if actor else None, reason
        token.account.active = False
        audit.record(session, actor, "api.token_revoke", token, actor_name="command line",
                     details={"name": token.name, "reason": reason})
    return True


def token_list(actor: User | None) -> Select:
    """The tokens `actor` manages (every token on the command line), newest first."""
    stmt = select(ApiToken) if actor is None else authz.visible_tokens(actor)
    return stmt.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
