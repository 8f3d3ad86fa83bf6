"""The data model, one module per aggregate. Models know nothing of requests or templates."""

from .audit import AuditHead, AuditRecord
from .base import Base, utcnow
from .org import NodeKind, OrgNode, Role, UnitType, User, UserSession

__all__ = [
    "AuditHead",
    "AuditRecord",
    "Base",
    "NodeKind",
    "OrgNode",
    "Role",
    "UnitType",
    "User",
    "UserSession",
    "utcnow",
]
