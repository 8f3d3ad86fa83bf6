"""Incidents (泄密事件) and their cases, through the services: the 24-hour clock across midnight, days and time
zones; who may report what; every transition of the case, allowed and refused; the case's 整改 as a ticket in the
rectification loop; the follow-up 专项检查; the reminders; the audit trail and the notifications."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import (
    AuditRecord,
    Incident,
    IncidentEvent,
    Inspection,
    Notification,
    Ticket,
    TicketStatus,
    utcnow,
)
from inspect_app.services import Conflict, DomainError, NotAllowed, incidents, rectification
from inspect_app.services.rectification import ClassifiedText

from .factories import case_through, incident_report, jpeg, report_incident, respond
from .helpers import make_user, node, user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(text: str) -> datetime:
    """A stored (naive UTC) moment."""
    return datetime.fromisoformat(text)


# The 24-hour clock -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("wall", "zone", "found_utc", "due_local"), [
    # Across midnight: found at 23:30 in Beijing, due at 23:30 the next day.
    ("2026-03-10 23:30", "Asia/Shanghai", "2026-03-10 15:30", "2026-03-11 23:30"),
    # Across the month and the year.
    ("2026-12-31 22:00", "Asia/Shanghai", "2026-12-31 14:00", "2027-01-01 22:00"),
    ("2028-02-28 09:15", "Asia/Shanghai", "2028-02-28 01:15", "2028-02-29 09:15"),
    # A reporter abroad: 22:00 in New York on a winter day is 11:00 the next day in Beijing.
    ("2026-01-15 22:00", "America/New_York", "2026-01-16 03:00", "2026-01-17 11:00"),
    # The night New York springs forward: 24 hours are 24 hours, whatever the clocks there do.
    ("2026-03-08 01:30", "America/New_York", "2026-03-08 06:30", "2026-03-09 14:30"),
    # Xinjiang's own clock, two hours behind Beijing.
    ("2026-06-01 08:00", "Asia/Urumqi", "2026-06-01 02:00", "2026-06-02 10:00"),
])
def test_the_report_is_due_24_hours_after_it_was_found_in_any_zone(app, wall, zone, found_utc, due_local):
    found = incidents.to_utc(datetime.fromisoformat(wall), incidents.zone_named(zone))
    assert found == utc(found_utc)
    due = incidents.report_due(found)
    assert due - found == timedelta(hours=24)
    assert incidents.in_zone(due).strftime("%Y-%m-%d %H:%M") == due_local  # shown in the bureau's time


def test_exactly_24_hours_is_on_time_and_a_minute_more_is_late(demo):
    found = datetime(2026, 3, 10, 23, 30)  # Beijing, just before midnight
    now = utc("2026-03-12 00:00")
    on_time = report_incident(found_at=found, now=utc("2026-03-11 15:30"))  # 23:30 the next day, Beijing
    late = report_incident(found_at=found, now=utc("2026-03-11 15:31"))
    assert not on_time.is_late and late.is_late
    clock = incidents.report_clock(late, now)
    assert clock.late_by == timedelta(minutes=1) and clock.took == timedelta(hours=24, minutes=1)
    assert incidents.report_clock(on_time, now).late_by is None


def test_a_report_filed_abroad_runs_the_same_clock(demo):
    """An officer on a trip reports at 20:00 New York time a loss found at 06:00 there: 14 hours, on time; the times
    are kept in UTC, shown in Beijing time, and the reporter's own zone is remembered."""
    incident = report_incident(found_at=datetime(2026, 1, 15, 6, 0), zone="America/New_York",
                               now=utc("2026-01-16 01:00"))
    assert incident.found_at == utc("2026-01-15 11:00") and incident.zone == "America/New_York"
    assert incidents.report_clock(incident).took == timedelta(hours=14) and not incident.is_late
    view = incidents.incident_view(db.session, user("inspector"), incident)
    assert view.reporter_zone == "America/New_York"
    assert view.in_reporter_zone(incident.found_at) == "2026-01-15 06:00"


def test_unreported_past_24_hours_counts_as_late(demo):
    found = (datetime.now(SHANGHAI) - timedelta(hours=30)).replace(tzinfo=None)
    awaiting = report_incident(by="inspector", found_at=found)  # registered by the bureau, no report yet
    assert awaiting.reported_at is None and not awaiting.is_late
    assert awaiting.report_overdue(utcnow()) and incidents.report_clock(awaiting).late


# Reporting --------------------------------------------------------------------------------------------------


