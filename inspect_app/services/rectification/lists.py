"""The lists of rectification work: inbox, queue, all tickets, overdue by district and unit, findings, and
the rows and columns of their exports (written by services/spreadsheets.py). Read-only; every query goes through
the scoping layer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import Select, and_, case, exists, false, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from ... import authz
from ...clock import parse_day, timezone, utc_start
from ...labels import (
    CATEGORY_LABELS,
    COMPLIANCE_LABELS,
    FINDING_STATUS_LABELS,
    INSPECTION_KIND_LABELS,
    SEVERITY_LABELS,
    TICKET_STATUS_LABELS,
    label,
)
from ...models import (
    ExtensionRequest,
    ExtensionStatus,
    Finding,
    FindingStatus,
    Incident,
    Inspection,
    InspectionKind,
    InspectionStatus,
    NodeKind,
    Notice,
    OrgNode,
    Role,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    User,
)
from ...models.checklist import SEVERITY_ORDER
from ...models.rectification import AWAITING_UNIT, UNFINISHED
from ..spreadsheets import Column

Unit = aliased(OrgNode, name="unit")
Bureau = aliased(OrgNode, name="bureau")

VIEWS = ("inbox", "queue", "all")


def default_view(user: User) -> str:
    return {Role.OFFICER: "inbox", Role.INSPECTOR: "queue"}.get(user.role, "all")


def severity_rank(column):
    return case({s: i for i, s in enumerate(SEVERITY_ORDER)}, value=column, else_=-1)


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _flag(value) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class _Filter:
    """Shared parsing: unknown or malformed values are ignored rather than refused, so a bookmarked or
    hand-edited URL always shows a list."""

    severity: str = ""
    unit: int | None = None
    district: int | None = None
    repeat: bool = False
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    kind: str = ""  # "bureau" (inspections by a bureau), "self" (自查) or "case" (a case's 整改要求)

    @classmethod
    def from_args(cls, args: Mapping[str, str]):
        values = {
            "severity": args.get("severity", "") if args.get("severity", "") in SEVERITY_ORDER else "",
            "unit": _int(args.get("unit")),
            "district": _int(args.get("district")),
            "repeat": _flag(args.get("repeat")),
            "q": str(args.get("q", "")).strip()[:100],
            "date_from": parse_day(args.get("from")),
            "date_to": parse_day(args.get("to")),
            "kind": args.get("kind", "") if args.get("kind", "") in ("bureau", "self", "case") else "",
        }
        return cls(**values, **cls._more(args))

    @classmethod
    def _more(cls, args: Mapping[str, str]) -> dict:
        return {}

    def as_args(self) -> dict[str, str]:
        """The filter as query-string arguments (for links and exports)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            key = {"date_from": "from", "date_to": "to"}.get(f.name, f.name)
            if value in (None, "", False):
                continue
            out[key] = "1" if value is True else value.isoformat() if isinstance(value, date) else str(value)
        return out

    @property
    def active(self) -> bool:
        return bool(self.as_args())

    def _common(self, stmt: Select, *, created) -> Select:
        if self.severity:
            stmt = stmt.where(Finding.severity == self.severity)
        if self.unit:
            stmt = stmt.where(Unit.id == self.unit)
        if self.district:
            stmt = stmt.where(Unit.parent_id == self.district)
        if self.repeat:
            stmt = stmt.where(Finding.is_repeat.is_(True))
        if self.kind == "self":
            stmt = stmt.where(Inspection.kind == InspectionKind.SELF)
        elif self.kind == "bureau":
            stmt = stmt.where(Inspection.kind != InspectionKind.SELF)
        elif self.kind == "case":
            stmt = stmt.where(Finding.incident_id.is_not(None))
        if self.date_from:
            stmt = stmt.where(created >= utc_start(self.date_from))
        if self.date_to:
            stmt = stmt.where(created < utc_start(self.date_to + timedelta(days=1)))
        return stmt

    def _search(self, *columns):
        needle = self.q.lower()
        return or_(*(func.lower(c).contains(needle, autoescape=True) for c in columns))


@dataclass
class TicketFilter(_Filter):
    status: str = ""  # a ticket status, or "unfinished"
    overdue: bool = False

    @classmethod
    def _more(cls, args):
        status = args.get("status", "")
        return {"status": status if status in set(TicketStatus) | {"unfinished"} else "",
                "overdue": _flag(args.get("overdue"))}

    def apply(self, stmt: Select, today: date) -> Select:
        stmt = self._common(stmt, created=Ticket.created_at)
        if self.status == "unfinished":
            stmt = stmt.where(Ticket.status.in_(UNFINISHED))
        elif self.status:
            stmt = stmt.where(Ticket.status == self.status)
        if self.overdue:
            stmt = stmt.where(overdue_clause(today))
        if self.q:
            stmt = stmt.where(self._search(Finding.description, Finding.item_text, Unit.name, Notice.number))
        return stmt


