"""Failed logins, counted per username and client address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class LoginThrottle(db.Model):
    """The failures of one username from one address. Counted per pair, so a stranger's guesses hold back the
    stranger's address only, never the owner's; counted for unknown usernames too, so that a refusal says
    nothing of whether the account exists. Rows lapse at `window_ends_at` (never before `locked_until`)."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("username", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))  # as typed, lower-cased
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_ends_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
