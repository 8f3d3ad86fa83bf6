"""Rollups of the leadership figures, kept beside the records they sum (services/analytics).

Every row belongs to a *slice*: a set of units and inspection kinds a leader can ask for, named by a string
`<node id><d|s>:<unit type|*>:<kinds>` — the units directly under a node (`d`, a district filter) or in its
whole subtree (`s`, a bureau's scope), of one unit type or all (`*`), for one inspection kind, the three bureau
kinds (`bureau`, the dashboard's default) or all (`any`). A record counts in each slice it belongs to, so a
figure reads the rows of one slice and sums a period's months, whatever the number of districts or units.

The summable rollups (`analytics_*` by month) are exact at every commit. What cannot be summed (units covered,
a unit's average score, distinct units per checklist item) is kept per period preset in the `standing_*`
tables, for the windows named in `analytics_window`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ColumnElement, Date, DateTime, Float, Index, Integer, String, cast, func, literal_column
from sqlalchemy.orm import Mapped, mapped_column

from .base import db, utcnow

SLICE = 64


class InspectionRollup(db.Model):
    """Inspections done (submitted, issued or closed) per slice and local month of submission."""

    __tablename__ = "analytics_inspection"

    slice: Mapped[str] = mapped_column(String(SLICE), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    inspections: Mapped[int] = mapped_column(Integer, default=0)
    failing: Mapped[int] = mapped_column(Integer, default=0)  # band 不符合要求
    scored: Mapped[int] = mapped_column(Integer, default=0)
    score_tenths: Mapped[int] = mapped_column(Integer, default=0)  # scores carry one decimal: summed exactly


class FindingRollup(db.Model):
    """Active findings of the inspections done, per slice, month of submission and area (category)."""

    __tablename__ = "analytics_finding"

    slice: Mapped[str] = mapped_column(String(SLICE), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    critical: Mapped[int] = mapped_column(Integer, default=0)
    serious: Mapped[int] = mapped_column(Integer, default=0)
    general: Mapped[int] = mapped_column(Integer, default=0)
    repeat: Mapped[int] = mapped_column(Integer, default=0)


class TicketRollup(db.Model):
    """Tickets per slice, local month of creation and whole days from creation to acceptance (-1: not
    accepted), with the states the figures count."""

    __tablename__ = "analytics_ticket"

    slice: Mapped[str] = mapped_column(String(SLICE), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)  # not cancelled
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[int] = mapped_column(Integer, default=0)


class BacklogRollup(db.Model):
    """Unfinished tickets (open, responded, returned) per slice, due date and state: overdue and due-soon are
    read against today, so the rows need no change as days pass."""

    __tablename__ = "analytics_backlog"

    slice: Mapped[str] = mapped_column(String(SLICE), primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)


class UnitBacklogRollup(db.Model):
    """Unfinished tickets per unit, kinds and due date: the units and districts with the most overdue."""

    __tablename__ = "analytics_unit_backlog"

    kinds: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_analytics_unit_backlog_root", "kinds", "root_id", "due_date"),
                      Index("ix_analytics_unit_backlog_parent", "kinds", "parent_id", "due_date"))


KINDS = ("bureau", "routine", "special", "spot", "self", "any")  # the kinds keys of the slices


class UnitStanding(db.Model):
    """A unit's inspections done in a period preset's window (`analytics_window`), for each kinds key in its own
    columns (`<kinds>_inspections`, `_scored`, `_score_tenths`): the units' average scores and the
    self-assessment gap read one row a unit."""

    __tablename__ = "standing_unit"

    preset: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, primary_key=True)

    __table_args__ = (Index("ix_standing_unit_root", "preset", "root_id"),
                      Index("ix_standing_unit_parent", "preset", "parent_id"))


for _kinds in KINDS:
    for _measure in ("inspections", "scored", "score_tenths"):
        setattr(UnitStanding, f"{_kinds}_{_measure}",
                mapped_column(f"{_kinds}_{_measure}", Integer, default=0, nullable=False))


def mean_score(tenths_total, count) -> ColumnElement:
    """An average score from a sum of tenths: the same double from the records as from the standings, so both
    round alike. Its constants are written into the SQL, not bound, so that a query's average matches the
    standings' indexes on it below."""
    return cast(tenths_total, Float) / cast(func.nullif(count, literal_column("0")), Float) / cast(
        literal_column("10"), Float)


