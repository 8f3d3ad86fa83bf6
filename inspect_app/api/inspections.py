"""Inspections: the list and planning (an integration's), one inspection with its checklist, and the tablet's
filling: answers, photos and submitting."""

import base64
import binascii
import re

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _

from .. import authz, clock
from ..extensions import db
from ..ids import MAX_ID, parse_id
from ..models import Inspection as InspectionModel
from ..models import OrgNode
from ..services import Conflict, DomainError, checklists, inspections, registers
from ..services.inspections import AnswerConflict, AnswerInput, ClassifiedSuspected, InspectionFilter, SignatureInput
from . import api, schemas
from .common import BAD, LOCKED, NOT_FOUND, TOO_LARGE, actor, body, listing, query, refuse, unit_ref


def summary(inspection: InspectionModel) -> schemas.InspectionSummary:
    return schemas.InspectionSummary(
        id=inspection.id, title=inspection.title, unit=unit_ref(inspection.unit), kind=inspection.kind,
        status=inspection.status, scheduled_on=inspection.scheduled_on,
        lead=schemas.Person(id=inspection.lead.id, name=inspection.lead.display_name),
        templates=[schemas.TemplateRef(key=v.template.key, version=v.version, title=v.title)
                   for v in inspection.versions],
        started_at=inspection.started_at, submitted_at=inspection.submitted_at, issued_at=inspection.issued_at,
        closed_at=inspection.closed_at, score=inspection.score, band=inspection.band)


@api.operation("GET", "/inspections", summary="The inspections in the caller's scope, newest first",
               query=schemas.InspectionQuery, responses={200: ("A page of inspections", schemas.InspectionList),
                                                         400: BAD[1]})
@authz.requires("inspection.view")
def list_inspections():
    args = query(schemas.InspectionQuery)
    flt = InspectionFilter(status=args.status or "", kind=args.kind or "", unit_id=args.unit_id,
                           date_from=args.scheduled_from, date_to=args.scheduled_to)
    return listing(schemas.InspectionList, inspections.search(actor(), flt), InspectionModel.id, args.cursor,
                   args.limit, summary)


@api.operation("POST", "/inspections", summary="Plan an inspection (routine, special or spot) of a unit in scope",
               request=schemas.PlanIn,
               responses={201: ("Planned", schemas.InspectionSummary), 400: BAD[1], 404: NOT_FOUND[1]})
@authz.requires("inspection.plan")
def plan_inspection():
    plan = body(schemas.PlanIn)
    unit = authz.get_or_404(actor(), OrgNode, plan.unit_id)
    current = {v.template.key: v for v in checklists.current_versions(db.session)}
    unknown = [key for key in plan.templates if key not in current]
    if unknown:
        raise DomainError(_("检查表“%(t)s”不存在。", t=unknown[0][:64]), field="templates")
    candidates = {u.id: u for u in inspections.team_candidates(db.session, unit)}
    chosen = [plan.lead_id, *plan.member_ids] if plan.lead_id else plan.member_ids
    if any(person not in candidates for person in chosen):
        raise DomainError(_("组长和组员须是能检查该单位的在岗检查员。"), field="lead_id")
    versions = [current[key] for key in dict.fromkeys(plan.templates)]
    inspection = inspections.plan_inspection(
        db.session, actor(), unit=unit, kind=plan.kind, versions=versions, scheduled_on=plan.scheduled_on,
        lead=candidates.get(plan.lead_id) if plan.lead_id else None, members=[candidates[m] for m in plan.member_ids],
        title=plan.title, scope=plan.scope, notes=plan.notes)
    return jsonify(summary(inspection).model_dump(mode="json")), 201


def _answer_out(answer, item, sample: registers.SampleState | None = None) -> schemas.Answer:
    return schemas.Answer(
        item_id=answer.item_id, value=answer.value, note=answer.note, finding_text=answer.finding_text,
        severity=answer.severity, na_reason=answer.na_reason, revision=answer.revision,
        answered_by=answer.answered_by.display_name, answered_at=answer.answered_at,
        complete=inspections.is_complete(item, answer), sample=_sample_out(sample) if sample else None,
    )


def _sample_out(state: registers.SampleState) -> schemas.Sample:
    return schemas.Sample(
        seed=state.draw.seed, size=state.draw.size, entries=[schemas.SampleEntry(**e) for e in state.draw.entries],
        checks=[schemas.SampleCheck(entry_id=c.entry_id, result=c.result, note=c.note) for c in state.checks.values()])


def _answer_input(write: schemas.AnswerIn) -> AnswerInput:
    sample = write.sample
    return AnswerInput(**write.model_dump(exclude={"sample"}), sample=registers.SampleInput(
        seed=sample.seed, population=sample.population, entries=sample.entries,
        checks=[registers.CheckInput(c.entry_id, c.result, c.note) for c in sample.checks]) if sample else None)


