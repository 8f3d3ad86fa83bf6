"""The dashboard's period, filters and query context: the five bases, narrowed to the reader's scope.

Scope comes from ``authz.unit_in_scope``: a leader or inspector sees their subtree, an officer their unit.
Dates: timestamps are stored in naive UTC; the period, due dates and "today" are local (``clock``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session, aliased

from ... import authz, clock
from ...models import (
    Finding,
    FindingStatus,
    Inspection,
    InspectionKind,
    NodeKind,
    OrgNode,
    Role,
    Ticket,
    User,
)
from ...models.inspection import BUREAU_KINDS, DONE_STATUSES
from ...models.rectification import UNFINISHED

ALL_KINDS = (*BUREAU_KINDS, InspectionKind.SELF)
ANY_KIND = "any"  # every kind, self-inspections included: a unit's own view
DUE_SOON_DAYS = 7
# The eight areas of the checklist library, in the order the bureau reports them.
AREAS = ("responsibility", "education", "classification", "personnel", "carrier", "network", "key_department",
         "meeting")
# 定密、网络、涉密人员: the "three managements" every inspection report speaks to.
THREE_MANAGEMENTS = ("classification", "network", "personnel")
SEVERITIES = ("critical", "serious", "general")
EARLIEST = date(2000, 1, 1)
MAX_SPAN_DAYS = 366 * 10
# Aliases made once: SQLAlchemy works out an alias's columns once, where a new one per query costs about a third
# of a millisecond.
_SCOPED_UNIT = aliased(OrgNode, name="scoped_unit")
_CHILD_UNIT = aliased(OrgNode, name="child_unit")


# The period ------------------------------------------------------------------------------------

PERIOD_PRESETS = {
    "12m": _l("近12个月"),
    "ytd": _l("本年度"),
    "last_year": _l("上一年度"),
    "3y": _l("近3年"),
    "all": _l("全部"),
}
DEFAULT_PERIOD = "12m"


def months_back(day: date, months: int) -> date:
    """The first day of the month `months` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def period_bounds(preset: str, today: date) -> tuple[date, date]:
    """(first day, last day) of a named period, both local and inclusive."""
    if preset == "ytd":
        return date(today.year, 1, 1), today
    if preset == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if preset == "3y":
        return months_back(today, 35), today
    if preset == "all":
        return EARLIEST, today
    return months_back(today, 11), today


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The stored (naive UTC) instants [from, to) covering local days `start` through `end`."""
    zone = clock.timezone()

    def instant(day: date) -> datetime:
        return datetime.combine(day, time.min, zone).astimezone(UTC).replace(tzinfo=None)

    return instant(start), instant(end + timedelta(days=1))


@dataclass(frozen=True)
class Filters:
    """What the leader chose: a period (local days, inclusive), and optionally a district, a unit type, an
    inspection kind (None: the three bureau kinds) and, for drill-downs, one unit."""

    start: date
    end: date
    district_id: int | None = None  # the parent node of the units: a district bureau, or the city for 市直 units
    unit_type: str | None = None
    kind: str | None = None
    unit_id: int | None = None
    preset: str | None = DEFAULT_PERIOD

    @classmethod
    def for_preset(cls, preset: str = DEFAULT_PERIOD, today: date | None = None, **kwargs) -> Filters:
        start, end = period_bounds(preset, today or clock.local_today())
        return cls(start=start, end=end, preset=preset, **kwargs)

    @property
    def kinds(self) -> tuple[str, ...]:
        if self.kind == ANY_KIND:
            return ALL_KINDS
        return (self.kind,) if self.kind else BUREAU_KINDS

    @property
    def is_self(self) -> bool:
        return self.kind == InspectionKind.SELF

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one: as many whole months when it is whole months (last
        year's is the year before, not the 365 days before it, which a leap year starts on 2 January), else as
        many days."""
        end = self.start - timedelta(days=1)
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            return replace(self, start=months_back(self.start, months), end=end, preset=None)
        return replace(self, start=self.start - timedelta(days=self.days), end=end, preset=None)


# The query context -----------------------------------------------------------------------------


