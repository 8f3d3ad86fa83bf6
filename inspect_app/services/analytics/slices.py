"""Slices, months and local dates in SQL: what the rollups are keyed by.

A unit belongs to two scopes: the units directly under its parent (`<parent>d`: a district, or the city's own
units, 市直) and the whole subtree of its city bureau (`<root>s`). The org tree is at most three deep (a bureau
holds districts and units, a district holds units), so a leader's scope is always one of them: a bureau's
subtree, or a district's units. An inspection kind belongs to its own kinds slice, to `bureau` unless it is a
self-inspection, and to `any`.

Dates: timestamps are stored in naive UTC; months and days are local, shifted by the zone's offset in plain
arithmetic as the dashboard does (China keeps no summer time).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import Date, Integer, cast, func
from sqlalchemy.sql.elements import ColumnElement

from ... import clock
from ...models import InspectionKind, NodeKind, OrgNode

BUREAU = "bureau"  # routine, special and spot: the dashboard's default
ANY = "any"
ALL_TYPES = "*"


def kinds_key(kind: str | None) -> str:
    """The kinds part of a slice for the dashboard's kind filter (None: the bureau kinds; "any": all)."""
    return kind or BUREAU


def kinds_of(kind: str) -> tuple[str, ...]:
    """The kinds slices an inspection of `kind` counts in."""
    return (kind, ANY) if kind == InspectionKind.SELF else (kind, BUREAU, ANY)


def slice_name(scope_id: int, direct: bool, unit_type: str | None, kinds: str) -> str:
    return f"{scope_id}{'d' if direct else 's'}:{unit_type or ALL_TYPES}:{kinds}"


def unit_slices(parent_id: int, root_id: int, unit_type: str | None, kinds: str) -> list[str]:
    """The slices of one kinds key a unit (under `parent_id`, in the city `root_id`) belongs to."""
    return [slice_name(scope, direct, t, kinds)
            for scope, direct in ((parent_id, True), (root_id, False))
            for t in dict.fromkeys((unit_type or ALL_TYPES, ALL_TYPES))]


@lru_cache(maxsize=65536)
def slices_of(parent_id: int, root_id: int, unit_type: str | None, kind: str) -> tuple[str, ...]:
    """Every slice a record of a unit and an inspection of `kind` counts in."""
    return tuple(name for k in kinds_of(kind) for name in unit_slices(parent_id, root_id, unit_type, k))


def scope_slice(node: OrgNode, district_id: int | None, unit_type: str | None, kind: str | None) -> str | None:
    """The slice of a leader's view: their node's subtree, or one district's units; None when the node is a
    unit (an officer's own view is read from the records)."""
    if district_id is not None:
        return slice_name(district_id, True, unit_type, kinds_key(kind))
    if node.kind == NodeKind.BUREAU:
        return slice_name(node.id, False, unit_type, kinds_key(kind))
    if node.kind == NodeKind.DISTRICT:
        return slice_name(node.id, True, unit_type, kinds_key(kind))
    return None


# Local dates ---------------------------------------------------------------------------------------------


def offset() -> timedelta:
    """The zone's offset from UTC, as the rollups and the dashboard shift timestamps by."""
    return clock.timezone().utcoffset(datetime.combine(clock.local_today(), time.min)) or timedelta(0)


def _sqlite_shift() -> str:
    return f"{int(offset().total_seconds() // 60):+d} minutes"


def local_day(dialect: str, column) -> ColumnElement:
    if dialect == "postgresql":
        return cast(column + offset(), Date)
    return func.date(column, _sqlite_shift())


def local_month(dialect: str, column) -> ColumnElement:
    """The first day of the local month of a timestamp (SQLite returns it as text: see `as_date`)."""
    if dialect == "postgresql":
        return cast(func.date_trunc("month", column + offset()), Date)
    return func.date(column, _sqlite_shift(), "start of month")


def days_between(dialect: str, later, earlier) -> ColumnElement:
    """Whole local days from timestamp `earlier` to timestamp `later`."""
    if dialect == "postgresql":
        return local_day(dialect, later) - local_day(dialect, earlier)
    # The local day number is floor(julianday(local time) + 0.5): julianday counts from noon. SQLite keeps
    # julian days as whole milliseconds, so a local midnight lands exactly on the boundary, never beside it.
    shift = _sqlite_shift()

    def day_number(column):
        return cast(func.julianday(column, shift) + 0.5, Integer)

    return day_number(later) - day_number(earlier)


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
