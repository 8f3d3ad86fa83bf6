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
    Role.SECADMIN: _l("安全保密管理员"),
    Role.AUDITOR: _l("安全审计员"),
    Role.INSPECTOR: _l("检查员"),
    Role.OFFICER: _l("单位保密员"),
    Role.LEADER: _l("局领导"),
    Role.PENDING: _l("待授权"),
    Role.CLIENT: _l("接口客户端"),
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
    "user.assign": _l("授予或调整权限"),
    "user.unlock": _l("解除锁定"),
    "org.create": _l("新建机构"),
    "org.update": _l("修改机构"),
    "org.move": _l("移动机构"),
    "org.activate": _l("启用机构"),
    "org.deactivate": _l("停用机构"),
    "org.import": _l("导入单位"),
    "audit.export": _l("导出审计记录"),
    "audit.verify": _l("校验审计链"),
    "audit.head_export": _l("导出审计链头"),
    "audit.rekey": _l("审计链启用密钥"),
    "security.settings": _l("修改安全设置"),
    "checklist.version_create": _l("新增检查表版本"),
    "checklist.version_retire": _l("停用检查表版本"),
    "checklist.version_restore": _l("恢复检查表版本"),
    "demo.scale": _l("生成演示数据"),
    # Inspections
    "inspection.plan": _l("计划检查"),
    "inspection.import_plan": _l("导入检查计划"),
    "inspection.start": _l("开始检查"),
    "inspection.answer": _l("填写检查结果"),
    "inspection.photo_add": _l("添加现场照片"),
    "inspection.photo_remove": _l("删除现场照片"),
    "inspection.unclassified_confirmed": _l("确认不含国家秘密"),
    "inspection.submit": _l("提交检查"),
    "inspection.reopen": _l("退回重新填写"),
    "inspection.cancel": _l("取消检查"),
    # Rectification
    "finding.edit": _l("修改问题"),
    "finding.merge": _l("合并问题"),
    "finding.drop": _l("撤销问题"),
    "finding.restore": _l("恢复问题"),
    "notice.issue": _l("下发整改通知书"),
    "inspection.self_tickets": _l("自查问题转为整改事项"),
    "inspection.close": _l("检查办结"),
    "ticket.issued": _l("下发整改事项"),
    "ticket.responded": _l("报送整改情况"),
    "ticket.evidence": _l("提交佐证材料"),
    "ticket.draft_save": _l("保存整改草稿"),
    "ticket.evidence_remove": _l("删除草稿佐证材料"),
    "ticket.returned": _l("退回整改"),
    "ticket.accepted": _l("复查销号"),
    "ticket.rechecked": _l("现场复查"),
    "ticket.extension_requested": _l("申请延期"),
    "ticket.extension_granted": _l("同意延期"),
    "ticket.extension_refused": _l("不同意延期"),
    "ticket.comment": _l("整改留言"),
    "ticket.reminded": _l("到期提醒"),
    "ticket.cancelled": _l("撤销整改事项"),
    "ticket.unclassified_confirmed": _l("确认不含国家秘密"),
    "tickets.export": _l("导出整改事项"),
    "findings.export": _l("导出问题清单"),
    "document.create": _l("生成正式文件"),
    # Machine clients and technical inspection results
    "api.token_issue": _l("签发接口令牌"),
    "api.token_revoke": _l("吊销接口令牌"),
    "api.request": _l("接口调用"),
    "api.token_refused": _l("拒绝接口令牌"),
    "scan.import": _l("导入技术检查结果"),
    "scan.unclassified_confirmed": _l("确认技术检查结果不含国家秘密"),
    "scan.proposal_confirm": _l("确认技术检查发现的问题"),
    "scan.proposal_reject": _l("驳回技术检查发现的问题"),
}


def label(mapping: dict, key) -> str:
    """The label for `key`, or the key itself when it has none (a code from a newer version)."""
    return str(mapping.get(key, key or ""))

# The inspection cycle ----------------------------------------------------------------------------

CATEGORY_LABELS = {
    "responsibility": _l("保密工作责任制"),
    "education": _l("保密宣传教育培训"),
    "classification": _l("定密管理"),
    "personnel": _l("涉密人员管理"),
    "carrier": _l("涉密载体管理"),
    "network": _l("网络与信息设备保密管理"),
    "key_department": _l("保密要害部门部位"),
    "meeting": _l("涉密会议、活动"),
    "self_assessment": _l("自查自评"),
}

SEVERITY_LABELS = {
    "general": _l("一般问题"),
    "serious": _l("严重问题"),
    "critical": _l("重大泄密隐患"),
}

COMPLIANCE_LABELS = {
    "compliant": _l("符合"),
    "partial": _l("基本符合"),
    "noncompliant": _l("不符合"),
    "not_applicable": _l("不适用"),
}

RESPONSE_LABELS = {
    "compliance": _l("符合性判断"),
    "number": _l("数量"),
    "text": _l("文字记录"),
    "choice": _l("选项"),
}

EVIDENCE_LABELS = {
    "photo": _l("照片"),
    "document": _l("文件资料"),
    "record": _l("台账记录"),
    "interview": _l("询问谈话"),
    "onsite": _l("实地查看"),
    "technical": _l("技术检测"),
}

INSPECTION_KIND_LABELS = {
    "routine": _l("例行检查"),
    "special": _l("专项检查"),
    "spot": _l("抽查"),
    "self": _l("自查"),
}

INSPECTION_STATUS_LABELS = {
    "planned": _l("计划中"),
    "in_progress": _l("检查中"),
    "submitted": _l("已提交"),
    "issued": _l("整改中"),
    "closed": _l("已办结"),
    "cancelled": _l("已取消"),
}