def has_scores(count) -> ColumnElement:
    """`count > 0`, its zero written into the SQL: the planner sees a partial index below applies."""
    return count > literal_column("0")


def standing_average(kinds: str) -> ColumnElement:
    """A unit's average score over the inspections of a kinds key in the window."""
    return mean_score(getattr(UnitStanding, f"{kinds}_score_tenths"), getattr(UnitStanding, f"{kinds}_scored"))


def standing_gap(kinds: str) -> ColumnElement:
    """A unit's self-assessment gap: its self-inspections' average less that of a bureau kinds key."""
    return standing_average("self") - standing_average(kinds)


# For each kinds key, the kinds a unit's self-inspections are compared with (dashboard/standings.gap_query).
COMPARED = {k: "bureau" if k in ("bureau", "self", "any") else k for k in KINDS}

# The rankings by score and the gap list take ten rows of a city's tens of thousands: indexes on the expressions
# they sort by, over the units with scores, give those rows without reading the rest. The scope is left out of
# them: a district's ten come a few dozen entries in, as a city's do at once.
for _kinds in KINDS:
    Index(f"ix_standing_unit_average_{_kinds}", UnitStanding.preset, standing_average(_kinds),
          postgresql_where=has_scores(getattr(UnitStanding, f"{_kinds}_scored")),
          sqlite_where=has_scores(getattr(UnitStanding, f"{_kinds}_scored")))
for _kinds in dict.fromkeys(COMPARED.values()):
    _both = has_scores(UnitStanding.self_scored) & has_scores(getattr(UnitStanding, f"{_kinds}_scored"))
    Index(f"ix_standing_unit_gap_{_kinds}", UnitStanding.preset, standing_gap(_kinds),
          postgresql_where=_both, sqlite_where=_both)


class SliceStanding(db.Model):
    """Per slice, in a period preset's window: the active units, those covered (at least one inspection of the
    slice's kinds done), those with self-inspection and inspection scores both (the gap list), and the
    inspections' scores for the districts' averages."""

    __tablename__ = "standing_slice"

    preset: Mapped[str] = mapped_column(String(16), primary_key=True)
    slice: Mapped[str] = mapped_column(String(SLICE), primary_key=True)
    units_active: Mapped[int] = mapped_column(Integer, default=0)
    units_covered: Mapped[int] = mapped_column(Integer, default=0)
    gap_units: Mapped[int] = mapped_column(Integer, default=0)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    score_tenths: Mapped[int] = mapped_column(Integer, default=0)


class ItemStanding(db.Model):
    """A checklist item's findings and the distinct units they were found at, per slice, in a period preset's
    window: the most failed items."""

    __tablename__ = "standing_item"

    preset: Mapped[str] = mapped_column(String(16), primary_key=True)
    slice: Mapped[str] = mapped_column(String(SLICE), primary_key=True)
    template_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)


class AnalyticsWindow(db.Model):
    """The months each period preset's standings cover: from `first` to `last` (None: on to today). A new month
    or year moves the presets' windows; the catch-up task then rebuilds the standings, and until it has, the
    figures that need them are read from the records."""

    __tablename__ = "analytics_window"

    preset: Mapped[str] = mapped_column(String(16), primary_key=True)
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date | None] = mapped_column(Date)


class AnalyticsState(db.Model):
    """Markers: `stale` while the rollups may not match the records (an upgrade adds the tables empty to a
    database with records; the figures are then read from the records until a rebuild), `rebuilt` the last
    rebuild."""

    __tablename__ = "analytics_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DataVersion(db.Model):
    """One row: a token every write that may change what the leaders' pages show replaces with a new random one,
    so a page rendered at one token is good for as long as the token stands (services/analytics/version.py).
    Random, not counted: a restored or another database never repeats a token a server has kept pages for."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
