"""The rules that run on the registers: each a condition on one register's rows as of a day, and the checklist
item it serves (by template and item key). The officer sees them as warnings, the inspector as pre-findings on
the fill page, the leaders as counts; `registers remind` tells the officers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from ... import clock
from ...database import transaction
from ...models import Notification, OrgNode, SecretCarrier, SecretMatter, SecretPerson
from ...models.registers import CarrierState, KeyPlace, MatterState, RegisterEntry
from .. import audit, notifications
from .kinds import REGISTERS, Register, person_state_clause


@dataclass(frozen=True)
class Rule:
    key: str
    register: Register
    template_key: str  # the checklist item the rule serves
    item_key: str
    label: object  # what is wrong with one entry, in a few words
    condition: Callable[[date], ColumnElement[bool]]

    def where(self, today: date) -> ColumnElement[bool]:
        return self.condition(today)


def _declear_ended(today: date) -> ColumnElement[bool]:
    """Left, the 脱密期 over (its last day is still inside it), and no release recorded."""
    return and_(SecretPerson.left_on.is_not(None), SecretPerson.released_on.is_(None),
                SecretPerson.declear_until < today)


def _untrained(today: date) -> ColumnElement[bool]:
    """On post, and no training since the first of January this year."""
    return and_(person_state_clause("on_post", today),
                or_(SecretPerson.trained_on.is_(None), SecretPerson.trained_on < date(today.year, 1, 1)))


def _carrier_unreviewed(today: date) -> ColumnElement[bool]:
    """Still held, its 保密期限 over (the last day is inside it), and no review on or after that day."""
    return and_(SecretCarrier.state == CarrierState.HELD, SecretCarrier.secret_until < today,
                or_(SecretCarrier.reviewed_on.is_(None), SecretCarrier.reviewed_on < SecretCarrier.secret_until))


def _matter_without_basis(_today: date) -> ColumnElement[bool]:
    return and_(SecretMatter.state == MatterState.ACTIVE,
                or_(SecretMatter.basis.is_(None), func.trim(SecretMatter.basis) == ""))


def _matter_review_due(today: date) -> ColumnElement[bool]:
    """Still secret and its review date passed (the day itself is still in time)."""
    return and_(SecretMatter.state == MatterState.ACTIVE, SecretMatter.review_on < today)


def _place_unconfirmed(_today: date) -> ColumnElement[bool]:
    return KeyPlace.confirmed_on.is_(None)


RULES: dict[str, Rule] = {rule.key: rule for rule in (
    Rule("declear_ended", REGISTERS["personnel"], "personnel", "D9", _l("脱密期已满，未记录解脱"), _declear_ended),
    Rule("untrained", REGISTERS["personnel"], "education", "B3", _l("今年未参加保密培训"), _untrained),
    Rule("carrier_unreviewed", REGISTERS["carriers"], "classification", "C10", _l("保密期限已满，未经审核"),
         _carrier_unreviewed),
    Rule("matter_without_basis", REGISTERS["matters"], "classification", "C5", _l("没有定密依据"),
         _matter_without_basis),
    Rule("matter_review_due", REGISTERS["matters"], "classification", "C10", _l("已过审核日期"), _matter_review_due),
    Rule("place_unconfirmed", REGISTERS["key_places"], "key-departments", "G1", _l("没有确认日期"),
         _place_unconfirmed),
)}


def rules_of(register: Register) -> list[Rule]:
    return [rule for rule in RULES.values() if rule.register.key == register.key]


def breaking(rule: Rule, unit_ids, today: date) -> Select:
    """A select of the rows of the units `unit_ids` (ids or a select of them) that break the rule."""
    model = rule.register.model
    return select(model).where(model.unit_id.in_(unit_ids), rule.where(today))


def counts(session: Session, unit_ids, today: date) -> dict[tuple[int, str], int]:
    """How many rows break each rule, by (unit id, rule key), for the units `unit_ids`; one query a rule."""
    found = {}
    for rule in RULES.values():
        model = rule.register.model
        rows = session.execute(select(model.unit_id, func.count()).where(model.unit_id.in_(unit_ids),
                                                                         rule.where(today)).group_by(model.unit_id))
        found.update({(unit_id, rule.key): n for unit_id, n in rows})
    return found


def flags(session: Session, register: Register, entries: list[RegisterEntry], today: date) -> dict[int, list[Rule]]:
    """The rules each of `entries` (a page of one register) breaks, by entry id."""
    ids = [e.id for e in entries]
    found: dict[int, list[Rule]] = {}
    for rule in rules_of(register):
        for entry_id in session.scalars(select(register.model.id).where(register.model.id.in_(ids),
                                                                        rule.where(today))):
            found.setdefault(entry_id, []).append(rule)
    return found


@dataclass
class RuleWarning:
    """One rule broken in one unit: how many rows, and the first few."""

    rule: Rule
    count: int
    entries: list[RegisterEntry]

    @property
    def text(self) -> str:
        return _("%(n)d %(measure)s%(entry)s%(problem)s", n=self.count, measure=self.rule.register.measure,
                 entry=self.rule.register.name, problem=self.rule.label)


def warnings(session: Session, unit: OrgNode, today: date, shown: int = 5,
             rules: list[Rule] | None = None) -> list[RuleWarning]:
    """The rules the unit's registers break (of `rules`, by default all), each with its count and first rows."""
    found = []
    for rule in rules if rules is not None else RULES.values():
        model = rule.register.model
        count = session.scalar(select(func.count()).select_from(model)
                               .where(model.unit_id == unit.id, rule.where(today)))
        if count:
            first = session.scalars(breaking(rule, [unit.id], today).order_by(model.number).limit(shown)).all()
            found.append(RuleWarning(rule, count, list(first)))
    return found


def remind(session: Session, today: date) -> int:
    """Tell the officers of every unit whose registers break a rule how many warnings stand, once a day; the
    number of units told (a unit without an officer's account has no one to tell)."""
    by_unit: dict[int, int] = {}
    for (unit_id, _rule), n in counts(session, select(OrgNode.id).where(OrgNode.active.is_(True)), today).items():
        by_unit[unit_id] = by_unit.get(unit_id, 0) + n
    told_today = set(session.scalars(select(Notification.object_id).where(
        Notification.kind == "register_warnings", Notification.created_at >= clock.utc_start(today))))
    told = {}
    with transaction(session):
        for unit_id, total in sorted(by_unit.items()):
            if unit_id not in told_today and notifications.notify(
                    session, notifications.unit_officers(session, unit_id), "register_warnings",
                    session.get(OrgNode, unit_id), count=total):
                told[unit_id] = total
        audit.record(session, None, "registers.remind", actor_name="registers remind",
                     details={"day": today.isoformat(), "units": len(told), "warnings": sum(told.values())})
    return len(told)
