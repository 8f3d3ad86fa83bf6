"""The appraisal as its pages show it to one reader: the rounds they see, one round's results (the units in the
reader's scope, by rank), one unit's result with every indicator and the records behind it, and the results as a
spreadsheet. Everything is read from the stored results, so an approved round reads the same whatever changed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from ... import authz
from ...labels import APPRAISAL_BAND_LABELS, APPRAISAL_MEASURE_LABELS, APPRAISAL_NOTES, label
from ...models import AppraisalAdjustment, AppraisalEntry, AppraisalResult, AppraisalRound, OrgNode, User
from ..org import district_name
from ..spreadsheets import Column, Export
from . import sources
from .rounds import missing_values
from .scoring import TOO_LITTLE_WEIGHT, measure_of, unrated_because


def rounds_query(actor: User) -> Select:
    """The rounds `actor` sees, newest year first."""
    return (authz.visible(actor, AppraisalRound).options(joinedload(AppraisalRound.area))
            .order_by(AppraisalRound.year.desc(), AppraisalRound.id.desc()))


def results_query(actor: User, appraisal: AppraisalRound) -> Select:
    """The round's results of the units in `actor`'s scope, by rank (units without a total last), then name."""
    stmt = (select(AppraisalResult).join(OrgNode, AppraisalResult.unit_id == OrgNode.id)
            .where(AppraisalResult.round_id == appraisal.id)
            .options(joinedload(AppraisalResult.unit).joinedload(OrgNode.parent))
            .order_by(AppraisalResult.rank.is_(None), AppraisalResult.rank, OrgNode.path))
    return authz.scoped(stmt, AppraisalResult, actor)


def unrated_note(scheme: dict, result: AppraisalResult) -> str | None:
    """Why a unit is not rated (no total, no band), in the reader's words; None for a unit with a band."""
    why = None if result.band is not None else unrated_because(scheme, result.indicators)
    if why is None:
        return None
    note = label(APPRAISAL_NOTES, why)
    return note % {"min": f"{scheme['min_weight']:g}"} if why == TOO_LITTLE_WEIGHT else note


@dataclass
class RoundView:
    round: AppraisalRound
    scheme: dict
    results: list[AppraisalResult]
    bands: Counter
    missing: int
    unrated: dict[int, str]  # unit id → why it is not rated

    @property
    def manual(self) -> list[dict]:
        return [i for i in self.scheme["indicators"] if i["source"] == sources.MANUAL]


def round_view(session: Session, actor: User, appraisal: AppraisalRound) -> RoundView:
    """One round as `actor` (who loaded it through authz) reads it."""
    scheme = appraisal.scheme.data
    results = list(session.scalars(results_query(actor, appraisal)))
    unrated = {r.unit_id: note for r in results if (note := unrated_note(scheme, r))}
    return RoundView(appraisal, scheme, results, Counter(r.band for r in results if r.band),
                     missing_values(session, appraisal), unrated)


@dataclass
class UnitResult:
    result: AppraisalResult
    entries: dict[str, AppraisalEntry]
    adjustments: list[AppraisalAdjustment]
    units_ranked: int
    unrated: str | None  # why the unit is not rated

    @property
    def indicators(self) -> list[dict]:
        return self.result.indicators

    @property
    def vetoes(self) -> list[dict]:
        return self.result.vetoes


def unit_result(session: Session, appraisal: AppraisalRound, unit: OrgNode) -> UnitResult | None:
    """One unit's result in the round (both loaded through authz), its manual values and adjustments; None when the
    unit is not in the round."""
    result = session.scalar(select(AppraisalResult).where(AppraisalResult.round_id == appraisal.id,
                                                          AppraisalResult.unit_id == unit.id))
    if result is None:
        return None
    entries = {e.indicator_key: e for e in session.scalars(select(AppraisalEntry).where(
        AppraisalEntry.round_id == appraisal.id, AppraisalEntry.unit_id == unit.id))}
    adjustments = list(session.scalars(select(AppraisalAdjustment).where(
        AppraisalAdjustment.round_id == appraisal.id, AppraisalAdjustment.unit_id == unit.id)
        .order_by(AppraisalAdjustment.id)))
    ranked = session.scalar(select(func.count()).select_from(AppraisalResult).where(
        AppraisalResult.round_id == appraisal.id, AppraisalResult.rank.is_not(None)))
    return UnitResult(result, entries, adjustments, ranked or 0, unrated_note(appraisal.scheme.data, result))


# The results as a spreadsheet ---------------------------------------------------------------------------------


def results_export(session: Session, actor: User, appraisal: AppraisalRound) -> Export:
    """Every result the reader sees, with each indicator's value and score, in rank order."""
    scheme = appraisal.scheme.data
    results = list(session.scalars(results_query(actor, appraisal)))
    with force_locale("zh"):
        columns = [Column("名次", 6, "number"), Column("单位", 30), Column("代码", 12), Column("所属区县", 14),
                   Column("总分", 8, "decimal"), Column("等次", 10), Column("一票否决", 24), Column("说明", 30),
                   Column("指标得分", 10, "decimal"), Column("加减分", 8, "decimal")]
        for indicator in scheme["indicators"]:
            measure = label(APPRAISAL_MEASURE_LABELS, measure_of(indicator["source"]))
            columns += [Column(f"{indicator['title']}（{measure}）", 14, "decimal"),
                        Column(f"{indicator['title']}得分", 12, "decimal")]
        rows = list(_result_rows(scheme, results))
    filters = [("考核", appraisal.title), ("方案", f"{appraisal.scheme.title}（第 {appraisal.scheme.version} 版）"),
               ("数据截至", appraisal.as_of.isoformat() if appraisal.as_of else ""),
               ("状态", "已审定" if appraisal.is_approved else "待审定")]
    return Export.table(f"appraisal-{appraisal.year}", appraisal.title, columns, rows, filters)


def _result_rows(scheme: dict, results: list[AppraisalResult]) -> Iterator[list]:
    for result in results:
        unit = result.unit
        vetoes = "；".join(v["title"] for v in result.vetoes if v["triggered"])
        row = [result.rank, unit.name, unit.code, district_name(unit.parent, short=True, chinese=True),
               result.score, label(APPRAISAL_BAND_LABELS, result.band) if result.band else "不评定", vetoes,
               unrated_note(scheme, result) or "",
               result.computed_score, result.adjustment or None]
        for indicator in result.indicators:
            row += [indicator["value"], indicator["score"]]
        yield row
