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
    "audit.algorithm_change": _l("审计链更换算法"),
    "keys.signing_rotate": _l("更换文件签名密钥"),
    "keys.attachment_rotate": _l("更换附件加密密钥"),
    "attachments.rekey": _l("附件重新加密"),
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
    # Incidents and cases
    "incident.reported": _l("报告泄密事件"),
    "incident.opened": _l("登记泄密事件"),
    "incident.unit_reported": _l("单位报送事件报告"),
    "incident.supplement": _l("补充报告"),
    "incident.investigation": _l("立案调查"),
    "incident.note": _l("记录调查情况"),
    "incident.determined": _l("案件认定"),
    "incident.handled": _l("提出处理意见"),
    "incident.closed": _l("结案"),
    "incident.follow_up": _l("安排后续专项检查"),
    "incident.bulletin": _l("起草案件通报"),
    "incident.reminded": _l("事件提醒"),
    "incident.files": _l("上传事件材料"),
    "incident.unclassified_confirmed": _l("确认不含国家秘密"),
    # Registers
    "registers.create": _l("新增台账条目"),
    "registers.update": _l("修改台账条目"),
    "registers.remove": _l("删除台账条目"),
    "registers.import": _l("导入台账"),
    "registers.export": _l("导出台账"),
    "registers.unclassified_confirmed": _l("确认台账内容不含国家秘密"),
    "registers.remind": _l("台账预警提醒"),
    "registers.sample_draw": _l("台账抽样"),
    "registers.sample_check": _l("记录抽查结果"),
    # Spreadsheets for leaders
    "dashboard.export": _l("导出工作台数据"),
    "units.export": _l("导出单位一览"),
    "inspections.export": _l("导出检查一览"),
    "inspection.export": _l("导出检查记录"),
    # The annual appraisal
    "appraisal.scheme_create": _l("新增考核方案版本"),
    "appraisal.create": _l("建立年度考核"),
    "appraisal.compute": _l("计算考核结果"),
    "appraisal.value_entered": _l("评定考核指标"),
    "appraisal.adjust": _l("考核加减分"),
    "appraisal.adjustment_removed": _l("撤回考核加减分"),
    "appraisal.unclassified_confirmed": _l("确认不含国家秘密"),
    "appraisal.approve": _l("审定考核结果"),
    "appraisal.export": _l("导出考核结果"),
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
    "incident_report": _l("泄密事件报告"),
    "case_bulletin": _l("案件通报"),
    "appraisal": _l("考核结果通报"),
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
    # incidents (closed as above)
    "reported": "warn",
    "investigating": "warn",
    "determined": "neutral",
    "handled": "neutral",
    # register entries
    "on_post": "ok",
    "declearing": "warn",
    "released": "off",
    "held": "ok",
    "surrendered": "off",
    "destroyed": "off",
    "in_use": "ok",
    "idle": "off",
    "retired": "off",
    "declassified": "off",
    # technical inspection results and the answers they propose
    "pass": "ok",
    "fail": "danger",
    "error": "neutral",
    "confirmed": "ok",
    "rejected": "off",
}

# Incidents and cases ---------------------------------------------------------------------------

INCIDENT_KIND_LABELS = {
    "leak": _l("泄密事件"),
    "violation": _l("违规行为"),
}

CARRIER_LABELS = {
    "paper": _l("纸介质文件资料"),
    "removable": _l("移动存储介质"),
    "computer": _l("涉密计算机及办公设备"),
    "internet": _l("互联网"),
    "phone": _l("手机等智能终端"),
    "system": _l("涉密信息系统"),
    "other": _l("其他"),
}

SECRET_LEVEL_LABELS = {
    "top_secret": _l("绝密级"),
    "secret": _l("机密级"),
    "confidential": _l("秘密级"),
    "undetermined": _l("密级待鉴定"),
}

INCIDENT_STATUS_LABELS = {
    "reported": _l("已报告"),
    "investigating": _l("调查中"),
    "determined": _l("已认定"),
    "handled": _l("已处理"),
    "closed": _l("已结案"),
}

DETERMINATION_LABELS = {
    "leak": _l("泄密"),
    "violation": _l("违规未泄密"),
    "unfounded": _l("不构成"),
}

INCIDENT_EVENT_LABELS = {
    "reported": _l("单位报告"),
    "opened": _l("保密局登记"),
    "unit_reported": _l("单位报送事件报告"),
    "supplement": _l("单位补充报告"),
    "investigation": _l("立案调查"),
    "note": _l("调查情况"),
    "determined": _l("作出认定"),
    "handled": _l("提出处理意见"),
    "closed": _l("结案"),
    "follow_up": _l("安排后续专项检查"),
    "bulletin": _l("起草案件通报"),
    "reminded": _l("提醒"),
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
    "sample": _l("台账抽查"),
}


# Why the audit chain is broken, by ChainBreak.kind (services/audit.py).
CHAIN_BREAK_LABELS = {
    "missing": _l("记录缺失"),
    "unlinked": _l("与前一条记录衔接不上"),
    "altered": _l("内容被篡改"),
    "altered_or_key": _l("内容被篡改，或审计链由另一把审计密钥链接"),
    "downgraded": _l("使用了比之前记录更旧的算法：审计算法设置被改回，或记录被改写"),
    "removed": _l("最新的记录被删除"),
    "unkeyed": _l("审计链未用审计密钥链接：升级后请运行一次 flask audit rekey；否则审计链已被无密钥者改写"),
    "head_differs": _l("与已导出的链头不一致，审计链被改写"),
    "head_missing": _l("已导出的链头不在审计链中，审计链被截短"),
}


# Registers (台账) -------------------------------------------------------------------------------------

