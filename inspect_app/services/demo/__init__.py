"""The demo: a small city and a story with an inspection, a ticket and a case in every state, the units' registers
and the year's appraisal (story.py, incidents.py, `seed-demo`); a city's worth of synthetic inspections for benchmarks
(scale.py, `seed-demo --scale N`)."""

from . import scale
from .scale import ScaleReport, add_scale
from .story import (
    ACCOUNTS,
    ADJUSTMENT,
    CITY_CODE,
    DEMO_PASSWORD,
    DISTRICTS,
    FINDING_TEXTS,
    LEADERSHIP,
    MEASURES,
    PHOTO_ITEMS,
    UNITS,
    login_accounts,
    seed,
    seed_inspections,
    seed_org,
)

__all__ = [
    "ACCOUNTS", "ADJUSTMENT", "CITY_CODE", "DEMO_PASSWORD", "DISTRICTS", "FINDING_TEXTS", "LEADERSHIP", "MEASURES",
    "PHOTO_ITEMS", "UNITS", "ScaleReport", "add_scale", "login_accounts", "scale", "seed", "seed_inspections",
    "seed_org",
]
