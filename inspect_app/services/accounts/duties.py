"""Separation of duties (三员分立): who may do what to whose account, and who reviews whom.

The 系统管理员 makes accounts exist (creates, deactivates, resets passwords); the 安全保密管理员 grants their
rights (roles, org scope) and unlocks them; the 安全审计员 reads the trail and manages nothing. The holders of
these three roles are made on the command line only: no web action touches their accounts' existence,
passwords or rights, and none makes an account one of them. So an admin cannot reach the trail through
the auditor's account, nor grant themselves what they administer.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import Select, String, cast, or_, select

from ...models import AuditRecord, User
from ...models.org import BUSINESS_ROLES, Role
from .. import DomainError


class AccountAction(StrEnum):
    CREATE = "create"
    EDIT = "edit"  # name and e-mail
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    RESET_PASSWORD = "reset_password"
    CHANGE_ROLE = "change_role"
    CHANGE_SCOPE = "change_scope"
    UNLOCK = "unlock"


# The accounts the web may manage: business accounts and those waiting for a role.
MANAGED_ROLES = (*BUSINESS_ROLES, Role.PENDING)

# actor's role → action → the roles of the accounts it may act on. For CREATE, the role asked for; for
# CHANGE_ROLE, both the role the account holds and the one it is given (PENDING revokes every right).
ACCOUNT_RULES: dict[str, dict[str, tuple[str, ...]]] = {
    Role.ADMIN: {
        AccountAction.CREATE: BUSINESS_ROLES,
        AccountAction.EDIT: MANAGED_ROLES,
        AccountAction.DEACTIVATE: MANAGED_ROLES,
        AccountAction.REACTIVATE: MANAGED_ROLES,
        AccountAction.RESET_PASSWORD: MANAGED_ROLES,
    },
    Role.SECADMIN: {
        AccountAction.CHANGE_ROLE: MANAGED_ROLES,
        AccountAction.CHANGE_SCOPE: MANAGED_ROLES,
        AccountAction.UNLOCK: tuple(Role),  # unlocking grants nothing
    },
}


class NotPermitted(DomainError):
    """The actor's duty does not include this action on this account."""

    status_code = 403


def may(actor: User | None, action: str, target_role: str) -> bool:
    """Whether `actor` may do `action` to an account of `target_role`. No actor: the command line."""
    if actor is None:
        return True
    if not actor.active:
        return False
    return target_role in ACCOUNT_RULES.get(actor.role, {}).get(action, ())


def check(actor: User | None, action: str, target_role: str) -> None:
    if not may(actor, action, target_role):
        raise NotPermitted(_("您的职责不包括对该类账户进行此操作：系统管理员、安全保密管理员和安全审计员的账户"
                             "只能在服务器命令行上管理，账户的角色和所属机构由安全保密管理员授予。"))


def auditor_trail() -> Select:
    """The records of the auditors' own actions and of their accounts, newest first: what the secadmin reviews."""
    auditors = select(User.id).where(User.role == Role.AUDITOR)
    return (select(AuditRecord)
            .where(or_(AuditRecord.actor_id.in_(auditors),
                       (AuditRecord.object_type == User.__tablename__)
                       & AuditRecord.object_id.in_(select(cast(User.id, String)).where(User.role == Role.AUDITOR))))
            .order_by(AuditRecord.id.desc()))
