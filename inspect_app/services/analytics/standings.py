"""What cannot be summed over months, kept per period preset: each unit's inspections in a preset's window (the
coverage, the averages by unit and district, the self-assessment gap), and each checklist item's findings with
the distinct units they were found at.

A preset's window is its months as of the day the standings were built (`analytics_window`); the upkeep of every
write counts in the stored windows, and the catch-up task rebuilds the standings when a new month or year moves
them. Computed per unit, from all of a unit's records at once, by the same code for a rebuild and for the upkeep.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ...models import AnalyticsWindow, Finding, FindingStatus, Inspection, NodeKind
from ...models.analytics import COMPARED, KINDS, ItemStanding, SliceStanding, UnitStanding
from .slices import as_date, kinds_of, local_month, month_start, unit_slices
from .sources import DONE, Contributions, Rollup, _add, _chunks, _org

UNIT_STANDING = Rollup(UnitStanding, ("preset", "unit_id", "parent_id", "root_id", "unit_type", "active"),
                       tuple(f"{k}_{m}" for k in KINDS for m in ("inspections", "scored", "score_tenths")))
SLICE_STANDING = Rollup(SliceStanding, ("preset", "slice"),
                        ("units_active", "units_covered", "gap_units", "scored", "score_tenths"))
ITEM_STANDING = Rollup(ItemStanding, ("preset", "slice", "template_key", "item_key"), ("findings", "units"))
STANDINGS = (UNIT_STANDING, SLICE_STANDING, ITEM_STANDING)
POSITION = {k: 3 * i for i, k in enumerate(KINDS)}  # where a kinds key's three measures start in a unit's row
PRESETS = ("12m", "ytd", "last_year", "3y", "all")

Windows = dict[str, tuple[date, date | None]]


def windows_for(today: date) -> Windows:
    """Each preset's months as of `today`: (first month, last month or None for "on to today")."""
    from ..dashboard.context import period_bounds

    windows = {}
    for preset in PRESETS:
        start, end = period_bounds(preset, today)
        windows[preset] = (month_start(start), None if end == today else month_start(end))
    return windows


def stored_windows(session: Session) -> Windows:
    return {w.preset: (as_date(w.first), None if w.last is None else as_date(w.last))
            for w in session.scalars(select(AnalyticsWindow))}


def _within(month: date, window: tuple[date, date | None]) -> bool:
    first, last = window
    return first <= month and (last is None or month <= last)


def _unit_rows(dialect: str) -> Select:
    unit, parent, org = _org()
    month = local_month(dialect, Inspection.submitted_at)
    return (select(Inspection.unit_id, *org, unit.active, Inspection.kind, month, func.count(),
                   func.count(Inspection.score), func.coalesce(func.sum(func.round(Inspection.score * 10)), 0))
            .join(unit, unit.id == Inspection.unit_id).join(parent, parent.id == unit.parent_id)
            .where(Inspection.status.in_(DONE))
            .group_by(Inspection.unit_id, *org, unit.active, Inspection.kind, month))


def _item_rows(dialect: str) -> Select:
    unit, parent, org = _org()
    month = local_month(dialect, Inspection.submitted_at)
    return (select(Inspection.unit_id, *org, Finding.template_key, Finding.item_key, Inspection.kind, month,
                   func.count())
            .select_from(Finding).join(Inspection, Inspection.id == Finding.inspection_id)
            .join(unit, unit.id == Inspection.unit_id).join(parent, parent.id == unit.parent_id)
            .where(Finding.status == FindingStatus.ACTIVE, Inspection.status.in_(DONE))
            .group_by(Inspection.unit_id, *org, Finding.template_key, Finding.item_key, Inspection.kind, month)
            .order_by(Inspection.unit_id, Finding.template_key, Finding.item_key))


