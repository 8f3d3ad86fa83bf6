"""The registry of indicator sources: every name a scheme may give an indicator (`source:`), what its value reads
as, and the one function that computes it (readings.py). The appraisal reads the other areas' records; they need not
know it exists.

`manual` is not a source of data: its values are the ones the bureau enters for each unit, with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import readings
from .readings import Measured, Period

Reading = Callable[[Period], dict[int, Measured]]

MANUAL = "manual"
# How a value reads: a score or share out of 100 (the indicator's score as it is), a count or points off (the scheme
# takes `deduct` points from 100 for each), or a flag for a veto item (any count above 0 vetoes).
READS = ("percent", "count", "points", "flag")


@dataclass(frozen=True)
class Source:
    name: str
    reads: str  # one of READS
    unit: str  # the value's measure, labels.APPRAISAL_MEASURE_LABELS: score | percent | count | cases
    area: str  # the area whose records it reads
    compute: Reading

    @property
    def is_veto(self) -> bool:
        return self.reads == "flag"


SOURCES: dict[str, Source] = {s.name: s for s in [
    Source("inspection.latest_score", "percent", "score", "inspections", readings.latest_score),
    Source("inspection.self_assessment_gap", "points", "score", "inspections", readings.self_assessment_gap),
    Source("inspection.repeat_findings", "count", "count", "inspections", readings.repeat_findings),
    Source("inspection.veto_failed", "flag", "count", "inspections", readings.veto_failed),
    Source("rectification.completion_rate", "percent", "percent", "rectification", readings.completion_rate),
    Source("rectification.on_time_rate", "percent", "percent", "rectification", readings.on_time_rate),
    # 泄密事件、案件: the year's leaks, the incidents reported later than 24 hours after discovery (实施条例第六十一条),
    # and a case determined (认定) to be a leak of state secrets, the veto.
    Source("incidents.count", "count", "cases", "incidents", readings.incident_count),
    Source("incidents.late_reports", "count", "cases", "incidents", readings.late_reports),
    Source("incidents.leak_confirmed", "flag", "cases", "incidents", readings.leak_confirmed),
    # 台账: the share of the unit's cleared staff trained in the year.
    Source("registers.training_coverage", "percent", "percent", "registers", readings.training_coverage),
]}


def source(name: str) -> Source | None:
    return SOURCES.get(name)
