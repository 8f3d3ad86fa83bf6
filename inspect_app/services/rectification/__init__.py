"""Rectification (以查促改): the shared rules, reviewing findings, the numbered notice, each finding's ticket
until its fix is verified, the reminders, the ticket and finding lists (lists.py), and one ticket or notice as
its page shows it (view.py)."""

from ...models.rectification import FINISHED
from .notices import awaiting_notice, issue_notice, open_self_tickets, plan_tickets, preview_number
from .reminders import send_reminders
from .review import (
    active_findings,
    drop_finding,
    edit_finding,
    finding_of,
    merge_finding,
    restore_finding,
    review_findings,
)
from .rules import (
    ClassifiedText,
    due_date_for,
    is_review_lead,
    is_unit_officer,
    is_verifier,
    may_comment,
    refusal,
)
from .tickets import (
    Upload,
    accept,
    cancel_ticket,
    comment,
    decide_extension,
    pending_evidence,
    record_recheck,
    remove_evidence,
    request_extension,
    respond,
    return_ticket,
    save_draft,
)
from .view import NoticeView, TicketView, notice_view, shows_file, ticket_view

__all__ = [
    "FINISHED", "ClassifiedText", "NoticeView", "TicketView", "Upload", "accept", "active_findings",
    "awaiting_notice", "cancel_ticket", "comment", "decide_extension", "drop_finding", "due_date_for",
    "edit_finding", "finding_of", "is_review_lead", "is_unit_officer", "is_verifier", "issue_notice", "may_comment",
    "merge_finding", "notice_view", "open_self_tickets", "pending_evidence", "plan_tickets", "preview_number",
    "record_recheck", "refusal", "remove_evidence", "request_extension", "respond", "restore_finding",
    "return_ticket", "review_findings", "save_draft", "send_reminders", "shows_file", "ticket_view",
]
