"""Official documents: what each one shows, its record version and verification code, the rendered PDF kept
on disk by its hash, inline or worker rendering, and verification.

A document's data is plain JSON values built from the record (`*_data` below). Its SHA-256 is the record
version; the verification code is derived from (kind, record, version), so the same content always gets
the same code, and any change to what the document shows gets a new one. One Document row stands for
one version and is rendered once: the PDF is kept under the instance folder by its own SHA-256, and a
second request for the same version is a file read. The codes of older versions stay valid for lookup
and read as superseded.

Documents are in Chinese whatever the reader's language: labels are resolved under the zh locale.

Adding a kind is a template in inspect_app/pdf/templates and one `Kind` entry with its data function here;
the period summary (保密检查情况通报, services/summary.py) is one whose record is its parameters.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import pdf
from ..clock import local_date
from ..database import transaction
from ..formatting import cite_in_document
from ..labels import (
    BAND_LABELS,
    COMPLIANCE_LABELS,
    DOCUMENT_KIND_LABELS,
    INSPECTION_KIND_LABELS,
    SEVERITY_LABELS,
    label,
)
from ..models import (
    Attachment,
    AttachmentKind,
    Compliance,
    Document,
    DocumentKind,
    Finding,
    FindingStatus,
    Inspection,
    InspectionStatus,
    NodeKind,
    Notice,
    OrgNode,
    ResponseType,
    Role,
    Signature,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    User,
)
from ..pdf import summary_charts, worker
from . import DomainError, attachments, audit, inspections, summary

# Defaults; each may be overridden in the app config (instance/config.py).
WORKER_PAGES = 30  # documents estimated at this many pages or more render in the worker process
WORKER_TIMEOUT = 120  # seconds
WORKER_MEMORY_MB = 1536  # RLIMIT_AS of the worker process
DOCUMENT_ROLES = (Role.INSPECTOR, Role.LEADER, Role.OFFICER)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U to misread
_CODE_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE_URL = re.compile(r"[?&]code=([0-9A-Za-z-]+)")


# Codes and versions ------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def record_version(kind: str, data: dict) -> str:
    """SHA-256 over what the document shows and how it is laid out (templates, stylesheet, faces): any change
    of content, or a fix to the layout, is a new version with a new code, rendered afresh."""
    return hashlib.sha256(canonical_json({"kind": kind, "data": data, "layout": pdf.layout_version()})
                          .encode()).hexdigest()


def verification_code(kind: str, subject: str, version: str) -> str:
    """16 characters of Crockford base 32 (80 bits) of a hash over the kind, the record and its version."""
    digest = hashlib.sha256(f"{kind}\n{subject}\n{version}".encode()).digest()
    number = int.from_bytes(digest[:10], "big")
    chars = "".join(CODE_ALPHABET[(number >> shift) & 31] for shift in range(75, -1, -5))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def normalise_code(text: str | None) -> str | None:
    """A code as typed or scanned: any case, spaces or hyphens, O for 0, I or L for 1, or the verify URL
    the QR code holds. None when it cannot be a code."""
    if not text:
        return None
    text = text.strip()[:500]
    match = _CODE_URL.search(text)
    if match:
        text = match.group(1)
    chars = re.sub(r"[\s\-‐‑–—_.]", "", text).upper().translate(_CODE_FIXES)
    if len(chars) != 16 or any(c not in CODE_ALPHABET for c in chars):
        return None
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


# Small helpers for the data functions --------------------------------------------------------------


def _zh(mapping: dict, key) -> str:
    return label(mapping, key)


def _date(moment: datetime | None) -> str | None:
    return local_date(moment).isoformat() if moment else None


def _inspection_date(inspection: Inspection) -> str:
    return _date(inspection.started_at) or inspection.scheduled_on.isoformat()


def _severity_parts(severities: Iterable[str]) -> list[str]:
    severities = list(severities)
    return [f"{_zh(SEVERITY_LABELS, s)}{severities.count(s)}个"
            for s in ("critical", "serious", "general") if severities.count(s)]


def _finding(finding: Finding) -> dict:
    return {
        "item_key": finding.item_key, "item_text": finding.item_text, "severity": finding.severity,
        "severity_label": _zh(SEVERITY_LABELS, finding.severity),
        "compliance_label": _zh(COMPLIANCE_LABELS, finding.compliance), "description": finding.description,
        "basis": [cite_in_document(b) for b in finding.basis], "repeat": bool(finding.is_repeat),
    }


def _active_findings(session: Session, inspection: Inspection) -> list[Finding]:
    return list(session.scalars(select(Finding).where(Finding.inspection_id == inspection.id,
                                                      Finding.status == FindingStatus.ACTIVE)
                                .order_by(Finding.position, Finding.id)))


def _answer_label(item, answer) -> tuple[str, str | None]:
    """What the annex prints for an answer: the result, and a note."""
    if answer is None or answer.value in (None, ""):
        return "未作答", None
    if item.response == ResponseType.COMPLIANCE:
        note = {Compliance.NOT_APPLICABLE: answer.na_reason,
                Compliance.NONCOMPLIANT: answer.finding_text,
                Compliance.PARTIAL: answer.finding_text}.get(answer.value) or answer.note
        return _zh(COMPLIANCE_LABELS, answer.value), note
    if item.response == ResponseType.NUMBER:
        return f"{answer.value}{item.unit_label or ''}", answer.note
    if item.response == ResponseType.CHOICE:
        choice = next((c for c in item.choices if c["key"] == answer.value), None)
        return (choice["label"] if choice else answer.value), answer.note
    return "已记录", "；".join(t for t in (answer.value, answer.note) if t)


# 检查报告 --------------------------------------------------------------------------------------------


def inspection_report_data(session: Session, inspection: Inspection) -> dict:
    items = inspections.load_items(session, inspection)
    answers = inspections.load_answers(session, inspection)
    photos = inspections.photos_by_item(session, inspection)
    findings = _active_findings(session, inspection)
    counts = {"total": len(items), "compliant": 0, "partial": 0, "noncompliant": 0, "not_applicable": 0, "other": 0}
    annex: list[dict] = []
    section_titles: dict[str, str] = {}
    for item in items:
        answer = answers.get(item.id)
        if item.response == ResponseType.COMPLIANCE and answer is not None and answer.value in counts:
            counts[answer.value] += 1
        else:
            counts["other"] += 1
        version = item.version
        if not annex or annex[-1]["version_id"] != version.id:
            annex.append({"version_id": version.id, "title": version.title, "version": version.version,
                          "sections": []})
        sections = annex[-1]["sections"]
        if not sections or sections[-1]["key"] != item.section.key:
            sections.append({"key": item.section.key, "title": item.section.title, "entries": []})
            section_titles[f"{version.id}:{item.section.key}"] = item.section.title
        text, note = _answer_label(item, answer)
        sections[-1]["entries"].append({
            "key": item.key, "text": item.text, "answer": text, "note": note,
            "failed": bool(answer and answer.value in (Compliance.NONCOMPLIANT, Compliance.PARTIAL))})
    detail = inspection.score_detail or {}
    sections = [{"title": section_titles.get(s["key"], s["key"]), "applicable": s["applicable"],
                 "earned": s["earned"], "score": s["score"]}
                for s in detail.get("sections", []) if s.get("total")]
    signatures = sorted(session.scalars(select(Signature).where(Signature.inspection_id == inspection.id)),
                        key=lambda s: s.role != "lead")
    lead = next((m.user for m in inspection.members if m.is_lead), inspection.lead)
    return {
        "unit": {"name": inspection.unit.name, "code": inspection.unit.code},
        "bureau": inspection.bureau.name,
        "inspection": {"id": inspection.id, "title": inspection.title, "scope": inspection.scope,
                       "kind": inspection.kind, "kind_label": _zh(INSPECTION_KIND_LABELS, inspection.kind),
                       "date": _inspection_date(inspection), "status": inspection.status},
        "team": {"lead": lead.display_name,
                 "members": [m.user.display_name for m in inspection.members if not m.is_lead]},
        "checklists": [{"title": v.title, "version": v.version} for v in inspection.versions],
        "result": {"score": inspection.score, "band": inspection.band,
                   "band_label": _zh(BAND_LABELS, inspection.band) if inspection.band else "未评定",
                   "veto": bool(inspection.veto), "deductions": inspection.deductions or 0, "counts": counts},
        "sections": sections,
        "counts": {"parts": _severity_parts(f.severity for f in findings)},
        "findings": [{**_finding(f), "photos": [p.sha256 for p in photos.get(f.item_id, [])]} for f in findings],
        "signatures": [{"role": s.role, "role_label": "检查组组长" if s.role == "lead" else "被检查单位代表",
                        "name": s.signer_name, "signed_on": _date(s.signed_at),
                        "image": s.attachment.sha256} for s in signatures],
        "annex": [{k: v for k, v in c.items() if k != "version_id"} for c in annex],
        "date": _date(inspection.submitted_at) or _inspection_date(inspection),
    }


def _check_inspection_report(actor: User | None, inspection: Inspection) -> None:
    if inspection.status not in (InspectionStatus.SUBMITTED, InspectionStatus.ISSUED, InspectionStatus.CLOSED):
        raise DomainError(_("检查尚未提交，还不能生成检查报告。"))
    if (actor is not None and actor.role == Role.OFFICER and not inspection.is_self
            and inspection.status == InspectionStatus.SUBMITTED):
        raise DomainError(_("检查报告随整改通知一并下发，下发后即可查看。"))


# 整改通知书 ------------------------------------------------------------------------------------------


def _copies_for(issuer: OrgNode, unit: OrgNode) -> list[str]:
    """抄送: the unit's own district bureau, when another (the city) bureau issued the notice."""
    parent = unit.parent
    if parent is not None and parent.kind == NodeKind.DISTRICT and parent.id != issuer.id:
        return [parent.name]
    return []


