"""The incidents a reader sees, filtered, and the figures over them: by month, kind, carrier and district, the
late-report rate and the open cases, for the dashboard and the period summary (通报).

Every figure is the list with the same filter narrowed once more, so each figure opens exactly its list.
Figures are of the incidents *found* in the period (local days); the open cases and those past their target are
counted whenever they were found, as the rectification backlog is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from ... import authz
from ...clock import parse_day, utc_start
from ...ids import parse_id
from ...models import (
    Carrier,
    Determination,
    Incident,
    IncidentKind,
    IncidentStatus,
    OrgNode,
    UnitType,
    User,
    utcnow,
)
from ...models.incident import OPEN_STATUSES
from .. import dashboard

Unit = aliased(OrgNode, name="incident_unit")

STATUS_CHOICES = (*IncidentStatus, "open")


def _id(value) -> int | None:
    return parse_id(value) if value not in (None, "") else None


def _flag(value) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class IncidentFilter:
    """What a list shows. Unknown or malformed values are ignored rather than refused, so a bookmarked or
    hand-edited address always shows a list."""

    status: str = ""  # a state, or "open" (not yet closed)
    kind: str = ""
    carrier: str = ""
    determination: str = ""
    district: int | None = None  # the units' parent: a district bureau, or the city for its 市直 units
    unit: int | None = None
    type: str = ""  # the unit type
    date_from: date | None = None  # found on or after (local)
    date_to: date | None = None
    late: bool = False  # reported after 24 hours, or not reported and the 24 hours are over
    awaiting: bool = False  # the unit's report not yet received
    past_target: bool = False  # open after its target date
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> IncidentFilter:
        def one_of(name: str, allowed) -> str:
            value = args.get(name, "")
            return value if value in {str(a) for a in allowed} else ""

        return cls(status=one_of("status", STATUS_CHOICES), kind=one_of("kind", IncidentKind),
                   carrier=one_of("carrier", Carrier), determination=one_of("determination", Determination),
                   district=_id(args.get("district")), unit=_id(args.get("unit")), type=one_of("type", UnitType),
                   date_from=parse_day(args.get("from")), date_to=parse_day(args.get("to")),
                   late=_flag(args.get("late")), awaiting=_flag(args.get("awaiting")),
                   past_target=_flag(args.get("past_target")), q=str(args.get("q", "")).strip()[:100])

    def as_args(self) -> dict[str, str]:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, "", False):
                continue
            key = {"date_from": "from", "date_to": "to"}.get(f.name, f.name)
            out[key] = "1" if value is True else value.isoformat() if isinstance(value, date) else str(value)
        return out

    @property
    def active(self) -> bool:
        return bool(self.as_args())

    def but(self, **changes) -> IncidentFilter:
        return replace(self, **changes)


def late_clause(now: datetime):
    return or_(Incident.reported_at > Incident.report_due_at,
               and_(Incident.reported_at.is_(None), Incident.report_due_at < now))


def incidents_query(user: User, flt: IncidentFilter, *, today: date, now: datetime) -> Select:
    """The incidents `user` sees (through authz) that `flt` lets through, joined to their unit."""
    stmt = authz.scoped(select(Incident).join(Unit, Incident.unit_id == Unit.id), Incident, user)
    conditions = []
    if flt.status == "open":
        conditions.append(Incident.status.in_(OPEN_STATUSES))
    elif flt.status:
        conditions.append(Incident.status == flt.status)
    for name in ("kind", "carrier", "determination"):
        if getattr(flt, name):
            conditions.append(getattr(Incident, name) == getattr(flt, name))
    if flt.district:
        conditions.append(Unit.parent_id == flt.district)
    if flt.unit:
        conditions.append(Incident.unit_id == flt.unit)
    if flt.type:
        conditions.append(Unit.unit_type == flt.type)
    if flt.date_from:
        conditions.append(Incident.found_at >= utc_start(flt.date_from))
    if flt.date_to:
        conditions.append(Incident.found_at < utc_start(flt.date_to + timedelta(days=1)))
    if flt.late:
        conditions.append(late_clause(now))
    if flt.awaiting:
        conditions.append(Incident.reported_at.is_(None))
    if flt.past_target:
        conditions += [Incident.status.in_(OPEN_STATUSES), Incident.target_date < today]
    if flt.q:
        needle = flt.q.lower()
        conditions.append(or_(func.lower(Incident.title).contains(needle, autoescape=True),
                              func.lower(Unit.name).contains(needle, autoescape=True)))
    return stmt.where(*conditions)


def sorts() -> dict:
    return {"found": Incident.found_at, "reported": Incident.reported_at, "unit": Unit.name,
            "status": Incident.status, "target": Incident.target_date}


def count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


# Figures ------------------------------------------------------------------------------------------------------


@dataclass
class Bucket:
    label: str
    start: date
    end: date
    count: int = 0


@dataclass
class IncidentFigures:
    """The incidents found in a period (by month, kind, carrier, district, determination, late), and the open
    cases whenever found. `period` and `area` are the list filters behind them, for the figures' links."""

    period: IncidentFilter
    area: IncidentFilter
    total: int = 0
    late: int = 0
    awaiting: int = 0
    open_cases: int = 0
    past_target: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_carrier: dict[str, int] = field(default_factory=dict)
    by_determination: dict[str, int] = field(default_factory=dict)
    by_district: list[tuple[OrgNode, int]] = field(default_factory=list)
    by_month: list[Bucket] = field(default_factory=list)

    @property
    def late_rate(self) -> float | None:
        """迟报率: reported after 24 hours (or still unreported past them) ÷ incidents found in the period."""
        return round(self.late * 100 / self.total, 1) if self.total else None


