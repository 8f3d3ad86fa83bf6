"""Paging and sorting of lists, read from the query string."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from .extensions import db

# Beyond any list's last page, and small enough that its offset fits the database's integers.
MAX_PAGE = 1_000_000


def page_number(args: Mapping[str, str]) -> int:
    """`?page=` as a page number: 1 when missing or malformed, at most MAX_PAGE."""
    try:
        number = int(args.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def paginate(stmt: Select, per_page: int | None = None, total: int | None = None) -> Pagination:
    """A page of `stmt`; `?page=` picks it. Out-of-range pages are empty rather than errors. A `total` known
    already (a figure the list is behind) spares counting the rows."""
    page = db.paginate(stmt, page=page_number(request.args), per_page=per_page or current_app.config["PER_PAGE"],
                       max_per_page=100, error_out=False, count=total is None)
    if total is not None:
        page.total = total
    return page


def sort_order(args: Mapping[str, str], columns: Mapping, default: str):
    """(key, ORDER BY clause) from `?sort=key` or `?sort=-key` (descending); unknown keys fall back."""
    requested = args.get("sort", default)
    key = requested.lstrip("-")
    if key not in columns:
        requested, key = default, default.lstrip("-")
    column = columns[key]
    return requested, (column.desc() if requested.startswith("-") else column.asc())
