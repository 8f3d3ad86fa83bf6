"""The data model, one module per aggregate. Models know nothing of requests or templates."""

from .appraisal import (
    AppraisalAdjustment,
    AppraisalEntry,
    AppraisalResult,
    AppraisalRound,
    AppraisalScheme,
    RoundStatus,
)
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
    "Answer",
    "AnswerRevision",
    "AppraisalAdjustment",
    "AppraisalEntry",
    "AppraisalResult",
    "AppraisalRound",
    "AppraisalScheme",
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
    "ResponseType",
    "Role",
    "RoundStatus",
    "SecuritySetting",
    "Severity",
    "Signature",
    "TemplateVersion",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "TicketStatus",
    "UnitType",
    "User",
    "UserSession",
    "VersionStatus",
    "utcnow",
]
