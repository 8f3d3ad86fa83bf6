"""Dates as the bureau sees them. Timestamps are stored in UTC; due dates and "today" are local."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Shanghai"


def timezone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE) if has_app_context() else DEFAULT_TIMEZONE
    return ZoneInfo(name)


def local_today() -> date:
    return datetime.now(timezone()).date()


def local_date(moment: datetime) -> date:
    """The local calendar date of a stored (naive UTC) timestamp."""
    return moment.replace(tzinfo=UTC).astimezone(timezone()).date()


def utc_at(day: date, at: time) -> datetime:
    """The stored (naive UTC) timestamp of local `day` at `at`."""
    return datetime.combine(day, at, tzinfo=timezone()).astimezone(UTC).replace(tzinfo=None)
