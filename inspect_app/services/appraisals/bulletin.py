"""考核结果通报: an approved round as an official document (GB/T 9704), from its stored results only, so the 通报 of
a round is one record, one version and one verification code for ever."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ... import clock
from ...formatting import cite_in_document
from ...labels import APPRAISAL_BAND_LABELS, label
from ...models import AppraisalAdjustment, AppraisalResult, AppraisalRound, NodeKind, OrgNode, User
from .. import DomainError
from ..org import district_name
from .scheme import BAND_KEYS
from .scoring import NOTHING_COMPUTABLE, TOO_LITTLE_WEIGHT, unrated_because


def check_bulletin(_actor: User | None, appraisal: AppraisalRound) -> None:
    if not appraisal.is_approved:
        raise DomainError(_("考核结果审定后才能印发通报。"))


def bulletin_data(session: Session, appraisal: AppraisalRound) -> dict:
    """Everything the 通报 shows, as plain values: the scheme in brief, the units by band, the vetoes, the
    adjustments and the ranking."""
    scheme = appraisal.scheme.data
    area = appraisal.area
    results = list(session.scalars(
        select(AppraisalResult).join(OrgNode, AppraisalResult.unit_id == OrgNode.id)
        .where(AppraisalResult.round_id == appraisal.id)
        .options(joinedload(AppraisalResult.unit).joinedload(OrgNode.parent))
        .order_by(AppraisalResult.rank.is_(None), AppraisalResult.rank, OrgNode.path)))
    adjustments = session.execute(
        select(AppraisalAdjustment, OrgNode.name).join(OrgNode, AppraisalAdjustment.unit_id == OrgNode.id)
        .where(AppraisalAdjustment.round_id == appraisal.id).order_by(OrgNode.path, AppraisalAdjustment.id)).all()
    approved_on = clock.local_date(appraisal.approved_at).isoformat() if appraisal.approved_at else None
    return {
        "issuer": area.name,
        "number": appraisal.number,
        "area": area.place_name,
        "year": appraisal.year,
        "city": area.kind == NodeKind.BUREAU,
        "as_of": appraisal.as_of.isoformat() if appraisal.as_of else None,
        "basis": [cite_in_document(b) for b in scheme["basis"]],
        "scheme": _scheme_in_brief(scheme),
        "units": len(results),
        "bands": [{"key": key, "label": label(APPRAISAL_BAND_LABELS, key),
                   "units": [r.unit.name for r in results if r.band == key]} for key in BAND_KEYS],
        # the units not rated, by why: nothing computable, or too little of the scheme's weight
        "unrated": {why: [r.unit.name for r in results
                          if r.band is None and unrated_because(scheme, r.indicators) == why]
                    for why in (NOTHING_COMPUTABLE, TOO_LITTLE_WEIGHT)},
        "vetoed": [{"name": r.unit.name, "reasons": [v["title"] for v in r.vetoes if v["triggered"]]}
                   for r in results if r.vetoed],
        "adjusted": [{"name": name, "points": a.points, "reason": a.reason} for a, name in adjustments],
        "ranking": [{"rank": r.rank, "name": r.unit.name,
                     "district": district_name(r.unit.parent, short=True, chinese=True) if area.kind == NodeKind.BUREAU
                     else "",
                     "score": r.score, "band": label(APPRAISAL_BAND_LABELS, r.band) if r.band else "不评定"}
                    for r in results],
        "date": approved_on,
        "printed_by": f"{area.name}办公室",
    }


def _scheme_in_brief(scheme: dict) -> dict:
    """The indicators with their weights, the share of the weight a unit is rated on at least, the veto items and
    the bands."""
    return {
        "title": scheme["title"],
        "min_weight": f"{scheme.get('min_weight', 0):g}",
        "indicators": [{"title": i["title"], "weight": i["weight"], "description": i.get("description") or ""}
                       for i in scheme["indicators"]],
        "vetoes": [v["title"] for v in scheme.get("vetoes", [])],
        "bands": [{"label": label(APPRAISAL_BAND_LABELS, b["key"]), "min": b["min"]} for b in scheme["bands"]],
    }