@dataclass
class FindingFilter(_Filter):
    status: str = "active"  # active | dropped | merged | all
    category: str = ""

    @classmethod
    def _more(cls, args):
        status = args.get("status", "active") or "active"
        category = args.get("category", "")
        return {"status": status if status in (*FindingStatus, "all") else "active",
                "category": category if category in CATEGORY_LABELS else ""}

    def as_args(self) -> dict[str, str]:
        out = super().as_args()
        if out.get("status") == "active":
            out.pop("status")
        return out

    def apply(self, stmt: Select) -> Select:
        stmt = self._common(stmt, created=Finding.created_at)
        if self.status != "all":
            stmt = stmt.where(Finding.status == self.status)
        if self.category:
            stmt = stmt.where(Finding.category == self.category)
        if self.q:
            stmt = stmt.where(self._search(Finding.description, Finding.item_text, Unit.name, Finding.item_key))
        return stmt


def overdue_clause(today: date):
    return and_(Ticket.status.in_(AWAITING_UNIT), Ticket.due_date < today)


# Tickets ------------------------------------------------------------------------------------------------


def _ticket_base(user: User) -> Select:
    """Every ticket in scope, with its finding, inspection (none for a case's) and case (none for an inspection's)."""
    stmt = (select(Ticket)
            .join(Finding, Ticket.finding_id == Finding.id)
            .outerjoin(Inspection, Ticket.inspection_id == Inspection.id)
            .outerjoin(Incident, Finding.incident_id == Incident.id)
            .join(Unit, Ticket.unit_id == Unit.id)
            .outerjoin(Notice, Ticket.notice_id == Notice.id))
    return authz.scoped(stmt, Ticket, user)


def _verifiable_by(user: User):
    """Tickets this inspector may verify: those of bureau inspections and cases of their bureau or one below it."""
    if user.role != Role.INSPECTOR:
        return false()
    issued_below = select(Bureau.id).where(Bureau.path.startswith(user.org_node.path))
    return or_(and_(Inspection.kind != InspectionKind.SELF, Inspection.bureau_id.in_(issued_below)),
               Incident.bureau_id.in_(issued_below))


def _pending_extension():
    return exists().where(ExtensionRequest.ticket_id == Ticket.id, ExtensionRequest.status == ExtensionStatus.PENDING)


def tickets_query(user: User, view: str, flt: TicketFilter, today: date) -> Select:
    stmt = _ticket_base(user)
    if view == "inbox":
        if not flt.status:
            stmt = stmt.where(Ticket.status.in_(UNFINISHED))
    elif view == "queue":
        stmt = stmt.where(_verifiable_by(user),
                          or_(Ticket.status == TicketStatus.RESPONDED,
                              and_(Ticket.status.in_(UNFINISHED), _pending_extension())))
    return flt.apply(stmt, today)


def ticket_sorts(today: date) -> dict:
    priority = case(
        (overdue_clause(today), 0),
        (Ticket.status == TicketStatus.RETURNED, 1),
        (Ticket.status == TicketStatus.OPEN, 2),
        (Ticket.status == TicketStatus.RESPONDED, 3),
        else_=4,
    )
    return {
        "priority": priority,
        "due": Ticket.due_date,
        "severity": severity_rank(Finding.severity),
        "status": Ticket.status,
        "unit": Unit.name,
        "issued": Ticket.created_at,
        "returns": Ticket.returns_count,
        "responded": Ticket.responded_at,
    }


DEFAULT_SORTS = {"inbox": "priority", "queue": "responded", "all": "-issued"}


def with_ticket_details(stmt: Select) -> Select:
    return stmt.options(selectinload(Ticket.finding).selectinload(Finding.incident), selectinload(Ticket.unit),
                        selectinload(Ticket.notice), selectinload(Ticket.inspection))


def with_pending_extension(session: Session, tickets: Sequence[Ticket]) -> set[int]:
    """The ids of those tickets that have an extension request waiting for a decision."""
    if not tickets:
        return set()
    return set(session.scalars(select(ExtensionRequest.ticket_id).where(
        ExtensionRequest.ticket_id.in_([t.id for t in tickets]), ExtensionRequest.status == ExtensionStatus.PENDING)))


def view_counts(session: Session, user: User, today: date) -> dict[str, int]:
    """Figures for the tabs: what waits for this user."""
    empty = TicketFilter()
    counts = {}
    for view in ("inbox", "queue"):
        stmt = tickets_query(user, view, empty, today)
        counts[view] = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    counts["overdue"] = session.scalar(select(func.count()).select_from(
        _ticket_base(user).where(overdue_clause(today)).subquery())) or 0
    return counts


# Overdue by district and unit ------------------------------------------------------------------------


