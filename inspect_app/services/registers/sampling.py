"""Sampling a register on site (抽查). The tablet draws the entries itself, offline if need be: a seed, the ids of
the register's entries, and a draw that anyone can make again from the two (a small generator written the same
way here and in static/js/sampling.js). The draw and each entry's 符合 / 不符合 travel with the item's answer,
through the same outbox and API; an entry found wanting must be named in the item's finding."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ...models import ChecklistItem, Compliance, Inspection, TemplateVersion, User, utcnow
from ...models.registers import RegisterEntry, SampleCheck, SampleDraw, SampleResult
from .. import Conflict, DomainError, audit
from .kinds import CHOICE, MAYBE, REGISTERS, Register, shown
from .rules import RULES, RuleWarning, warnings

MAX_POPULATION = 20_000
MAX_SEED = 2**31 - 1  # a seed fits every database's integer
NOTE_LIMIT = 500
_MASK = 0xFFFFFFFF


def _numbers(seed: int) -> Iterator[int]:
    """Mulberry32: 32-bit numbers from a 32-bit seed, the same in JavaScript's Math.imul arithmetic."""
    state = seed & _MASK
    while True:
        state = (state + 0x6D2B79F5) & _MASK
        t = ((state ^ (state >> 15)) * (state | 1)) & _MASK
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & _MASK)) & _MASK
        yield (t ^ (t >> 14)) & _MASK


def draw(seed: int, population: Iterable[int], size: int) -> list[int]:
    """`size` ids drawn from `population` (taken in ascending order, once each), in the order drawn: the first
    steps of a Fisher–Yates shuffle driven by the seed."""
    pool = sorted(set(population))
    numbers = _numbers(seed)
    count = min(size, len(pool))
    for i in range(count):
        j = i + ((next(numbers) * (len(pool) - i)) >> 32)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:count]


@dataclass
class CheckInput:
    entry_id: int
    result: str
    note: str | None = None


@dataclass
class SampleInput:
    """A draw as the tablet sends it with the item's answer: its seed, on the first write the population and the
    entries it drew, and the checks it knows of."""

    seed: int
    population: list[int] | None = None
    entries: list[int] | None = None
    checks: list[CheckInput] = field(default_factory=list)

    def texts(self) -> dict[str, str | None]:
        """The notes, for the classified-content guard."""
        return {f"sample_note_{c.entry_id}": c.note for c in self.checks}


@dataclass
class SampleState:
    """A draw as the pages and the API show it: the entries in draw order, with what was found of each."""

    draw: SampleDraw
    checks: dict[int, SampleCheck]

    @property
    def failed(self) -> list[dict]:
        return [entry for entry in self.draw.entries
                if entry["id"] in self.checks and self.checks[entry["id"]].result == SampleResult.NONCOMPLIANT]


def _states(session: Session, inspection: Inspection, item_ids: list[int] | None = None) -> dict[int, SampleState]:
    stmt = (select(SampleDraw).where(SampleDraw.inspection_id == inspection.id)
            .options(selectinload(SampleDraw.checks)))
    if item_ids is not None:
        stmt = stmt.where(SampleDraw.item_id.in_(item_ids))
    return {d.item_id: SampleState(d, {c.entry_id: c for c in d.checks}) for d in session.scalars(stmt)}


def sample_states(session: Session, inspection: Inspection) -> dict[int, SampleState]:
    """Every draw of the inspection, by item id."""
    return _states(session, inspection)


def sample_state(session: Session, inspection: Inspection, item_id: int) -> SampleState | None:
    return _states(session, inspection, [item_id]).get(item_id)


# Saving, with the item's answer --------------------------------------------------------------------------


