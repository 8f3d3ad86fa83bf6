"""A scan as the pages and the API show it, the scans of an inspection, and the answers waiting for the
inspector on the fill page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...models import Inspection, ProposalStatus, ProposedAnswer, Scan, ScanResult


@dataclass
class ScanView:
    scan: Scan
    results: list[ScanResult]
    proposals: list[ProposedAnswer]

    @property
    def devices(self) -> dict[str, list[ScanResult]]:
        """The results by device, in the order the tool listed them."""
        by_device: dict[str, list[ScanResult]] = {}
        for result in self.results:
            by_device.setdefault(result.device_id, []).append(result)
        return by_device


def scans_of(session: Session, inspection: Inspection) -> list[Scan]:
    """The inspection's scans, newest first."""
    return list(session.scalars(select(Scan).where(Scan.inspection_id == inspection.id)
                                .options(selectinload(Scan.received_by)).order_by(Scan.id.desc())))


def scan_of(session: Session, inspection: Inspection, scan_id: int) -> Scan | None:
    """A scan of this inspection by its id; None for any other id."""
    scan = session.get(Scan, scan_id)
    return scan if scan is not None and scan.inspection_id == inspection.id else None


def scan_view(session: Session, scan: Scan) -> ScanView:
    results = session.scalars(select(ScanResult).where(ScanResult.scan_id == scan.id)
                              .options(selectinload(ScanResult.item)).order_by(ScanResult.id))
    proposals = session.scalars(select(ProposedAnswer).where(ProposedAnswer.scan_id == scan.id)
                                .options(selectinload(ProposedAnswer.item), selectinload(ProposedAnswer.decided_by))
                                .order_by(ProposedAnswer.id))
    return ScanView(scan=scan, results=list(results), proposals=list(proposals))


def pending_by_item(session: Session, inspection: Inspection) -> dict[int, list[ProposedAnswer]]:
    """The proposals still waiting for a decision, by item id (one query; none for most inspections)."""
    pending: dict[int, list[ProposedAnswer]] = {}
    for proposal in session.scalars(select(ProposedAnswer).where(
            ProposedAnswer.inspection_id == inspection.id, ProposedAnswer.status == ProposalStatus.PENDING)
            .options(selectinload(ProposedAnswer.scan)).order_by(ProposedAnswer.id)):
        pending.setdefault(proposal.item_id, []).append(proposal)
    return pending


def proposal_of(session: Session, inspection: Inspection, proposal_id: int) -> ProposedAnswer | None:
    """A proposal of this inspection by its id; None for any other id."""
    proposal = session.get(ProposedAnswer, proposal_id)
    return proposal if proposal is not None and proposal.inspection_id == inspection.id else None
