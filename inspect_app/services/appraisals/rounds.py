"""A round of the appraisal: creating it for a year and an area, computing its results, the bureau's manual values
and adjustments (each with its reason, audited), and the leader's approval, which freezes it.

While a round is a draft every change computes it again from what the system holds that day; once approved nothing
in it changes: its results are the rows stored when it was last computed, and every service here refuses to touch
it.
"""

from __future__ import annotations

import json
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, selectinload

from ... import authz, clock
from ...database import transaction
from ...models import (
    AppraisalAdjustment,
    AppraisalEntry,
    AppraisalResult,
    AppraisalRound,
    AppraisalScheme,
    NodeKind,
    OrgNode,
    Role,
    RoundStatus,
    User,
    utcnow,
)
from .. import Conflict, DomainError, NotAllowed, audit, notifications
from ..classified import find_suspicions
from . import sources
from .readings import Measured, Period
from .scoring import NO_DATA, NOT_ENTERED, OK, Reading, half_up, ranks, unit_outcome

REASON_LIMIT = 500
MAX_ADJUSTMENT = 20.0  # points either way: an adjustment corrects a total, it does not replace it


# Areas and years -----------------------------------------------------------------------------------------


def areas_for(session: Session, actor: User) -> list[OrgNode]:
    """The areas `actor` may appraise: the bureau they belong to (the city, or a district) and the district
    bureaus below it."""
    node = actor.org_node
    if node is None or node.kind == NodeKind.UNIT:
        return []
    below = session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.DISTRICT, OrgNode.active.is_(True),
                                                  OrgNode.path.startswith(node.path), OrgNode.id != node.id)
                            .order_by(OrgNode.path))
    return [node, *below]


def years_for(today: date | None = None) -> list[int]:
    """The years a round may be made for: this one and the two before it."""
    year = (today or clock.local_today()).year
    return [year, year - 1, year - 2]


def round_title(area: OrgNode, year: int) -> str:
    return f"{area.place_name}{year}年度保密工作责任制考核"


def _units(area: OrgNode) -> Select:
    return select(OrgNode).where(OrgNode.kind == NodeKind.UNIT, OrgNode.active.is_(True),
                                 OrgNode.path.startswith(area.path))


def units_of(session: Session, area: OrgNode) -> list[OrgNode]:
    """The units a round of `area` appraises: the active units of its subtree, in the tree's order."""
    return list(session.scalars(_units(area).order_by(OrgNode.path)))


# Creating and computing -----------------------------------------------------------------------------------


def create_round(session: Session, actor: User, *, area: OrgNode, year: int, scheme: AppraisalScheme) -> AppraisalRound:
    """A new round for `year` of `area`'s units under `scheme`, computed at once. `area` must be one of
    `areas_for(actor)`."""
    if actor.role != Role.INSPECTOR:
        raise NotAllowed(_("考核由检查机关的检查员组织。"))
    if area.id not in {a.id for a in areas_for(session, actor)}:
        raise DomainError(_("只能考核本机关或所辖区县的单位。"), field="area_id")
    if year not in years_for():
        raise DomainError(_("只能考核今年和前两年。"), field="year")
    with transaction(session):
        taken = session.scalar(select(AppraisalRound).where(AppraisalRound.area_id == area.id,
                                                            AppraisalRound.year == year))
        if taken is not None:
            raise DomainError(_("%(area)s %(year)d 年度的考核已经建立。", area=area.name, year=year), field="year")
        appraisal = AppraisalRound(year=year, area_id=area.id, scheme_id=scheme.id, title=round_title(area, year),
                                   created_by_id=actor.id, status=RoundStatus.DRAFT, revision=0)
        session.add(appraisal)
        session.flush()
        audit.record(session, actor, "appraisal.create", appraisal,
                     details={"year": year, "area_id": area.id, "scheme": f"{scheme.key} v{scheme.version}"})
        _compute(session, appraisal)
    return appraisal