def office_of(bureau: OrgNode) -> str:
    """印发机关: the office of the issuing bureau that prints and sends its documents."""
    return f"{bureau.name}办公室"


def _tickets(session: Session, **where) -> list[Ticket]:
    stmt = select(Ticket).join(Finding, Ticket.finding_id == Finding.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Ticket, name) == value)
    return list(session.scalars(stmt.order_by(Finding.position, Ticket.id)))


def notice_data(session: Session, notice: Notice) -> dict:
    """The notice as issued: its findings with the due dates first set (an extension does not rewrite it)."""
    inspection = notice.inspection
    tickets = _tickets(session, notice_id=notice.id)
    findings = [{**_finding(t.finding), "due_on": t.original_due_date.isoformat()} for t in tickets]
    severities = [t.finding.severity for t in tickets]
    return {
        "notice": {"id": notice.id, "number": notice.number, "issued_on": _date(notice.issued_at)},
        "date": _date(notice.issued_at),
        "issuer": notice.bureau.name,
        "unit": {"name": notice.unit.name, "code": notice.unit.code},
        "inspection": {"id": inspection.id, "kind_label": _zh(INSPECTION_KIND_LABELS, inspection.kind),
                       "date": _inspection_date(inspection)},
        "findings": findings,
        "counts": {"total": len(tickets), "critical": severities.count("critical"),
                   "parts": _severity_parts(severities)},
        "contact": notice.issued_by.display_name if notice.issued_by else None,
        "phone": (current_app.config.get("CONTACT_PHONES") or {}).get(notice.bureau.code),
        # The written 整改报告 is due when the last item is: by then everything is to be fixed.
        "report_due": max(t.original_due_date for t in tickets).isoformat() if tickets else None,
        "copies": _copies_for(notice.bureau, notice.unit),
        "printed_by": office_of(notice.bureau),
    }


