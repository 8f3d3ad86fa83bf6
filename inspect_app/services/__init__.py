"""The domain: plain functions taking a database session and an actor; no request objects.

A service loads nothing on the caller's behalf that the caller could not see (routes load through
authz), checks the rules of the domain, writes inside one transaction and records the audit trail.

An area with several rooms is a package named as its blueprint is (accounts, checklists, dashboard, demo,
inspections, rectification): its __init__ says what lives in which module and re-exports what callers use, so a
route writes `from ..services import rectification` and calls `rectification.accept(...)`. An area that fits in
one module is one module (audit, backup, notifications, org, units), as are the parts several areas share
(attachments, classified, spreadsheets).
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the action. The message is shown to the user as it is."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The rules give this action to someone else (the lead, a team member): the message says whom."""

    status_code = 403


class Conflict(DomainError):
    """The object changed since the user loaded it (stale form, concurrent edit, replay with other content)."""

    status_code = 409


# Every flush keeps the leadership figures' rollups true, whichever service writes (services/analytics).
from .analytics import upkeep as _rollup_upkeep  # noqa: E402, F401
