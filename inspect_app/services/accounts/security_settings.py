"""The security settings: lock-out after failed logins, the idle session timeout, the password length.

Their defaults come from configuration; the 安全保密管理员 may change them within bounds a bureau's 分级保护
practice allows, and every change goes into the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ...database import transaction
from ...models import Role, SecuritySetting, User, utcnow
from .. import DomainError, audit
from .duties import NotPermitted


@dataclass(frozen=True)
class Setting:
    name: str  # the config key whose default it overrides
    label: str
    unit: str
    minimum: int
    maximum: int


SETTINGS: tuple[Setting, ...] = (
    Setting("LOGIN_MAX_FAILURES", _l("连续登录失败多少次后暂停登录"), _l("次"), 3, 10),
    Setting("LOGIN_LOCK_MINUTES", _l("暂停登录的时长"), _l("分钟"), 5, 1440),
    Setting("SESSION_IDLE_MINUTES", _l("无操作多久后自动退出"), _l("分钟"), 5, 240),
    Setting("PASSWORD_MIN_LENGTH", _l("密码最短长度"), _l("个字符"), 8, 64),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def value(session: Session, name: str) -> int:
    """The setting in force: the secadmin's value, else the configured default."""
    stored = session.get(SecuritySetting, name)
    return stored.value if stored is not None else int(current_app.config[name])


def minimum(name: str) -> int:
    """The least value the secadmin may set."""
    return _BY_NAME[name].minimum


def current(session: Session) -> dict[str, int]:
    return {s.name: value(session, s.name) for s in SETTINGS}


def update(session: Session, actor: User, values: dict[str, int]) -> dict[str, list[int]]:
    """Store the changed settings; returns {name: [old, new]} of what changed."""
    if actor.role != Role.SECADMIN or not actor.active:
        raise NotPermitted(_("安全设置由安全保密管理员设定。"))
    for name, new in values.items():
        setting = _BY_NAME[name]
        if not setting.minimum <= new <= setting.maximum:
            raise DomainError(_("%(label)s须在 %(min)d 到 %(max)d 之间。", label=setting.label,
                                min=setting.minimum, max=setting.maximum), field=name)
    old = current(session)
    changes = {name: [old[name], new] for name, new in values.items() if new != old[name]}
    if not changes:
        return changes
    with transaction(session):
        for name, (_old, new) in changes.items():
            stored = session.get(SecuritySetting, name) or SecuritySetting(name=name)
            stored.value, stored.updated_at, stored.updated_by_id = new, utcnow(), actor.id
            session.add(stored)
        audit.record(session, actor, "security.settings", details=changes)
    return changes