# 整改情况报告 ----------------------------------------------------------------------------------------


def _review(ticket: Ticket, events: list[TicketEvent]) -> str:
    last = {e.kind: e for e in events}
    if ticket.status == TicketStatus.ACCEPTED:
        event = last.get(TicketEventKind.ACCEPTED)
        who = f"，复查人{event.actor.display_name}" if event and event.actor else ""
        when = f"{pdf.cn_date(_date(event.at))}" if event else ""
        note = f"复查意见：{pdf.sentence(event.body)}" if event and event.body else ""
        return f"复查通过，已销号（{when}{who}）。{note}"
    if ticket.status == TicketStatus.RETURNED:
        event = last.get(TicketEventKind.RETURNED)
        return f"复查未通过，退回重改：{pdf.sentence(event.body if event and event.body else '整改不到位')}"
    if ticket.status == TicketStatus.RESPONDED:
        again = f"（此前退回{ticket.returns_count}次）" if ticket.returns_count else ""
        return f"已报送整改情况，待复查{again}。"
    if ticket.status == TicketStatus.CANCELLED:
        event = last.get(TicketEventKind.CANCELLED)
        return pdf.sentence(f"已撤销{('：' + event.body) if event and event.body else ''}")
    return "正在整改，尚未报送整改情况。"


