"""Inspections: who is on the team, planning and cancelling, the lists of inspections, and importing the
annual plan."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...database import transaction
from ...models import (
    Inspection,
    InspectionKind,
    InspectionMember,
    InspectionStatus,
    InspectionTemplate,
    NodeKind,
    OrgNode,
    Role,
    TemplateVersion,
    User,
    VersionStatus,
    utcnow,
)
from .. import DomainError, audit, spreadsheets

# Who may do what -------------------------------------------------------------------------------


def is_team_member(user: User, inspection: Inspection) -> bool:
    if inspection.is_self:
        return user.role == Role.OFFICER and user.org_node_id == inspection.unit_id
    return any(m.user_id == user.id for m in inspection.members)


def is_lead(user: User, inspection: Inspection) -> bool:
    if inspection.is_self:
        return is_team_member(user, inspection)
    return inspection.lead_id == user.id


# Planning --------------------------------------------------------------------------------------


def _check_team(unit: OrgNode, lead: User, members: Iterable[User]) -> None:
    for person in (lead, *members):
        if person.role != Role.INSPECTOR or not person.active:
            raise DomainError(_("%(name)s 不是在岗的检查员。", name=person.display_name), field="members")
        if not person.org_node.contains(unit):
            raise DomainError(_("%(name)s 无权检查该单位。", name=person.display_name), field="members")


def _check_versions(versions: list[TemplateVersion]) -> None:
    if not versions:
        raise DomainError(_("请至少选择一份检查表。"), field="templates")
    if len({v.template_id for v in versions}) != len(versions):
        raise DomainError(_("同一检查表只能选一个版本。"), field="templates")
    retired = [v for v in versions if v.status != VersionStatus.ACTIVE]
    if retired:
        raise DomainError(_("检查表“%(title)s”第 %(v)d 版已停用。", title=retired[0].title, v=retired[0].version),
                          field="templates")


def default_title(unit: OrgNode, kind: str, scheduled_on: date) -> str:
    """A record's title is Chinese, as its unit's name is, whatever language its planner reads."""
    from flask_babel import force_locale

    from ...labels import INSPECTION_KIND_LABELS

    with force_locale("zh"):
        return f"{unit.name}{scheduled_on.year}年{INSPECTION_KIND_LABELS[kind]}"


def plan_inspection(
    session: Session,
    actor: User,
    *,
    unit: OrgNode,
    kind: str,
    versions: list[TemplateVersion],
    scheduled_on: date,
    lead: User | None = None,
    members: Iterable[User] = (),
    title: str | None = None,
    scope: str | None = None,
    notes: str | None = None,
) -> Inspection:
    """Plan an inspection of `unit`. Inspectors plan routine, special and spot inspections of units in
    their subtree (and a machine client with a plan from another system, naming the lead); a unit's officer plans
    its self-inspection (自查)."""
    from ... import authz

    if kind not in set(InspectionKind):
        raise DomainError(_("未知的检查类型。"), field="kind")
    if unit.kind != NodeKind.UNIT or not unit.active:
        raise DomainError(_("只能对启用中的单位开展检查。"), field="unit")
    if not authz.in_scope(actor, unit):
        raise DomainError(_("该单位不在您的管辖范围内。"), field="unit")
    members = [m for m in members if lead is None or m.id != lead.id]
    if kind == InspectionKind.SELF:
        if actor.role != Role.OFFICER:
            raise DomainError(_("自查由单位保密员发起。"), field="kind")
        lead, members, bureau = actor, [], unit
    elif actor.role == Role.CLIENT:  # a plan from another system: the lead it names conducts it for their bureau
        if lead is None:
            raise DomainError(_("请指定检查组组长。"), field="lead")
        _check_team(unit, lead, members)
        bureau = lead.org_node
    else:
        if actor.role != Role.INSPECTOR:
            raise DomainError(_("只有检查员可以安排检查。"), field="kind")
        lead = lead or actor
        _check_team(unit, lead, members)
        bureau = actor.org_node
    _check_versions(versions)
    with transaction(session):
        inspection = Inspection(
            unit_id=unit.id, bureau_id=bureau.id, kind=kind, status=InspectionStatus.PLANNED,
            title=(title or "").strip() or default_title(unit, kind, scheduled_on),
            scope=(scope or "").strip() or None, notes=(notes or "").strip() or None,
            scheduled_on=scheduled_on, lead_id=lead.id, created_by_id=actor.id,
        )
        session.add(inspection)
        session.flush()
        session.add(InspectionMember(inspection_id=inspection.id, user_id=lead.id, is_lead=True))
        session.add_all(InspectionMember(inspection_id=inspection.id, user_id=m.id) for m in members)
        session.add_all(InspectionTemplate(inspection_id=inspection.id, version_id=v.id, position=i)
                        for i, v in enumerate(versions))
        audit.record(session, actor, "inspection.plan", inspection, details={
            "unit_id": unit.id, "kind": kind, "scheduled_on": scheduled_on.isoformat(), "lead_id": lead.id,
            "members": [m.id for m in members], "versions": [v.id for v in versions]})
    session.refresh(inspection)
    return inspection


def cancel_inspection(session: Session, actor: User, inspection: Inspection, reason: str) -> None:
    if inspection.status not in (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS):
        raise DomainError(_("只有计划中或检查中的检查可以取消。"))
    if not is_lead(actor, inspection) and actor.id != inspection.created_by_id:
        raise DomainError(_("只有组长或安排人可以取消检查。"))
    if not reason.strip():
        raise DomainError(_("请填写取消原因。"), field="reason")
    with transaction(session):
        inspection.status = InspectionStatus.CANCELLED
        inspection.cancelled_at = utcnow()
        inspection.cancel_reason = reason.strip()
        inspection.revision += 1
        audit.record(session, actor, "inspection.cancel", inspection, details={"reason": reason.strip()})


# Lists ------------------------------------------------------------------------------------------


@dataclass
class InspectionFilter:
    q: str = ""
    status: str = ""
    kind: str = ""
    unit_id: int | None = None
    district_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def search(actor: User, flt: InspectionFilter):
    """A select of the inspections `actor` sees, filtered."""
    from ... import authz

    stmt = authz.scoped(select(Inspection).join(Inspection.unit), Inspection, actor)
    if flt.q:
        like = f"%{flt.q}%"
        stmt = stmt.where((Inspection.title.ilike(like)) | (OrgNode.name.ilike(like)))
    if flt.status in set(InspectionStatus):
        stmt = stmt.where(Inspection.status == flt.status)
    if flt.kind in set(InspectionKind):
        stmt = stmt.where(Inspection.kind == flt.kind)
    if flt.unit_id:
        stmt = stmt.where(Inspection.unit_id == flt.unit_id)
    if flt.district_id:
        district = select(OrgNode.path).where(OrgNode.id == flt.district_id).scalar_subquery()
        stmt = stmt.where(OrgNode.path.startswith(district))
    if flt.date_from:
        stmt = stmt.where(Inspection.scheduled_on >= flt.date_from)
    if flt.date_to:
        stmt = stmt.where(Inspection.scheduled_on <= flt.date_to)
    return stmt


def team_candidates(session: Session, unit: OrgNode) -> list[User]:
    """The active inspectors who may inspect `unit`: those whose org node contains it."""
    ancestors = [int(part) for part in unit.path.strip("/").split("/")]
    return list(session.scalars(
        select(User).where(User.role == Role.INSPECTOR, User.active.is_(True), User.org_node_id.in_(ancestors))
        .order_by(User.display_name)))


# The annual plan -------------------------------------------------------------------------------

PLAN_COLUMNS = {
    "unit": ("单位代码", "unit_code"),
    "kind": ("检查类型", "kind"),
    "date": ("计划日期", "scheduled_on", "date"),
    "templates": ("检查表", "templates"),
    "lead": ("组长", "lead"),
    "members": ("组员", "members"),
    "title": ("名称", "title"),
    "notes": ("备注", "notes"),
}
KIND_NAMES = {"例行检查": "routine", "例行": "routine", "专项检查": "special", "专项": "special", "抽查": "spot",
              "routine": "routine", "special": "special", "spot": "spot"}
MAX_PLAN_ROWS = 1000


@dataclass
class PlanImportReport:
    created: list[Inspection] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _parse_date(text: str) -> date | None:
    text = text.strip().split(" ")[0].replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                return None
    return None


@dataclass
class PlannedInspection:
    """An inspection as a plan's row describes it, before it is planned."""

    unit: OrgNode | None
    kind: str | None
    versions: list[TemplateVersion]
    scheduled_on: date | None
    lead: User | None
    members: list[User]
    title: str
    notes: str


