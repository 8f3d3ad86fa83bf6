"""Registers on the command line: `registers remind` tells officers of their registers' warnings now (the queue
worker does every day with the tickets' reminders)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .. import clock
from ..extensions import db
from ..services import registers


@click.group("registers", cls=AppGroup)
def registers_group() -> None:
    """Registers (台账)."""


@registers_group.command("remind")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as if today were this date (default: today, local time).")
def remind(on) -> None:
    """Notify each unit's officers of the rules its registers break. Safe to run more than once a day: a unit is
    told at most once a day."""
    told = registers.remind(db.session, on.date() if on else clock.local_today())
    click.echo(f"told the officers of {told} units")


commands = [registers_group]