@dataclass
class UnitOverdue:
    unit: OrgNode
    count: int
    oldest_due: date
    critical: int


@dataclass
class DistrictOverdue:
    node: OrgNode  # a district bureau, or the city bureau for the units directly under it
    units: list[UnitOverdue]

    @property
    def count(self) -> int:
        return sum(u.count for u in self.units)


def overdue_by_district(session: Session, user: User, today: date, flt: TicketFilter | None = None
                        ) -> list[DistrictOverdue]:
    stmt = _ticket_base(user).where(overdue_clause(today))
    if flt is not None:
        stmt = flt.apply(stmt, today)
    rows = session.execute(
        stmt.with_only_columns(Unit.id, func.count(Ticket.id), func.min(Ticket.due_date),
                               func.sum(case((Finding.severity == "critical", 1), else_=0)))
        .group_by(Unit.id)
    ).all()
    if not rows:
        return []
    units = {n.id: n for n in session.scalars(select(OrgNode).where(OrgNode.id.in_([r[0] for r in rows])))}
    parents = {n.id: n for n in session.scalars(select(OrgNode).where(
        OrgNode.id.in_({u.parent_id for u in units.values()})))}
    groups: dict[int, DistrictOverdue] = {}
    for unit_id, count, oldest, critical in rows:
        unit = units[unit_id]
        group = groups.setdefault(unit.parent_id, DistrictOverdue(parents[unit.parent_id], []))
        group.units.append(UnitOverdue(unit, count, oldest, int(critical or 0)))
    for group in groups.values():
        group.units.sort(key=lambda u: (-u.count, u.unit.name))
    return sorted(groups.values(), key=lambda g: (g.node.kind != NodeKind.BUREAU, -g.count, g.node.name))


# Choices for the filters ----------------------------------------------------------------------------------


def unit_choices(session: Session, user: User) -> list[OrgNode]:
    return list(session.scalars(select(OrgNode).where(OrgNode.id.in_(authz.visible_unit_ids(user)))
                                .order_by(OrgNode.path)))


# Findings -------------------------------------------------------------------------------------------------


def findings_query(user: User, flt: FindingFilter) -> Select:
    stmt = (select(Finding)
            .join(Inspection, Finding.inspection_id == Inspection.id)
            .join(Unit, Finding.unit_id == Unit.id))
    stmt = authz.scoped(stmt, Finding, user)
    if authz.speaks_for_unit(user):
        # A unit reads its findings once they are issued to it (or its own, from a self-inspection).
        stmt = stmt.where(Inspection.status.in_((InspectionStatus.ISSUED, InspectionStatus.CLOSED)))
    return flt.apply(stmt)


FINDING_SORTS = {
    "created": Finding.created_at,
    "severity": severity_rank(Finding.severity),
    "unit": Unit.name,
    "item": Finding.item_key,
    "category": Finding.category,
}


def with_finding_details(stmt: Select) -> Select:
    return stmt.options(selectinload(Finding.unit), selectinload(Finding.inspection),
                        selectinload(Finding.repeat_of))


def tickets_of(session: Session, findings: Sequence[Finding]) -> dict[int, Ticket]:
    if not findings:
        return {}
    return {t.finding_id: t for t in session.scalars(select(Ticket).where(
        Ticket.finding_id.in_([f.id for f in findings])))}


# Exports ------------------------------------------------------------------------------------------------


TICKET_COLUMNS = [
    Column("文号", 20),
    Column("被检查单位", 26),
    Column("所属区县", 18),
    Column("检查名称", 30),
    Column("检查类型", 10),
    Column("检查项", 8),
    Column("检查内容", 40),
    Column("问题描述", 40),
    Column("问题等级", 12),
    Column("屡查屡犯", 10),
    Column("整改状态", 10),
    Column("是否逾期", 10),
    Column("逾期天数", 10, "number"),
    Column("下发日期", 12, "date"),
    Column("整改期限", 12, "date"),
    Column("原定期限", 12, "date"),
    Column("退回次数", 10, "number"),
    Column("最近报送日期", 14, "date"),
    Column("销号日期", 12, "date"),
    Column("整改措施", 40),
    Column("责任人", 12),
    Column("完成日期", 12, "date"),
]

FINDING_COLUMNS = [
    Column("被检查单位", 26),
    Column("所属区县", 18),
    Column("检查名称", 30),
    Column("检查类型", 10),
    Column("提交日期", 12, "date"),
    Column("检查类别", 16),
    Column("检查项", 8),
    Column("检查内容", 40),
    Column("问题描述", 40),
    Column("判定", 10),
    Column("问题等级", 12),
    Column("屡查屡犯", 10),
    Column("上次发现日期", 14, "date"),
    Column("问题状态", 10),
    Column("整改状态", 10),
    Column("整改期限", 12, "date"),
]


