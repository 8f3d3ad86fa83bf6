"""Accounts: logging in (login.py), making and changing them (management.py), who may do what to whose account
(duties.py), password hashing and rules (passwords.py), server-side sessions and the security settings."""

from . import duties, passwords, security_settings, sessions
from .duties import AccountAction, NotPermitted
from .login import LoginOutcome, authenticate, clear_lockout, find_user, record_logout
from .management import (
    ACCOUNT_SORTS,
    account_list,
    assign_rights,
    change_password,
    check_new_password,
    create_user,
    generate_temporary_password,
    reset_password,
    set_language,
    set_user_active,
    unlock,
    update_profile,
)

__all__ = [
    "ACCOUNT_SORTS", "AccountAction", "LoginOutcome", "NotPermitted", "account_list", "assign_rights",
    "authenticate", "change_password", "check_new_password", "clear_lockout", "create_user", "duties",
    "find_user", "generate_temporary_password", "passwords", "record_logout", "reset_password",
    "security_settings", "sessions", "set_language", "set_user_active", "unlock", "update_profile",
]
