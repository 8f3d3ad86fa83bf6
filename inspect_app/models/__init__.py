"""The data model, one module per aggregate. Models know nothing of requests or templates."""

from .analytics import AnalyticsState, BacklogRollup, FindingRollup, InspectionRollup, TicketRollup
from .audit import AuditHead, AuditRecord
from .base import Base, utcnow
from .checklist import (
    Category,
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplate,
    Compliance,
    ResponseType,
    Severity,
    TemplateVersion,
    VersionStatus,
)
from .document import Document, DocumentKind
from .finding import Finding, FindingStatus
from .inspection import (
    Answer,
    AnswerRevision,
    Attachment,
    AttachmentKind,
    Band,
    Inspection,
    InspectionKind,
    InspectionMember,
    InspectionStatus,
    InspectionTemplate,
    Signature,
)
from .notification import Notification
from .org import NodeKind, OrgNode, Role, UnitType, User, UserSession
from .rectification import (
    ExtensionRequest,
    ExtensionStatus,
    Notice,
    NoticeCounter,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from .settings import SecuritySetting
from .throttle import LoginThrottle

__all__ = [
    "AnalyticsState",
    "Answer",
    "AnswerRevision",
    "Attachment",
    "AttachmentKind",
    "AuditHead",
    "AuditRecord",
    "BacklogRollup",
    "Band",
    "Base",
    "Category",
    "ChecklistItem",
    "ChecklistSection",
    "ChecklistTemplate",
    "Compliance",
    "Document",
    "DocumentKind",
    "ExtensionRequest",
    "ExtensionStatus",
    "Finding",
    "FindingRollup",
    "FindingStatus",
    "Inspection",
    "InspectionKind",
    "InspectionMember",
    "InspectionRollup",
    "InspectionStatus",
    "InspectionTemplate",
    "LoginThrottle",
    "NodeKind",
    "Notice",
    "NoticeCounter",
    "Notification",
    "OrgNode",
    "ResponseType",
    "Role",
    "SecuritySetting",
    "Severity",
    "Signature",
    "TemplateVersion",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "TicketRollup",
    "TicketStatus",
    "UnitType",
    "User",
    "UserSession",
    "VersionStatus",
    "utcnow",
]
