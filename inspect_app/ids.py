"""Ids from URLs and forms: a number that does not fit a database id is no id at all.

SQLite refuses integers past 2^63 and PostgreSQL's integer columns stop at 2^31 − 1; an id beyond that
must read as "not found", never reach the database as an overflow.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """The URL map's `int`: 404 for numbers no row can have."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(value: object) -> int | None:
    """`value` as an id, or None when it is not a whole number from 1 to MAX_ID."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None
