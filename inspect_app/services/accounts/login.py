"""Logging in and out: the password check, the lock-out after failed logins (per username and client
address), and clearing it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ...database import dialect_insert, transaction
from ...models import LoginThrottle, User, utcnow
from .. import audit
from . import passwords, security_settings


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    INACTIVE = "inactive"


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def _throttle(session: Session, username: str, address: str, now: datetime) -> LoginThrottle:
    """The pair's counter, locked for this transaction (created first if missing, without racing another)."""
    insert = dialect_insert(session)
    session.execute(insert(LoginThrottle).values(username=username, address=address, failures=0,
                                                 window_ends_at=now).on_conflict_do_nothing())
    return session.execute(
        select(LoginThrottle).where(LoginThrottle.username == username, LoginThrottle.address == address)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def authenticate(session: Session, username: str, password: str, address: str | None
                 ) -> tuple[User | None, LoginOutcome]:
    """Check a login attempt. Failures count per username and client address, known or not: after
    LOGIN_MAX_FAILURES within LOGIN_LOCK_MINUTES that address may not try that username for LOGIN_LOCK_MINUTES,
    while the owner elsewhere still logs in, and an unknown username is refused exactly like a real one.

    `User.locked_until` is when the last of an account's address locks ends: clearing it (a password reset, an
    unlock) lifts them all. `User.failed_logins` counts the account's failures since its last login.
    """
    user = find_user(session, username)
    max_failures, lock_minutes = (security_settings.value(session, "LOGIN_MAX_FAILURES"),
                                  security_settings.value(session, "LOGIN_LOCK_MINUTES"))
    typed = username.strip()[:64]  # for the audit trail, as typed; the count ignores case
    key, address = typed.lower(), (address or "")[:64]
    # The slow hash runs before the write lock is taken, so logins do not queue behind each other.
    password_ok = passwords.verify_password(user.password_hash if user else passwords.dummy_hash(), password)
    now = utcnow()
    window = timedelta(minutes=lock_minutes)
    with transaction(session):
        session.execute(delete(LoginThrottle).where(LoginThrottle.window_ends_at <= now))
        throttle = _throttle(session, key, address, now)
        if user is not None:
            session.refresh(user)  # the counters as they are now, under the lock
        account_locked = user is None or (user.locked_until is not None and user.locked_until > now)
        if throttle.locked_until and throttle.locked_until > now and account_locked:
            audit.record(session, user, "auth.login_refused", user, actor_name=typed,
                         details={"reason": "locked"})
            return user, LoginOutcome.LOCKED
        if user is None or not password_ok:
            if throttle.window_ends_at <= now or throttle.locked_until:
                throttle.failures, throttle.locked_until, throttle.window_ends_at = 0, None, now + window
            throttle.failures += 1
            if user is not None:
                user.failed_logins += 1
            if throttle.failures >= max_failures:
                throttle.locked_until = throttle.window_ends_at = now + window
                if user is not None:
                    user.locked_until = max(user.locked_until or now, throttle.locked_until)
                audit.record(session, user, "auth.lockout", user, actor_name=typed,
                             details={"minutes": lock_minutes})
                return user, LoginOutcome.LOCKED
            details = {"reason": "unknown_user"} if user is None else {"failures": user.failed_logins}
            audit.record(session, user, "auth.login_failed", user, actor_name=typed, details=details)
            return user, LoginOutcome.BAD_CREDENTIALS
        if not user.active:
            audit.record(session, user, "auth.login_refused", user, details={"reason": "inactive"})
            return user, LoginOutcome.INACTIVE
        session.delete(throttle)
        user.failed_logins = 0
        user.last_login_at = now
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        audit.record(session, user, "auth.login", user)
    return user, LoginOutcome.OK


def record_logout(session: Session, user: User) -> None:
    with transaction(session):
        audit.record(session, user, "auth.logout", user)


def clear_lockout(session: Session, user: User) -> None:
    """Let the account be tried again from every address. Call inside `transaction()`."""
    user.failed_logins = 0
    user.locked_until = None
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == user.username.lower()))