@dataclass
class PlanNames:
    """What a plan's cells may name: the units in the importer's scope by code, the current checklists by key
    or title, the inspectors by username (all in lower case but the checklists)."""

    units: dict[str, OrgNode]
    checklists: dict[str, TemplateVersion]
    inspectors: dict[str, User]

    @classmethod
    def load(cls, session: Session, actor: User) -> PlanNames:
        from ... import authz
        from .. import checklists

        units = session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.UNIT,
                                                      OrgNode.id.in_(authz.visible_unit_ids(actor))))
        current = checklists.current_versions(session)
        inspectors = session.scalars(select(User).where(User.role == Role.INSPECTOR))
        return cls(units={u.code.lower(): u for u in units},
                   checklists={**{v.title: v for v in current}, **{v.template.key: v for v in current}},
                   inspectors={u.username.lower(): u for u in inspectors})


def import_plan(session: Session, actor: User, rows: list[list[str]]) -> PlanImportReport:
    """Plan the inspections an annual plan lists, all or none, with every bad row explained."""
    report = PlanImportReport()
    table = spreadsheets.ImportTable.read(rows, PLAN_COLUMNS)
    if not table.rows:
        report.errors.append(_("文件中没有计划行。"))
    elif missing := table.missing("unit", "kind", "date", "templates"):
        report.errors.append(missing)
    else:
        names = PlanNames.load(session, actor)
        planned = []
        for number, row in table.rows:
            plan, problems = _plan_row(table, row, names, actor)
            if problems:
                report.errors.append(_("第 %(row)d 行：%(problems)s。", row=number, problems="；".join(problems)))
            planned.append(plan)
        if not report.errors:
            with transaction(session):
                for plan in planned:
                    report.created.append(plan_inspection(
                        session, actor, unit=plan.unit, kind=plan.kind, versions=plan.versions,
                        scheduled_on=plan.scheduled_on, lead=plan.lead, members=plan.members, title=plan.title,
                        notes=plan.notes))
                audit.record(session, actor, "inspection.import_plan", details={"created": len(planned)})
    return report