def rectification_report_data(session: Session, inspection: Inspection) -> dict:
    tickets = _tickets(session, inspection_id=inspection.id)
    evidence: dict[int, list[Attachment]] = {}
    event_ids = [e.id for t in tickets for e in t.events if e.kind == TicketEventKind.RESPONDED]
    if event_ids:
        for a in session.scalars(select(Attachment).where(Attachment.ticket_event_id.in_(event_ids),
                                                          Attachment.kind == AttachmentKind.EVIDENCE,
                                                          Attachment.removed_at.is_(None))
                                 .order_by(Attachment.id)):
            evidence.setdefault(a.ticket_event_id, []).append(a)
    rows = []
    moments = [e.at for t in tickets for e in t.events]
    for ticket in tickets:
        events = list(ticket.events)
        response = next((e for e in reversed(events) if e.kind == TicketEventKind.RESPONDED), None)
        row = {
            **_finding(ticket.finding), "status": ticket.status, "due_on": ticket.due_date.isoformat(),
            "original_due_on": ticket.original_due_date.isoformat(),
            "extended": ticket.due_date != ticket.original_due_date, "review": _review(ticket, events),
            "response": None, "late": False,
        }
        if response is not None:
            files = evidence.get(response.id, [])
            row["response"] = {
                "measures": response.measures or response.body or "", "responsible": response.responsible,
                "completed_on": response.completed_on.isoformat() if response.completed_on else None,
                "evidence": [a.sha256 for a in files if a.is_image],
                "files": [a.filename for a in files if not a.is_image],
            }
            row["late"] = bool(response.completed_on and response.completed_on > ticket.due_date)
        rows.append(row)
    statuses = [t.status for t in tickets]
    accepted, responded = statuses.count(TicketStatus.ACCEPTED), statuses.count(TicketStatus.RESPONDED)
    cancelled = statuses.count(TicketStatus.CANCELLED)
    working = len(tickets) - accepted - responded - cancelled
    summary = [text for n, text in (
        (accepted, f"{accepted}个问题已整改完成并经复查销号"), (responded, f"{responded}个问题已报送整改情况、待复查"),
        (working, f"{working}个问题正在整改"), (cancelled, f"{cancelled}个问题已撤销")) if n]
    notice = session.scalar(select(Notice).where(Notice.inspection_id == inspection.id))
    unit = inspection.unit
    addressee = inspection.bureau.name if not inspection.is_self else (unit.parent.name if unit.parent else "")
    return {
        "unit": {"name": unit.name, "code": unit.code},
        "bureau": inspection.bureau.name,
        "addressee": addressee,
        "self": inspection.is_self,
        "notice_number": notice.number if notice else None,
        "inspection": {"id": inspection.id, "kind_label": _zh(INSPECTION_KIND_LABELS, inspection.kind),
                       "date": _inspection_date(inspection)},
        "tickets": rows,
        "counts": {"total": len(tickets), "accepted": accepted, "responded": responded, "cancelled": cancelled,
                   "unfinished": len(tickets) - accepted - cancelled, "summary": summary or ["尚无整改事项"]},
        "date": _date(max(moments)) if moments else _inspection_date(inspection),
    }


def _check_rectification_report(_actor: User | None, inspection: Inspection) -> None:
    if not inspection.is_self and inspection.status not in (InspectionStatus.ISSUED, InspectionStatus.CLOSED):
        raise DomainError(_("整改通知尚未下发，还没有整改情况可以报告。"))
    session = Session.object_session(inspection)
    if session.scalar(select(Ticket.id).where(Ticket.inspection_id == inspection.id).limit(1)) is None:
        raise DomainError(_("这次检查没有整改事项，无需整改情况报告。"))