BAND_LABELS = {
    "meets": _l("符合要求"),
    "basic": _l("基本符合要求"),
    "fails": _l("不符合要求"),
}

FINDING_STATUS_LABELS = {
    "active": _l("有效"),
    "dropped": _l("已撤销"),
    "merged": _l("已合并"),
}

TICKET_STATUS_LABELS = {
    "open": _l("整改中"),
    "responded": _l("已报送"),
    "accepted": _l("已销号"),
    "returned": _l("已退回"),
    "cancelled": _l("已撤销"),
}

TICKET_EVENT_LABELS = {
    "issued": _l("下发整改"),
    "responded": _l("报送整改情况"),
    "returned": _l("退回重改"),
    "accepted": _l("复查通过，销号"),
    "rechecked": _l("现场复查"),
    "extension_requested": _l("申请延期"),
    "extension_granted": _l("同意延期"),
    "extension_refused": _l("不同意延期"),
    "comment": _l("留言"),
    "reminded": _l("到期提醒"),
    "cancelled": _l("撤销"),
}

EXTENSION_STATUS_LABELS = {
    "pending": _l("待审批"),
    "granted": _l("已同意"),
    "refused": _l("未同意"),
}

DOCUMENT_KIND_LABELS = {
    "inspection_report": _l("检查报告"),
    "notice": _l("整改通知书"),
    "rectification_report": _l("整改情况报告"),
    "summary": _l("保密检查情况通报"),
}

# The chip colour of each state: words always, colour as a second signal.
STATE_CHIPS = {
    "planned": "neutral",
    "in_progress": "warn",
    "submitted": "neutral",
    "issued": "warn",
    "closed": "ok",
    "cancelled": "off",
    "open": "warn",
    "responded": "neutral",
    "accepted": "ok",
    "returned": "danger",
    # extension requests and findings under review
    "pending": "warn",
    "granted": "ok",
    "refused": "off",
    "active": "neutral",
    "dropped": "off",
    "merged": "off",
    # technical inspection results and the answers they propose
    "pass": "ok",
    "fail": "danger",
    "error": "neutral",
    "confirmed": "ok",
    "rejected": "off",
}

# The checklist library -------------------------------------------------------------------------

VERSION_STATUS_LABELS = {
    "active": _l("启用"),
    "retired": _l("已停用"),
}

VERSION_SOURCE_LABELS = {
    "library": _l("检查表库"),
    "upload": _l("管理员上传"),
}

# The fields of a checklist item and of a template, as the diff and the search name them.
ITEM_FIELD_LABELS = {
    "title": _l("标题"),
    "title_en": _l("英文标题"),
    "description": _l("说明"),
    "description_en": _l("英文说明"),
    "category": _l("类别"),
    "section": _l("所属部分"),
    "section_en": _l("所属部分（英文）"),
    "text": _l("检查内容"),
    "text_en": _l("检查内容（英文）"),
    "basis": _l("法规依据"),
    "guidance": _l("查验方法"),
    "guidance_en": _l("查验方法（英文）"),
    "evidence": _l("取证方式"),
    "materials": _l("查阅材料"),
    "severity": _l("问题等级"),
    "points": _l("分值"),
    "response": _l("作答方式"),
    "deduction": _l("扣分项"),
    "deduction_points": _l("每处扣分"),
    "veto": _l("一票否决"),
    "choices": _l("选项"),
    "unit": _l("计量单位"),
    "keywords": _l("关键词"),
}


# Why the audit chain is broken, by ChainBreak.kind (services/audit.py).
CHAIN_BREAK_LABELS = {
    "missing": _l("记录缺失"),
    "unlinked": _l("与前一条记录衔接不上"),
    "altered": _l("内容被篡改"),
    "altered_or_key": _l("内容被篡改，或审计链由另一把审计密钥链接"),
    "removed": _l("最新的记录被删除"),
    "unkeyed": _l("审计链未用审计密钥链接：升级后请运行一次 flask audit rekey；否则审计链已被无密钥者改写"),
    "head_differs": _l("与已导出的链头不一致，审计链被改写"),
    "head_missing": _l("已导出的链头不在审计链中，审计链被截短"),
}


# Machine clients and technical inspection results ------------------------------------------------------------

TOKEN_PERMISSION_LABELS = {
    "figures.read": _l("读取统计数据"),
    "inspections.read": _l("读取检查、问题和整改通知书"),
    "inspections.plan": _l("安排检查"),
    "scans.import": _l("导入技术检查结果"),
    "tickets.read": _l("读取整改事项"),
    "tickets.respond": _l("报送整改情况"),
}

TOKEN_STATE_LABELS = {
    "active": _l("有效"),
    "expired": _l("已过期"),
    "revoked": _l("已吊销"),
}

SCAN_CHECK_LABELS = {
    "internet_connection": _l("违规外联"),
    "dual_use": _l("一机两用"),
    "usb_storage": _l("存储介质交叉使用"),
    "classified_content": _l("上网计算机存有涉密信息"),
    "security_software": _l("安全保密程序"),
    "unapproved_software": _l("未经批准的软件"),
    "wireless_device": _l("无线设备"),
    "smart_device": _l("智能设备接入"),
}

SCAN_RESULT_LABELS = {
    "pass": _l("通过"),
    "fail": _l("不通过"),
    "error": _l("未能检查"),
}

SCAN_SOURCE_LABELS = {
    "api": _l("接口推送"),
    "upload": _l("页面上传"),
}

PROPOSAL_STATUS_LABELS = {
    "pending": _l("待确认"),
    "confirmed": _l("已确认"),
    "rejected": _l("已驳回"),
}