def _photo_out(inspection: InspectionModel, photo) -> schemas.Photo:
    return schemas.Photo(
        id=photo.id, item_id=photo.item_id, client_uuid=photo.client_uuid, size=photo.size,
        url=url_for("inspections.photo", inspection_id=inspection.id, photo_id=photo.id),
        thumbnail_url=url_for("inspections.photo_thumbnail", inspection_id=inspection.id, photo_id=photo.id),
    )


@api.operation("GET", "/inspections/<int:inspection_id>",
               summary="An inspection with its checklist items, answers, photos and progress",
               responses={200: ("The inspection", schemas.Inspection), 404: NOT_FOUND[1]})
@authz.loads(InspectionModel, "inspection_id", "inspection.view")
def get_inspection(inspection: InspectionModel):
    view = inspections.inspection_view(db.session, actor(), inspection)
    # A unit's side reads the bureau's answers once the inspection is locked, as on the pages.
    items, state = view.items, view.progress
    answers, photos = (view.answers, view.photos) if view.show_answers else ({}, {})
    sections: dict[int, schemas.Section] = {}
    for item in items:
        section = sections.get(item.section_id)
        if section is None:
            section = sections[item.section_id] = schemas.Section(
                id=item.section_id, key=item.section.key, title=item.section.title, title_en=item.section.title_en,
                items=[])
        section.items.append(schemas.Item(
            id=item.id, key=item.key, text=item.text, text_en=item.text_en, response=item.response,
            severity=item.severity, points=item.points, deduction=item.deduction, veto=item.veto,
            choices=[schemas.Choice(**c) for c in item.choices], unit_label=item.unit_label))
    by_id = {i.id: i for i in items}
    samples = registers.sample_states(db.session, inspection)
    out = schemas.Inspection(
        id=inspection.id, title=inspection.title, unit=schemas.Unit(id=inspection.unit.id, name=inspection.unit.name),
        kind=inspection.kind, status=inspection.status, locked=inspection.is_locked,
        can_answer=view.can_answer, can_submit=view.can_submit, sections=list(sections.values()),
        answers=[_answer_out(a, by_id[a.item_id], samples.get(a.item_id)) for a in answers.values()
                 if a.item_id in by_id],
        photos=[_photo_out(inspection, p) for ps in photos.values() for p in ps],
        progress=schemas.Progress(total=state.total, answered=state.answered, complete=state.complete),
    )
    return jsonify(out.model_dump(mode="json"))


@api.operation("PUT", "/inspections/<int:inspection_id>/answers",
               summary="Save a batch of answer writes, each at most once (by client_uuid), in order",
               request=schemas.AnswersIn,
               responses={200: ("One result per write", schemas.AnswersOut), 400: BAD[1], 404: NOT_FOUND[1],
                          409: LOCKED[1]})
@authz.loads(InspectionModel, "inspection_id", "inspection.view")
def put_answers(inspection: InspectionModel):
    batch = body(schemas.AnswersIn)
    if inspection.is_locked:
        return refuse(409, "locked", _("检查已提交，答案不能再修改。如需更正，请组长重新打开检查。"))
    if not inspections.is_team_member(actor(), inspection):
        return refuse(403, "forbidden", _("只有检查组成员可以填写。"))
    items = inspections.items_by_id(db.session, inspection, {w.item_id for w in batch.answers})
    results = []
    for write in batch.answers:
        outcome = schemas.AnswerResult(client_uuid=write.client_uuid, status="saved")
        try:
            answer, changed = inspections.save_answer(db.session, actor(), inspection, _answer_input(write))
        except ClassifiedSuspected as exc:
            outcome.status, outcome.message = "needs_confirmation", exc.message
            outcome.field = exc.suspicions[0].field
        except AnswerConflict as exc:
            outcome.status, outcome.message = "conflict", exc.message
            if exc.current is not None:
                outcome.answer = _answer_out(exc.current, items[exc.current.item_id])
        except DomainError as exc:
            outcome.status, outcome.message, outcome.field = "invalid", exc.message, exc.field
        else:
            outcome.status = "saved" if changed else "duplicate"
            item = items[answer.item_id]
            outcome.answer = _answer_out(answer, item, registers.sample_state(db.session, inspection, item.id)
                                         if item.sample else None)
        results.append(outcome)
    return jsonify(schemas.AnswersOut(results=results).model_dump(mode="json"))


@api.operation("GET", "/inspections/<int:inspection_id>/registers",
               summary="The unit's registers as the inspection samples them: the items tied to a register, every "
                       "entry of those registers, the draws so far, and the rules the registers break",
               responses={200: ("The registers", schemas.InspectionRegisters), 404: NOT_FOUND[1]})