def _plan_row(table: spreadsheets.ImportTable, row: list[str], names: PlanNames,
              actor: User) -> tuple[PlannedInspection, list[str]]:
    """The inspection a row plans, and what is wrong with it in words (nothing when it can be planned)."""
    problems = []
    unit = names.units.get(table.cell(row, "unit").lower())
    if unit is None:
        problems.append(_("单位代码 %(code)s 不存在或不在您的管辖范围内", code=table.cell(row, "unit")))
    elif not unit.active:
        problems.append(_("单位 %(code)s 已停用", code=unit.code))
    kind = KIND_NAMES.get(table.cell(row, "kind"))
    if kind is None:
        problems.append(_("检查类型应为例行检查、专项检查或抽查"))
    scheduled_on = _parse_date(table.cell(row, "date"))
    if scheduled_on is None:
        problems.append(_("计划日期“%(d)s”无法识别，应为 2026-03-15 这样的日期", d=table.cell(row, "date")))
    versions = [names.checklists[n] for n in table.listed(row, "templates") if n in names.checklists]
    problems += [_("检查表“%(t)s”不存在", t=n) for n in table.listed(row, "templates") if n not in names.checklists]
    if not table.listed(row, "templates"):
        problems.append(_("请填写至少一份检查表"))
    lead, members = _team(table, row, names, actor, problems)
    if unit is not None and lead is not None and not problems:
        try:
            _check_team(unit, lead, members)
        except DomainError as exc:
            problems.append(exc.message.rstrip("。"))
    return PlannedInspection(unit, kind, versions, scheduled_on, lead, members, table.cell(row, "title"),
                             table.cell(row, "notes")), problems


def _team(table: spreadsheets.ImportTable, row: list[str], names: PlanNames, actor: User,
          problems: list[str]) -> tuple[User | None, list[User]]:
    """The row's lead (the importer when the cell is empty) and members; each unknown name adds a problem."""
    lead = names.inspectors.get(table.cell(row, "lead").lower()) if table.cell(row, "lead") else actor
    if lead is None:
        problems.append(_("组长 %(u)s 不是检查员账户", u=table.cell(row, "lead")))
    members = []
    for name in table.listed(row, "members"):
        member = names.inspectors.get(name.lower())
        if member is None:
            problems.append(_("组员 %(u)s 不是检查员账户", u=name))
        else:
            members.append(member)
    return lead, members