# The kinds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What one kind of document needs: its record, data, template and a few facts about it."""

    name: str
    template: str
    model: type
    data: Callable[[Session, Any], dict]
    check: Callable[[User | None, Any], None]
    title: Callable[[dict], str]
    author: Callable[[dict], str]
    filename: Callable[[dict], str]
    estimate_pages: Callable[[dict], float]
    thumbnails: Callable[[dict], Iterable[str]] = lambda _data: ()  # images shown small (photos, evidence)
    originals: Callable[[dict], Iterable[str]] = lambda _data: ()  # images shown as they are (signatures)
    # What the document is of. The defaults fit a unit-owned row (an inspection, a notice); the period
    # summary's "record" will be its parameters (dates, district): object_id None, params its JSON, scope
    # node the district, and `load` rebuilding it from Document.params so /verify can recompute it.
    object_id: Callable[[Any], int | None] = lambda record: record.id
    unit_id: Callable[[Any], int | None] = lambda record: record.unit_id
    scope_node_id: Callable[[Any], int | None] = lambda _record: None
    params: Callable[[Any], dict] = lambda _record: {}
    load: Callable[[Session, Document], Any] | None = None
    # Charts drawn from the data when the HTML is made (SVG markup by name), for the template.
    charts: Callable[[dict], dict] = lambda _data: {}

    @property
    def label(self) -> str:
        return _zh(DOCUMENT_KIND_LABELS, self.name)

    def version(self, data: dict) -> str:
        return record_version(self.name, data)

    def subject(self, record: Any) -> str:
        """What the code is derived from besides the content: the record's id, or the parameters."""
        object_id = self.object_id(record)
        return str(object_id) if object_id is not None else canonical_json(self.params(record))

    def reload(self, session: Session, document: Document) -> Any | None:
        if self.load is not None:
            return self.load(session, document)
        return session.get(self.model, document.object_id) if document.object_id is not None else None


def _no_check(_actor, _record) -> None:
    return None


KINDS: dict[str, Kind] = {
    DocumentKind.INSPECTION_REPORT: Kind(
        name=DocumentKind.INSPECTION_REPORT, template="inspection_report.html", model=Inspection,
        data=inspection_report_data, check=_check_inspection_report,
        title=lambda d: f"{d['unit']['name']}保密检查报告", author=lambda d: d["bureau"],
        filename=lambda d: f"检查报告-{d['unit']['name']}-{d['inspection']['date']}.pdf",
        # Calibrated on rendered reports: the head and result take about two pages, a finding a third of
        # one, six photos a page, and the annex about 13 items a page.
        estimate_pages=lambda d: 2 + 0.35 * len(d["findings"]) + sum(len(f["photos"]) for f in d["findings"]) / 6
        + sum(len(s["entries"]) for c in d["annex"] for s in c["sections"]) / 13,
        thumbnails=lambda d: [sha for f in d["findings"] for sha in f["photos"]],
        originals=lambda d: [s["image"] for s in d["signatures"]],
    ),
    DocumentKind.NOTICE: Kind(
        name=DocumentKind.NOTICE, template="notice.html", model=Notice, data=notice_data, check=_no_check,
        title=lambda d: f"关于{d['unit']['name']}保密检查发现问题限期整改的通知", author=lambda d: d["issuer"],
        filename=lambda d: f"整改通知书-{d['notice']['number']}.pdf",
        estimate_pages=lambda d: 2 + 0.3 * len(d["findings"]),
    ),
    DocumentKind.RECTIFICATION_REPORT: Kind(
        name=DocumentKind.RECTIFICATION_REPORT, template="rectification_report.html", model=Inspection,
        data=rectification_report_data, check=_check_rectification_report,
        title=lambda d: f"{d['unit']['name']}关于保密检查发现问题整改情况的报告", author=lambda d: d["unit"]["name"],
        filename=lambda d: f"整改情况报告-{d['unit']['name']}-{d['date']}.pdf",
        estimate_pages=lambda d: 1.5 + 0.35 * len(d["tickets"])
        + sum(len(t["response"]["evidence"]) for t in d["tickets"] if t["response"]) / 6,
        thumbnails=lambda d: [sha for t in d["tickets"] if t["response"] for sha in t["response"]["evidence"]],
    ),
    DocumentKind.SUMMARY: Kind(
        name=DocumentKind.SUMMARY, template="summary.html", model=summary.PeriodSummary,
        data=summary.summary_data, check=lambda _actor, record: summary.check_period(record.start, record.end),
        title=lambda d: f"关于{d['area']}{d['period']['text']}保密检查情况的通报", author=lambda d: d["issuer"],
        filename=lambda d: f"保密检查情况通报-{d['area']}-{d['period']['from']}至{d['period']['to']}.pdf",
        estimate_pages=summary.estimate_pages,
        object_id=lambda _record: None, unit_id=lambda _record: None,
        scope_node_id=lambda record: record.scope_node_id, params=lambda record: record.params(),
        load=lambda session, document: summary.load(session, document.params),
        charts=summary_charts.charts_for,
    ),
}


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise DomainError(_("未知的文件类型。")) from None


