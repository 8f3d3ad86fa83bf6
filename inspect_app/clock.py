"""Dates as the bureau sees them. Timestamps are stored in UTC; due dates and "today" are local."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Shanghai"

# The days a filter may name. The ends of the calendar (0001-01-01, 9999-12-31) cannot be moved to UTC or
# given a next day, and no record falls outside these anyway.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


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


def utc_start(day: date) -> datetime:
    """Local midnight of `day`, as the naive UTC timestamps are stored in."""
    return utc_at(day, time.min)


def parse_day(value: str | None) -> date | None:
    """A date from a query string (YYYY-MM-DD): None when empty or malformed, else within FIRST_DAY…LAST_DAY."""
    try:
        day = date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    return min(max(day, FIRST_DAY), LAST_DAY)