class Context:
    """One user's view of the figures under one set of filters, on one database session."""

    def __init__(self, session: Session, actor: User, filters: Filters, today: date | None = None,
                 use_rollups: bool | None = None):
        self.session = session
        self.actor = actor
        self.filters = filters
        self.today = today or clock.local_today()
        self.dialect = session.get_bind().dialect.name
        self.lo, self.hi = utc_bounds(filters.start, filters.end)
        # False reads every figure from the records (the rollups' reference, and the benchmarks' raw scan); by
        # default the app's DASHBOARD_ROLLUPS setting says.
        if use_rollups is None:
            use_rollups = current_app.config.get("DASHBOARD_ROLLUPS", True) if has_app_context() else True
        self.use_rollups = use_rollups
        self.memo: dict = {}  # what this view asks of the database once (which rollup slice, which preset)

    def with_filters(self, **changes) -> Context:
        return Context(self.session, self.actor, replace(self.filters, **changes), self.today, self.use_rollups)

    # Scope

    def unit_conditions(self, unit=OrgNode) -> list[ColumnElement]:
        """The conditions on `unit` (`OrgNode` or an alias) that put it among the units in the user's scope
        narrowed by the filters (active or not: history counts)."""
        f = self.filters
        conditions = [authz.unit_in_scope(self.actor, unit)]
        if f.district_id is not None:
            conditions.append(unit.parent_id == f.district_id)
        if f.unit_type:
            conditions.append(unit.unit_type == f.unit_type)
        if f.unit_id is not None:
            conditions.append(unit.id == f.unit_id)
        return conditions

    def unit_ids(self) -> Select:
        """The ids of the units in scope under the filters."""
        return select(OrgNode.id).where(*self.unit_conditions())

    def in_scope(self, column) -> ColumnElement:
        """`column` (a unit id) lies among the units in scope: each row's unit looked up by its key, not checked
        against a list of a city's units built first.

        Over a whole city or district SQLite would otherwise walk the index unit by unit through thousands
        of units; `+ 0` keeps it off that index (its documented way to steer the planner), so it reads the
        period's rows by date instead. For one unit the unit index is the right road and stays open.
        """
        scoped = exists().where(_SCOPED_UNIT.id == self.off_index(column), *self.unit_conditions(_SCOPED_UNIT))
        return and_(column == self.one_unit, scoped) if self.narrow else scoped

    @property
    def narrow(self) -> bool:
        return self.one_unit is not None

    @property
    def one_unit(self) -> int | None:
        """The one unit the figures are about (a drill-down to a unit, or an officer's own), else None."""
        if self.filters.unit_id is not None:
            return self.filters.unit_id
        return self.actor.org_node_id if self.actor.role == Role.OFFICER else None

    def off_index(self, column) -> ColumnElement:
        """`column` as SQLite's planner will not take an index for (`+ 0` for a number, `|| ''` for text: its
        documented way), over a city or district; as it is otherwise."""
        if self.dialect != "sqlite" or self.narrow:
            return column
        return column.concat("") if isinstance(column.type, String) else column + 0

    # Local dates in SQL

    def local_day(self, column) -> ColumnElement:
        """The local calendar date of a stored UTC timestamp, as the database computes it: shifted by the zone's
        offset (China keeps no summer time), which both databases do in plain arithmetic, far cheaper per row
        than a time-zone lookup."""
        if self.dialect == "postgresql":
            return cast(column + self._offset(), Date)
        return func.date(column, self._sqlite_shift())

    def _offset(self) -> timedelta:
        return clock.timezone().utcoffset(datetime.combine(self.filters.end, time.min)) or timedelta(0)

    def days_between(self, later, earlier) -> ColumnElement:
        """Whole local days from timestamp `earlier` to timestamp `later`."""
        if self.dialect == "postgresql":
            return self.local_day(later) - self.local_day(earlier)
        # The local day number is floor(julianday(local time) + 0.5): julianday counts from noon. SQLite keeps
        # julian days as whole milliseconds, so a local midnight lands exactly on the boundary, never beside it;
        # two calls a ticket instead of four through date().
        shift = self._sqlite_shift()

        def day_number(column):
            return cast(func.julianday(column, shift) + 0.5, Integer)

        return day_number(later) - day_number(earlier)

    def _sqlite_shift(self) -> str:
        return f"{int(self._offset().total_seconds() // 60):+d} minutes"

    def bucket(self, column, bounds: list[datetime]) -> ColumnElement:
        """The index of the bucket [bounds[i], bounds[i+1]) a timestamp falls in: a CASE that halves the range
        at each step, so 36 months cost six comparisons a row, not thirty-six (portable: no date functions)."""

        def split(first: int, last: int) -> ColumnElement:  # buckets first..last, inclusive
            if first == last:
                return literal(first)
            middle = (first + last + 1) // 2
            return case((column < bounds[middle], split(first, middle - 1)), else_=split(middle, last))

        return split(0, len(bounds) - 2)

    # The five bases

    def inspection_conditions(self, kinds: tuple[str, ...] | None = None,
                              in_date_order: bool = False) -> list[ColumnElement]:
        """The period's done inspections of the chosen kinds in scope. `in_date_order`: for a list sorted by date,
        where SQLite, without statistics, would read the whole period through the status index and sort it to
        keep one page (1.5 s over three years of a city); with the status kept off that index (`|| ''`, its
        documented way) it walks the date index from the page's end and stops once the page is full."""
        status = self.off_index(Inspection.status) if in_date_order else Inspection.status
        return [
            Inspection.kind.in_(kinds or self.filters.kinds),
            status.in_(DONE_STATUSES),
            Inspection.submitted_at >= self.lo,
            Inspection.submitted_at < self.hi,
            self.in_scope(Inspection.unit_id),
        ]

    def base(self, name: str, in_date_order: bool = False) -> Select:
        """The select of the rows a base holds (entities), with the base's conditions (`in_date_order`: for a list
        sorted by inspection date)."""
        if name == "inspections":
            return select(Inspection).select_from(Inspection).where(*self.inspection_conditions(
                in_date_order=in_date_order))
        if name == "units":
            return select(OrgNode).select_from(OrgNode).where(
                OrgNode.kind == NodeKind.UNIT, OrgNode.active.is_(True), *self.unit_conditions())
        if name == "findings":
            stmt = (select(Finding).select_from(Finding)
                    .join(Inspection, Finding.inspection_id == Inspection.id)
                    .where(Finding.status == FindingStatus.ACTIVE,
                           *self.inspection_conditions(in_date_order=in_date_order)))
            # For one unit, its own unit_id (the inspection's, on every unit-owned row) is the short road.
            return stmt.where(Finding.unit_id == self.one_unit) if self.narrow else stmt
        # Tickets are scoped through their inspection (same unit, and it has the kind), read by creation date
        # or by status, never unit by unit over a city; each looks its inspection up by primary key.
        if name == "tickets":
            stmt = (select(Ticket).select_from(Ticket)
                    .join(Inspection, Ticket.inspection_id == Inspection.id)
                    .where(Ticket.created_at >= self.lo, Ticket.created_at < self.hi,
                           Inspection.kind.in_(self.filters.kinds), self.in_scope(Inspection.unit_id)))
            return stmt.where(Ticket.unit_id == self.one_unit) if self.narrow else stmt
        if name == "backlog":
            stmt = (select(Ticket).select_from(Ticket)
                    .join(Inspection, Ticket.inspection_id == Inspection.id)
                    .where(Ticket.status.in_(UNFINISHED), Inspection.kind.in_(self.filters.kinds),
                           self.in_scope(Inspection.unit_id)))
            return stmt.where(Ticket.unit_id == self.one_unit) if self.narrow else stmt
        raise KeyError(name)

    def district_ids(self) -> list[int]:
        """The districts (parents) of the units in scope under the filters."""
        f = self.filters
        if self.narrow:
            return list(self.session.scalars(
                select(OrgNode.parent_id).where(OrgNode.id.in_(self.unit_ids())).distinct()))
        stmt = _parents_of_units(self.actor, f.unit_type).with_only_columns(OrgNode.id)
        if f.district_id is not None:
            stmt = stmt.where(OrgNode.id == f.district_id)
        return list(self.session.scalars(stmt))

    def covered_unit_ids(self) -> Select:
        """The units with an inspection of the chosen kinds done in the period: from the preset's standings
        when they hold it, else from the period's inspections."""
        from .rollups import preset_of, scope_conditions

        preset = preset_of(self)
        if preset is None:
            return select(Inspection.unit_id).where(*self.inspection_conditions())
        from ...models.analytics import UnitStanding

        done = getattr(UnitStanding, f"{self.filters.kind or 'bureau'}_inspections")
        return select(UnitStanding.unit_id).where(UnitStanding.preset == preset,
                                                  *scope_conditions(self, UnitStanding), done > 0)