def compute(session: Session, actor: User, appraisal: AppraisalRound) -> None:
    """Compute a draft round again from what the system holds today."""
    _check_manager(actor, appraisal)
    with transaction(session):
        _lock_draft(session, appraisal)
        _compute(session, appraisal)
        audit.record(session, actor, "appraisal.compute", appraisal,
                     details={"revision": appraisal.revision, "as_of": appraisal.as_of.isoformat()})


def _check_manager(actor: User, appraisal: AppraisalRound) -> None:
    if not authz.can(actor, "appraisal.manage", appraisal):
        raise NotAllowed(_("考核由考核范围所属检查机关的检查员组织。"))


def _lock_draft(session: Session, appraisal: AppraisalRound) -> None:
    """Hold the round for this change (approval takes the same lock) and refuse one that is approved."""
    session.refresh(appraisal, with_for_update=True)
    if appraisal.is_approved:
        raise Conflict(_("考核结果已审定，不能再修改。"))


def _compute(session: Session, appraisal: AppraisalRound) -> None:
    scheme = appraisal.scheme.data
    ids = [u.id for u in units_of(session, appraisal.area)]
    as_of = min(clock.local_today(), date(appraisal.year, 12, 31))
    period = Period(session, appraisal.year, as_of, ids, _units(appraisal.area).with_only_columns(OrgNode.id))
    indicators = {i["key"]: _read(session, appraisal, period, i) for i in scheme["indicators"]}
    vetoes = {v["key"]: _read(session, appraisal, period, v) for v in scheme.get("vetoes", [])}
    adjustments = dict(session.execute(
        select(AppraisalAdjustment.unit_id, func.sum(AppraisalAdjustment.points))
        .where(AppraisalAdjustment.round_id == appraisal.id).group_by(AppraisalAdjustment.unit_id)).all())
    session.execute(delete(AppraisalResult).where(AppraisalResult.round_id == appraisal.id))
    results = []
    for unit_id in ids:
        outcome = unit_outcome(scheme, {k: r[unit_id] for k, r in indicators.items()},
                               {k: r[unit_id] for k, r in vetoes.items()}, float(adjustments.get(unit_id) or 0))
        results.append(AppraisalResult(
            round_id=appraisal.id, unit_id=unit_id, computed_score=outcome.computed_score,
            adjustment=outcome.adjustment, score=outcome.score, band=outcome.band, vetoed=outcome.vetoed,
            indicators_json=_json(outcome.indicators), vetoes_json=_json(outcome.vetoes)))
    places = ranks((r.unit_id, r.score, r.vetoed) for r in results)
    for result in results:
        result.rank = places.get(result.unit_id)
    session.add_all(results)
    appraisal.as_of, appraisal.computed_at = as_of, utcnow()
    appraisal.revision += 1
    session.flush()


def _read(session: Session, appraisal: AppraisalRound, period: Period, entry: dict) -> dict[int, Reading]:
    """One indicator or veto item for every unit: the bureau's values for a manual one, else its source's."""
    if entry["source"] == sources.MANUAL:
        return _manual(session, appraisal, period.units, entry["key"])
    measured = sources.SOURCES[entry["source"]].compute(period)  # a synced scheme names only known sources
    return {u: Reading(OK if m.value is not None else NO_DATA, m.value, [r.as_dict() for r in m.records], m.note)
            for u, m in ((u, measured.get(u) or Measured(None)) for u in period.units)}


def _manual(session: Session, appraisal: AppraisalRound, units: list[int], key: str) -> dict[int, Reading]:
    entries = {e.unit_id: e for e in session.scalars(select(AppraisalEntry).where(
        AppraisalEntry.round_id == appraisal.id, AppraisalEntry.indicator_key == key)
        .options(selectinload(AppraisalEntry.entered_by)))}
    return {u: (Reading(OK, entries[u].value, reason=entries[u].reason, entered_by=entries[u].entered_by.display_name)
                if u in entries else Reading(NOT_ENTERED, note="not_entered")) for u in units}


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# The bureau's values and adjustments ---------------------------------------------------------------------------


class ClassifiedReason(DomainError):
    """A reason whose text looks classified, kept only once its author confirms it holds no state secret."""

    status_code = 422