def _local_date(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(timezone()).date()


def _chunks(session: Session, stmt: Select, model, details, size: int = 500) -> Iterator[list]:
    """Objects of `stmt` in its order, a chunk at a time (the ids first, then each chunk's objects)."""
    ids = session.scalars(stmt.with_only_columns(model.id)).all()
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        loaded = {o.id: o for o in session.scalars(details(select(model).where(model.id.in_(chunk))))}
        yield [loaded[i] for i in chunk if i in loaded]


def ticket_rows(session: Session, stmt: Select, today: date) -> Iterator[list]:
    with force_locale("zh"):
        for chunk in _chunks(session, stmt, Ticket, with_ticket_details):
            latest: dict[int, TicketEvent] = {}
            for event in session.scalars(select(TicketEvent).where(
                    TicketEvent.ticket_id.in_([t.id for t in chunk]),
                    TicketEvent.kind == TicketEventKind.RESPONDED).order_by(TicketEvent.id)):
                latest[event.ticket_id] = event
            parents = _parents(session, [t.unit for t in chunk])
            for t in chunk:
                response = latest.get(t.id)
                overdue = t.is_overdue(today)
                source, kind = ((t.inspection.title, label(INSPECTION_KIND_LABELS, t.inspection.kind))
                                if t.inspection is not None else (t.finding.incident.title, "案件整改"))
                yield [
                    t.notice.number if t.notice else "自查" if t.inspection is not None else "案件整改",
                    t.unit.name, parents.get(t.unit.parent_id, ""), source, kind, t.finding.item_key,
                    t.finding.item_text,
                    t.finding.description, label(SEVERITY_LABELS, t.finding.severity),
                    "是" if t.finding.is_repeat else "否", label(TICKET_STATUS_LABELS, t.status),
                    "是" if overdue else "否", (today - t.due_date).days if overdue else None,
                    _local_date(t.created_at), t.due_date, t.original_due_date, t.returns_count,
                    _local_date(t.responded_at), _local_date(t.accepted_at),
                    response.measures if response else None, response.responsible if response else None,
                    response.completed_on if response else None,
                ]


def finding_rows(session: Session, stmt: Select) -> Iterator[list]:
    with force_locale("zh"):
        for chunk in _chunks(session, stmt, Finding, with_finding_details):
            tickets = tickets_of(session, chunk)
            parents = _parents(session, [f.unit for f in chunk])
            for f in chunk:
                ticket = tickets.get(f.id)
                yield [
                    f.unit.name, parents.get(f.unit.parent_id, ""), f.inspection.title,
                    label(INSPECTION_KIND_LABELS, f.inspection.kind), _local_date(f.inspection.submitted_at),
                    label(CATEGORY_LABELS, f.category), f.item_key, f.item_text, f.description,
                    label(COMPLIANCE_LABELS, f.compliance), label(SEVERITY_LABELS, f.severity),
                    "是" if f.is_repeat else "否", _local_date(f.repeat_of.created_at) if f.repeat_of else None,
                    label(FINDING_STATUS_LABELS, f.status),
                    label(TICKET_STATUS_LABELS, ticket.status) if ticket else "",
                    ticket.due_date if ticket else None,
                ]


def _parents(session: Session, units: Sequence[OrgNode]) -> dict[int, str]:
    ids = {u.parent_id for u in units if u.parent_id}
    if not ids:
        return {}
    return dict(session.execute(select(OrgNode.id, OrgNode.name).where(OrgNode.id.in_(ids))).all())


def describe_filter(flt: _Filter, session: Session) -> list[tuple[str, str]]:
    """The filters as the export's second sheet shows them, in Chinese."""
    names = {"severity": "问题等级", "unit": "单位", "district": "区县", "repeat": "屡查屡犯", "q": "关键词",
             "from": "起始日期", "to": "截止日期", "kind": "检查类型", "status": "状态", "overdue": "仅逾期",
             "category": "检查类别", "view": "列表"}
    out = []
    with force_locale("zh"):
        for key, value in flt.as_args().items():
            if key in ("unit", "district"):
                node = session.get(OrgNode, int(value))
                value = node.name if node else value
            elif key == "severity":
                value = label(SEVERITY_LABELS, value)
            elif key == "status":
                value = {"unfinished": "未完成", "all": "全部"}.get(
                    value, label(TICKET_STATUS_LABELS if isinstance(flt, TicketFilter) else FINDING_STATUS_LABELS,
                                 value))
            elif key == "kind":
                value = {"self": "自查", "bureau": "检查机关检查", "case": "案件整改"}[value]
            elif key == "category":
                value = label(CATEGORY_LABELS, value)
            elif value == "1" and key in ("repeat", "overdue"):
                value = "是"
            out.append((names.get(key, key), str(value)))
    return out
