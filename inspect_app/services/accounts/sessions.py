"""Server-side login sessions: started at login, ended by logout, deactivation, idleness or age."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from ...database import transaction
from ...models import User, UserSession, utcnow
from .. import audit
from . import security_settings

# last_seen_at is written at most this often, so a busy page does not write on every request.
TOUCH_INTERVAL = timedelta(seconds=60)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, *, ip: str | None, user_agent: str | None) -> str:
    """A new session for `user`; returns the token for the cookie (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    with transaction(session):
        session.add(UserSession(token_hash=_digest(token), user_id=user.id, ip=ip, user_agent=(user_agent or "")[:255]))
    return token


def _idle_floor() -> timedelta:
    """A time idle that no setting in force can end a session within: the least the secadmin may set, or the
    configured default if that is less."""
    least = min(security_settings.minimum("SESSION_IDLE_MINUTES"), int(current_app.config["SESSION_IDLE_MINUTES"]))
    return timedelta(minutes=least)


def _expiry_reason(session: Session, us: UserSession) -> str | None:
    now = utcnow()
    if now - us.created_at > timedelta(hours=current_app.config["SESSION_MAX_HOURS"]):
        return "expired"
    idle = now - us.last_seen_at
    # Most requests come within minutes of the last: those need not read the setting.
    if idle > _idle_floor() and idle > timedelta(minutes=security_settings.value(session, "SESSION_IDLE_MINUTES")):
        return "idle"
    if not us.user.active:
        return "deactivated"
    return None


def load_session(session: Session, token: str | None) -> UserSession | None:
    """The live session the token names, or None; a session found expired is ended on the spot."""
    if not token:
        return None
    # The user and their org node come along: every page shows them, so one query instead of three.
    us = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token))
                        .options(joinedload(UserSession.user).joinedload(User.org_node)))
    if us is None or us.revoked_at is not None:
        return None
    reason = _expiry_reason(session, us)
    if reason:
        end_session(session, us, reason)
        return None
    if utcnow() - us.last_seen_at > TOUCH_INTERVAL:
        with transaction(session):
            us.last_seen_at = utcnow()
    return us


def end_session(session: Session, us: UserSession, reason: str) -> None:
    with transaction(session):
        if us.revoked_at is None:
            us.revoked_at, us.revoked_reason = utcnow(), reason
            if reason != "logout":
                audit.record(session, us.user, "auth.session_ended", us.user, details={"reason": reason})


def end_user_sessions(session: Session, user: User, reason: str) -> int:
    """End every live session of `user` (deactivation, password reset). Call inside a transaction."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return result.rowcount