# Preparing and rendering -------------------------------------------------------------------------------


@dataclass
class Prepared:
    """A document ready to render: its data, version and code."""

    kind: Kind
    record: Any
    data: dict
    version: str
    code: str
    object_id: int | None
    unit_id: int | None
    scope_node_id: int | None = None
    params: dict = field(default_factory=dict)

    @property
    def estimated_pages(self) -> int:
        return round(self.kind.estimate_pages(self.data))

    @property
    def filename(self) -> str:
        return self.kind.filename(self.data)


def prepare(session: Session, kind_name: str, record: Any, actor: User | None = None) -> Prepared:
    """Check the document may be made now (DomainError otherwise) and compute its data, version and code.

    `record` has been loaded through the scoping layer (or by the command line, which sees everything).
    """
    spec = kind(kind_name)
    spec.check(actor, record)
    with force_locale("zh"):
        data = spec.data(session, record)
    version = spec.version(data)
    return Prepared(kind=spec, record=record, data=data, version=version,
                    code=verification_code(spec.name, spec.subject(record), version),
                    object_id=spec.object_id(record), unit_id=spec.unit_id(record),
                    scope_node_id=spec.scope_node_id(record),
                    params={**spec.params(record), "filename": spec.filename(data),
                            # a number the document gave itself (the 通报's 文号), kept for its later versions
                            **({"number": data["number"]} if data.get("number") else {})})


def documents_dir() -> Path:
    return Path(current_app.config.get("DOCUMENTS_DIR") or Path(current_app.instance_path) / "documents")


def file_path(sha256: str) -> Path:
    return documents_dir() / sha256[:2] / f"{sha256}.pdf"


def _verify_url(code: str) -> str:
    """What the QR code holds: the verify page at the configured address (INSPECT_BASE_URL), else the bare
    code, which the verify page accepts just the same. Never the Host of the request that happened to render
    the document first: that is whatever a client sent, and the PDF is kept and served to everyone."""
    base = (current_app.config.get("DOCUMENTS_BASE_URL") or "").strip()
    return f"{base.rstrip('/')}/verify?code={code}" if base else code


def _images(prepared: Prepared) -> dict[str, str]:
    """file: URLs of the images the document shows: thumbnails of photos (a few dozen KB each, embedded
    as they are), signatures as drawn. An image whose file is missing is left out, not fatal."""
    images: dict[str, str] = {}
    for sha in prepared.kind.thumbnails(prepared.data):
        try:
            images[sha] = attachments.thumbnail_path(sha).as_uri()
        except OSError:
            current_app.logger.warning("document %s: photo %s is missing", prepared.code, sha)
    for sha in prepared.kind.originals(prepared.data):
        path = attachments.path_of(sha)
        if path.is_file():
            images[sha] = path.as_uri()
    return images


def document_html(prepared: Prepared) -> str:
    with force_locale("zh"):  # the document's own words are Chinese whoever asks
        return _document_html(prepared)


def _document_html(prepared: Prepared) -> str:
    doc = {
        "kind": prepared.kind.name, "kind_label": prepared.kind.label, "title": prepared.kind.title(prepared.data),
        "author": prepared.kind.author(prepared.data), "code": prepared.code, "record_version": prepared.version,
        "date_iso": prepared.data.get("date") or "", "qr_svg": pdf.qr_svg(_verify_url(prepared.code)),
    }
    return pdf.render_html(prepared.kind.template, data=prepared.data, doc=doc, images=_images(prepared),
                           charts=prepared.kind.charts(prepared.data))


