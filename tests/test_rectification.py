"""Rectification at the service level: review, the notice, the ticket state machine, extensions, closing,
self-inspection tickets, reminders and repeat findings."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import (
    Attachment,
    AuditRecord,
    ExtensionRequest,
    Finding,
    Notification,
    Ticket,
    TicketEvent,
    utcnow,
)
from inspect_app.services import Conflict, DomainError, rectification
from inspect_app.services.rectification import ClassifiedText

from .factories import (
    evidence_upload,
    issued_inspection,
    jpeg,
    respond,
    self_inspection,
    submitted_inspection,
)
from .helpers import make_user, node, user

# F3 is critical, F5 serious, F7 general in the network checklist.
THREE = {"F3": "noncompliant", "F5": "noncompliant", "F7": "partial"}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def reload(ticket: Ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def events(ticket: Ticket) -> list[str]:
    return db.session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
                              .order_by(TicketEvent.id)).all()


def notified(username: str, kind: str | None = None) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user(username).id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return db.session.scalars(stmt.order_by(Notification.id)).all()


# Issuing -----------------------------------------------------------------------------------------------


def test_issuing_numbers_the_notice_and_opens_one_ticket_per_finding(demo):
    inspection, notice, tickets = issued_inspection(failing=THREE)
    year = local_today().year
    assert notice.number == f"宝保检〔{year}〕1号" and notice.sequence == 1 and notice.bureau.code == "BC-BMJ"
    assert inspection.status == "issued" and inspection.issued_at
    assert len(tickets) == 3 and {t.status for t in tickets} == {"open"}
    assert {t.finding.item_key for t in tickets} == set(THREE)
    assert all(t.notice_id == notice.id and t.unit_id == node("DH-ZFB").id for t in tickets)
    assert all(events(t) == ["issued"] for t in tickets)
    # The unit's officer hears of it; nobody else in another unit does.
    assert [n.params["number"] for n in notified("officer", "notice_issued")] == [notice.number]
    assert notified("officer2") == []
    assert db.session.scalar(select(AuditRecord).where(AuditRecord.action == "notice.issue")) is not None
    assert count(AuditRecord, AuditRecord.action == "ticket.issued") == 3


def test_due_dates_follow_severity(demo):
    _inspection, _notice, tickets = issued_inspection(failing=THREE)
    today = local_today()
    due = {t.finding.severity: (t.due_date - today).days for t in tickets}
    assert due == {"critical": 7, "serious": 30, "general": 60}
    assert all(t.original_due_date == t.due_date for t in tickets)


def test_due_dates_and_prefix_are_configurable(demo, app):
    app.config["RECTIFICATION_DAYS"] = {"critical": 3, "serious": 15}
    app.config["NOTICE_PREFIXES"] = {"BC-BMJ": "宝密改"}
    _inspection, notice, tickets = issued_inspection(failing=THREE)
    today = local_today()
    assert {t.finding.severity: (t.due_date - today).days for t in tickets} == {
        "critical": 3, "serious": 15, "general": 60}  # general keeps its default
    assert notice.number.startswith("宝密改〔")


def test_numbers_run_per_bureau_per_year_without_gaps(demo):
    year = local_today().year
    _, first, _ = issued_inspection()
    _, second, _ = issued_inspection("DH-JYJ")
    _, district, _ = issued_inspection("DH-FY", lead="inspector2")
    _, next_year, _ = issued_inspection("DH-DL", today=date(year + 1, 1, 2))
    assert (first.number, second.number) == (f"宝保检〔{year}〕1号", f"宝保检〔{year}〕2号")
    assert district.number == f"东保检〔{year}〕1号"  # the district bureau numbers its own
    assert next_year.number == f"宝保检〔{year + 1}〕1号"


def test_only_the_lead_issues_and_only_once(demo):
    inspection, _ = submitted_inspection(failing={"F3": "noncompliant"})
    for other in ("inspector2", "leader", "officer"):
        with pytest.raises(DomainError, match="只有本次检查的组长"):
            rectification.issue_notice(db.session, user(other), inspection)
    rectification.issue_notice(db.session, user("inspector"), inspection)
    with pytest.raises(Conflict, match="整改通知已经下发"):
        rectification.issue_notice(db.session, user("inspector"), inspection)
    assert count(Ticket) == 1


def test_a_notice_with_no_findings_closes_the_inspection(demo):
    inspection, notice, tickets = issued_inspection(failing={})
    assert tickets == [] and notice.number.endswith("1号")
    assert inspection.status == "closed" and inspection.closed_at


# Reviewing findings -----------------------------------------------------------------------------------


def test_the_lead_edits_merges_drops_and_restores_before_issuing(demo):
    inspection, findings = submitted_inspection(failing={"F3": "noncompliant", "F4": "noncompliant",
                                                         "F7": "partial", "F9": "noncompliant"})
    by_key = {f.item_key: f for f in findings}
    lead = user("inspector")
    rectification.edit_finding(db.session, lead, by_key["F7"], description="台账缺三台设备", severity="serious")
    rectification.merge_finding(db.session, lead, by_key["F4"], by_key["F3"])
    rectification.drop_finding(db.session, lead, by_key["F9"], "现场核实后确认符合要求")
    with pytest.raises(DomainError, match="理由"):
        rectification.drop_finding(db.session, lead, by_key["F7"], "  ")
    db.session.expire_all()
    assert by_key["F7"].description == "台账缺三台设备" and by_key["F7"].severity == "serious"
    assert by_key["F4"].status == "merged" and by_key["F4"].merged_into_id == by_key["F3"].id
    assert by_key["F4"].description in by_key["F3"].description
    assert by_key["F9"].status == "dropped" and by_key["F9"].drop_reason == "现场核实后确认符合要求"
    rectification.restore_finding(db.session, lead, by_key["F9"])
    rectification.drop_finding(db.session, lead, by_key["F9"], "复核后仍确认符合")
    actions = db.session.scalars(select(AuditRecord.action).where(AuditRecord.action.startswith("finding."))
                                 .order_by(AuditRecord.id)).all()
    assert actions == ["finding.edit", "finding.merge", "finding.drop", "finding.restore", "finding.drop"]
    notice = rectification.issue_notice(db.session, lead, inspection)
    tickets = db.session.scalars(select(Ticket).where(Ticket.notice_id == notice.id)).all()
    assert {t.finding.item_key for t in tickets} == {"F3", "F7"}
    # After issuing nothing may change.
    with pytest.raises(Conflict, match="不能再修改"):
        rectification.edit_finding(db.session, lead, by_key["F3"], description="改", severity="general")


def test_review_refuses_others_and_bad_input(demo):
    _inspection, findings = submitted_inspection(failing={"F3": "noncompliant", "F7": "partial"})
    f3, f7 = sorted(findings, key=lambda f: f.item_key)
    with pytest.raises(DomainError, match="只有本次检查的组长"):
        rectification.edit_finding(db.session, user("inspector2"), f3, description="x", severity="general")
    with pytest.raises(DomainError, match="问题等级无效"):
        rectification.edit_finding(db.session, user("inspector"), f3, description="x", severity="fatal")
    with pytest.raises(DomainError, match="请填写问题描述"):
        rectification.edit_finding(db.session, user("inspector"), f3, description=" ", severity="general")
    with pytest.raises(DomainError, match="合并到它自己"):
        rectification.merge_finding(db.session, user("inspector"), f3, f3)
    _other, other_findings = submitted_inspection("DH-JYJ", failing={"F3": "noncompliant"})
    with pytest.raises(DomainError, match="不属于本次检查"):
        rectification.merge_finding(db.session, user("inspector"), f3, other_findings[0])
    with pytest.raises(ClassifiedText):
        rectification.edit_finding(db.session, user("inspector"), f7, description="抄录“机密★10年”", severity="general")
    rectification.edit_finding(db.session, user("inspector"), f7, description="抄录“机密★10年”", severity="general",
                               confirm_unclassified=True)
    assert count(AuditRecord, AuditRecord.action == "ticket.unclassified_confirmed") == 1


# The state machine: every action in every state --------------------------------------------------------

STATES = ("open", "responded", "returned", "accepted", "cancelled")
FIVE = {"F1": "noncompliant", "F2": "noncompliant", "F3": "noncompliant", "F5": "noncompliant", "F7": "partial"}


def tickets_in_every_state() -> dict[str, Ticket]:
    _inspection, _notice, tickets = issued_inspection(failing=FIVE)
    by_state = dict(zip(STATES, tickets, strict=True))
    inspector = user("inspector")
    respond(by_state["responded"])
    respond(by_state["returned"])
    rectification.return_ticket(db.session, inspector, by_state["returned"], reason="照片看不清")
    respond(by_state["accepted"])
    rectification.accept(db.session, inspector, by_state["accepted"])
    rectification.cancel_ticket(db.session, inspector, by_state["cancelled"], reason="问题认定有误")
    assert {s: reload(t).status for s, t in by_state.items()} == {s: s for s in STATES}
    return {s: reload(t) for s, t in by_state.items()}


def _draft(t):
    return rectification.save_draft(db.session, user("officer"), t, measures="正在整改")


ACTIONS = {
    # action: (how, the status it leads to, the states that allow it)
    "respond": (lambda t: respond(t), "responded", {"open", "returned"}),
    "draft": (_draft, None, {"open", "returned"}),
    "extension": (lambda t: rectification.request_extension(
        db.session, user("officer"), t, until=t.due_date + timedelta(days=20), reason="需要采购设备"),
        None, {"open", "returned"}),
    "accept": (lambda t: rectification.accept(db.session, user("inspector"), t), "accepted", {"responded"}),
    "return": (lambda t: rectification.return_ticket(db.session, user("inspector"), t, reason="材料不全"),
               "returned", {"responded"}),
    "recheck": (lambda t: rectification.record_recheck(db.session, user("inspector"), t, note="现场查看已整改"),
                None, {"open", "responded", "returned"}),
    "cancel": (lambda t: rectification.cancel_ticket(db.session, user("inspector"), t, reason="认定有误"),
               "cancelled", {"open", "responded", "returned"}),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_in_every_state(demo, action):
    how, leads_to, allowed = ACTIONS[action]
    tickets = tickets_in_every_state()
    for state, ticket in tickets.items():
        before = (ticket.revision, len(events(ticket)), ticket.returns_count)
        if state in allowed:
            how(ticket)
            after = reload(ticket)
            assert after.status == (leads_to or state), (action, state)
            if action == "draft":
                assert after.draft_measures == "正在整改" and after.draft_saved_at
            else:
                assert len(events(after)) == before[1] + 1, (action, state)
        else:
            with pytest.raises(Conflict) as refused:
                how(ticket)
            # Refused with the reason in words, and nothing changed.
            assert refused.value.message == rectification.refusal(action, state)
            after = reload(ticket)
            assert after.status == state
            assert (after.revision, len(events(after)), after.returns_count) == before, (action, state)


@pytest.mark.parametrize(("action", "state", "words"), [
    ("respond", "responded", "正在等待复查"),
    ("respond", "accepted", "已复查销号"),
    ("respond", "cancelled", "已撤销"),
    ("accept", "open", "单位尚未报送"),
    ("accept", "returned", "须单位重新报送"),
    ("extension", "responded", "正在等待复查"),
])
def test_refusals_explain_themselves(action, state, words, app):
    assert words in rectification.refusal(action, state)


def test_returns_are_counted_and_the_reason_reaches_the_unit(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    for n in (1, 2):
        respond(ticket)
        rectification.return_ticket(db.session, user("inspector"), ticket, reason=f"第{n}次：证据不足")
    ticket = reload(ticket)
    assert ticket.returns_count == 2 and ticket.status == "returned"
    reasons = [n.params["reason"] for n in notified("officer", "ticket_returned")]
    assert reasons == ["第1次：证据不足", "第2次：证据不足"]
    assert events(ticket) == ["issued", "responded", "returned", "responded", "returned"]
    respond(ticket)
    with pytest.raises(DomainError, match="退回时请写明理由"):
        rectification.return_ticket(db.session, user("inspector"), reload(ticket), reason="")


def test_a_return_may_set_a_new_due_date(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    respond(ticket)
    later = local_today() + timedelta(days=20)
    with pytest.raises(DomainError, match="不能早于今天"):
        rectification.return_ticket(db.session, user("inspector"), ticket, reason="重做",
                                    new_due_date=local_today() - timedelta(days=1))
    event = rectification.return_ticket(db.session, user("inspector"), ticket, reason="重做", new_due_date=later)
    assert reload(ticket).due_date == later and event.new_due_date == later


def test_who_may_do_what(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    with pytest.raises(DomainError, match="只有被检查单位的保密员"):
        respond(ticket, by="inspector")
    with pytest.raises(DomainError, match="只有被检查单位的保密员"):
        respond(ticket, by="officer2")
    respond(ticket)
    for other in ("officer", "leader", "inspector2"):  # inspector2: a district bureau did not issue it
        with pytest.raises(DomainError, match="只有下发整改通知的检查机关"):
            rectification.accept(db.session, user(other), ticket)
    with pytest.raises(DomainError, match="只有被检查单位的保密员和检查机关"):
        rectification.comment(db.session, user("leader"), ticket, "领导也想说一句")
    # A colleague of the issuing bureau may verify; so may a city inspector a district's notice.
    make_user("inspector3", node=node("BC-BMJ"))
    rectification.accept(db.session, user("inspector3"), ticket)
    _i, _n, (district_ticket,) = issued_inspection("DH-FY", lead="inspector2")
    respond(district_ticket, by=make_user("fy-officer", role="officer", node=node("DH-FY")).username)
    rectification.accept(db.session, user("inspector"), district_ticket)


def test_a_stale_form_is_refused(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    seen = ticket.revision
    respond(ticket, revision=seen)
    rectification.return_ticket(db.session, user("inspector"), ticket, reason="补充", revision=seen + 1)
    with pytest.raises(Conflict, match="已有新的变化"):
        respond(reload(ticket), revision=seen + 1)


def test_a_response_needs_its_parts(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    with pytest.raises(DomainError, match="请填写整改措施"):
        respond(ticket, measures="")
    with pytest.raises(DomainError, match="请填写整改责任人"):
        respond(ticket, responsible=" ")
    with pytest.raises(DomainError, match="不能晚于今天"):
        respond(ticket, completed_on=local_today() + timedelta(days=1))
    with pytest.raises(DomainError, match="不能早于发现问题的检查日期"):
        respond(ticket, completed_on=local_today() - timedelta(days=1))
    with pytest.raises(DomainError, match="至少一份佐证材料"):
        respond(ticket, uploads=[])
    with pytest.raises(DomainError, match="只能上传"):
        respond(ticket, uploads=[rectification.Upload(b"MZ\x90\x00 not a photo", "photo.jpg")])
    with pytest.raises(ClassifiedText):
        respond(ticket, measures="已销毁标有“秘密★5年”的文件")
    assert reload(ticket).status == "open" and count(Attachment, Attachment.ticket_id == ticket.id) == 0


def test_a_draft_keeps_text_and_evidence_until_sent(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    officer = user("officer")
    rectification.save_draft(db.session, officer, ticket, measures="已拆除", uploads=[evidence_upload()])
    pdf = rectification.Upload(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "台账扫描.pdf")
    rectification.save_draft(db.session, officer, ticket, measures="已拆除并登记", responsible="李四", uploads=[pdf])
    ticket = reload(ticket)
    assert ticket.draft_measures == "已拆除并登记" and ticket.draft_responsible == "李四"
    draft_files = rectification.pending_evidence(db.session, ticket)
    assert [f.mime for f in draft_files] == ["image/jpeg", "application/pdf"]
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "ticket_responded")) == 0  # nothing sent yet
    rectification.remove_evidence(db.session, officer, ticket, draft_files[1])
    event = respond(ticket, uploads=[])  # the draft's photo is the evidence
    ticket = reload(ticket)
    assert ticket.status == "responded" and ticket.draft_measures is None
    sent = db.session.scalars(select(Attachment).where(Attachment.ticket_event_id == event.id)).all()
    assert [a.id for a in sent] == [draft_files[0].id]
    assert [n.params["title"] for n in notified("inspector", "ticket_responded")]
    with pytest.raises(Conflict, match="现在不能修改佐证材料"):
        rectification.remove_evidence(db.session, officer, ticket, sent[0])


def test_evidence_has_a_size_limit(demo, app):
    app.config["ATTACHMENT_MAX_BYTES"] = 20 * 1024
    _inspection, _notice, (ticket,) = issued_inspection()
    big = rectification.Upload(jpeg(1600, 1200, "#123456") + b"\0" * 30 * 1024, "big.jpg")
    with pytest.raises(DomainError, match=r"big\.jpg：文件过大"):
        respond(ticket, uploads=[big])
    assert reload(ticket).status == "open"


def test_the_same_photo_twice_is_stored_once(demo, app):
    from pathlib import Path

    _inspection, _notice, (ticket,) = issued_inspection()
    photo = jpeg(320, 240, "#884422")
    respond(ticket, uploads=[rectification.Upload(photo, "a.jpg"), rectification.Upload(photo, "b.jpg")])
    rows = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
    assert len(rows) == 2 and len({r.sha256 for r in rows}) == 1
    stored = [p for p in Path(app.config["ATTACHMENTS_DIR"]).rglob(rows[0].sha256)]
    assert len(stored) == 1


# Extensions ---------------------------------------------------------------------------------------------


def test_an_extension_granted_moves_the_due_date(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    original = ticket.due_date
    asked = original + timedelta(days=30)
    with pytest.raises(DomainError, match="须晚于现在的整改期限"):
        rectification.request_extension(db.session, user("officer"), ticket, until=original, reason="采购")
    with pytest.raises(DomainError, match="延期的理由"):
        rectification.request_extension(db.session, user("officer"), ticket, until=asked, reason="")
    extension = rectification.request_extension(db.session, user("officer"), ticket, until=asked, reason="需采购设备")
    with pytest.raises(Conflict, match="正在审批"):
        rectification.request_extension(db.session, user("officer"), ticket, until=asked, reason="再申请")
    assert [n.params["until"] for n in notified("inspector", "extension_requested")] == [asked.isoformat()]
    with pytest.raises(DomainError, match="只有下发整改通知的检查机关"):
        rectification.decide_extension(db.session, user("officer"), extension, grant=True)
    rectification.decide_extension(db.session, user("inspector"), extension, grant=True,
                                   new_due_date=asked - timedelta(days=10))
    ticket = reload(ticket)
    assert ticket.due_date == asked - timedelta(days=10) and ticket.original_due_date == original
    assert db.session.get(ExtensionRequest, extension.id).status == "granted"
    assert events(ticket)[-2:] == ["extension_requested", "extension_granted"]
    assert notified("officer", "extension_granted")[0].params["until"] == ticket.due_date.isoformat()
    with pytest.raises(Conflict, match="已经审批过了"):
        rectification.decide_extension(db.session, user("inspector"), extension, grant=False, reason="改主意")


def test_an_extension_refused_keeps_the_due_date(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    original = ticket.due_date
    extension = rectification.request_extension(db.session, user("officer"), ticket,
                                                until=original + timedelta(days=5), reason="人手不足")
    with pytest.raises(DomainError, match="请说明理由"):
        rectification.decide_extension(db.session, user("inspector"), extension, grant=False, reason=" ")
    rectification.decide_extension(db.session, user("inspector"), extension, grant=False,
                                   reason="重大隐患须立行立改")
    ticket = reload(ticket)
    assert ticket.due_date == original
    assert db.session.get(ExtensionRequest, extension.id).status == "refused"
    assert notified("officer", "extension_refused")[0].params["reason"] == "重大隐患须立行立改"
    # Refused, the unit may ask again.
    rectification.request_extension(db.session, user("officer"), ticket, until=original + timedelta(days=3),
                                    reason="再次申请")


def test_accepting_withdraws_a_pending_extension(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    extension = rectification.request_extension(db.session, user("officer"), ticket,
                                                until=ticket.due_date + timedelta(days=5), reason="采购")
    respond(ticket)
    rectification.accept(db.session, user("inspector"), ticket)
    assert db.session.get(ExtensionRequest, extension.id).status == "refused"


# Closing ------------------------------------------------------------------------------------------------


def test_the_inspection_closes_when_every_ticket_is_accepted_or_cancelled(demo):
    inspection, _notice, tickets = issued_inspection(failing=THREE)
    inspector = user("inspector")
    respond(tickets[0])
    rectification.accept(db.session, inspector, tickets[0])
    rectification.cancel_ticket(db.session, inspector, tickets[1], reason="认定有误")
    db.session.refresh(inspection)
    assert inspection.status == "issued" and inspection.closed_at is None
    respond(tickets[2])
    rectification.return_ticket(db.session, inspector, tickets[2], reason="不够")
    respond(tickets[2])
    rectification.accept(db.session, inspector, tickets[2])
    db.session.refresh(inspection)
    assert inspection.status == "closed" and inspection.closed_at
    assert db.session.scalar(select(AuditRecord.action).where(AuditRecord.action == "inspection.close"))
    assert notified("officer", "notice_closed") and notified("inspector", "notice_closed")


# Self-inspection ----------------------------------------------------------------------------------------


def test_self_inspection_findings_become_the_units_own_tickets(demo):
    inspection, tickets = self_inspection(failing={"Z1": "noncompliant", "Z5": "noncompliant"})
    assert inspection.status == "issued" and len(tickets) == 2
    assert all(t.notice_id is None and t.status == "open" for t in tickets)
    today = local_today()
    assert {t.finding.severity: (t.due_date - today).days for t in tickets} == {"general": 60, "serious": 30}
    # The bureau reads them only; the unit answers and verifies them itself.
    respond(tickets[0])
    for bureau in ("inspector", "leader"):
        with pytest.raises(DomainError, match="由单位自行"):
            rectification.accept(db.session, user(bureau), tickets[0])
    with pytest.raises(DomainError, match="由单位自行办理"):
        rectification.comment(db.session, user("inspector"), tickets[0], "请尽快")
    assert notified("inspector") == []
    rectification.accept(db.session, user("officer"), tickets[0])
    rectification.cancel_ticket(db.session, user("officer"), tickets[1], reason="复核后确认符合")
    db.session.refresh(inspection)
    assert inspection.status == "closed"


def test_a_self_inspection_without_findings_closes_at_submit(demo):
    inspection, tickets = self_inspection(failing={})
    assert tickets == [] and inspection.status == "closed"


# Comments and the timeline --------------------------------------------------------------------------------


def test_comments_go_both_ways_and_every_event_is_audited(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    rectification.comment(db.session, user("officer"), ticket, "请问需要哪些照片？")
    rectification.comment(db.session, user("inspector"), ticket, "设备标签和台账即可")
    with pytest.raises(DomainError, match="请填写留言内容"):
        rectification.comment(db.session, user("officer"), ticket, "   ")
    assert notified("inspector", "ticket_comment")[0].params["excerpt"] == "请问需要哪些照片？"
    assert notified("officer", "ticket_comment")[0].params["author"] == user("inspector").display_name
    respond(ticket)
    rectification.record_recheck(db.session, user("inspector"), ticket, note="现场复查", uploads=[evidence_upload()])
    rectification.accept(db.session, user("inspector"), ticket, note="整改到位")
    timeline = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                  .order_by(TicketEvent.id)).all()
    assert [e.kind for e in timeline] == ["issued", "comment", "comment", "responded", "rechecked", "accepted"]
    assert [e.actor.username for e in timeline] == ["inspector", "officer", "inspector", "officer", "inspector",
                                                    "inspector"]
    audited = db.session.scalars(select(AuditRecord).where(AuditRecord.object_type == "ticket",
                                                           AuditRecord.action.startswith("ticket."))).all()
    import json

    event_ids = {json.loads(r.details).get("event_id") for r in audited}
    assert {e.id for e in timeline} <= event_ids


# Reminders ------------------------------------------------------------------------------------------------


def test_reminders_go_at_most_once_a_day(demo):
    _inspection, _notice, tickets = issued_inspection(failing=THREE)  # due in 7, 30 and 60 days
    critical = next(t for t in tickets if t.finding.severity == "critical")
    today = local_today()
    # Nothing is near yet.
    assert rectification.send_reminders(db.session, today=today).due_soon == []
    # Three days before the critical one is due: its officers hear of it, once that day.
    day = critical.due_date - timedelta(days=3)
    report = rectification.send_reminders(db.session, today=day)
    assert report.due_soon == [critical.id] and report.overdue == []
    assert rectification.send_reminders(db.session, today=day).due_soon == []
    assert len(notified("officer", "due_soon")) == 1
    # The next day, again (still due soon).
    assert rectification.send_reminders(db.session, today=day + timedelta(days=1)).due_soon == [critical.id]
    # Overdue: the officer, the lead inspector and the leaders over the unit, once a day.
    late = critical.due_date + timedelta(days=2)
    report = rectification.send_reminders(db.session, today=late)
    assert report.overdue == [critical.id] and report.digests == 1
    assert rectification.send_reminders(db.session, today=late).overdue == []
    assert notified("inspector", "overdue")[0].params["days"] == 2
    assert notified("leader", "overdue_digest")[0].params["count"] == 1
    assert notified("officer", "overdue")
    assert notified("inspector2") == []  # not the lead, and a district inspector at that
    assert reload(critical).last_reminded_on == late
    assert events(critical).count("reminded") == 3


def test_responded_and_finished_tickets_are_not_reminded(demo):
    _inspection, _notice, tickets = issued_inspection(failing={"F3": "noncompliant", "F1": "noncompliant"})
    respond(tickets[0])
    rectification.cancel_ticket(db.session, user("inspector"), tickets[1], reason="认定有误")
    report = rectification.send_reminders(db.session, today=tickets[0].due_date + timedelta(days=5))
    assert report.due_soon == [] and report.overdue == []


def test_a_district_leader_hears_only_of_the_district(demo):
    make_user("xs-leader", role="leader", node=node("BC-XS"))
    _i, _n, (dh,) = issued_inspection("DH-ZFB")
    _i, _n, (_xs,) = issued_inspection("XS-ZRZY")
    rectification.send_reminders(db.session, today=dh.due_date + timedelta(days=1))
    assert notified("xs-leader", "overdue_digest")[0].params["count"] == 1
    assert notified("leader", "overdue_digest")[0].params["count"] == 2


def test_overdue_is_derived_from_the_due_date(demo):
    _inspection, _notice, (ticket,) = issued_inspection()
    assert not ticket.is_overdue(ticket.due_date)
    assert ticket.is_overdue(ticket.due_date + timedelta(days=1))
    respond(ticket)
    assert not reload(ticket).is_overdue(ticket.due_date + timedelta(days=1))  # the bureau's turn now


def test_the_remind_command(demo, app):
    _inspection, _notice, (ticket,) = issued_inspection()
    runner = app.test_cli_runner()
    late = (ticket.due_date + timedelta(days=1)).isoformat()
    result = runner.invoke(args=["tickets", "remind", "--date", late])
    assert result.exit_code == 0, result.output
    assert "1 overdue" in result.output
    again = runner.invoke(args=["tickets", "remind", "--date", late])
    assert "0 due soon, 0 overdue" in again.output


# Repeat findings ----------------------------------------------------------------------------------------


def _age_submission(inspection, days: int) -> None:
    inspection.submitted_at = utcnow() - timedelta(days=days)
    db.session.commit()


def test_repeat_findings_link_the_earlier_ticket_within_24_months(demo):
    first, _notice, (earlier,) = issued_inspection(failing={"F7": "noncompliant"})
    _age_submission(first, 400)
    second, _findings = submitted_inspection(failing={"F7": "noncompliant", "F3": "noncompliant"})
    repeat = db.session.scalar(select(Finding).where(Finding.inspection_id == second.id, Finding.item_key == "F7"))
    assert repeat.is_repeat and repeat.repeat_of_id == earlier.finding_id
    fresh = db.session.scalar(select(Finding).where(Finding.inspection_id == second.id, Finding.item_key == "F3"))
    assert not fresh.is_repeat


def test_a_finding_older_than_24_months_is_no_repeat(demo):
    first, _notice, _tickets = issued_inspection(failing={"F7": "noncompliant"})
    _age_submission(first, 800)
    _second, findings = submitted_inspection(failing={"F7": "noncompliant"})
    assert not findings[0].is_repeat and findings[0].repeat_of_id is None