def standings(session: Session, windows: Windows, unit_ids: Iterable[int] | None = None) -> Contributions:
    """The standings of all units, or of these, in `windows`."""
    ids = None if unit_ids is None else sorted(set(unit_ids))
    totals: Contributions = {UNIT_STANDING: {}, SLICE_STANDING: {}, ITEM_STANDING: {}}
    if ids == [] or not windows:
        return totals
    units, items = totals[UNIT_STANDING], totals[ITEM_STANDING]
    dialect = session.get_bind().dialect.name
    width = len(UNIT_STANDING.measures)
    for chunk in _chunks(ids):
        stmt = _unit_rows(dialect)
        stmt = stmt if chunk is None else stmt.where(Inspection.unit_id.in_(chunk))
        for unit_id, parent_id, root_id, unit_type, active, kind, month, n, scored, tenths in session.execute(stmt):
            month = as_date(month)
            for preset, window in windows.items():
                if _within(month, window):
                    key = (preset, unit_id, parent_id, root_id, unit_type, bool(active))
                    row = units.get(key)
                    if row is None:
                        row = units[key] = [0] * width
                    for kinds in kinds_of(kind):
                        at = POSITION[kinds]
                        row[at] += int(n)
                        row[at + 1] += int(scored)
                        row[at + 2] += int(tenths)
        stmt = _item_rows(dialect)
        stmt = stmt if chunk is None else stmt.where(Inspection.unit_id.in_(chunk))
        pair, counts = None, {}
        for unit_id, parent_id, root_id, unit_type, template_key, item_key, kind, month, n in session.execute(stmt):
            if (unit_id, template_key, item_key) != pair:
                _items(items, pair, counts)
                pair, counts = (unit_id, template_key, item_key), {}
                org = (parent_id, root_id, unit_type)
            month = as_date(month)
            for preset, window in windows.items():
                if _within(month, window):
                    for kinds in kinds_of(kind):
                        counts[(preset, kinds, org)] = counts.get((preset, kinds, org), 0) + int(n)
        _items(items, pair, counts)
    unit, parent, org = _org()
    stmt = (select(unit.id, *org, unit.active).join(parent, parent.id == unit.parent_id)
            .where(unit.kind == NodeKind.UNIT))
    chosen = [row for chunk in _chunks(ids)
              for row in session.execute(stmt if chunk is None else stmt.where(unit.id.in_(chunk)))]
    _slices_of_units(totals[SLICE_STANDING], units, chosen, windows)
    return totals


def _slices_of_units(slices: dict[tuple, list[int]], units: dict[tuple, list[int]], org: list, presets) -> None:
    """Each unit in each of its slices: counted once if active, once where covered (and active), once where its
    self-inspections and the compared kinds' both have scores (the gap list), its scores summed."""
    for _unit_id, parent_id, root_id, unit_type, active in org:
        if active:
            for preset in presets:
                for kinds in KINDS:
                    for name in _slices(parent_id, root_id, unit_type, kinds):
                        _add(slices, (preset, name), [1, 0, 0, 0, 0])
    own = POSITION["self"]
    for (preset, _unit_id, parent_id, root_id, unit_type, active), row in units.items():
        for kinds, at in POSITION.items():
            if not row[at]:
                continue
            compared = POSITION[COMPARED[kinds]]
            gap = 1 if row[own + 1] and row[compared + 1] else 0
            values = [0, 1 if active else 0, gap, row[at + 1], row[at + 2]]
            for name in _slices(parent_id, root_id, unit_type, kinds):
                _add(slices, (preset, name), values)


def _items(items: dict[tuple, list[int]], pair, counts: dict) -> None:
    """One unit's findings on one item, per preset and kinds: each slice counts the findings, and the unit once."""
    if pair is None:
        return
    _unit_id, template_key, item_key = pair
    for (preset, kinds, org), n in counts.items():
        for name in _slices(*org, kinds):
            key = (preset, name, template_key, item_key)
            known = items.get(key)
            if known is None:
                items[key] = [n, 1]
            else:
                known[0] += n
                known[1] += 1


@lru_cache(maxsize=65536)
def _slices(parent_id: int, root_id: int, unit_type: str, kinds: str) -> tuple[str, ...]:
    return tuple(unit_slices(parent_id, root_id, unit_type, kinds))
