"""Incidents through the pages: reporting with the form (CSRF, bad input, the classified guard), scoping of the
list, the case page and its files, the steps of the case, the two documents read back with pdftotext, the
dashboard's figures each equal to the list it opens, the ticket pages carrying a case's 整改, e-mail to the
bureaus, and the period summary's section."""

from __future__ import annotations

import email
import re
from datetime import datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import Attachment, Incident, Ticket, utcnow
from inspect_app.services import dashboard, incidents, rectification

from .factories import case_through, jpeg, report_incident, respond
from .helpers import make_user, node, user
from .test_documents import assert_official_pdf, fetch_pdf
from .test_rectification_web import smtp_server  # noqa: F401  (the fixture)
from .test_summary import flat

SHANGHAI = ZoneInfo("Asia/Shanghai")


def text(response) -> str:
    return response.get_data(as_text=True)


def wall(hours_ago: float) -> str:
    """A time `hours_ago` as the datetime picker sends it, in the bureau's zone."""
    return (datetime.now(SHANGHAI) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


FORM = {"kind": "leak", "title": "涉密U盘遗失", "carrier": "removable", "level": "secret", "quantity": "1",
        "involved": "涉密U盘1个", "description": "清点时发现涉密U盘不在保密柜中。", "persons": "机要员",
        "remedies": "已封存办公室。", "zone": "Asia/Shanghai"}


# Reporting through the form ------------------------------------------------------------------------------------


def test_an_officer_reports_from_the_form_with_a_photo(demo, browser_for):
    officer = browser_for("officer")
    page = text(officer.get("/incidents/new"))
    assert "发现后24小时内报告" in page and 'name="unit_id"' not in page  # an officer reports for their own unit
    response = officer.upload("/incidents/new", "现场.jpg", jpeg(), {**FORM, "found_at": wall(2)},
                              mime="image/jpeg", field="files")
    assert response.status_code == 302
    incident = db.session.scalar(select(Incident))
    assert response.headers["Location"].endswith(f"/incidents/{incident.id}")
    assert (incident.unit_id, incident.reported_by_id, incident.is_late) == (node("DH-ZFB").id,
                                                                             user("officer").id, False)
    page = text(officer.get(f"/incidents/{incident.id}"))
    assert "按时报告" in page and "涉密U盘遗失" in page and "已报告" in page
    photo = db.session.scalar(select(Attachment).where(Attachment.incident_id == incident.id))
    assert officer.get(f"/incidents/{incident.id}/files/{photo.id}").status_code == 200


def test_an_inspector_registers_one_for_a_unit_in_scope_only(demo, browser_for):
    inspector2 = browser_for("inspector2")
    page = text(inspector2.get("/incidents/new"))
    assert "东湖区人民政府办公室" in page and "西山县自然资源局" not in page
    refused = inspector2.post("/incidents/new", {**FORM, "found_at": wall(2), "unit_id": node("XS-ZRZY").id})
    assert refused.status_code == 400 and "请选择事发单位" in text(refused)
    done = inspector2.post("/incidents/new", {**FORM, "found_at": wall(2), "unit_id": node("DH-JYJ").id,
                                              "remedies": ""})
    assert done.status_code == 302
    incident = db.session.scalar(select(Incident))
    assert incident.reported_at is None and incident.unit_id == node("DH-JYJ").id


@pytest.mark.parametrize(("change", "message"), [
    ({"found_at": "yesterday"}, "时间格式不正确"),
    ({"found_at": ""}, "请填写发现时间"),
    ({"quantity": "many"}, "为正整数"),
    ({"zone": "Atlantis/City"}, "未知的时区"),
    ({"kind": ""}, "请选择事件类别"),
    ({"found_at": "0001-01-01T00:00"}, "超出了可以记录的范围"),
])
def test_bad_input_is_refused_with_a_message_and_kept(demo, browser_for, change, message):
    officer = browser_for("officer")
    response = officer.post("/incidents/new", {**FORM, "found_at": wall(2), **change})
    assert response.status_code == 400 and message in text(response)
    assert "涉密U盘遗失" in text(response)  # what was typed comes back
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 0


def test_a_report_without_its_csrf_token_changes_nothing(demo, browser_for):
    response = browser_for("officer").post("/incidents/new", {**FORM, "found_at": wall(2)}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 0


def test_the_form_asks_to_confirm_text_that_looks_classified(demo, browser_for):
    officer = browser_for("officer")
    data = {**FORM, "found_at": wall(2), "description": "U盘中存有密级：机密的文件。"}
    refused = officer.post("/incidents/new", data)
    assert refused.status_code == 422 and "我确认以上内容不含国家秘密" in text(refused)
    assert officer.post("/incidents/new", {**data, "confirm_unclassified": "1"}).status_code == 302


def test_the_same_form_sent_twice_is_one_report(demo, browser_for):
    officer = browser_for("officer")
    page = text(officer.get("/incidents/new"))
    form_id = re.search(r'name="client_uuid" value="([0-9a-f-]{36})"', page).group(1)
    data = {**FORM, "found_at": wall(2), "client_uuid": form_id}
    first, again = officer.post("/incidents/new", data), officer.post("/incidents/new", data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1
    # Another's form id is no way in to their report.
    assert browser_for("inspector2").post("/incidents/new", {**data, "unit_id": node("DH-ZFB").id}
                                          ).status_code == 409


def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_kept(demo, browser_for):
    response = browser_for("officer").upload("/incidents/new", "scene.jpg", b"MZ\x90\x00 not a photo",
                                             {**FORM, "found_at": wall(2)}, mime="image/jpeg", field="files")
    assert response.status_code == 400 and "scene.jpg" in text(response) and "不支持这种文件" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 0


def test_the_bureaus_policy_decides_whether_people_are_named(demo, app, browser_for):
    officer = browser_for("officer")
    assert "只填岗位或身份，不填姓名" in text(officer.get("/incidents/new"))
    app.config["INCIDENT_PERSON_NAMES"] = True
    assert "涉及人员（姓名或岗位）" in text(officer.get("/incidents/new"))


@pytest.mark.parametrize("who", ["leader", "admin", "auditor"])
def test_who_may_not_report_is_refused(demo, browser_for, who):
    assert browser_for(who).post("/incidents/new", {**FORM, "found_at": wall(2)}).status_code == 403


# Scope -----------------------------------------------------------------------------------------------------------


def test_a_unit_sees_only_its_own_incidents_and_a_district_only_its_own(demo, browser_for):
    own = report_incident()
    other = report_incident("XS-ZRZY", by="officer2", title="涉密笔记本遗失")
    officer, inspector2 = browser_for("officer"), browser_for("inspector2")
    listed = text(officer.get("/incidents"))
    assert "涉密U盘遗失" in listed and "涉密笔记本遗失" not in listed
    assert officer.get(f"/incidents/{other.id}").status_code == 404
    assert inspector2.get(f"/incidents/{other.id}").status_code == 404
    assert "涉密笔记本遗失" not in text(inspector2.get("/incidents"))
    assert browser_for("inspector").get(f"/incidents/{other.id}").status_code == 200
    assert browser_for("leader").get(f"/incidents/{own.id}").status_code == 200
    assert browser_for("admin").get("/incidents").status_code == 403


def test_a_file_is_served_only_through_its_own_incident(demo, browser_for):
    mine = report_incident(uploads=[incidents.Upload(jpeg(), "现场.jpg")])
    other = report_incident(title="另一起", uploads=[incidents.Upload(jpeg(colour="#aa3333"), "另一起.jpg")])
    theirs = db.session.scalar(select(Attachment).where(Attachment.incident_id == other.id))
    officer = browser_for("officer")
    assert officer.get(f"/incidents/{other.id}/files/{theirs.id}").status_code == 200
    assert officer.get(f"/incidents/{mine.id}/files/{theirs.id}").status_code == 404
    assert browser_for("officer2").get(f"/incidents/{other.id}/files/{theirs.id}").status_code == 404


def test_the_investigations_notes_and_records_are_the_bureaus_only(demo, browser_for):
    incident = case_through(report_incident(), to="investigating")
    incidents.add_note(db.session, user("inspector"), incident, body="当事人承认曾借给他人使用。",
                       uploads=[incidents.Upload(jpeg(), "询问笔录.jpg")])
    record = db.session.scalar(select(Attachment).where(Attachment.kind == "record"))
    officer, leader = browser_for("officer"), browser_for("leader")
    assert "当事人承认" not in text(officer.get(f"/incidents/{incident.id}"))
    assert officer.get(f"/incidents/{incident.id}/files/{record.id}").status_code == 404
    assert "当事人承认" in text(leader.get(f"/incidents/{incident.id}"))
    assert leader.get(f"/incidents/{incident.id}/files/{record.id}").status_code == 200
    assert "仅保密局可见" in text(leader.get(f"/incidents/{incident.id}"))


def test_a_leader_reads_the_case_but_takes_no_step(demo, browser_for):
    incident = report_incident()
    leader = browser_for("leader")
    assert f'action="/incidents/{incident.id}/investigate"' not in text(leader.get(f"/incidents/{incident.id}"))
    assert leader.post(f"/incidents/{incident.id}/investigate", {"note": "立案"}).status_code == 403
    assert browser_for("officer").post(f"/incidents/{incident.id}/investigate", {"note": "立案"}).status_code == 403


# The case through the pages --------------------------------------------------------------------------------------


def test_the_case_through_the_pages(demo, browser_for):
    incident = report_incident()
    inspector2, officer = browser_for("inspector2"), browser_for("officer")
    page = text(inspector2.get(f"/incidents/{incident.id}"))
    assert "立案调查" in page and "作出认定" not in page.split("办理记录")[0].split("案件办理")[1]
    base = f"/incidents/{incident.id}"
    assert inspector2.post(f"{base}/investigate", {"note": "立案", "revision": incident.revision}).status_code == 302
    # The determination refuses without a conclusion, with the message beside its form and nothing changed.
    refused = inspector2.post(f"{base}/determine", {"reason": "认定理由", "revision": 2})
    assert refused.status_code == 400 and "请选择认定结论" in text(refused) and "认定理由" in text(refused)
    # A stale page: the revision it was made from has moved on.
    assert inspector2.post(f"{base}/determine", {"determination": "violation", "reason": "认定", "revision": 1}
                           ).status_code == 409
    assert inspector2.post(f"{base}/determine", {"determination": "violation", "reason": "认定", "revision": 2}
                           ).status_code == 302
    due = (local_today() + timedelta(days=20)).isoformat()
    assert inspector2.post(f"{base}/handle", {"requirement": "建立载体台账。", "due_date": due, "revision": 3}
                           ).status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert f"/tickets/{ticket.id}" in text(inspector2.get(base))
    # The unit answers on the ticket pages, where the case's 整改 stands with the other tickets.
    inbox = text(officer.get("/tickets/inbox"))
    assert f"/tickets/{ticket.id}" in inbox and "案件整改" in inbox
    ticket_page = text(officer.get(f"/tickets/{ticket.id}"))
    assert "涉密U盘遗失" in ticket_page and "建立载体台账" in ticket_page
    ticket = db.session.get(Ticket, ticket.id)
    respond(ticket)
    revision = ticket.revision
    assert f"/tickets/{ticket.id}" in text(inspector2.get("/tickets/queue"))
    assert inspector2.post(f"/tickets/{ticket.id}/accept", {"revision": revision}).status_code == 302
    assert inspector2.post(f"{base}/close", {"summary": "结案", "revision": 4}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).status == "closed"
    assert "已结案" in text(officer.get(base))


def test_the_unit_supplements_its_report_and_the_handler_hears(demo, browser_for):
    incident = case_through(report_incident(), to="investigating", by="inspector2")
    officer = browser_for("officer")
    response = officer.upload(f"/incidents/{incident.id}/supplement", "补充.jpg", jpeg(),
                              {"body": "经查监控，U盘最后一次出现是在会议室。"}, mime="image/jpeg", field="files")
    assert response.status_code == 302
    assert "最后一次出现是在会议室" in text(browser_for("inspector2").get(f"/incidents/{incident.id}"))
    from inspect_app.models import Notification

    assert db.session.scalar(select(Notification.user_id).where(Notification.kind == "incident_supplement")) == \
        user("inspector2").id


def test_a_follow_up_inspection_from_the_case_page(demo, browser_for):
    incident = case_through(report_incident(), to="determined", by="inspector")
    inspector = browser_for("inspector")
    assert inspector.post(f"/incidents/{incident.id}/follow-up", {"scheduled_on": "not-a-day"}).status_code == 400
    assert inspector.post(f"/incidents/{incident.id}/follow-up", {}).status_code == 302
    db.session.expire_all()
    follow_up = db.session.get(Incident, incident.id).follow_up_id
    assert follow_up and f"/inspections/{follow_up}" in text(inspector.get(f"/incidents/{incident.id}"))


# Documents ---------------------------------------------------------------------------------------------------------


def test_the_units_report_as_a_pdf(demo, browser_for, tmp_path):
    found = datetime(2026, 3, 10, 23, 30)
    incident = report_incident(found_at=found, now=datetime(2026, 3, 11, 17, 45))  # 26 h 15 min later: late
    path, document = fetch_pdf(browser_for("inspector2"), f"/incidents/{incident.id}/report.pdf", tmp_path)
    body = flat(assert_official_pdf(path, document.verification_code))
    for expected in ("东湖区人民政府办公室文件", "东湖区人民政府办公室关于涉密U盘遗失的报告", "东湖区国家保密局：",
                     "《中华人民共和国保守国家秘密法》第四十七条", "《中华人民共和国保守国家秘密法实施条例》第六十一条",
                     "发现时间：2026年3月10日23时30分", "报告时限2026年3月11日23时30分", "超过24小时2小时15分",
                     "涉密U盘1个", "机密级", "已封存办公室并调取监控。", "工作秘密"):
        assert expected in body, expected
    assert document.kind == "incident_report" and document.unit_id == incident.unit_id
    verify = text(browser_for("officer").get(f"/verify?code={document.verification_code}"))
    assert "涉密U盘遗失" in verify
    assert browser_for("officer2").get(f"/incidents/{incident.id}/report.pdf").status_code == 404


def test_a_report_awaited_from_the_unit_has_no_document_yet(demo, browser_for):
    incident = report_incident(by="inspector", remedies=None)
    inspector = browser_for("inspector")
    assert "泄密事件报告 PDF" not in text(inspector.get(f"/incidents/{incident.id}"))
    assert inspector.get(f"/incidents/{incident.id}/report.pdf").status_code == 400


@pytest.mark.parametrize("named", [False, True])
def test_the_case_bulletin_names_the_unit_only_by_the_bureaus_choice(demo, browser_for, tmp_path, named):
    incident = case_through(report_incident(), to="handled", by="inspector2", determination="leak")
    summary = ("东湖区人民政府办公室" if named else "某单位") + "一名机要员将涉密U盘带出办公区后遗失。"
    inspector2 = browser_for("inspector2")
    assert inspector2.post(f"/incidents/{incident.id}/bulletin", {"named": "1" if named else "",
                                                                  "summary": summary}).status_code == 302
    path, document = fetch_pdf(inspector2, f"/incidents/{incident.id}/bulletin.pdf", tmp_path)
    body = flat(assert_official_pdf(path, document.verification_code))
    year = local_today().year
    for expected in (f"东保通〔{year}〕1号", "东湖区国家保密局文件", "关于一起泄密事件查处情况的通报", "各有关单位：",
                     "构成泄露国家秘密", "《中华人民共和国保守国家秘密法实施条例》第六十一条", "24小时内"):
        assert expected in body, expected
    assert ("东湖区人民政府办公室" in body) is named
    assert "建议批评教育" in body if named else "已向其主管部门提出处分建议。" in body
    assert "机要员" not in body.replace(summary, "") or named  # the people are named only in the bureau's account


def test_a_bulletin_shares_the_number_series_of_the_period_summary(demo, browser_for, tmp_path):
    from inspect_app.services.documents import summary

    incident = case_through(report_incident("BC-GAJ", by="inspector"), to="handled", by="inspector")
    incidents.draw_up_bulletin(db.session, user("inspector"), incident, named=False, summary="某单位遗失U盘。")
    year = local_today().year
    assert incident.bulletin_number == f"宝保通〔{year}〕1号"
    record = summary.period_summary(local_today() - timedelta(days=30), local_today(), node("BC-BMJ"))
    assert summary.bulletin_number(db.session, record, year) == f"宝保通〔{year}〕2号"


# The dashboard ------------------------------------------------------------------------------------------------


def _count_listed(browser, url: str) -> int:
    page = text(browser.get(url))
    match = re.search(r"共 (\d+) 条", page)
    return int(match.group(1)) if match else page.count('class="ticket-card incident-card')


def test_every_incident_figure_opens_exactly_its_list(full_demo, browser_for):
    for who in ("leader", "inspector2", "officer"):
        browser = browser_for(who)
        page = text(browser.get("/dashboard"))
        if who == "officer":
            assert "泄密事件和案件" not in page  # an officer's dashboard is their unit's, without the section
            continue
        section = page.split('id="incidents"')[1].split("</section>")[0]
        links = re.findall(r'<a[^>]*href="(/incidents\?[^"]+)"[^>]*>([^<]*)<', section)
        assert len(links) >= 8
        for href, label in links:
            href = href.replace("&amp;", "&")
            shown = re.search(r"(\d+)", label)
            if shown is None or "." in label:  # a chart's link, or a rate
                continue
            assert _count_listed(browser, href) == int(shown.group(1)), (who, href, label)


def test_the_figures_are_what_the_records_say(full_demo):
    leader = user("leader")
    ctx = dashboard.Context(db.session, leader, dashboard.Filters.for_preset("12m"))
    found = incidents.figures(ctx)
    rows = db.session.scalars(select(Incident)).all()
    assert found.total == len(rows) == 6
    now = utcnow()
    late = [i for i in rows if i.is_late or i.report_overdue(now)]
    assert found.late == len(late) == 1 and found.late_rate == round(100 / 6, 1)
    assert found.open_cases == sum(1 for i in rows if i.status != "closed") == 4
    assert found.by_kind == {"leak": 3, "violation": 3}
    assert sum(b.count for b in found.by_month) == 6
    assert {node.code: n for node, n in found.by_district} == {"BC-DH": 3, "BC-XS": 2, "BC-BMJ": 1}
    inspector2 = dashboard.Context(db.session, user("inspector2"), dashboard.Filters.for_preset("12m"))
    assert incidents.figures(inspector2).total == 3  # the district's own


def test_a_case_ticket_leaves_the_rectification_figures_as_the_records_say(demo):
    """The rule: the dashboard's rectification figures (tickets of the period, the backlog, overdue) are the
    inspection cycle's; a case's 整改 ticket has no inspection and counts in the incidents section instead. So
    opening, answering and accepting one moves none of them, and each still equals its rows."""
    from .factories import issued_inspection

    issued_inspection()
    ctx = dashboard.Context(db.session, user("leader"), dashboard.Filters.for_preset("12m"))
    before = dashboard.figures(ctx).counts
    incident = case_through(report_incident(), to="handled")
    ticket = incidents.case_ticket(db.session, incident)
    assert dashboard.figures(ctx).counts == before
    respond(ticket)
    rectification.accept(db.session, user("inspector"), ticket)
    counts = dashboard.figures(ctx).counts
    assert counts == before
    inspection_tickets = db.session.scalars(select(Ticket).where(Ticket.inspection_id.is_not(None))).all()
    assert counts["tickets_issued"] == len(inspection_tickets)
    assert counts["backlog"] == sum(1 for t in inspection_tickets if not t.is_finished)
    listed = db.session.scalar(select(func.count()).select_from(dashboard.listing(ctx, "backlog").subquery()))
    assert listed == counts["backlog"]


def test_the_units_list_counts_the_inspection_cycles_tickets_as_the_unit_profile_does(demo, browser_for):
    from .factories import issued_inspection

    issued_inspection()
    case_through(report_incident(), to="handled")
    leader = browser_for("leader")
    row = text(leader.get("/units?q=东湖区人民政府办公室")).split(">东湖区人民政府办公室</a>")[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row)[:1] == ["1"]  # the inspection's ticket, not the case's
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 2


# E-mail and the summary ----------------------------------------------------------------------------------------


def test_the_bureaus_hear_of_a_new_report_by_mail_when_configured(demo, app, smtp_server):  # noqa: F811
    user("inspector2").email = "inspector2@dh.example"
    user("leader").email = "leader@bmj.example"
    user("officer").email = "officer@dh.example"
    db.session.commit()
    report_incident()
    assert smtp_server.messages == []  # off by default
    app.config["MAIL_SERVER"] = f"127.0.0.1:{smtp_server.server_address[1]}"
    report_incident(title="涉密笔记本遗失")
    sent = [email.message_from_string(m, policy=policy.default) for m in smtp_server.messages]
    assert sorted(m["To"] for m in sent) == ["inspector2@dh.example", "leader@bmj.example"]  # not the reporter
    assert all("涉密笔记本遗失" in str(m["Subject"]) for m in sent)


def test_the_period_summary_has_an_incidents_section(full_demo):
    from inspect_app.services.documents import summary

    today = local_today()
    record = summary.period_summary(today - timedelta(days=90), today, node("BC-BMJ"))
    data = summary.summary_data(db.session, record)["incidents"]
    assert (data["total"], data["late"], data["leak"], data["violation"]) == (6, 1, 3, 3)
    assert data["determinations"] == {"leak": 1, "violation": 2, "unfounded": 1}
    assert data["open_cases"] == 4
    # Anonymised: no case's bulletin names its unit (the demo's one bulletin does not).
    assert [c["unit"] for c in data["cases"]] == ["某单位"] * 6
    named = db.session.scalar(select(Incident).where(Incident.bulletin_number.is_not(None)))
    incidents.draw_up_bulletin(db.session, user("inspector2"), named, named=True, summary="该单位一名工作人员。")
    units = [c["unit"] for c in summary.summary_data(db.session, record)["incidents"]["cases"]]
    assert units.count("东湖区人民政府办公室") == 1 and units.count("某单位") == 5
    district = summary.period_summary(today - timedelta(days=90), today, node("BC-XS"))
    assert summary.summary_data(db.session, district)["incidents"]["total"] == 2


def test_the_officer_is_told_where_to_go(demo, browser_for):
    officer = browser_for("officer")
    assert 'href="/incidents"' in text(officer.get("/tickets"))  # the navigation
    make_user("w-leader", "leader", node("BC-DH"))
    assert 'href="/incidents"' in text(browser_for("w-leader", "Tablet-Check-2026").get("/dashboard"))
