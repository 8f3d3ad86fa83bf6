"""Reading an API token off a request: the token's form, finding it by its digest, and the audit record of every
use, and of every refusal of a token that exists (revoked or expired: a client left misconfigured, or a copy in
the wrong hands)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ...database import transaction
from ...models import ApiToken, User, utcnow
from .. import audit

# bmjc_<8 hex: the prefix, shown in lists>_<43 characters: 256 random bits>
MARK = "bmjc"
TOKEN_FORM = re.compile(rf"^{MARK}_([0-9a-f]{{8}})_[A-Za-z0-9_-]{{43}}$")


def new_token() -> tuple[str, str, str]:
    """A new token, its prefix and its digest (what is stored)."""
    prefix = secrets.token_hex(4)
    token = f"{MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenRefused:
    """Why a request's token was not accepted: malformed, unknown, revoked or expired."""

    reason: str


def authenticate(session: Session, presented: str, *, ip: str | None, method: str,
                 path: str) -> ApiToken | TokenRefused:
    """The token a request presents, recorded as used; or why it is refused. A token that exists is audited either
    way; a string that is no token at all is not, so noise cannot flood the trail."""
    if not TOKEN_FORM.fullmatch(presented):
        return TokenRefused("malformed")
    token = session.scalar(select(ApiToken).where(ApiToken.secret_hash == digest(presented))
                           .options(joinedload(ApiToken.account).joinedload(User.org_node)))
    if token is None:
        return TokenRefused("unknown")
    now = utcnow()
    refusal = ("revoked" if token.is_revoked or not token.account.active
               else "expired" if token.is_expired(now) else None)
    details = {"method": method, "path": path[:200], "token": token.prefix}
    with transaction(session):
        if refusal:
            audit.record(session, token.account, "api.token_refused", token, details={**details, "reason": refusal})
            return TokenRefused(refusal)
        token.last_used_at, token.last_used_ip = now, (ip or "")[:64] or None
        audit.record(session, token.account, "api.request", token, details=details)
    return token
