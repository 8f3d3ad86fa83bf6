"""The dashboard as a whole, in a fixed number of aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass

from . import measures, rollups
from .context import Context
from .measures import Breakdown, Comparison, Figures, comparison
from .standings import GapRow, ItemRow, Rankings, gap_rows, most_failed_items, rankings


@dataclass
class Dashboard:
    figures: Figures
    breakdown: Breakdown
    items: list[ItemRow]
    rankings: Rankings
    gaps: list[GapRow]
    gap_total: int
    comparison: Comparison | None


def overview(ctx: Context, with_previous: bool = False) -> tuple[Figures, Breakdown]:
    """The headline figures, the area chart and the trend: from the rollups for a leader's or inspector's view
    once they are built, else from the records (`measures.overview`); the same numbers either way."""
    name = rollups.slice_of(ctx)
    if name is None:
        return measures.overview(ctx, with_previous)
    return rollups.overview(ctx, name, with_previous)


def dashboard(ctx: Context) -> Dashboard:
    """Everything the leadership dashboard shows, in a fixed number of aggregate queries (no N+1)."""
    numbers, parts = overview(ctx, with_previous=ctx.filters.preset != "all")
    gaps, gap_total = gap_rows(ctx, limit=10)
    return Dashboard(
        figures=numbers,
        breakdown=parts,
        items=most_failed_items(ctx),
        rankings=rankings(ctx),
        gaps=gaps,
        gap_total=gap_total,
        comparison=comparison(numbers, parts),
    )
