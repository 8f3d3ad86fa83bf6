"""`flask --app wsgi analytics rebuild`: the rollups recomputed from the records."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import analytics


@click.group("analytics", cls=AppGroup)
def analytics_group() -> None:
    """The leadership figures' rollups."""


@analytics_group.command("rebuild")
def rebuild() -> None:
    """Recompute every rollup from the records (after an upgrade, a restore or a bulk load)."""
    started = time.perf_counter()
    counts = analytics.rebuild_all(db.session)
    rows = ", ".join(f"{table} {n:,}" for table, n in sorted(counts.items())) or "no records"
    click.echo(f"rollups rebuilt in {time.perf_counter() - started:.1f} s: {rows}")


commands = [analytics_group]
