"""Factories that build inspections the way users do, through the services.

    inspection = make_inspection("DH-ZFB", templates=["network"])
    answer_all(inspection, failing={"F3": "noncompliant", "F7": "partial"})
    findings = submit(inspection)
"""

from __future__ import annotations

import io
import uuid
import zlib
from datetime import date, timedelta

from PIL import Image, ImageDraw

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import Compliance, Inspection, ResponseType
from inspect_app.services import checklists, inspections
from inspect_app.services.inspections import AnswerInput, SignatureInput

from .helpers import node, user


def png(width: int = 300, height: int = 120, colour: str = "black") -> bytes:
    """A signature-like stroke."""
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).line([(20, height // 2), (width // 2, 20), (width - 20, height - 20)], fill=colour, width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int = 800, height: int = 600, colour: str = "#4a6a8a") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def pdf(text: str = "Evidence", *, catalog: str = "", object_stream: str | None = None,
        predictor: bool = False) -> bytes:
    """A one-page PDF written by hand, as readers open it. `catalog` is added to the document catalog (an
    /OpenAction, say). With `object_stream` (extra keys for its dictionary, or "") the catalog, page tree,
    page and font are kept compressed in an object stream, found through a cross-reference stream (PDF 1.5),
    with `predictor` as PNG "Sub" rows; without, each is written out plainly with a cross-reference table."""
    content = zlib.compress(f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode())
    plain = {1: f"<< /Type /Catalog /Pages 2 0 R {catalog} >>", 2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
             3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
                "/Contents 4 0 R >>",
             5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}

    def put(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def stream(dictionary: str, data: bytes) -> bytes:
        return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary.encode(), len(data), data)

    put(4, stream("/Filter /FlateDecode", content))
    if object_stream is None:
        for number, body in plain.items():
            put(number, body.encode())
        start = len(out)
        out.extend(b"xref\n0 6\n0000000000 65535 f \n")
        out.extend(b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, 6)))
        out.extend(b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % start)
        return bytes(out)
    bodies = [body.encode() + b"\n" for body in plain.values()]
    places = [sum(map(len, bodies[:i])) for i in range(len(bodies))]
    header = " ".join(f"{n} {place}" for n, place in zip(plain, places, strict=True)).encode() + b"\n"
    data = header + b"".join(bodies)
    if predictor:  # one row: a filter byte, then each byte as the difference from the one before
        object_stream += f" /DecodeParms << /Predictor 11 /Columns {len(data)} >>"
        data = bytes([1]) + bytes((b - a) & 0xFF for a, b in zip(b"\0" + data, data, strict=False))
    put(6, stream(f"/Type /ObjStm /N {len(bodies)} /First {len(header)} /Filter /FlateDecode {object_stream}",
                  zlib.compress(data)))
    offsets[7] = len(out)
    rows = [(0, 0, 65535)] + [(1, offsets[n], 0) if n in (4, 6, 7) else (2, 6, list(plain).index(n))
                              for n in range(1, 8)]
    table = b"".join(bytes([kind]) + field.to_bytes(4, "big") + index.to_bytes(2, "big") for kind, field, index in rows)
    put(7, stream("/Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode", zlib.compress(table)))
    out.extend(b"startxref\n%d\n%%%%EOF\n" % offsets[7])
    return bytes(out)


def versions(*keys: str):
    current = {v.template.key: v for v in checklists.current_versions(db.session)}
    return [current[k] for k in keys]


def make_inspection(unit: str = "DH-ZFB", lead: str = "inspector", templates=("network",), *, kind: str = "routine",
                    members=(), scheduled_on: date | None = None, **kwargs) -> Inspection:
    actor = user(lead)
    return inspections.plan_inspection(
        db.session, actor, unit=node(unit), kind=kind, versions=versions(*templates),
        scheduled_on=scheduled_on or local_today() + timedelta(days=7), lead=actor,
        members=[user(m) for m in members], **kwargs)


def default_value(item) -> str:
    if item.response == ResponseType.COMPLIANCE:
        return Compliance.COMPLIANT
    if item.response == ResponseType.NUMBER:
        return "0" if item.deduction else "3"  # a deduction count: no cases found
    if item.response == ResponseType.CHOICE:
        return item.choices[0]["key"]
    return "现场查看，情况正常"


