"""API tokens: how a machine client (a technical inspection kit, a monitoring platform, another office system)
authenticates on /api/v1, what it may do and where.

Each token is issued to one named client and acts through that client's own account (role `client`), attached
to the org node of the token's scope: the account is the actor of everything the token does, in the audit trail
and on the records, and `authz` scopes it as it scopes a person. Only the SHA-256 of the token is stored.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .org import OrgNode, User


class TokenPermission(StrEnum):
    """What a token may be given; authz.TOKEN_PERMISSIONS says which actions each one grants."""

    FIGURES_READ = "figures.read"  # the dashboard's figures for a period, the units
    INSPECTIONS_READ = "inspections.read"  # inspections, their findings and notices, the units
    INSPECTIONS_PLAN = "inspections.plan"  # plan inspections (the annual plan from another system)
    SCANS_IMPORT = "scans.import"  # push technical inspection results into an inspection
    TICKETS_READ = "tickets.read"  # rectification tickets and their timelines
    TICKETS_RESPOND = "tickets.respond"  # answer a unit's tickets (a token scoped to that unit)


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(48), unique=True)
    # The client's account: role `client`, its org node the token's scope.
    account_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    # The token's first characters after its marker, to find it by and to show it by; the rest is secret.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    permissions_json: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the command line
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_ip: Mapped[str | None] = mapped_column(String(64))

    account: Mapped[User] = relationship(foreign_keys=[account_id], back_populates="api_token")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def permissions(self) -> list[str]:
        return json.loads(self.permissions_json)

    @property
    def scope(self) -> OrgNode:
        return self.account.org_node

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or utcnow())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_usable(self, now: datetime | None = None) -> bool:
        return not self.is_revoked and not self.is_expired(now) and self.account.active
