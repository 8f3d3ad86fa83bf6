"""The org tree (city bureau → district bureaus → units) and the people in it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow

if TYPE_CHECKING:
    from .tokens import ApiToken


class NodeKind(StrEnum):
    BUREAU = "bureau"  # 市局
    DISTRICT = "district"  # 区县局
    UNIT = "unit"  # 机关单位


BUREAU_SUFFIX = "国家保密局"

# The child kinds each kind may hold.
CHILD_KINDS: dict[str, tuple[str, ...]] = {
    NodeKind.BUREAU: (NodeKind.DISTRICT, NodeKind.UNIT),
    NodeKind.DISTRICT: (NodeKind.UNIT,),
    NodeKind.UNIT: (),
}


class UnitType(StrEnum):
    PARTY_GOV = "party_gov"  # 党政机关
    JUDICIAL = "judicial"  # 审判、检察机关
    PEOPLE_ORG = "people_org"  # 人民团体、群团组织
    INSTITUTION = "institution"  # 事业单位
    STATE_ENTERPRISE = "state_enterprise"  # 国有企业
    DEFENCE = "defence"  # 军工、科研单位
    OTHER = "other"  # 其他


class OrgNode(db.Model):
    __tablename__ = "org_node"
    __table_args__ = (CheckConstraint("kind IN ('bureau', 'district', 'unit')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # finds the few bureaus among the many units
    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    unit_type: Mapped[str | None] = mapped_column(String(32))
    is_key_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "/1/4/17/": the ids from the root down; a subtree is a prefix match on an index.
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    parent: Mapped[OrgNode | None] = relationship(remote_side=[id])

    @property
    def is_unit(self) -> bool:
        return self.kind == NodeKind.UNIT

    @property
    def place_name(self) -> str:
        """The place a bureau serves: its name without 国家保密局 (东湖区国家保密局 → 东湖区); others as they are."""
        return self.name.removesuffix(BUREAU_SUFFIX) or self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def contains(self, other: OrgNode) -> bool:
        """True when `other` is this node or below it."""
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<OrgNode {self.id} {self.kind} {self.name}>"


class Role(StrEnum):
    ADMIN = "admin"  # 系统管理员
    SECADMIN = "secadmin"  # 安全保密管理员
    AUDITOR = "auditor"  # 安全审计员
    INSPECTOR = "inspector"  # 检查员
    OFFICER = "officer"  # 单位保密员
    LEADER = "leader"  # 局领导
    PENDING = "pending"  # 待授权: an account the admin made, with no rights until the secadmin grants a role
    CLIENT = "client"  # 接口客户端: a machine client's account, made with its API token (models/tokens.py)


# 三员: each held by its own account, made on the command line only; no web action makes or unmakes one.
ADMIN_ROLES = (Role.ADMIN, Role.SECADMIN, Role.AUDITOR)
BUSINESS_ROLES = (Role.INSPECTOR, Role.OFFICER, Role.LEADER)

# The node kinds a role may be attached to.
ROLE_NODE_KINDS: dict[str, tuple[str, ...]] = {
    Role.ADMIN: (NodeKind.BUREAU, NodeKind.DISTRICT),
    Role.SECADMIN: (NodeKind.BUREAU, NodeKind.DISTRICT),
    Role.AUDITOR: (NodeKind.BUREAU, NodeKind.DISTRICT),
    Role.INSPECTOR: (NodeKind.BUREAU, NodeKind.DISTRICT),
    Role.LEADER: (NodeKind.BUREAU, NodeKind.DISTRICT),
    Role.OFFICER: (NodeKind.UNIT,),
    Role.PENDING: (NodeKind.BUREAU, NodeKind.DISTRICT, NodeKind.UNIT),
    Role.CLIENT: (NodeKind.BUREAU, NodeKind.DISTRICT, NodeKind.UNIT),
}


_BUSINESS_LIST = "(" + ", ".join(f"'{r}'" for r in BUSINESS_ROLES) + ")"
ROLE_CHECK = "role IN (" + ", ".join(f"'{r}'" for r in Role) + ")"


class User(db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role"),
        CheckConstraint(f"requested_role IS NULL OR requested_role IN {_BUSINESS_LIST}", name="requested_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    # The business role the admin asked for when making a pending account; the secadmin decides.
    requested_role: Mapped[str | None] = mapped_column(String(16))
    org_node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    org_node: Mapped[OrgNode] = relationship()
    api_token: Mapped[ApiToken | None] = relationship(foreign_keys="ApiToken.account_id", back_populates="account")

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > utcnow()

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class UserSession(db.Model):
    """A login. The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()