def test_an_officer_reports_and_both_bureaus_hear_at_once(demo):
    make_user("dh-leader", "leader", node("BC-DH"))
    incident = report_incident(uploads=[incidents.Upload(jpeg(), "现场.jpg")])
    assert (incident.status, incident.unit_id, incident.bureau_id) == ("reported", node("DH-ZFB").id,
                                                                      node("BC-DH").id)
    assert incident.reported_at is not None and not incident.is_late
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "incident_reported",
                                                                     Notification.object_id == incident.id)))
    # The district's inspector and leader, and the city's.
    assert told == {user(u).id for u in ("inspector2", "dh-leader", "inspector", "leader")}
    actions = db.session.scalars(select(AuditRecord.action).where(AuditRecord.object_type == "incident")).all()
    assert actions == ["incident.reported", "incident.files"]
    event = db.session.scalar(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id))
    assert (event.kind, event.actor_id) == ("reported", user("officer").id)


def test_a_late_report_says_so_to_the_bureau(demo):
    found = (datetime.now(SHANGHAI) - timedelta(hours=30)).replace(tzinfo=None)
    incident = report_incident(found_at=found)
    assert incident.is_late
    note = db.session.scalar(select(Notification).where(Notification.kind == "incident_reported",
                                                        Notification.user_id == user("inspector2").id))
    from inspect_app.services import notifications

    assert "报告时已超过24小时" in notifications.text_of(note)


def test_a_bureau_registers_one_and_the_unit_reports_later(demo):
    found = (datetime.now(SHANGHAI) - timedelta(hours=5)).replace(tzinfo=None)
    incident = report_incident(by="inspector2", found_at=found, remedies=None)
    assert incident.reported_at is None
    asked = db.session.scalar(select(Notification).where(Notification.kind == "incident_report_requested"))
    assert asked.user_id == user("officer").id
    incidents.file_unit_report(db.session, user("officer"), incident, remedies="已收回U盘。", note="补充说明")
    assert incident.reported_at is not None and not incident.is_late and incident.remedies == "已收回U盘。"
    with pytest.raises(Conflict, match="已报告过"):
        incidents.file_unit_report(db.session, user("officer"), incident, remedies="再报一次。")


def test_the_bureau_may_record_a_report_that_came_by_telephone(demo):
    found = (datetime.now(SHANGHAI) - timedelta(hours=40)).replace(tzinfo=None)
    incident = report_incident(by="inspector", found_at=found, reported_at=found + timedelta(hours=26))
    assert incident.is_late and incident.reported_at == incident.found_at + timedelta(hours=26)


@pytest.mark.parametrize(("who", "unit", "error"), [
    ("officer", "XS-ZRZY", DomainError),  # another unit
    ("inspector2", "XS-ZRZY", DomainError),  # out of the district's scope
    ("leader", "DH-ZFB", NotAllowed),  # leaders read
    ("admin", "DH-ZFB", NotAllowed),
])
def test_who_may_report_for_which_unit(demo, who, unit, error):
    with pytest.raises(error):
        report_incident(unit, by=who)
    assert db.session.scalar(select(Incident)) is None


@pytest.mark.parametrize(("fields", "field"), [
    ({"kind": "rumour"}, "kind"),
    ({"carrier": ""}, "carrier"),
    ({"level": "public"}, "level"),
    ({"quantity": 0}, "quantity"),
    ({"quantity": None}, "quantity"),
    ({"title": "  "}, "title"),
    ({"description": ""}, "description"),
    ({"involved": None}, "involved"),
    ({"remedies": ""}, "remedies"),  # an officer's report says what was done at once
    ({"zone": "Mars/Olympus"}, "zone"),
    ({"found_at": None}, "found_at"),
    ({"found_at": datetime.now() + timedelta(days=2)}, "found_at"),
    ({"found_at": datetime(1, 1, 1)}, "found_at"),  # the calendar's first day: no overflow, a message
    ({"found_at": datetime(9999, 12, 31, 23, 0)}, "found_at"),
    ({"occurred_at": datetime.now() - timedelta(hours=1), "found_at": datetime.now() - timedelta(hours=3)},
     "occurred_at"),
    ({"title": "长" * 121}, "title"),
])
def test_bad_reports_are_refused_with_the_field_named(demo, fields, field):
    with pytest.raises(DomainError) as refused:
        report_incident(**fields)
    assert refused.value.field == field
    assert db.session.scalar(select(Incident)) is None


