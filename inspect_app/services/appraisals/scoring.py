"""A unit's result from its readings, by its scheme: each indicator's score out of 100, the weights shared among the
indicators that could be computed, the veto items, the bureau's adjustments, the band; and the ranks of a round.

What cannot be computed. An indicator is *not available* for a unit when the unit has no data for it (unless the
scheme says `when_missing: zero`, which scores it 0), or, for a manual indicator, while the bureau has not entered
the unit's value. It is left out of that unit's total and its weight is shared among the unit's other indicators in
proportion to theirs: the total is the weighted mean of the indicators available. A unit with none available, or
with those available carrying less than the scheme's `min_weight` (percent of the total weight), has no total, no
band and no rank: it is not rated on too little of the scheme (a triggered veto item still makes it 不合格).

The total is rounded to one decimal, half up, before the adjustments are added; the result stays within 0–100. A
triggered veto item makes the band 不合格 (unqualified) whatever the total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from . import sources

OK, NO_DATA, NOT_ENTERED = "ok", "no_data", "not_entered"
# Why a unit has no total (labels.APPRAISAL_NOTES).
NOTHING_COMPUTABLE, TOO_LITTLE_WEIGHT = "nothing_computable", "too_little_weight"


@dataclass
class Reading:
    """One indicator or veto item of one unit, as read: its state, value, records, note (and a manual value's
    reason and author)."""

    state: str
    value: float | None = None
    records: list[dict] = field(default_factory=list)
    note: str | None = None
    reason: str | None = None
    entered_by: str | None = None


@dataclass
class Outcome:
    indicators: list[dict]
    vetoes: list[dict]
    computed_score: float | None
    adjustment: float
    score: float | None
    band: str | None
    vetoed: bool


def half_up(value: float, places: int = 1) -> float:
    return float(Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def indicator_score(indicator: dict, value: float) -> float:
    """The indicator's score out of 100: a score or share as it is (within 0–100); a count or points off, `deduct`
    points from 100 for each (a negative gap takes nothing off)."""
    deduct = indicator.get("deduct")
    if deduct:
        return max(0.0, 100 - deduct * max(0.0, value))
    return min(100.0, max(0.0, value))


def measure_of(source_name: str) -> str:
    found = sources.source(source_name)
    return found.unit if found is not None else "score"


def _scored(indicator: dict, reading: Reading) -> dict:
    counted = reading.state == OK or (reading.state == NO_DATA and indicator.get("when_missing") == "zero")
    score = None
    if counted:
        score = indicator_score(indicator, reading.value) if reading.state == OK else 0.0
    return {
        "key": indicator["key"], "title": indicator["title"], "title_en": indicator["title_en"],
        "source": indicator["source"], "weight": indicator["weight"], "deduct": indicator.get("deduct"),
        "measure": measure_of(indicator["source"]), "state": reading.state, "counted": counted,
        "value": reading.value, "score": None if score is None else half_up(score), "share": None, "points": None,
        "note": reading.note, "records": reading.records, "reason": reading.reason, "entered_by": reading.entered_by,
    }


def unit_outcome(scheme: dict, readings: dict[str, Reading], vetoes: dict[str, Reading],
                 adjustment: float = 0.0) -> Outcome:
    """One unit's result from its readings (by indicator and veto key) and the sum of its adjustments."""
    indicators = [_scored(i, readings[i["key"]]) for i in scheme["indicators"]]
    counted = [i for i in indicators if i["counted"]]
    weight = sum(i["weight"] for i in counted)
    computed = None
    if unrated_because(scheme, indicators) is None:
        for i in counted:
            i["share"] = half_up(i["weight"] * 100 / weight)
            i["points"] = half_up(i["score"] * i["weight"] / weight, 2)
        computed = half_up(sum(i["score"] * i["weight"] for i in counted) / weight)
    checks = [{"key": v["key"], "title": v["title"], "title_en": v["title_en"], "source": v["source"],
               "state": vetoes[v["key"]].state, "value": vetoes[v["key"]].value,
               "triggered": vetoes[v["key"]].state == OK and (vetoes[v["key"]].value or 0) > 0,
               "records": vetoes[v["key"]].records} for v in scheme.get("vetoes", [])]
    vetoed = any(c["triggered"] for c in checks)
    score = None if computed is None else half_up(min(100.0, max(0.0, computed + adjustment)))
    return Outcome(indicators, checks, computed, half_up(adjustment), score, band_of(scheme, score, vetoed), vetoed)


def unrated_because(scheme: dict, indicators: list[dict]) -> str | None:
    """Why a unit with these scored indicators has no total (NOTHING_COMPUTABLE, TOO_LITTLE_WEIGHT), or None when
    it has one. A scheme stored before `min_weight` existed has none."""
    weight = sum(i["weight"] for i in indicators if i["counted"])
    if not weight:
        return NOTHING_COMPUTABLE
    if weight * 100 < scheme.get("min_weight", 0) * sum(i["weight"] for i in scheme["indicators"]):
        return TOO_LITTLE_WEIGHT
    return None


def band_of(scheme: dict, score: float | None, vetoed: bool) -> str | None:
    if vetoed:
        return "unqualified"
    if score is None:
        return None
    return next(b["key"] for b in scheme["bands"] if score >= b["min"])


def ranks(outcomes: Iterable[tuple[int, float | None, bool]]) -> dict[int, int]:
    """Places (1 first) by total, highest first, the units a veto made unqualified after all others; equal totals
    share a place and the next place is skipped (1, 2, 2, 4). A unit without a total has no place."""
    ordered = sorted(((vetoed, -score, unit_id) for unit_id, score, vetoed in outcomes if score is not None))
    places: dict[int, int] = {}
    previous, place = None, 0
    for position, (vetoed, negative, unit_id) in enumerate(ordered, start=1):
        if (vetoed, negative) != previous:
            place, previous = position, (vetoed, negative)
        places[unit_id] = place
    return places

