"""API tokens of machine clients: issuing, listing and revoking them (issuing.py), and reading one off a request,
every use audited (use.py)."""

from .issuing import MAX_DAYS, NAME_PATTERN, PERMISSIONS, issue_token, revoke_token, token_list
from .use import TokenRefused, authenticate

__all__ = ["MAX_DAYS", "NAME_PATTERN", "PERMISSIONS", "TokenRefused", "authenticate", "issue_token", "revoke_token",
           "token_list"]