def figures(ctx: dashboard.Context, now: datetime | None = None) -> IncidentFigures:
    """The figures of the incidents the context's reader sees in its area (district, unit type, unit), found in its
    period: one grouped query over the period and one count of the open cases."""
    session, user, f, today = ctx.session, ctx.actor, ctx.filters, ctx.today
    now = now or utcnow()
    area = IncidentFilter(district=f.district_id, type=f.unit_type or "", unit=f.unit_id)
    period = area.but(date_from=f.start, date_to=f.end)
    found = IncidentFigures(period=period, area=area)
    buckets = [Bucket(label, first, last) for label, first, last in dashboard.trend_buckets(f.start, f.end)]
    bounds = [utc_start(b.start) for b in buckets] + [utc_start(f.end + timedelta(days=1))]
    month = ctx.bucket(Incident.found_at, bounds).label("bucket")
    late = case((late_clause(now), 1), else_=0).label("late")
    awaiting = case((Incident.reported_at.is_(None), 1), else_=0).label("awaiting")
    dims = (month, Incident.kind, Incident.carrier, Incident.determination, Unit.parent_id, late, awaiting)
    rows = session.execute(incidents_query(user, period, today=today, now=now)
                           .with_only_columns(*dims, func.count()).group_by(*dims)).all()
    districts: dict[int, int] = {}
    for bucket, kind, carrier, determination, parent_id, is_late, is_awaiting, n in rows:
        found.total += n
        found.late += n if is_late else 0
        found.awaiting += n if is_awaiting else 0
        buckets[bucket].count += n
        found.by_kind[kind] = found.by_kind.get(kind, 0) + n
        found.by_carrier[carrier] = found.by_carrier.get(carrier, 0) + n
        if determination:
            found.by_determination[determination] = found.by_determination.get(determination, 0) + n
        districts[parent_id] = districts.get(parent_id, 0) + n
    nodes = {n.id: n for n in session.scalars(select(OrgNode).where(OrgNode.id.in_(districts)))} if districts else {}
    found.by_district = sorted(((nodes[i], n) for i, n in districts.items()), key=lambda p: (-p[1], p[0].path))
    while f.preset == "all" and buckets and not buckets[0].count:
        buckets.pop(0)  # "all time" starts at the first incident
    found.by_month = buckets
    open_cases = incidents_query(user, area.but(status="open"), today=today, now=now)
    found.open_cases, found.past_target = session.execute(open_cases.with_only_columns(
        func.count(), func.count(case((Incident.target_date < today, 1))))).one()
    return found
