"""Rectification tickets on the command line: `tickets remind`, the daily reminders now (the queue worker sends
them every day at REMINDER_HOUR)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import rectification


@click.group("tickets", cls=AppGroup)
def tickets_group() -> None:
    """Rectification tickets."""


@tickets_group.command("remind")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as if today were this date (default: today, local time).")
@click.option("--within", type=click.IntRange(0, 30), default=None,
              help="Remind of tickets due within this many days (default 3).")
def remind(on, within) -> None:
    """Notify officers of tickets due soon, and the lead inspector and leaders of overdue ones.

    Safe to run more than once a day: each ticket is reminded at most once a day.
    """
    today: date | None = on.date() if on else None
    report = rectification.send_reminders(db.session, today=today, within_days=within)
    click.echo(f"reminded: {len(report.due_soon)} due soon, {len(report.overdue)} overdue, "
               f"{report.digests} leader digests")


commands = [tickets_group]