@authz.loads(InspectionModel, "inspection_id", "inspection.view")
def get_registers(inspection: InspectionModel):
    data = registers.inspection_registers(db.session, inspection, clock.local_today())
    out = schemas.InspectionRegisters(
        items=[schemas.SampledItem(item_id=i.item_id, register_key=i.register, size=i.size, verify=i.verify,
                                   verify_en=i.verify_en) for i in data.items],
        registers={key: schemas.Register(
            name=registers.REGISTERS[key].name, measure=str(registers.REGISTERS[key].measure),
            entries=[schemas.RegisterEntry(id=e.id, number=e.number, title=e.title, details=e.details)
                     for e in entries]) for key, entries in data.populations.items()},
        samples={str(item_id): _sample_out(state) for item_id, state in data.samples.items()},
        prefindings=[schemas.Prefinding(item_id=p.item_id, rule=p.warning.rule.key, text=p.warning.text,
                                        entries=[f"{e.number} {p.warning.rule.register.title_of(e)}"
                                                 for e in p.warning.entries]) for p in data.prefindings],
    )
    # Written by pydantic, in UTF-8: a register of thousands of Chinese names is half the size unescaped.
    return Response(out.model_dump_json(), mimetype="application/json")


PHOTO_FIELDS = {"item_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                "client_uuid": {"type": "string", "format": "uuid", "pattern": schemas.UUID_PATTERN},
                "file": {"type": "string", "format": "binary"}}


@api.operation("POST", "/inspections/<int:inspection_id>/photos",
               summary="Upload a photo of an item (the same client_uuid twice stores one photo)",
               multipart=PHOTO_FIELDS,
               responses={201: ("Stored", schemas.Photo), 200: ("Already stored (a replay)", schemas.Photo),
                          400: BAD[1], 404: NOT_FOUND[1], 409: LOCKED[1],
                          413: TOO_LARGE[1]})
@authz.loads(InspectionModel, "inspection_id", "inspection.view")
def post_photo(inspection: InspectionModel):
    unknown = (set(request.form) | set(request.files)) - set(PHOTO_FIELDS)
    if unknown:  # as JSON bodies refuse fields they do not know
        raise DomainError(_("请求中含有未知的字段：%(names)s", names="、".join(sorted(unknown))[:200]))
    upload = request.files.get("file")
    item_id = parse_id(request.form.get("item_id"))
    client_uuid = request.form.get("client_uuid", "")
    if upload is None or item_id is None:
        raise DomainError(_("缺少照片或检查项。"))
    if not re.fullmatch(schemas.UUID_PATTERN, client_uuid):
        raise DomainError(_("缺少照片编号，或编号无效。"))
    photo, created = inspections.add_photo(db.session, actor(), inspection, item_id, upload.read(),
                                           filename=upload.filename or "photo.jpg", client_uuid=client_uuid)
    return jsonify(_photo_out(inspection, photo).model_dump(mode="json")), 201 if created else 200


@api.operation("DELETE", "/inspections/<int:inspection_id>/photos/<int:photo_id>", summary="Remove a photo",
               responses={204: ("Removed", None), 404: NOT_FOUND[1], 409: LOCKED[1]})
@authz.loads(InspectionModel, "inspection_id", "inspection.view")
def delete_photo(inspection: InspectionModel, photo_id: int):
    photo = inspections.photo_of(db.session, inspection, photo_id, kind=None)  # the service refuses other kinds
    if photo is None:
        return refuse(404, "not_found", _("照片不存在。"))
    inspections.remove_photo(db.session, actor(), inspection, photo)
    return "", 204


@api.operation("POST", "/inspections/<int:inspection_id>/submit",
               summary="Sign and submit: locks the answers, scores, and makes the findings",
               request=schemas.SubmitIn,
               responses={200: ("Submitted", schemas.SubmitOut), 400: BAD[1], 404: NOT_FOUND[1], 409: LOCKED[1]})
@authz.loads(InspectionModel, "inspection_id", "inspection.view")
def submit_inspection(inspection: InspectionModel):
    sent = body(schemas.SubmitIn)
    signatures = []
    for signature in sent.signatures:
        try:
            png = base64.b64decode(signature.png_base64, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(_("签名数据无效，请重新签名。")) from None
        signatures.append(SignatureInput(signature.role, signature.signer_name, png))
    try:
        findings = inspections.submit_inspection(db.session, actor(), inspection, signatures)
    except Conflict as exc:
        return refuse(409, "conflict", exc.message)
    db.session.refresh(inspection)
    out = schemas.SubmitOut(status=inspection.status, score=inspection.score, band=inspection.band, findings=[
        schemas.Finding(id=f.id, item_key=f.item_key, severity=f.severity, description=f.description,
                        is_repeat=f.is_repeat) for f in findings])
    return jsonify(out.model_dump(mode="json"))