REGISTER_LABELS = {
    "personnel": _l("涉密人员"),
    "carriers": _l("涉密载体"),
    "devices": _l("涉密设备"),
    "classifiers": _l("定密责任人"),
    "matters": _l("国家秘密事项"),
    "key_places": _l("要害部门部位"),
}

LEVEL_LABELS = {
    "top_secret": _l("绝密"),
    "secret": _l("机密"),
    "confidential": _l("秘密"),
}

PERSON_CLASS_LABELS = {
    "core": _l("核心"),
    "important": _l("重要"),
    "general": _l("一般"),
}

PERSON_STATE_LABELS = {
    "on_post": _l("在岗"),
    "declearing": _l("脱密期中"),
    "released": _l("已解脱"),
}

CARRIER_KIND_LABELS = {
    "paper": _l("纸质文件资料"),
    "media": _l("存储介质"),
    "other": _l("其他载体"),
}

CARRIER_SOURCE_LABELS = {
    "received": _l("收文"),
    "made": _l("自制"),
    "copied": _l("复制"),
}

CARRIER_STATE_LABELS = {
    "held": _l("在用"),
    "surrendered": _l("已清退"),
    "destroyed": _l("已销毁"),
}

DEVICE_KIND_LABELS = {
    "desktop": _l("涉密台式计算机"),
    "laptop": _l("涉密便携式计算机"),
    "office": _l("打印、复印、多功能一体机"),
    "other": _l("其他信息设备"),
}

DEVICE_STATE_LABELS = {
    "in_use": _l("在用"),
    "idle": _l("停用"),
    "retired": _l("已报废"),
}

MATTER_STATE_LABELS = {
    "active": _l("保密期限内"),
    "declassified": _l("已解密"),
}

PLACE_KIND_LABELS = {
    "department": _l("要害部门"),
    "position": _l("要害部位"),
}

SAMPLE_RESULT_LABELS = {
    "compliant": _l("符合"),
    "noncompliant": _l("不符合"),
}

# The annual appraisal (保密工作责任制考核) ----------------------------------------------------------------

APPRAISAL_BAND_LABELS = {
    "excellent": _l("优秀"),
    "qualified": _l("合格"),
    "basic": _l("基本合格"),
    "unqualified": _l("不合格"),
}
APPRAISAL_BAND_CHIPS = {"excellent": "ok", "qualified": "ok", "basic": "warn", "unqualified": "danger"}

ROUND_STATUS_LABELS = {
    "draft": _l("待审定"),
    "approved": _l("已审定"),
}

# The names of the indicator sources (services/appraisals/sources.py), and what their values measure.
APPRAISAL_SOURCE_LABELS = {
    "inspection.latest_score": _l("年度最近一次检查得分"),
    "inspection.self_assessment_gap": _l("自查得分高出检查得分"),
    "inspection.repeat_findings": _l("屡查屡犯问题数"),
    "inspection.veto_failed": _l("否决项不符合的检查"),
    "rectification.completion_rate": _l("整改完成率"),
    "rectification.on_time_rate": _l("按期整改率"),
    "incidents.count": _l("泄密事件数"),
    "incidents.late_reports": _l("迟报、漏报的泄密事件数"),
    "incidents.leak_confirmed": _l("认定为泄密的案件"),
    "registers.training_coverage": _l("涉密人员培训覆盖率"),
    "manual": _l("考核机关评定"),
}
APPRAISAL_MEASURE_LABELS = {
    "score": _l("分"),
    "percent": "%",
    "count": _l("个"),
    "cases": _l("起"),
}

# How an indicator stood for a unit, why a value is missing, and how a record behind a number counted.
APPRAISAL_STATE_LABELS = {
    "ok": _l("已计算"),
    "no_data": _l("无数据"),
    "not_entered": _l("待评定"),
}
APPRAISAL_NOTES = {
    "no_inspection": _l("年度内未接受检查机关检查。"),
    "no_self_assessment": _l("年度内未开展自查自评。"),
    "no_bureau_inspection": _l("年度内没有检查机关的检查可供比较，按无差距计。"),
    "no_tickets": _l("年度内没有下发整改事项。"),
    "none_due": _l("年度内下发的整改事项均未到期，也未销号。"),
    "no_register": _l("单位没有建立涉密人员台账。"),
    "none_on_post": _l("截至数据截止日，涉密人员台账中没有在岗的涉密人员。"),
    "not_entered": _l("考核机关尚未评定。"),
    # Why a unit has no total (services/appraisals/scoring.py `unrated_because`).
    "nothing_computable": _l("没有一项指标能够计算，本年度不评定等次。"),
    "too_little_weight": _l("年度内可计算的指标权重不足 %(min)s%%，本年度不评定等次。"),
}
APPRAISAL_RECORD_MARKS = {
    "counted": _l("计入"),
    "earlier": _l("较早，不计"),
    "self": _l("自查"),
    "bureau": _l("检查机关检查"),
    "repeat": _l("屡查屡犯"),
    "veto": _l("否决项不符合"),
    "accepted": _l("已销号"),
    "unfinished": _l("未完成"),
    "on_time": _l("按期销号"),
    "late": _l("超期销号"),
    "overdue": _l("逾期未改"),
    "not_due": _l("未到期，不计"),
    "violation": _l("违规行为，不计"),
    "unfounded": _l("认定不构成，不计"),
    "reported_in_time": _l("24小时内报告"),
    "reported_late": _l("迟报"),
    "unreported": _l("漏报（超过24小时未报告）"),
    "report_pending": _l("尚未报告，未满24小时"),
    "leak": _l("认定为泄密"),
    "trained": _l("年度内已培训"),
    "untrained": _l("年度内未培训"),
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