def save_sample(session: Session, actor: User, inspection: Inspection, item: ChecklistItem,
                sample: SampleInput | None, content: dict) -> bool:
    """Store the draw (the first time) and the checks a write carries; then hold the answer (`content`) to what
    the checks found. Runs inside the answer's transaction; True when anything changed."""
    spec = item.sample
    if spec is None:
        if sample is not None:
            raise DomainError(_("这一项不抽查台账。"), field="sample")
        return False
    current = session.scalar(select(SampleDraw).where(SampleDraw.inspection_id == inspection.id,
                                                      SampleDraw.item_id == item.id))
    changed = False
    if sample is not None:
        if current is None:
            current, changed = _new_draw(session, actor, inspection, item, REGISTERS[spec["register"]],
                                         spec["size"], sample), True
        else:
            _same_draw(current, sample)
        changed = _record_checks(session, actor, current, sample.checks) or changed
    if current is not None:
        _hold_answer(SampleState(current, {c.entry_id: c for c in current.checks}), content)
    return changed


def _new_draw(session: Session, actor: User, inspection: Inspection, item: ChecklistItem, register: Register,
              size: int, sample: SampleInput) -> SampleDraw:
    population = sorted(set(sample.population or []))
    if not population:
        raise DomainError(_("抽样缺少台账条目清单，请重新抽样。"), field="sample")
    model = register.model
    foreign = session.scalar(select(model.id).where(model.id.in_(population), model.unit_id != inspection.unit_id)
                             .limit(1))
    if foreign is not None:
        raise DomainError(_("抽样的台账条目不属于被检查单位。"), field="sample")
    drawn = draw(sample.seed, population, size)
    if sample.entries is not None and sample.entries != drawn:
        raise DomainError(_("抽中的条目与随机数种子不符，未保存。"), field="sample")
    found = {e.id: e for e in session.scalars(select(model).where(model.id.in_(drawn),
                                                                  model.unit_id == inspection.unit_id))}
    if len(found) != len(drawn):
        raise DomainError(_("抽中的台账条目已被删除，请重新抽样。"), field="sample")
    entries = [{"id": i, "number": found[i].number, "title": register.title_of(found[i])} for i in drawn]
    record = SampleDraw(inspection_id=inspection.id, item_id=item.id, unit_id=inspection.unit_id,
                        register=register.key, seed=sample.seed, size=size, population_json=json.dumps(population),
                        entries_json=json.dumps(entries, ensure_ascii=False), drawn_by_id=actor.id)
    try:
        with session.begin_nested():  # another tablet may have drawn for this item a moment ago
            session.add(record)
    except IntegrityError:
        other = session.scalar(select(SampleDraw).where(SampleDraw.inspection_id == inspection.id,
                                                        SampleDraw.item_id == item.id))
        _same_draw(other, sample)
        return other
    audit.record(session, actor, "registers.sample_draw", record, details={
        "inspection_id": inspection.id, "item": item.key, "register": register.key, "seed": sample.seed,
        "size": size, "population": len(population), "entries": [e["number"] for e in entries]})
    return record


def _same_draw(current: SampleDraw, sample: SampleInput) -> None:
    """A later write must carry the draw that was stored: another seed is another draw, which is refused."""
    if (sample.seed != current.seed
            or (sample.population is not None and sorted(set(sample.population)) != current.population)
            or (sample.entries is not None and sample.entries != [e["id"] for e in current.entries])):
        raise Conflict(_("这一项已经抽过样，不能再抽。请刷新页面，查看已抽中的条目。"))


def _record_checks(session: Session, actor: User, current: SampleDraw, checks: list[CheckInput]) -> bool:
    entries = {e["id"]: e for e in current.entries}
    stored = {c.entry_id: c for c in current.checks}
    changed = False
    for check in checks:
        entry = entries.get(check.entry_id)
        if entry is None:
            raise DomainError(_("这个条目不在本次抽样中。"), field="sample")
        if check.result not in set(SampleResult):
            raise DomainError(_("抽查结果无效。"), field="sample")
        note = (check.note or "").strip() or None
        if note and len(note) > NOTE_LIMIT:
            raise DomainError(_("文字不能超过 %(n)d 个字。", n=NOTE_LIMIT), field="sample")
        before = stored.get(check.entry_id)
        if before is not None and (before.result, before.note) == (check.result, note):
            continue
        if before is None:
            before = SampleCheck(draw=current, unit_id=current.unit_id, entry_id=check.entry_id,
                                 checked_by_id=actor.id)
            session.add(before)
        before.result, before.note, before.checked_by_id, before.checked_at = check.result, note, actor.id, utcnow()
        session.flush()
        audit.record(session, actor, "registers.sample_check", before, details={
            "inspection_id": current.inspection_id, "number": entry["number"], "result": check.result})
        changed = True
    return changed


