"""Keeping a register by hand: the list of one unit's register, adding, changing and removing an entry. Only the
unit's own officer keeps it; every change is audited, and free text passes the classified-content guard."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import clock
from ...database import transaction
from ...models import OrgNode, Role, User, utcnow
from ...models.registers import RegisterEntry
from .. import Conflict, DomainError, NotAllowed, audit
from ..classified import find_suspicions
from ..rectification import ClassifiedText
from .kinds import Register, read
from .rules import RULES

MAX_QUERY_LENGTH = 100


def check_keeper(actor: User | None, unit_id: int) -> None:
    """The unit's own officer keeps its registers; everyone else reads them. (No actor: the command line, and the
    demo's units that have no officer account.)"""
    if actor is not None and (actor.role != Role.OFFICER or actor.org_node_id != unit_id):
        raise NotAllowed(_("台账由本单位保密员维护，您可以查看。"))


def entries_query(unit: OrgNode, register: Register, *, q: str = "", state: str = "", rule: str = "",
                  today: date | None = None) -> Select:
    """The unit's entries of one register, narrowed by a search in the number and names, a state, and a rule they
    break; ordered by the caller."""
    model, today = register.model, today or clock.local_today()
    stmt = select(model).where(model.unit_id == unit.id)
    q = q.strip()[:MAX_QUERY_LENGTH]
    if q:
        stmt = stmt.where(or_(*(getattr(model, name).contains(q, autoescape=True)
                                for name in ("number", *register.searched))))
    if state and register.states and state in register.states:
        stmt = stmt.where(register.state_clause(state, today))
    if rule in RULES and RULES[rule].register.key == register.key:
        stmt = stmt.where(RULES[rule].where(today))
    return stmt


def sizes(session: Session, unit: OrgNode, registers: list[Register]) -> dict[str, int]:
    """How many entries the unit has in each register."""
    return {r.key: session.scalar(select(func.count()).select_from(r.model).where(r.model.unit_id == unit.id)) or 0
            for r in registers}


def _confirmed(register: Register, values: Mapping, confirmed: bool) -> list[str]:
    """The free-text fields that look classified: ClassifiedText unless the author confirmed they are not."""
    suspicions = find_suspicions({f.name: values[f.name] for f in register.fields if f.free_text})
    if suspicions and not confirmed:
        raise ClassifiedText(suspicions[0].excerpt, suspicions[0].field)
    return [s.field for s in suspicions]


def _values(session: Session, register: Register, unit_id: int, raw: Mapping[str, str | None], entry_id: int | None,
            today: date) -> dict:
    """The entry's values read from the form's text; DomainError naming the first field that is wrong."""
    values, problems = read(register, raw, today)
    if problems:
        name, problem = problems[0]
        raise DomainError(_("%(field)s：%(problem)s", field=register.field(name).heading, problem=problem), field=name)
    model = register.model
    taken = session.scalar(select(model.id).where(model.unit_id == unit_id,
                                                  func.lower(model.number) == values["number"].lower()))
    if taken is not None and taken != entry_id:
        raise DomainError(_("编号 %(number)s 已在本台账中", number=values["number"]), field="number")
    return values


def create_entry(session: Session, actor: User | None, unit: OrgNode, register: Register,
                 raw: Mapping[str, str | None], *, confirm_unclassified: bool = False,
                 today: date | None = None) -> RegisterEntry:
    check_keeper(actor, unit.id)
    today = today or clock.local_today()
    with transaction(session):
        values = _values(session, register, unit.id, raw, None, today)
        flagged = _confirmed(register, values, confirm_unclassified)
        entry = register.model(unit_id=unit.id, updated_by_id=actor.id if actor else None, **values)
        try:
            with session.begin_nested():
                session.add(entry)
        except IntegrityError:
            raise Conflict(_("编号 %(number)s 刚被他人登记，请换一个编号。", number=values["number"])) from None
        audit.record(session, actor, "registers.create", entry,
                     details={"register": register.key, "number": entry.number})
        _record_confirmation(session, actor, register, entry, flagged)
    return entry


def update_entry(session: Session, actor: User, entry: RegisterEntry, register: Register,
                 raw: Mapping[str, str | None], *, revision: int | None, confirm_unclassified: bool = False,
                 today: date | None = None) -> list[str]:
    """Change the entry; the names of the fields that changed (none: nothing saved, nothing audited)."""
    check_keeper(actor, entry.unit_id)
    today = today or clock.local_today()
    with transaction(session):
        session.refresh(entry, with_for_update=True)
        if revision != entry.revision:
            raise Conflict(_("这条台账记录已被他人修改，请刷新后再改。"))
        values = _values(session, register, entry.unit_id, raw, entry.id, today)
        changed = [name for name, value in values.items() if getattr(entry, name) != value]
        if not changed:
            return []
        flagged = _confirmed(register, {n: values[n] if n in changed else None for n in values}, confirm_unclassified)
        for name in changed:
            setattr(entry, name, values[name])
        entry.revision += 1
        entry.updated_at, entry.updated_by_id = utcnow(), actor.id
        audit.record(session, actor, "registers.update", entry,
                     details={"register": register.key, "number": entry.number, "fields": changed})
        _record_confirmation(session, actor, register, entry, flagged)
    return changed


def remove_entry(session: Session, actor: User, entry: RegisterEntry, register: Register, *,
                 revision: int | None) -> None:
    """Take an entry out of the register (a mistake, a duplicate); the audit trail keeps what it held. A draw
    that took it keeps its number and title."""
    check_keeper(actor, entry.unit_id)
    with transaction(session):
        session.refresh(entry, with_for_update=True)
        if revision != entry.revision:
            raise Conflict(_("这条台账记录已被他人修改，请刷新后再改。"))
        audit.record(session, actor, "registers.remove", entry, details={
            "register": register.key, "number": entry.number, "title": register.title_of(entry)})
        session.delete(entry)


def _record_confirmation(session: Session, actor: User | None, register: Register, entry: RegisterEntry,
                         fields: list[str]) -> None:
    if fields:
        audit.record(session, actor, "registers.unclassified_confirmed", entry,
                     details={"register": register.key, "number": entry.number, "fields": fields})
