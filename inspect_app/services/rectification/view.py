"""One ticket as its page shows it to one reader (its timeline, files, extensions, the earlier ticket it repeats,
which side the reader is on and what its state refuses), and one notice with its tickets."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import authz
from ...models import (
    Attachment,
    AttachmentKind,
    ExtensionRequest,
    ExtensionStatus,
    Notice,
    Ticket,
    TicketEvent,
    User,
)
from ...models.rectification import FINISHED
from .rules import is_unit_officer, is_verifier, may_comment, refusal

TICKET_ACTIONS = ("respond", "extension", "accept", "recheck", "cancel")


@dataclass
class TicketView:
    ticket: Ticket
    events: list[TicketEvent]
    files: dict[int | None, list[Attachment]]  # the evidence by the event it was sent with; None: the unit's draft
    photos: list[Attachment]  # the finding's photos from the inspection
    extensions: list[ExtensionRequest]
    earlier: Ticket | None  # the ticket of the finding this one repeats, when the reader may see it
    side: dict[str, bool]  # officer (answers it), verifier (verifies it), comment (may write on it)
    refusals: dict[str, str | None]  # why the ticket's state refuses each action; None where it allows it

    @property
    def draft_files(self) -> list[Attachment]:
        return self.files.get(None, [])

    @property
    def pending(self) -> ExtensionRequest | None:
        return next((e for e in self.extensions if e.status == ExtensionStatus.PENDING), None)


def ticket_view(session: Session, user: User, ticket: Ticket) -> TicketView:
    """What `user` is shown of `ticket`, which the caller loaded through authz."""
    events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                             .order_by(TicketEvent.at, TicketEvent.id))
    files: dict[int | None, list[Attachment]] = {}
    for attachment in session.scalars(select(Attachment).where(
            Attachment.ticket_id == ticket.id, Attachment.removed_at.is_(None)).order_by(Attachment.id)):
        files.setdefault(attachment.ticket_event_id, []).append(attachment)
    photos = [] if ticket.inspection_id is None else session.scalars(select(Attachment).where(
        Attachment.inspection_id == ticket.inspection_id, Attachment.item_id == ticket.finding.item_id,
        Attachment.kind == AttachmentKind.PHOTO, Attachment.removed_at.is_(None)).order_by(Attachment.id))
    extensions = session.scalars(select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id)
                                 .order_by(ExtensionRequest.id))
    earlier = None
    if ticket.finding.repeat_of_id:
        earlier = session.scalar(authz.scoped(select(Ticket), Ticket, user)
                                 .where(Ticket.finding_id == ticket.finding.repeat_of_id))
    return TicketView(
        ticket=ticket, events=list(events), files=files, photos=list(photos), extensions=list(extensions),
        earlier=earlier,
        side={"officer": is_unit_officer(user, ticket), "verifier": is_verifier(user, ticket),
              "comment": may_comment(user, ticket)},
        refusals={action: refusal(action, ticket.status) for action in TICKET_ACTIONS},
    )


def shows_file(user: User, ticket: Ticket, attachment: Attachment) -> bool:
    """Whether the ticket's page serves `attachment` (loaded through authz) to `user`: the ticket's evidence, a
    draft's only to the unit's officer until it is sent, and the finding's photos from the inspection."""
    if attachment.removed_at is not None:
        return False
    if attachment.kind == AttachmentKind.EVIDENCE and attachment.ticket_id == ticket.id:
        return attachment.ticket_event_id is not None or is_unit_officer(user, ticket)
    return (attachment.kind == AttachmentKind.PHOTO and ticket.inspection_id is not None
            and attachment.inspection_id == ticket.inspection_id and attachment.item_id == ticket.finding.item_id)


@dataclass
class NoticeView:
    notice: Notice
    tickets: list[Ticket]
    finished: int  # accepted or cancelled


def notice_view(session: Session, notice: Notice) -> NoticeView:
    """A notice with its tickets, for whoever the caller loaded it for through authz."""
    tickets = session.scalars(select(Ticket).where(Ticket.notice_id == notice.id).order_by(Ticket.id))
    finished = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.notice_id == notice.id, Ticket.status.in_(FINISHED)))
    return NoticeView(notice=notice, tickets=list(tickets), finished=finished)
