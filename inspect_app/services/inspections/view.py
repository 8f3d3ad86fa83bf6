"""One inspection as its pages and the API show it to one reader: the checklist with the answers and the progress,
the photos, what the reader may do, and what came of it (findings, signatures, the notice, the tickets)."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ... import authz
from ...models import (
    Answer,
    Attachment,
    AttachmentKind,
    ChecklistItem,
    Finding,
    Inspection,
    Notice,
    Signature,
    Ticket,
    User,
)
from .answers import Progress, load_answers, load_items, photos_by_item, progress
from .planning import is_lead, is_team_member


class InspectionView:
    """Each part is read when first asked for, so a page pays only for what it shows."""

    def __init__(self, session: Session, user: User, inspection: Inspection):
        self.session, self.user, self.inspection = session, user, inspection

    @cached_property
    def items(self) -> list[ChecklistItem]:
        return load_items(self.session, self.inspection)

    @cached_property
    def answers(self) -> dict[int, Answer]:
        return load_answers(self.session, self.inspection)

    @cached_property
    def progress(self) -> Progress:
        return progress(self.items, self.answers)

    @cached_property
    def photos(self) -> dict[int, list[Attachment]]:
        """The photos still attached, by item id."""
        return photos_by_item(self.session, self.inspection)

    @property
    def is_member(self) -> bool:
        return is_team_member(self.user, self.inspection)

    @property
    def is_lead(self) -> bool:
        return is_lead(self.user, self.inspection)

    @property
    def can_answer(self) -> bool:
        return self.is_member and not self.inspection.is_locked

    @property
    def can_submit(self) -> bool:
        return self.is_lead and not self.inspection.is_locked

    @property
    def show_answers(self) -> bool:
        """A unit's officer (or a machine client on the unit's side) sees the bureau's answers once the inspection
        is locked; their own self-inspection's at any time."""
        return not authz.speaks_for_unit(self.user) or self.inspection.is_self or self.inspection.is_locked

    @cached_property
    def findings(self) -> list[Finding]:
        """Every finding made at submit (dropped and merged ones too), in checklist order."""
        return list(self.session.scalars(select(Finding).where(Finding.inspection_id == self.inspection.id)
                                         .order_by(Finding.position)))

    @cached_property
    def signatures(self) -> dict[str, Signature]:
        return {s.role: s for s in self.session.scalars(
            select(Signature).where(Signature.inspection_id == self.inspection.id))}

    @cached_property
    def notice(self) -> Notice | None:
        return self.session.scalar(select(Notice).where(Notice.inspection_id == self.inspection.id))

    @cached_property
    def tickets(self) -> list[Ticket]:
        return list(self.session.scalars(select(Ticket).where(Ticket.inspection_id == self.inspection.id)
                                         .options(selectinload(Ticket.finding)).order_by(Ticket.id)))


def inspection_view(session: Session, user: User, inspection: Inspection) -> InspectionView:
    """What `user` is shown of `inspection`, which the caller loaded through authz."""
    return InspectionView(session, user, inspection)


def photo_of(session: Session, inspection: Inspection, photo_id: int,
             kind: str | None = AttachmentKind.PHOTO) -> Attachment | None:
    """A photo of this inspection (or an attachment of another kind; None: of any kind) by its id; None for any
    other id."""
    photo = session.get(Attachment, photo_id)
    if photo is None or photo.inspection_id != inspection.id or kind not in (None, photo.kind):
        return None
    return photo