def answer(inspection: Inspection, item_key: str, value: str | None, *, by: str | None = None,
           base_revision: int | None = None, **fields):
    """Save one answer to the item with `item_key` (in any pinned template)."""
    item = next(i for i in inspections.load_items(db.session, inspection) if i.key == item_key)
    current = inspections.load_answers(db.session, inspection).get(item.id)
    if base_revision is None:
        base_revision = current.revision if current else 0
    actor = user(by or inspection.lead.username)
    saved, _changed = inspections.save_answer(db.session, actor, inspection, AnswerInput(
        item_id=item.id, client_uuid=fields.pop("client_uuid", str(uuid.uuid4())), base_revision=base_revision,
        value=value, **fields))
    return saved


def answer_all(inspection: Inspection, *, failing: dict[str, str] | None = None,
               not_applicable: tuple[str, ...] = (), by: str | None = None) -> None:
    """Answer every item: compliant (or a plain value), except `failing` (key → noncompliant/partial)
    with a finding, and `not_applicable` with a reason."""
    failing = failing or {}
    for item in inspections.load_items(db.session, inspection):
        if item.key in failing:
            answer(inspection, item.key, failing[item.key], by=by,
                   finding_text=f"检查发现：{item.text[:30]}，未落实。")
        elif item.key in not_applicable:
            answer(inspection, item.key, Compliance.NOT_APPLICABLE, by=by, na_reason="本单位无此类事项")
        else:
            answer(inspection, item.key, default_value(item), by=by)


def submit(inspection: Inspection, *, by: str | None = None):
    actor = user(by or inspection.lead.username)
    return inspections.submit_inspection(db.session, actor, inspection, [
        SignatureInput("lead", actor.display_name, png()),
        SignatureInput("unit", "单位代表", png(colour="navy")),
    ])


def submitted_inspection(unit: str = "DH-ZFB", lead: str = "inspector", templates=("network",), *,
                         failing: dict[str, str] | None = None, kind: str = "routine"):
    """An inspection planned, fully answered and submitted; returns (inspection, findings)."""
    inspection = make_inspection(unit, lead, templates, kind=kind)
    answer_all(inspection, failing=failing)
    findings = submit(inspection)
    db.session.refresh(inspection)
    return inspection, findings


# Rectification ---------------------------------------------------------------------------------------


def issued_inspection(unit: str = "DH-ZFB", lead: str = "inspector", templates=("network",), *,
                      failing: dict[str, str] | None = None, today: date | None = None):
    """A submitted inspection whose notice the lead issued; returns (inspection, notice, tickets)."""
    from inspect_app.models import Ticket
    from inspect_app.services import rectification

    inspection, _findings = submitted_inspection(unit, lead, templates,
                                                 failing=failing if failing is not None else {"F3": "noncompliant"})
    notice = rectification.issue_notice(db.session, user(lead), inspection, today=today)
    db.session.refresh(inspection)
    tickets = db.session.query(Ticket).filter_by(inspection_id=inspection.id).order_by(Ticket.id).all()
    return inspection, notice, tickets


def self_inspection(unit: str = "DH-ZFB", officer: str = "officer", *, failing: dict[str, str] | None = None):
    """A self-inspection (自查) submitted by the unit's officer; returns (inspection, tickets)."""
    from inspect_app.models import Ticket

    inspection = inspections.plan_inspection(db.session, user(officer), unit=node(unit), kind="self",
                                             versions=versions("self-assessment"), scheduled_on=local_today())
    answer_all(inspection, failing=failing if failing is not None else {"Z1": "noncompliant"}, by=officer)
    submit(inspection, by=officer)
    db.session.refresh(inspection)
    tickets = db.session.query(Ticket).filter_by(inspection_id=inspection.id).order_by(Ticket.id).all()
    return inspection, tickets


def evidence_upload(name: str = "after.jpg", colour: str = "#3a7a4a"):
    """An evidence photo as the services take it."""
    from inspect_app.services.rectification import Upload

    return Upload(jpeg(640, 480, colour), name)


