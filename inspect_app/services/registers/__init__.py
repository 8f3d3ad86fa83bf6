"""Registers (台账): the six registers as data (kinds.py), keeping them by hand (entries.py) and by spreadsheet
(imports.py), the rules that run on them (rules.py), what the pages and leaders see (standings.py), and sampling
them on site with an inspection (sampling.py)."""

from .entries import MAX_QUERY_LENGTH, check_keeper, create_entry, entries_query, remove_entry, sizes, update_entry
from .imports import MAX_IMPORT_ROWS, ImportReport, export, file_digest, import_entries
from .kinds import REGISTERS, Field, Register, shown
from .rules import RULES, Rule, RuleWarning, breaking, flags, remind, rules_of, warnings
from .sampling import (
    MAX_POPULATION,
    MAX_SEED,
    NOTE_LIMIT,
    CheckInput,
    InspectionRegisters,
    SampleInput,
    SampleState,
    draw,
    inspection_registers,
    sample_state,
    sample_states,
    save_sample,
)
from .standings import UnitRegisters, UnitRow, district_rows, unit_registers, unit_rows, units_query

__all__ = [
    "MAX_IMPORT_ROWS", "MAX_POPULATION", "MAX_QUERY_LENGTH", "MAX_SEED", "NOTE_LIMIT", "REGISTERS", "RULES",
    "CheckInput", "Field", "ImportReport", "InspectionRegisters", "Register", "Rule", "RuleWarning", "SampleInput",
    "SampleState", "UnitRegisters", "UnitRow", "breaking", "check_keeper", "create_entry", "district_rows", "draw",
    "entries_query", "export", "file_digest", "flags", "import_entries", "inspection_registers", "remind",
    "remove_entry", "rules_of", "sample_state", "sample_states", "save_sample", "shown", "sizes", "unit_registers",
    "unit_rows", "units_query", "update_entry", "warnings",
]