def _reason(text: str | None, confirmed: bool) -> str:
    reason = (text or "").strip()
    if not reason:
        raise DomainError(_("请写明理由。"), field="reason")
    if len(reason) > REASON_LIMIT:
        raise DomainError(_("理由不能超过 %(n)d 个字。", n=REASON_LIMIT), field="reason")
    if find_suspicions({"reason": reason}) and not confirmed:
        raise ClassifiedReason(_("理由中的文字像是国家秘密的标志（如密级标志）。本系统不得处理国家秘密：请改写；"
                                 "确认不含国家秘密的，勾选确认后再保存。"), field="reason")
    return reason


def _result_of(session: Session, appraisal: AppraisalRound, unit: OrgNode) -> AppraisalResult:
    result = session.scalar(select(AppraisalResult).where(AppraisalResult.round_id == appraisal.id,
                                                          AppraisalResult.unit_id == unit.id))
    if result is None:
        raise DomainError(_("该单位不在本次考核范围内。"))
    return result


def _confirmed(session: Session, actor: User, appraisal: AppraisalRound, unit: OrgNode, reason: str) -> None:
    if find_suspicions({"reason": reason}):
        audit.record(session, actor, "appraisal.unclassified_confirmed", appraisal,
                     details={"unit_id": unit.id, "fields": ["reason"]})


def enter_value(session: Session, actor: User, appraisal: AppraisalRound, unit: OrgNode, indicator_key: str,
                value: float, reason: str, *, confirmed: bool = False) -> AppraisalEntry:
    """The bureau's value (0–100) of a manual indicator for one unit, with its reason; entering it again replaces
    it. The round is computed again."""
    _check_manager(actor, appraisal)
    manual = {i["key"] for i in appraisal.scheme.data["indicators"] if i["source"] == sources.MANUAL}
    if indicator_key not in manual:
        raise DomainError(_("这一项不由考核机关评定。"), field="indicator")
    if not 0 <= value <= 100:
        raise DomainError(_("分值应在 0 到 100 之间。"), field="value")
    reason = _reason(reason, confirmed)
    with transaction(session):
        _lock_draft(session, appraisal)
        _result_of(session, appraisal, unit)
        entry = session.scalar(select(AppraisalEntry).where(
            AppraisalEntry.round_id == appraisal.id, AppraisalEntry.unit_id == unit.id,
            AppraisalEntry.indicator_key == indicator_key))
        before = None if entry is None else {"value": entry.value, "reason": entry.reason}
        if entry is None:
            entry = AppraisalEntry(round_id=appraisal.id, unit_id=unit.id, indicator_key=indicator_key)
            session.add(entry)
        entry.value, entry.reason, entry.entered_by_id, entry.entered_at = half_up(value), reason, actor.id, utcnow()
        session.flush()
        audit.record(session, actor, "appraisal.value_entered", entry,
                     details={"round_id": appraisal.id, "indicator": indicator_key, "value": entry.value,
                              "reason": reason, "before": before})
        _confirmed(session, actor, appraisal, unit, reason)
        _compute(session, appraisal)
    return entry


def adjust(session: Session, actor: User, appraisal: AppraisalRound, unit: OrgNode, points: float, reason: str,
           *, confirmed: bool = False) -> AppraisalAdjustment:
    """Points added to (or, negative, taken from) one unit's total, with the reason. The round is computed again."""
    _check_manager(actor, appraisal)
    if points == 0 or abs(points) > MAX_ADJUSTMENT:
        raise DomainError(_("加减分应在 -%(n)d 到 %(n)d 之间，且不为 0。", n=int(MAX_ADJUSTMENT)), field="points")
    reason = _reason(reason, confirmed)
    with transaction(session):
        _lock_draft(session, appraisal)
        _result_of(session, appraisal, unit)
        made = AppraisalAdjustment(round_id=appraisal.id, unit_id=unit.id, points=half_up(points), reason=reason,
                                   made_by_id=actor.id)
        session.add(made)
        session.flush()
        audit.record(session, actor, "appraisal.adjust", made,
                     details={"round_id": appraisal.id, "points": made.points, "reason": reason})
        _confirmed(session, actor, appraisal, unit, reason)
        _compute(session, appraisal)
    return made