def respond(ticket, *, by: str = "officer", measures: str = "已拆除违规连接，更换专用U盘并登记。",
            responsible: str = "张明", completed_on: date | None = None, uploads=None, photos: int = 1,
            files: int = 0, **kwargs):
    """The unit reports its measures, with evidence photos (and scanned PDFs)."""
    from inspect_app.clock import local_today
    from inspect_app.services import rectification
    from inspect_app.services.rectification import Upload

    if uploads is None:
        uploads = [evidence_upload(f"佐证材料{i + 1}.jpg", colour=f"#{(40 * i) % 255:02x}7a5a") for i in range(photos)]
        uploads += [Upload(pdf(f"Evidence {i}"), f"佐证材料{photos + i + 1}.pdf") for i in range(files)]
    return rectification.respond(db.session, user(by), ticket, measures=measures, responsible=responsible,
                                 completed_on=completed_on or local_today(), uploads=uploads, **kwargs)


def make_notice(inspection: Inspection, *, by: str = "inspector"):
    """Issue the notice of a submitted inspection: its 文号, and one open ticket per active finding."""
    from inspect_app.services import rectification

    notice = rectification.issue_notice(db.session, user(by), inspection)
    db.session.refresh(inspection)
    return notice


def tickets_of(inspection: Inspection):
    from sqlalchemy import select

    from inspect_app.models import Ticket

    return db.session.scalars(select(Ticket).where(Ticket.inspection_id == inspection.id).order_by(Ticket.id)).all()


def review(ticket, *, accept: bool = True, by: str = "inspector", note: str = "现场复查，整改到位。"):
    """The inspector's verification (复查): accept the fix (销号) or return it with the reason."""
    from inspect_app.services import rectification

    if accept:
        return rectification.accept(db.session, user(by), ticket, note=note)
    return rectification.return_ticket(db.session, user(by), ticket, reason=note)


# Incidents -------------------------------------------------------------------------------------------


def incident_report(**fields):
    """What a unit reports: a lost classified USB drive, found three hours ago (wall-clock, the bureau's zone)."""
    from datetime import datetime

    from inspect_app.clock import timezone
    from inspect_app.services.incidents import IncidentReport

    found_at = (datetime.now(timezone()) - timedelta(hours=3)).replace(tzinfo=None, second=0, microsecond=0)
    values = {"found_at": found_at, "kind": "leak", "title": "涉密U盘遗失",
              "description": "下班清点时发现一个涉密U盘不在保密柜中。",
              "carrier": "removable", "level": "secret", "quantity": 1, "involved": "涉密U盘1个",
              "persons": "机要员", "remedies": "已封存办公室并调取监控。", "zone": "Asia/Shanghai"}
    return IncidentReport(**{**values, **fields})


def report_incident(unit: str = "DH-ZFB", by: str = "officer", *, now=None, uploads=(), **fields):
    """An incident reported by the unit's officer (or registered by an inspector), through the service."""
    from inspect_app.services import incidents

    return incidents.report_incident(db.session, user(by), node(unit), incident_report(**fields), uploads,
                                     now=now)


def case_through(incident, *, to: str, by: str = "inspector", determination: str = "violation",
                 requirement: str | None = "建立涉密载体台账，定期清点。"):
    """Move a case along its states to `to` (investigating, determined, handled, closed), as the handler does."""
    from inspect_app.clock import local_today
    from inspect_app.services import incidents

    actor = user(by)
    order = ["investigating", "determined", "handled", "closed"]
    for state in order[: order.index(to) + 1]:
        if state == "investigating":
            incidents.start_investigation(db.session, actor, incident, note="立案调查。")
        elif state == "determined":
            incidents.determine(db.session, actor, incident, determination=determination, reason="调查认定。")
        elif state == "handled":
            incidents.handle(db.session, actor, incident, discipline="建议批评教育。", requirement=requirement,
                             due_date=local_today() + timedelta(days=30) if requirement else None)
        else:
            incidents.close(db.session, actor, incident, summary="结案。")
    return incident
