"""Scoring, after the self-assessment standard (自查自评标准). Pure: no database, no request.

- Each scored item has points. 符合 earns them all, 基本符合 half, 不符合 none; 不适用 leaves the denominator.
- The score is earned / applicable × 100, per section and in total.
- A deduction item subtracts its points per case from the total (a 不符合 answer is one case; a number
  answer is the count of cases). The total never goes below zero.
- A failing veto item makes the result 不符合要求 whatever the score.
- Bands: 90 and above 符合要求, 80–89 基本符合要求, below 80 不符合要求.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

MEETS_FROM = 90.0
BASIC_FROM = 80.0


@dataclass(frozen=True)
class ScoredItem:
    """What scoring needs to know of a checklist item."""

    key: str
    section: str
    points: int
    response: str = "compliance"
    deduction: bool = False
    deduction_points: int = 0
    veto: bool = False


@dataclass
class SectionScore:
    key: str
    earned: float = 0.0
    applicable: int = 0
    total: int = 0
    unanswered: int = 0

    @property
    def score(self) -> float | None:
        return round(self.earned / self.applicable * 100, 1) if self.applicable else None


@dataclass
class Result:
    sections: list[SectionScore]
    earned: float
    applicable: int
    deductions: float
    deduction_cases: dict[str, int] = field(default_factory=dict)
    veto_failed: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)

    @property
    def base_score(self) -> float | None:
        """Before deductions."""
        return self.earned / self.applicable * 100 if self.applicable else None

    @property
    def score(self) -> float | None:
        if self.base_score is None:
            return None
        return round(max(0.0, self.base_score - self.deductions), 1)

    @property
    def veto(self) -> bool:
        return bool(self.veto_failed)

    @property
    def band(self) -> str | None:
        """meets / basic / fails; None when nothing applied and no veto failed."""
        if self.veto:
            return "fails"
        score = self.score
        if score is None:
            return None
        if score >= MEETS_FROM:
            return "meets"
        if score >= BASIC_FROM:
            return "basic"
        return "fails"

    def as_dict(self) -> dict:
        return {
            "score": self.score,
            "band": self.band,
            "earned": self.earned,
            "applicable": self.applicable,
            "deductions": self.deductions,
            "deduction_cases": self.deduction_cases,
            "veto_failed": self.veto_failed,
            "sections": [{**asdict(s), "score": s.score} for s in self.sections],
        }


EARNED_SHARE = {"compliant": 1.0, "partial": 0.5, "noncompliant": 0.0}


def _cases(item: ScoredItem, value: str | None) -> int:
    if value is None:
        return 0
    if item.response == "number":
        try:
            return max(0, int(float(value)))
        except ValueError:
            return 0
    return 1 if value == "noncompliant" else 0


def score(items: Iterable[ScoredItem], answers: Mapping[str, str | None]) -> Result:
    """Score `answers` (item key → answer value) over `items`, in the order the sections appear."""
    sections: dict[str, SectionScore] = {}
    result = Result(sections=[], earned=0.0, applicable=0, deductions=0.0)
    for item in items:
        section = sections.setdefault(item.section, SectionScore(item.section))
        value = answers.get(item.key)
        if item.deduction:
            cases = _cases(item, value)
            if cases:
                result.deduction_cases[item.key] = cases
                result.deductions += cases * item.deduction_points
            continue
        if item.veto:
            if value == "noncompliant":
                result.veto_failed.append(item.key)
            continue
        if item.response != "compliance" or item.points <= 0:
            continue
        section.total += item.points
        if value is None:
            section.unanswered += 1
            result.unanswered.append(item.key)
            continue
        if value == "not_applicable":
            continue
        share = EARNED_SHARE.get(value)
        if share is None:
            continue
        section.applicable += item.points
        section.earned += item.points * share
    result.sections = list(sections.values())
    result.earned = sum(s.earned for s in result.sections)
    result.applicable = sum(s.applicable for s in result.sections)
    return result
