"""The org tree: creating, editing, moving and deactivating nodes, and importing units."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import String, func, literal, select, update
from sqlalchemy.orm import Session

from .. import authz
from ..database import transaction
from ..labels import KIND_LABELS
from ..models import NodeKind, OrgNode, UnitType, User
from ..models.org import CHILD_KINDS
from . import DomainError, audit, spreadsheets
from .accounts.sessions import end_user_sessions

# The Chinese names an import file may use for a unit type, besides the keys themselves.
UNIT_TYPE_NAMES = {
    "党政机关": UnitType.PARTY_GOV,
    "审判、检察机关": UnitType.JUDICIAL,
    "审判检察机关": UnitType.JUDICIAL,
    "人民团体、群团组织": UnitType.PEOPLE_ORG,
    "人民团体": UnitType.PEOPLE_ORG,
    "群团组织": UnitType.PEOPLE_ORG,
    "事业单位": UnitType.INSTITUTION,
    "国有企业": UnitType.STATE_ENTERPRISE,
    "军工、科研单位": UnitType.DEFENCE,
    "军工科研单位": UnitType.DEFENCE,
    "其他": UnitType.OTHER,
}


def district_name(node: OrgNode | None, *, short: bool = False, chinese: bool = False) -> str:
    """The units under `node` named as a district, wherever a page, list, chart or document names one: the
    district bureau's name, or 市直单位 when `node` is the city bureau standing for the units directly under it.
    `short` names the place only (东湖区), as a column beside a unit's own name does. The pages read it in the
    reader's language; the official documents, Chinese only, pass `chinese`."""
    if node is None:
        return ""
    if node.kind == NodeKind.BUREAU:
        return "市直单位" if chinese else _("市直单位")
    return node.place_name if short else node.name


def subtree(node: OrgNode):
    """A select of every node at or below `node`."""
    return select(OrgNode).where(OrgNode.path.startswith(node.path))


def visible_tree(session: Session, actor: User) -> list[OrgNode]:
    """The nodes `actor` sees (the tree an admin manages), parents before their children."""
    return list(session.scalars(authz.visible_nodes(actor).order_by(OrgNode.path)))


def active_account_counts(session: Session) -> dict[int, int]:
    """How many active accounts belong to each node."""
    return dict(session.execute(
        select(User.org_node_id, func.count()).where(User.active.is_(True)).group_by(User.org_node_id)).all())


def accounts_at(session: Session, node: OrgNode) -> list[User]:
    """The accounts that belong to `node` itself, by username."""
    return list(session.scalars(select(User).where(User.org_node_id == node.id).order_by(User.username)))


def _check_fields(session: Session, *, name: str, code: str, unit_type: str | None, kind: str,
                  exclude: OrgNode | None = None) -> tuple[str, str]:
    name, code = name.strip(), code.strip()
    if not name:
        raise DomainError(_("名称不能为空。"), field="name")
    if len(name) > 120:
        raise DomainError(_("名称不能超过 120 个字符。"), field="name")
    if not code or len(code) > 32:
        raise DomainError(_("代码不能为空，且不超过 32 个字符。"), field="code")
    other = session.scalar(select(OrgNode).where(func.lower(OrgNode.code) == code.lower()))
    if other is not None and other is not exclude:
        raise DomainError(_("代码 %(code)s 已被“%(name)s”使用。", code=code, name=other.name), field="code")
    if kind == NodeKind.UNIT and unit_type not in set(UnitType):
        raise DomainError(_("请选择单位类型。"), field="unit_type")
    return name, code


def _check_parent(kind: str, parent: OrgNode | None) -> None:
    if parent is None:
        if kind != NodeKind.BUREAU:
            raise DomainError(_("区县局和单位必须有上级。"), field="parent_id")
        return
    if kind not in CHILD_KINDS[parent.kind]:
        raise DomainError(
            _("%(parent)s 之下不能设%(kind)s。", parent=parent.name, kind=KIND_LABELS[kind]), field="parent_id"
        )
    if not parent.active:
        raise DomainError(_("上级机构已停用。"), field="parent_id")