def _roots() -> list[str]:
    return [current_app.config["ATTACHMENTS_DIR"]]


def find(session: Session, code: str) -> Document | None:
    return session.scalar(select(Document).where(Document.verification_code == code))


def cached(session: Session, prepared: Prepared) -> Document | None:
    """The Document of this version when its PDF is on disk."""
    document = find(session, prepared.code)
    if document is not None and document.sha256 and file_path(document.sha256).is_file():
        return document
    return None


def _register(session: Session, actor_id: int | None, *, kind_name: str, object_id: int | None,
              unit_id: int | None, version: str, code: str, sha256: str, size: int, pages: int,
              params: dict | None = None, scope_node_id: int | None = None) -> Document:
    """Record a rendered version; the same version rendered twice (a race, or a lost file) keeps one row."""
    actor = session.get(User, actor_id) if actor_id else None
    existing = find(session, code)
    if existing is None:
        try:
            with transaction(session):
                document = Document(kind=kind_name, object_id=object_id, unit_id=unit_id, scope_node_id=scope_node_id,
                                    record_version=version,
                                    verification_code=code, sha256=sha256, size=size, pages=pages,
                                    params_json=canonical_json(params or {}), created_by_id=actor_id)
                session.add(document)
                session.flush()
                audit.record(session, actor, "document.create", document, actor_name="cli",
                             details={"kind": kind_name, "object_id": object_id, "code": code, "version": version,
                                      "sha256": sha256, "pages": pages})
            return document
        except IntegrityError:
            existing = find(session, code)
            if existing is None:
                raise
    if existing.sha256 != sha256 and not (existing.sha256 and file_path(existing.sha256).is_file()):
        with transaction(session):
            existing.sha256, existing.size, existing.pages = sha256, size, pages
    return existing


def render_inline(session: Session, actor: User | None, prepared: Prepared) -> Document:
    """Render in this process (small documents, and the command line) and keep the PDF."""
    from ..pdf import engine

    rendered = engine.render(document_html(prepared), roots=_roots())
    sha = worker.store(documents_dir(), rendered.pdf)
    return _register(session, actor.id if actor else None, kind_name=prepared.kind.name,
                     object_id=prepared.object_id, unit_id=prepared.unit_id, version=prepared.version,
                     code=prepared.code, sha256=sha, size=len(rendered.pdf), pages=rendered.pages,
                     params=prepared.params, scope_node_id=prepared.scope_node_id)


def ensure(session: Session, actor: User | None, prepared: Prepared) -> Document:
    """The Document of this version, rendered now unless it was rendered before."""
    return cached(session, prepared) or render_inline(session, actor, prepared)


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def jobs_dir() -> Path:
    return documents_dir() / "jobs"


@dataclass
class Job:
    """A document rendering in the worker process."""

    code: str
    state: str
    progress: int
    pages_done: int
    estimated_pages: int
    error: str | None = None
    document: Document | None = None
    unit_id: int | None = None
    scope_node_id: int | None = None


def request_document(session: Session, actor: User, prepared: Prepared) -> Document | Job:
    """What a download button does: the PDF if it exists or is small enough to render now; otherwise a job
    in the worker process, whose progress the browser follows."""
    document = cached(session, prepared)
    if document is not None:
        return document
    if prepared.estimated_pages < _config("DOCUMENTS_WORKER_PAGES", WORKER_PAGES):
        return render_inline(session, actor, prepared)
    meta = {"kind": prepared.kind.name, "object_id": prepared.object_id, "unit_id": prepared.unit_id,
            "scope_node_id": prepared.scope_node_id, "version": prepared.version, "actor_id": actor.id,
            "params": prepared.params}
    status = worker.start(jobs_dir(), prepared.code, html=document_html(prepared), roots=_roots(),
                          out_dir=str(documents_dir()), estimated_pages=prepared.estimated_pages, meta=meta,
                          timeout=_config("DOCUMENTS_WORKER_TIMEOUT", WORKER_TIMEOUT),
                          memory_mb=_config("DOCUMENTS_WORKER_MEMORY_MB", WORKER_MEMORY_MB))
    return _job(session, prepared.code, status)