def test_text_that_looks_classified_is_kept_only_once_confirmed(demo):
    with pytest.raises(ClassifiedText) as refused:
        report_incident(involved="机密★5年 会议纪要")
    assert refused.value.status_code == 422 and refused.value.field == "involved"
    assert db.session.scalar(select(Incident)) is None
    incident = incidents.report_incident(db.session, user("officer"), node("DH-ZFB"),
                                         incident_report(involved="机密★5年 会议纪要的封面"),
                                         confirm_unclassified=True)
    confirmed = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "incident.unclassified_confirmed"))
    assert confirmed.object_id == str(incident.id) and "involved" in confirmed.details


# The case -------------------------------------------------------------------------------------------------------


def test_a_case_runs_from_report_to_close_and_every_step_is_on_its_timeline(demo):
    incident = report_incident()
    inspector2 = user("inspector2")
    incidents.start_investigation(db.session, inspector2, incident, note="立案", target_date=local_today()
                                  + timedelta(days=60))
    assert (incident.status, incident.handler_id) == ("investigating", inspector2.id)
    incidents.add_note(db.session, inspector2, incident, body="询问当事人。",
                       uploads=[incidents.Upload(jpeg(), "询问笔录.jpg")])
    incidents.determine(db.session, inspector2, incident, determination="leak", reason="载体下落不明超过60日。")
    ticket = incidents.handle(db.session, inspector2, incident, discipline="建议给予警告处分。",
                              requirement="全面清查涉密载体。", due_date=local_today() + timedelta(days=15))
    assert incident.status == "handled" and ticket.finding.severity == "critical"  # a leak's 整改 is the gravest
    respond(ticket)
    rectification.accept(db.session, inspector2, ticket)
    incidents.close(db.session, inspector2, incident, summary="处理意见已落实。")
    assert incident.status == "closed" and incident.closed_at is not None
    events = db.session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                                .order_by(IncidentEvent.id)).all()
    moves = [(e.kind, e.from_status, e.to_status, e.actor_id, e.body) for e in events if e.from_status]
    assert moves == [("investigation", "reported", "investigating", inspector2.id, "立案"),
                     ("determined", "investigating", "determined", inspector2.id, "载体下落不明超过60日。"),
                     ("handled", "determined", "handled", inspector2.id, "建议给予警告处分。\n全面清查涉密载体。"),
                     ("closed", "handled", "closed", inspector2.id, "处理意见已落实。")]
    audited = db.session.scalars(select(AuditRecord.action).where(AuditRecord.object_type == "incident",
                                                                  AuditRecord.object_id == str(incident.id)))
    assert {"incident.investigation", "incident.note", "incident.files", "incident.determined", "incident.handled",
            "incident.closed"} <= set(audited)
    told = db.session.scalars(select(Notification.params_json).where(Notification.kind == "incident_status",
                                                                      Notification.user_id == user("officer").id))
    assert [p.split('"status": "')[1][:6] for p in told] == ["invest", "determ", "handle", "closed"]


REFUSED = [
    # (state the case is in, step, the words of the refusal)
    ("reported", "determine", "尚未开始调查"),
    ("reported", "handle", "尚未作出认定"),
    ("reported", "close", "尚未作出认定"),
    ("investigating", "investigate", "下一阶段"),
    ("investigating", "handle", "尚未作出认定"),
    ("determined", "close", "须先提出处理意见"),  # a violation closes only once handled
    ("determined", "determine", "下一阶段"),
    ("handled", "handle", "下一阶段"),
    ("handled", "close", "尚未复查销号"),  # its 整改 is still open
    ("reported", "bulletin", "提出处理意见后"),
    ("reported", "follow_up", "开始调查后"),
]


def _step(step: str, incident: Incident, actor=None):
    actor = actor or user("inspector")
    return {
        "investigate": lambda: incidents.start_investigation(db.session, actor, incident, note="再次立案"),
        "determine": lambda: incidents.determine(db.session, actor, incident, determination="leak", reason="认定"),
        "handle": lambda: incidents.handle(db.session, actor, incident, discipline="处分建议", requirement=None),
        "close": lambda: incidents.close(db.session, actor, incident, summary="结案"),
        "bulletin": lambda: incidents.draw_up_bulletin(db.session, actor, incident, named=False, summary="案情"),
        "follow_up": lambda: incidents.plan_follow_up(db.session, actor, incident),
        "note": lambda: incidents.add_note(db.session, actor, incident, body="调查"),
    }[step]()


@pytest.mark.parametrize(("state", "step", "words"), REFUSED)
def test_each_step_the_state_refuses_changes_nothing(demo, state, step, words):
    incident = report_incident()
    if state != "reported":
        case_through(incident, to=state)
    before = (incident.status, incident.revision, db.session.scalar(select(AuditRecord.id).order_by(
        AuditRecord.id.desc()).limit(1)))
    with pytest.raises(Conflict, match=words):
        _step(step, incident)
    db.session.rollback()
    db.session.refresh(incident)
    assert (incident.status, incident.revision, db.session.scalar(select(AuditRecord.id).order_by(
        AuditRecord.id.desc()).limit(1))) == before