def create_node(
    session: Session, actor: User | None, *, kind: str, name: str, code: str, parent: OrgNode | None,
    unit_type: str | None = None, is_key_unit: bool = False,
) -> OrgNode:
    with transaction(session):
        _check_parent(kind, parent)
        name, code = _check_fields(session, name=name, code=code, unit_type=unit_type, kind=kind)
        node = OrgNode(kind=kind, name=name, code=code, parent=parent,
                       unit_type=unit_type if kind == NodeKind.UNIT else None,
                       is_key_unit=is_key_unit if kind == NodeKind.UNIT else False, active=True)
        session.add(node)
        session.flush()
        node.path = f"{parent.path if parent else '/'}{node.id}/"
        audit.record(session, actor, "org.create", node,
                     details={"kind": kind, "name": name, "code": code, "parent_id": parent.id if parent else None})
    return node


def update_node(session: Session, actor: User, node: OrgNode, *, name: str, code: str,
                unit_type: str | None, is_key_unit: bool) -> None:
    with transaction(session):
        name, code = _check_fields(session, name=name, code=code, unit_type=unit_type, kind=node.kind, exclude=node)
        new_values = {"name": name, "code": code}
        if node.is_unit:
            new_values |= {"unit_type": unit_type, "is_key_unit": is_key_unit}
        changes = {k: [getattr(node, k), v] for k, v in new_values.items() if getattr(node, k) != v}
        if not changes:
            return
        for k, v in new_values.items():
            setattr(node, k, v)
        audit.record(session, actor, "org.update", node, details=changes)


def move_node(session: Session, actor: User, node: OrgNode, new_parent: OrgNode) -> None:
    """Move a node with its whole subtree under another parent."""
    with transaction(session):
        if new_parent.path.startswith(node.path):
            raise DomainError(_("不能把机构移到它自己或它的下级之下。"), field="parent_id")
        _check_parent(node.kind, new_parent)
        if node.parent_id == new_parent.id:
            return
        old_parent_id, old_path = node.parent_id, node.path
        new_path = f"{new_parent.path}{node.id}/"
        session.execute(
            update(OrgNode)
            .where(OrgNode.path.startswith(old_path))
            .values(path=literal(new_path, String) + func.substr(OrgNode.path, len(old_path) + 1))
            .execution_options(synchronize_session=False)
        )
        node.parent = new_parent
        session.flush()
        session.expire_all()
        audit.record(session, actor, "org.move", node, details={"from": old_parent_id, "to": new_parent.id})


def set_node_active(session: Session, actor: User, node: OrgNode, active: bool) -> int:
    """Activate or deactivate a node. Deactivating also deactivates the accounts attached to it;
    returns how many. A node with active children cannot be deactivated."""
    with transaction(session):
        if node.active == active:
            return 0
        if not active:
            children = session.scalar(
                select(func.count()).where(OrgNode.parent_id == node.id, OrgNode.active.is_(True))
            )
            if children:
                raise DomainError(_("请先停用它的 %(n)d 个下级机构。", n=children))
            if actor.org_node_id == node.id:
                raise DomainError(_("不能停用自己所在的机构。"))
        elif node.parent is not None and not node.parent.active:
            raise DomainError(_("上级机构已停用，请先启用上级。"))
        node.active = active
        affected = 0
        if not active:
            users = session.scalars(select(User).where(User.org_node_id == node.id, User.active.is_(True))).all()
            for user in users:
                user.active = False
                end_user_sessions(session, user, "deactivated")
                audit.record(session, actor, "user.deactivate", user, details={"reason": "org_deactivated"})
            affected = len(users)
        audit.record(session, actor, "org.activate" if active else "org.deactivate", node)
    return affected


# Importing units -----------------------------------------------------------------------------------

IMPORT_COLUMNS = {
    "name": ("单位名称", "名称", "name"),
    "code": ("单位代码", "代码", "code"),
    "parent_code": ("上级代码", "上级机构代码", "parent_code"),
    "unit_type": ("单位类型", "类型", "unit_type"),
    "is_key_unit": ("是否重点单位", "保密重点单位", "重点单位", "is_key_unit"),
}
YES = {"是", "y", "yes", "1", "true", "重点"}
NO = {"否", "n", "no", "0", "false", ""}
MAX_IMPORT_ROWS = 5000


