"""The registers as the leaders and the pages see them: one unit's registers and warnings, the units in scope with
their register size and rule violations, and the same summed per district. Aggregate queries, a fixed number
whatever the number of units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, func, literal, select, union_all
from sqlalchemy.orm import Session

from ... import authz, clock
from ...models import NodeKind, OrgNode, User
from .entries import sizes
from .kinds import REGISTERS
from .rules import RULES, RuleWarning, counts, warnings


@dataclass
class UnitRegisters:
    """One unit's registers: the size of each and the rules they break."""

    unit: OrgNode
    sizes: dict[str, int]
    warnings: list[RuleWarning]

    @property
    def total(self) -> int:
        return sum(self.sizes.values())

    @property
    def violations(self) -> int:
        return sum(w.count for w in self.warnings)


def unit_registers(session: Session, unit: OrgNode, today: date | None = None) -> UnitRegisters:
    today = today or clock.local_today()
    return UnitRegisters(unit, sizes(session, unit, list(REGISTERS.values())), warnings(session, unit, today))


def _rows_per_unit(unit_ids) -> Select:
    every = union_all(*(select(r.model.unit_id.label("unit_id")).where(r.model.unit_id.in_(unit_ids))
                        for r in REGISTERS.values())).subquery()
    return select(every.c.unit_id, func.count().label("n")).group_by(every.c.unit_id)


def _violations_per_unit(unit_ids, today: date) -> Select:
    every = union_all(*(select(rule.register.model.unit_id.label("unit_id"))
                        .where(rule.register.model.unit_id.in_(unit_ids), rule.where(today))
                        for rule in RULES.values())).subquery()
    return select(every.c.unit_id, func.count().label("n")).group_by(every.c.unit_id)


def units_query(actor: User, *, q: str = "", district_id: int | None = None,
                today: date | None = None) -> tuple[Select, dict[str, ColumnElement]]:
    """The active units `actor` sees with their register size and violations, and the columns to sort by."""
    today = today or clock.local_today()
    visible = authz.visible_unit_ids(actor)
    rows = _rows_per_unit(visible).subquery()
    broken = _violations_per_unit(visible, today).subquery()
    stmt = (select(OrgNode).where(OrgNode.kind == NodeKind.UNIT, OrgNode.active.is_(True), OrgNode.id.in_(visible))
            .outerjoin(rows, rows.c.unit_id == OrgNode.id).outerjoin(broken, broken.c.unit_id == OrgNode.id))
    q = q.strip()[:100]
    if q:
        stmt = stmt.where(OrgNode.name.contains(q, autoescape=True) | OrgNode.code.contains(q, autoescape=True))
    if district_id is not None:
        stmt = stmt.where(OrgNode.parent_id == district_id)
    columns = {"name": OrgNode.name, "rows": func.coalesce(rows.c.n, 0), "violations": func.coalesce(broken.c.n, 0)}
    return stmt, columns


@dataclass
class UnitRow:
    unit: OrgNode
    sizes: dict[str, int]
    violations: dict[str, int]  # by rule key

    @property
    def total(self) -> int:
        return sum(self.sizes.values())

    @property
    def broken(self) -> int:
        return sum(self.violations.values())


def unit_rows(session: Session, units: list[OrgNode], today: date | None = None) -> list[UnitRow]:
    """A page of units with the size of each register and the rows breaking each rule."""
    today = today or clock.local_today()
    ids = [u.id for u in units]
    rows = {u.id: UnitRow(u, {}, {}) for u in units}
    if not ids:
        return []
    for register in REGISTERS.values():
        model = register.model
        for unit_id, n in session.execute(select(model.unit_id, func.count()).where(model.unit_id.in_(ids))
                                          .group_by(model.unit_id)):
            rows[unit_id].sizes[register.key] = n
    for (unit_id, rule), n in counts(session, ids, today).items():
        rows[unit_id].violations[rule] = n
    return [rows[i] for i in ids]


@dataclass
class DistrictRow:
    """The units under one district bureau (or the city bureau's own): how many keep registers, their rows and
    the rows that break a rule."""

    district: OrgNode
    units: int
    keeping: int  # units with any register row
    rows: int
    violations: int
    units_with_violations: int


def district_rows(session: Session, actor: User, today: date | None = None, district_id: int | None = None,
                  active_units: dict[OrgNode, int] | None = None) -> list[DistrictRow]:
    """The register figures of the units `actor` sees, per district (one district's when `district_id` is given).

    The units are counted once per district, unless the caller has the count of active units under each district
    at hand (`active_units`: the dashboard keeps it), and the register rows, each tagged as a row or as a rule
    broken, are joined to their unit: neither pass reads the org tree twice to scope it."""
    today = today or clock.local_today()
    units = [authz.unit_in_scope(actor), OrgNode.kind == NodeKind.UNIT, OrgNode.active.is_(True)]
    if district_id is not None:
        units.append(OrgNode.parent_id == district_id)
    if active_units is None:
        counted = dict(session.execute(select(OrgNode.parent_id, func.count()).where(*units)
                                       .group_by(OrgNode.parent_id)).all())
        parents = session.scalars(select(OrgNode).where(OrgNode.id.in_(counted)))
        active_units = {parent: counted[parent.id] for parent in parents}
    per_district = {d.id: (d, n) for d, n in active_units.items()
                    if n and (district_id is None or d.id == district_id)}
    every = union_all(
        *(select(r.model.unit_id.label("unit_id"), literal(False).label("broken")) for r in REGISTERS.values()),
        *(select(rule.register.model.unit_id, literal(True)).where(rule.where(today)) for rule in RULES.values()),
    ).subquery()
    found: dict[tuple[int, bool], tuple[int, int]] = {
        (parent_id, bool(broken)): (n, unit_count) for parent_id, broken, n, unit_count in session.execute(
            select(OrgNode.parent_id, every.c.broken, func.count(), func.count(every.c.unit_id.distinct()))
            .join(OrgNode, OrgNode.id == every.c.unit_id).where(*units)
            .group_by(OrgNode.parent_id, every.c.broken))}
    rows = []
    for parent_id, (parent, unit_count) in per_district.items():
        total, keeping = found.get((parent_id, False), (0, 0))
        bad, with_bad = found.get((parent_id, True), (0, 0))
        rows.append(DistrictRow(parent, unit_count, keeping, total, bad, with_bad))
    return sorted(rows, key=lambda d: d.district.path)