def test_a_case_found_not_to_be_one_closes_once_determined_and_is_not_bulletined(demo):
    incident = case_through(report_incident(), to="determined", determination="unfounded")
    with pytest.raises(Conflict, match="不作通报"):
        incidents.draw_up_bulletin(db.session, user("inspector"), incident, named=False, summary="案情")
    incidents.close(db.session, user("inspector"), incident, summary="经鉴定不属于国家秘密。")
    assert incident.status == "closed"
    with pytest.raises(Conflict, match="已结案"):
        incidents.add_note(db.session, user("inspector"), incident, body="补记")
    with pytest.raises(Conflict, match="已结案"):
        incidents.supplement(db.session, user("officer"), incident, body="补充")


@pytest.mark.parametrize("who", ["officer", "leader", "officer2", "admin"])
def test_only_the_bureaus_inspectors_run_the_case(demo, who):
    incident = report_incident()
    with pytest.raises(DomainError, match="负责该案件"):
        _step("investigate", incident, user(who))
    assert incident.status == "reported"


def test_a_district_inspector_runs_its_own_districts_cases_only(demo):
    xs_case = report_incident("XS-ZRZY", by="officer2")
    with pytest.raises(DomainError, match="负责该案件"):
        _step("investigate", xs_case, user("inspector2"))
    _step("investigate", xs_case, user("inspector"))  # the city's inspector handles a district's case
    assert xs_case.handler_id == user("inspector").id


def test_a_stale_page_cannot_move_the_case(demo):
    incident = report_incident()
    seen = incident.revision
    incidents.start_investigation(db.session, user("inspector2"), incident, note="立案", revision=seen)
    with pytest.raises(Conflict, match="新的变化"):
        incidents.determine(db.session, user("inspector"), incident, determination="leak", reason="认定",
                            revision=seen)


@pytest.mark.parametrize(("fields", "field"), [
    ({"determination": "maybe"}, "determination"),
    ({"reason": " "}, "reason"),
])
def test_a_determination_needs_a_conclusion_and_its_grounds(demo, fields, field):
    incident = case_through(report_incident(), to="investigating")
    with pytest.raises(DomainError) as refused:
        incidents.determine(db.session, user("inspector"), incident, **{"determination": "leak", "reason": "认定",
                                                                        **fields})
    assert refused.value.field == field and incident.status == "investigating"


@pytest.mark.parametrize(("fields", "field"), [
    ({"discipline": None, "requirement": None}, "requirement"),
    ({"due_date": None}, "due_date"),
    ({"due_date": date(2000, 1, 1)}, "due_date"),
    ({"severity": "mild"}, "severity"),
])
def test_a_handling_opinion_needs_what_it_requires_and_by_when(demo, fields, field):
    incident = case_through(report_incident(), to="determined")
    values = {"discipline": "建议", "requirement": "整改", "due_date": local_today() + timedelta(days=10),
              **fields}
    with pytest.raises(DomainError) as refused:
        incidents.handle(db.session, user("inspector"), incident, **values)
    assert refused.value.field == field and incident.status == "determined"
    assert db.session.scalar(select(Ticket)) is None


# The case's 整改 in the rectification loop ------------------------------------------------------------------


def test_the_cases_requirement_is_a_ticket_the_unit_answers_like_any_other(demo):
    incident = case_through(report_incident(), to="handled", by="inspector2")
    ticket = incidents.case_ticket(db.session, incident)
    assert (ticket.inspection_id, ticket.notice_id, ticket.unit_id, ticket.status) == (None, None, incident.unit_id,
                                                                                     "open")
    assert ticket.incident is incident and ticket.issuer.code == "BC-DH" and not ticket.is_self
    assert ticket.finding.description == "建立涉密载体台账，定期清点。" and ticket.finding.inspection_id is None
    told = db.session.scalar(select(Notification).where(Notification.kind == "incident_rectification"))
    assert (told.user_id, told.object_type, told.object_id) == (user("officer").id, "ticket", ticket.id)
    # Verifying is for the bureau of the case; the unit answers; a case's ticket has no photos of an inspection.
    assert rectification.is_verifier(user("inspector2"), ticket) and rectification.is_verifier(user("inspector"),
                                                                                              ticket)
    assert not rectification.is_verifier(user("officer"), ticket)
    with pytest.raises(DomainError, match="不能早于发现事件的日期"):
        respond(ticket, completed_on=incident.found_at.date() - timedelta(days=3))
    respond(ticket)
    told = db.session.scalar(select(Notification).where(Notification.kind == "ticket_responded"))
    assert told.user_id == user("inspector2").id  # the case's handler hears, as an inspection's lead would
    rectification.return_ticket(db.session, user("inspector2"), ticket, reason="缺台账照片。")
    respond(ticket)
    rectification.accept(db.session, user("inspector2"), ticket)
    assert ticket.status == TicketStatus.ACCEPTED
    incidents.close(db.session, user("inspector2"), incident, summary="整改到位。")
    assert incident.status == "closed"