@dataclass
class ImportReport:
    created: list[OrgNode] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class PlannedUnit:
    """A unit as an import row describes it, before it is created."""

    name: str
    code: str
    parent: OrgNode | None
    unit_type: str | None
    is_key_unit: bool


def import_units(session: Session, actor: User, scope: OrgNode, rows: list[list[str]]) -> ImportReport:
    """Create the units the rows describe, all or none. `scope` bounds where parents may be."""
    report = ImportReport()
    table = spreadsheets.ImportTable.read(rows, IMPORT_COLUMNS)
    if table.empty:
        report.errors.append(_("文件是空的。"))
    elif missing := table.missing("name", "code", "parent_code", "unit_type"):
        report.errors.append(missing)
    elif not table.rows:
        report.errors.append(_("文件只有表头，没有数据行。"))
    else:
        planned = _read_units(session, scope, table, report.errors)
        if not report.errors:
            with transaction(session):
                for unit in planned:
                    report.created.append(create_node(
                        session, actor, kind=NodeKind.UNIT, name=unit.name, code=unit.code, parent=unit.parent,
                        unit_type=unit.unit_type, is_key_unit=unit.is_key_unit))
                audit.record(session, actor, "org.import", scope, details={"created": len(planned)})
    return report


def _read_units(session: Session, scope: OrgNode, table: spreadsheets.ImportTable,
                errors: list[str]) -> list[PlannedUnit]:
    """The units the rows describe; each bad row adds its problems, in words, to `errors`."""
    taken = {c.lower() for c in session.scalars(select(OrgNode.code))}
    parents = {n.code.lower(): n for n in session.scalars(subtree(scope))}
    first_row: dict[str, int] = {}  # the row each code was first given in
    planned = []
    for number, row in table.rows:
        parent_code, type_text = table.cell(row, "parent_code"), table.cell(row, "unit_type")
        key_text = table.cell(row, "is_key_unit").lower()
        unit = PlannedUnit(table.cell(row, "name"), table.cell(row, "code"), parents.get(parent_code.lower()),
                           UNIT_TYPE_NAMES.get(type_text) or (type_text if type_text in set(UnitType) else None),
                           key_text in YES)
        problems = _unit_problems(unit, taken, first_row, parent_code)
        if unit.unit_type is None:
            problems.append(_("单位类型“%(type)s”无法识别", type=type_text))
        if key_text not in YES | NO:
            problems.append(_("是否重点单位应填“是”或“否”"))
        if problems:
            errors.append(_("第 %(row)d 行：%(problems)s。", row=number, problems="；".join(problems)))
        if unit.code:
            first_row.setdefault(unit.code.lower(), number)
        planned.append(unit)
    return planned


def _unit_problems(unit: PlannedUnit, taken: set[str], first_row: dict[str, int], parent_code: str) -> list[str]:
    """What is wrong with a row's name, code and parent: empty, too long, a code taken or given twice, a parent
    outside the importer's scope or unable to hold units."""
    problems = []
    if not unit.name:
        problems.append(_("单位名称为空"))
    elif len(unit.name) > 120:
        problems.append(_("单位名称超过 120 个字符"))
    code = unit.code
    if not code:
        problems.append(_("单位代码为空"))
    elif len(code) > 32:
        problems.append(_("单位代码超过 32 个字符"))
    elif code.lower() in taken:
        problems.append(_("单位代码 %(code)s 已存在", code=code))
    elif code.lower() in first_row:
        problems.append(_("单位代码 %(code)s 与第 %(row)d 行重复", code=code, row=first_row[code.lower()]))
    if not parent_code:
        problems.append(_("上级代码为空"))
    elif unit.parent is None:
        problems.append(_("上级代码 %(code)s 不存在或不在您的管理范围内", code=parent_code))
    elif unit.parent.kind == NodeKind.UNIT or not unit.parent.active:
        problems.append(_("上级 %(code)s 不是启用中的市局或区县局", code=parent_code))
    return problems
