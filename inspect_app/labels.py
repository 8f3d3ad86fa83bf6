"""The words the UI shows for the codes the model stores, marked for translation in one place."""

from flask_babel import lazy_gettext as _l

from .models import NodeKind, Role, UnitType

KIND_LABELS = {
    NodeKind.BUREAU: _l("市局"),
    NodeKind.DISTRICT: _l("区县局"),
    NodeKind.UNIT: _l("单位"),
}

UNIT_TYPE_LABELS = {
    UnitType.PARTY_GOV: _l("党政机关"),
    UnitType.JUDICIAL: _l("审判、检察机关"),
    UnitType.PEOPLE_ORG: _l("人民团体、群团组织"),
    UnitType.INSTITUTION: _l("事业单位"),
    UnitType.STATE_ENTERPRISE: _l("国有企业"),
    UnitType.DEFENCE: _l("军工、科研单位"),
    UnitType.OTHER: _l("其他"),
}

ROLE_LABELS = {
    Role.ADMIN: _l("系统管理员"),
    Role.AUDITOR: _l("安全审计员"),
    Role.INSPECTOR: _l("检查员"),
    Role.OFFICER: _l("单位保密员"),
    Role.LEADER: _l("局领导"),
}

AUDIT_ACTION_LABELS = {
    "auth.login": _l("登录"),
    "auth.login_failed": _l("登录失败"),
    "auth.login_refused": _l("拒绝登录"),
    "auth.lockout": _l("账户锁定"),
    "auth.logout": _l("退出"),
    "auth.session_ended": _l("会话结束"),
    "user.create": _l("新建账户"),
    "user.update": _l("修改账户"),
    "user.activate": _l("启用账户"),
    "user.deactivate": _l("停用账户"),
    "user.password_reset": _l("重置密码"),
    "user.password_change": _l("修改密码"),
    "org.create": _l("新建机构"),
    "org.update": _l("修改机构"),
    "org.move": _l("移动机构"),
    "org.activate": _l("启用机构"),
    "org.deactivate": _l("停用机构"),
    "org.import": _l("导入单位"),
    "audit.export": _l("导出审计记录"),
    "audit.verify": _l("校验审计链"),
}


def label(mapping: dict, key) -> str:
    """The label for `key`, or the key itself when it has none (a code from a newer version)."""
    return str(mapping.get(key, key or ""))