def test_a_cancelled_case_ticket_lets_the_case_close(demo):
    incident = case_through(report_incident(), to="handled")
    ticket = incidents.case_ticket(db.session, incident)
    rectification.cancel_ticket(db.session, user("inspector"), ticket, reason="整改要求并入专项检查。")
    incidents.close(db.session, user("inspector"), incident, summary="结案。")
    assert incident.status == "closed"


def test_a_follow_up_special_inspection_is_planned_in_one_step(demo):
    incident = case_through(report_incident(carrier="paper"), to="investigating", by="inspector2")
    inspection = incidents.plan_follow_up(db.session, user("inspector2"), incident)
    assert (inspection.kind, inspection.status, inspection.unit_id, inspection.lead_id) == (
        "special", "planned", incident.unit_id, user("inspector2").id)
    assert inspection.scheduled_on == local_today() + timedelta(days=7)
    assert [v.template.key for v in inspection.versions] == ["carriers"]
    assert incident.follow_up_id == inspection.id and "涉密U盘遗失" in inspection.scope
    with pytest.raises(Conflict, match="安排过专项检查"):
        incidents.plan_follow_up(db.session, user("inspector2"), incident)
    assert db.session.scalar(select(Inspection.id).where(Inspection.kind == "special")) == inspection.id


def test_a_bulletin_takes_the_next_number_of_the_bureaus_series_and_keeps_it(demo):
    incident = case_through(report_incident(), to="handled", by="inspector2")
    with pytest.raises(DomainError, match="东湖区人民政府办公室"):
        incidents.draw_up_bulletin(db.session, user("inspector2"), incident, named=False,
                                   summary="东湖区人民政府办公室一名工作人员遗失U盘。")
    incidents.draw_up_bulletin(db.session, user("inspector2"), incident, named=False, summary="某单位遗失U盘。")
    year = local_today().year
    assert incident.bulletin_number == f"东保通〔{year}〕1号" and not incident.bulletin_named
    incidents.draw_up_bulletin(db.session, user("inspector2"), incident, named=True,
                               summary="东湖区人民政府办公室一名工作人员遗失U盘。")
    assert incident.bulletin_number == f"东保通〔{year}〕1号" and incident.bulletin_named
    second = case_through(report_incident("DH-JYJ", by="inspector2"), to="handled", by="inspector2")
    incidents.draw_up_bulletin(db.session, user("inspector2"), second, named=False, summary="某单位。")
    assert second.bulletin_number == f"东保通〔{year}〕2号"


# Reminders ------------------------------------------------------------------------------------------------------


def test_reminders_for_an_overdue_report_and_a_case_past_its_target_once_a_day(demo, app):
    found = (datetime.now(SHANGHAI) - timedelta(hours=30)).replace(tzinfo=None)
    awaiting = report_incident(by="inspector2", found_at=found)
    slow = case_through(report_incident("XS-ZRZY", by="officer2"), to="investigating", by="inspector")
    slow.target_date = local_today() - timedelta(days=3)
    db.session.commit()
    fresh = report_incident("DH-JYJ", by="inspector2")  # its 24 hours are still running
    report = incidents.send_reminders(db.session)
    assert report.overdue_reports == [awaiting.id] and report.past_target == [slow.id]
    overdue = db.session.scalars(select(Notification.user_id).where(Notification.kind == "incident_report_overdue"))
    assert set(overdue) == {user("officer").id, user("inspector").id, user("inspector2").id}
    past = db.session.scalars(select(Notification.user_id).where(Notification.kind == "incident_past_target"))
    assert set(past) == {user("inspector").id, user("leader").id}
    assert incidents.send_reminders(db.session).overdue_reports == []  # once a day
    result = app.test_cli_runner().invoke(args=["incidents", "remind", "--date",
                                                (local_today() + timedelta(days=1)).isoformat()])
    assert result.exit_code == 0 and "1 overdue reports, 1 cases past their target" in result.output
    assert fresh.id not in report.overdue_reports