def remove_adjustment(session: Session, actor: User, appraisal: AppraisalRound, unit: OrgNode,
                      adjustment_id: int | None) -> None:
    """Withdraw an adjustment of this unit in this draft round; the audit trail keeps what it was."""
    _check_manager(actor, appraisal)
    with transaction(session):
        _lock_draft(session, appraisal)
        made = session.get(AppraisalAdjustment, adjustment_id) if adjustment_id else None
        if made is None or made.round_id != appraisal.id or made.unit_id != unit.id:
            raise DomainError(_("没有这一加减分记录。"))
        audit.record(session, actor, "appraisal.adjustment_removed", made,
                     details={"round_id": appraisal.id, "points": made.points, "reason": made.reason})
        session.delete(made)
        session.flush()
        _compute(session, appraisal)


# Approval ------------------------------------------------------------------------------------------------------


def missing_values(session: Session, appraisal: AppraisalRound) -> int:
    """How many manual values the round still lacks (unit × manual indicator)."""
    manual = [i["key"] for i in appraisal.scheme.data["indicators"] if i["source"] == sources.MANUAL]
    if not manual:
        return 0
    units = session.scalar(select(func.count()).select_from(AppraisalResult)
                           .where(AppraisalResult.round_id == appraisal.id)) or 0
    entered = session.scalar(select(func.count()).select_from(AppraisalEntry).where(
        AppraisalEntry.round_id == appraisal.id, AppraisalEntry.indicator_key.in_(manual))) or 0
    return units * len(manual) - entered


def approve(session: Session, actor: User, appraisal: AppraisalRound, revision: int | None) -> None:
    """The leader approves the results as last computed (the `revision` they saw): the round is frozen, its 通报
    is numbered, and every unit's officer hears of the unit's result."""
    if not authz.can(actor, "appraisal.approve", appraisal):
        raise NotAllowed(_("考核结果由局领导审定。"))
    with transaction(session):
        _lock_draft(session, appraisal)
        if revision != appraisal.revision:
            raise Conflict(_("考核结果在您查看之后已重新计算，请核对最新结果后再审定。"))
        missing = missing_values(session, appraisal)
        if missing:
            raise DomainError(_("还有 %(n)d 项考核机关评定的分值没有录入，录入后才能审定。", n=missing))
        appraisal.status, appraisal.approved_by_id, appraisal.approved_at = RoundStatus.APPROVED, actor.id, utcnow()
        appraisal.number = _bulletin_number(session, appraisal)
        session.flush()
        audit.record(session, actor, "appraisal.approve", appraisal,
                     details={"revision": appraisal.revision, "number": appraisal.number})
        _tell_the_units(session, appraisal)


def _bulletin_number(session: Session, appraisal: AppraisalRound) -> str:
    """The 通报's 文号: the issuing bureau's 考核 series of the year of approval (宝保考〔2027〕1号), numbered in the
    order rounds are approved."""
    issuer = appraisal.area
    prefix = (current_app.config.get("APPRAISAL_PREFIXES") or {}).get(issuer.code) or f"{issuer.name[:1]}保考"
    head = f"{prefix}〔{clock.local_today().year}〕"
    taken = [n.removeprefix(head).removesuffix("号") for n in session.scalars(
        select(AppraisalRound.number).where(AppraisalRound.number.startswith(head, autoescape=True)))]
    return f"{head}{max((int(n) for n in taken if n.isdigit()), default=0) + 1}号"


def _tell_the_units(session: Session, appraisal: AppraisalRound) -> None:
    """Each unit's officers hear of its result, and where to read it."""
    for result in session.scalars(select(AppraisalResult).where(AppraisalResult.round_id == appraisal.id)):
        notifications.notify(session, notifications.unit_officers(session, result.unit_id), "appraisal_approved",
                             result, year=appraisal.year, score="—" if result.score is None else f"{result.score:.1f}",
                             band=result.band or "", round_id=appraisal.id, unit_id=result.unit_id)
