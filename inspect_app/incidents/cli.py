"""Incidents on the command line: `incidents remind`, the daily reminders now (the queue worker sends them every
day with the tickets')."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import incidents


@click.group("incidents", cls=AppGroup)
def incidents_group() -> None:
    """Incidents (泄密事件) and their cases."""


@incidents_group.command("remind")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as if today were this date (default: today, local time).")
def remind(on) -> None:
    """Remind of reports not received 24 hours after an incident was found, and of cases open past their target.

    Safe to run more than once a day: each case is reminded at most once a day.
    """
    today = on.date() if on else None
    report = incidents.send_reminders(db.session, today=today)
    click.echo(f"reminded: {len(report.overdue_reports)} overdue reports, {len(report.past_target)} cases past "
               f"their target")


commands = [incidents_group]
