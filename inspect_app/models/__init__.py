"""The data model, one module per aggregate. Models know nothing of requests or templates."""

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
from .scans import ProposalStatus, ProposedAnswer, Scan, ScanCheck, ScanOutcome, ScanResult
from .settings import SecuritySetting
from .throttle import LoginThrottle
from .tokens import ApiToken, TokenPermission

__all__ = [
    "Answer",
    "AnswerRevision",
    "ApiToken",
    "Attachment",
    "AttachmentKind",
    "AuditHead",
    "AuditRecord",
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
    "FindingStatus",
    "Inspection",
    "InspectionKind",
    "InspectionMember",
    "InspectionStatus",
    "InspectionTemplate",
    "LoginThrottle",
    "NodeKind",
    "Notice",
    "NoticeCounter",
    "Notification",
    "OrgNode",
    "ProposalStatus",
    "ProposedAnswer",
    "ResponseType",
    "Role",
    "Scan",
    "ScanCheck",
    "ScanOutcome",
    "ScanResult",
    "SecuritySetting",
    "Severity",
    "Signature",
    "TemplateVersion",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "TicketStatus",
    "TokenPermission",
    "UnitType",
    "User",
    "UserSession",
    "VersionStatus",
    "utcnow",
]