def tenths(score) -> ColumnElement:
    """A score in tenths of a point: scores carry one decimal, so their sums are exact integers."""
    return func.round(score * 10)


def _parents_of_units(actor: User, unit_type: str | None = None) -> Select:
    """The nodes in `actor`'s scope that units hang from, found from the handful of bureaus down rather than
    from the thousands of units up."""
    node = authz.scope_node(actor)
    if node is None or actor.role == Role.OFFICER:
        return select(OrgNode).where(OrgNode.id.in_(
            select(OrgNode.parent_id).where(OrgNode.id.in_(authz.visible_unit_ids(actor)))))
    child = _CHILD_UNIT
    has_unit = exists().where(child.parent_id == OrgNode.id, child.kind == NodeKind.UNIT,
                              *([child.unit_type == unit_type] if unit_type else []))
    return select(OrgNode).where(OrgNode.path.startswith(node.path),
                                 OrgNode.kind.in_((NodeKind.BUREAU, NodeKind.DISTRICT)), has_unit)


def district_choices(session: Session, actor: User) -> list[OrgNode]:
    """The nodes a leader may filter by: the parents of the units in their scope (district bureaus, and the
    city bureau standing for its directly supervised units)."""
    return list(session.scalars(_parents_of_units(actor).order_by(OrgNode.path)))
