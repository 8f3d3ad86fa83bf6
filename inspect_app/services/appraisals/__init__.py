"""The annual appraisal (保密工作责任制考核): the scheme's file format (scheme.py) and its versions (library.py), the
indicator sources (sources.py) and the readings of what the system holds (readings.py), scoring a unit (scoring.py),
a round's life from creation to approval (rounds.py), what its pages show (view.py) and its 通报 (bulletin.py)."""

from . import bulletin, library, readings, scheme, scoring, sources
from .bulletin import bulletin_data, check_bulletin
from .library import SyncReport, check_against_synced, current_schemes, load_paths, scheme_files, sync_schemes
from .readings import Measured, Period, Record
from .rounds import (
    MAX_ADJUSTMENT,
    REASON_LIMIT,
    ClassifiedReason,
    adjust,
    approve,
    areas_for,
    compute,
    create_round,
    enter_value,
    missing_values,
    remove_adjustment,
    units_of,
    years_for,
)
from .sources import MANUAL, SOURCES, Source
from .view import RoundView, UnitResult, results_export, results_query, round_view, rounds_query, unit_result

__all__ = [
    "MANUAL", "MAX_ADJUSTMENT", "REASON_LIMIT", "SOURCES", "ClassifiedReason", "Measured", "Period", "Record",
    "RoundView", "Source", "SyncReport", "UnitResult", "adjust", "approve", "areas_for", "bulletin", "bulletin_data",
    "check_against_synced", "check_bulletin", "compute", "create_round", "current_schemes", "enter_value", "library",
    "load_paths", "missing_values", "readings", "remove_adjustment", "results_export", "results_query", "round_view",
    "rounds_query", "scheme", "scheme_files", "scoring", "sources", "sync_schemes", "unit_result",
    "units_of", "years_for",
]