def _hold_answer(state: SampleState, content: dict) -> None:
    """An entry found wanting makes the item fail, and is named in its finding."""
    failed = state.failed
    if not failed or content["value"] is None:
        return
    if content["value"] not in (Compliance.NONCOMPLIANT, Compliance.PARTIAL):
        raise DomainError(_("抽查中有不符合的条目，结论应为不符合或基本符合。"), field="value")
    missing = [e["number"] for e in failed if e["number"] not in (content["finding_text"] or "")]
    if missing:
        raise DomainError(_("问题描述中须写明抽查不符合的条目：%(numbers)s。", numbers="、".join(missing)),
                          field="finding_text")


# What the tablet keeps for an inspection -----------------------------------------------------------------


@dataclass
class SampledItem:
    item_id: int
    register: str
    size: int
    verify: str
    verify_en: str


@dataclass
class PopulationEntry:
    id: int
    number: str
    title: str
    details: str


@dataclass
class Prefinding:
    item_id: int
    warning: RuleWarning


@dataclass
class InspectionRegisters:
    """For the fill page, kept on the tablet: the items that sample a register, every entry of those registers
    (what a draw is made from), the draws so far, and the rules the unit's registers break, on the items they
    serve."""

    items: list[SampledItem]
    populations: dict[str, list[PopulationEntry]]
    samples: dict[int, SampleState]
    prefindings: list[Prefinding]


def _describer(register: Register):
    """A function that writes an entry's listed fields in a line, with the words of the choices read once."""
    fields = [register.field(name) for name in register.listed]
    words = {f.name: {key: str(label) for key, label in f.choices.items()} for f in fields if f.kind == CHOICE}

    def describe(entry: RegisterEntry) -> str:
        parts = []
        for f in fields:
            value = getattr(entry, f.name)
            if value is None and f.kind != MAYBE:
                continue
            parts.append(words[f.name].get(value, value) if f.kind == CHOICE else f"{f.heading} {shown(f, value)}")
        return " · ".join(parts)

    return describe


def inspection_registers(session: Session, inspection: Inspection, today: date) -> InspectionRegisters:
    pinned = [p.version_id for p in inspection.templates]
    items = session.scalars(select(ChecklistItem).where(ChecklistItem.version_id.in_(pinned))
                            .options(selectinload(ChecklistItem.version).selectinload(TemplateVersion.template))).all()
    sampled = [SampledItem(i.id, i.sample["register"], i.sample["size"], i.sample["verify"], i.sample["verify_en"])
               for i in items if i.sample]
    populations = {}
    for key in dict.fromkeys(s.register for s in sampled):
        register = REGISTERS[key]
        describe = _describer(register)
        populations[key] = [
            PopulationEntry(e.id, e.number, register.title_of(e), describe(e))
            for e in session.scalars(select(register.model).where(register.model.unit_id == inspection.unit_id)
                                     .order_by(register.model.id))]
    served = {(i.version.template.key, i.key): i.id for i in items}
    rules = [rule for rule in RULES.values() if (rule.template_key, rule.item_key) in served]
    prefindings = [Prefinding(served[w.rule.template_key, w.rule.item_key], w)
                   for w in warnings(session, inspection.unit, today, rules=rules)] if rules else []
    return InspectionRegisters(sampled, populations, sample_states(session, inspection), prefindings)