def _job(session: Session, code: str, status: dict) -> Job:
    job = Job(code=code, state=status["state"], progress=status.get("progress", 0),
              pages_done=status.get("pages_done", 0), estimated_pages=status.get("estimated_pages", 0),
              error=status.get("error"), unit_id=status["meta"].get("unit_id"),
              scope_node_id=status["meta"].get("scope_node_id"))
    if job.state == "done":
        if not file_path(status["sha256"]).is_file():
            job.state, job.error = "failed", "missing"
            return job
        meta = status["meta"]
        job.document = _register(session, meta.get("actor_id"), kind_name=meta["kind"],
                                 object_id=meta["object_id"], unit_id=meta["unit_id"], version=meta["version"],
                                 code=code, sha256=status["sha256"], size=status["size"], pages=status["pages"],
                                 params=meta.get("params"), scope_node_id=meta.get("scope_node_id"))
    return job


def job_status(session: Session, code: str) -> Job | None:
    """A job by its code (the verification code of the document it renders); None when unknown."""
    try:
        status = worker.read_status(jobs_dir(), code)
    except ValueError:
        return None
    return _job(session, code, status) if status else None


def wait_for(session: Session, code: str, timeout: float = 60) -> Job | None:
    """Poll a job until it ends (tests and the command line)."""
    limit = time.monotonic() + timeout
    while True:
        job = job_status(session, code)
        if job is None or job.state in ("done", "failed") or time.monotonic() > limit:
            return job
        time.sleep(0.2)


# Scope and verification -----------------------------------------------------------------------------


def visible(actor: User, document: Document | Job) -> bool:
    """Whether `actor` may see a document (or a job rendering one): a bureau-side user or officer whose scope
    holds its unit; for a summary of a bureau's area, a bureau-side user whose subtree holds that area."""
    from .. import authz
    from ..extensions import db

    if actor.role not in DOCUMENT_ROLES or not actor.active:
        return False
    session = db.session
    if document.unit_id is not None:
        unit = session.get(OrgNode, document.unit_id)
        return unit is not None and authz.in_scope(actor, unit)
    if document.scope_node_id is not None and actor.role != Role.OFFICER:  # a summary of a bureau's area
        node, own = session.get(OrgNode, document.scope_node_id), authz.scope_node(actor)
        return node is not None and own is not None and own.contains(node)
    return False


@dataclass
class Verification:
    document: Document
    kind_label: str
    record: Any | None  # the inspection or notice; None when it no longer exists
    record_label: str
    current: bool
    latest: Document | None  # the rendering of the current version, when there is one


def record_of(session: Session, document: Document) -> Any | None:
    spec = KINDS.get(document.kind)
    return spec.reload(session, document) if spec is not None else None


def record_label(document: Document, record: Any | None) -> str:
    if record is None:
        return _("记录已不存在")
    if isinstance(record, Notice):
        return f"{record.number} · {record.unit.name}"
    if isinstance(record, summary.PeriodSummary):
        return f"{record.area_name} · {summary.period_text(record.start, record.end)}"
    return f"{record.unit.name} · {record.title}"


def current_version(session: Session, document: Document, record: Any) -> str:
    spec = KINDS[document.kind]
    with force_locale("zh"):
        return spec.version(spec.data(session, record))


def verify(session: Session, actor: User | None, text: str | None) -> Verification | None:
    """What a code stands for. None when it is no code of ours, or of a document outside `actor`'s scope:
    both read the same, so a code reveals nothing of other units. `actor` None is the command line."""
    code = normalise_code(text)
    if code is None:
        return None
    document = find(session, code)
    if document is None or (actor is not None and not visible(actor, document)):
        return None
    spec = KINDS.get(document.kind)
    record = record_of(session, document)
    current, latest = False, None
    if record is not None and spec is not None:
        version = current_version(session, document, record)
        current = version == document.record_version
        if not current:
            latest = find(session, verification_code(spec.name, spec.subject(record), version))
    return Verification(document=document, kind_label=_zh(DOCUMENT_KIND_LABELS, document.kind), record=record,
                        record_label=record_label(document, record), current=current, latest=latest)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
