"""Inspectors filling checklists: each opens its fill page, then autosaves an answer about every second.

Run through benchmarks/load.py, which prepares the database, starts gunicorn on loopback and prints
the figures. The plan (users and their inspections) comes from the file in $BENCH_PLAN.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from locust_common import TabletInspector


class Inspector(TabletInspector):
    pass
