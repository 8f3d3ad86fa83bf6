"""Rectification through the pages: review and issue, the ticket page and its forms, the lists and their
exports, the evidence files, the notification centre and e-mail, and scoping (404 outside scope)."""

import csv
import email
import io
import socketserver
import threading
from datetime import date, timedelta
from email import policy

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import Attachment, ExtensionRequest, Finding, Inspection, Notice, Notification, Ticket
from inspect_app.services import rectification

from .factories import issued_inspection, jpeg, respond, self_inspection, submitted_inspection
from .helpers import make_user, node, user


def photo(name: str = "after.jpg", colour: str = "#226644"):
    return (io.BytesIO(jpeg(400, 300, colour)), name)


def response_form(ticket: Ticket, **overrides) -> dict:
    form = {"action": "send", "measures": "已拆除违规连接，U盘专管专用并登记。", "responsible": "张三",
            "completed_on": local_today().isoformat(), "revision": str(ticket.revision),
            "files": [photo()]}
    form.update(overrides)
    return form


def reload(ticket: Ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def text(response) -> str:
    return response.get_data(as_text=True)


def fetch(browser, url: str):
    """GET a served file and close it, as a WSGI server would."""
    response = browser.get(url)
    response.close()
    return response


# The whole loop through the pages ----------------------------------------------------------------------


def test_review_issue_respond_return_accept_close(demo, browser_for):
    inspection, findings = submitted_inspection(failing={"F3": "noncompliant", "F4": "noncompliant",
                                                         "F7": "partial"})
    by_key = {f.item_key: f for f in findings}
    lead = browser_for("inspector")
    review = lead.get(f"/inspections/{inspection.id}/findings")
    assert review.status_code == 200 and "审核检查发现的问题" in text(review)
    base = f"/inspections/{inspection.id}/findings"
    assert lead.post(f"{base}/{by_key['F7'].id}", {"action": "edit", "description": "台账缺两台",
                                                   "severity": "serious"}).status_code == 302
    assert lead.post(f"{base}/{by_key['F4'].id}", {"action": "merge", "into": by_key["F3"].id}).status_code == 302
    refused = lead.post(f"{base}/{by_key['F3'].id}", {"action": "drop", "reason": ""})
    assert refused.status_code == 400 and "撤销这个问题的理由" in text(refused)
    preview = lead.get(f"/inspections/{inspection.id}/notice")
    assert preview.status_code == 200 and "预计文号" in text(preview) and "台账缺两台" in text(preview)
    issued = lead.post(f"/inspections/{inspection.id}/notice")
    notice = db.session.scalar(select(Notice).where(Notice.inspection_id == inspection.id))
    assert issued.status_code == 302 and issued.location.endswith(f"/notices/{notice.id}")
    assert lead.get(f"/inspections/{inspection.id}/notice").location.endswith(f"/notices/{notice.id}")
    tickets = db.session.scalars(select(Ticket).where(Ticket.notice_id == notice.id).order_by(Ticket.id)).all()
    assert len(tickets) == 2

    officer = browser_for("officer")
    inbox = text(officer.get("/tickets"))
    assert "本单位整改事项" in inbox and "台账缺两台" in inbox
    assert 'class="badge">1<' in text(officer.get("/dashboard"))  # the unread notice, in the top bar
    first = tickets[0]
    sent = officer.post(f"/tickets/{first.id}/respond", response_form(first), content_type="multipart/form-data")
    assert sent.status_code == 302
    assert reload(first).status == "responded"

    returned = lead.post(f"/tickets/{first.id}/return",
                         {"reason": "照片看不出已登记", "revision": reload(first).revision})
    assert returned.status_code == 302 and reload(first).status == "returned"
    page = text(officer.get(f"/tickets/{first.id}"))
    assert "照片看不出已登记" in page and "退回理由" in page
    officer.post(f"/tickets/{first.id}/respond", response_form(reload(first)), content_type="multipart/form-data")
    assert lead.post(f"/tickets/{first.id}/accept", {"revision": reload(first).revision}).status_code == 302
    second = tickets[1]
    officer.post(f"/tickets/{second.id}/respond", response_form(second), content_type="multipart/form-data")
    lead.post(f"/tickets/{second.id}/accept", {"note": "整改到位"})
    db.session.expire_all()
    assert db.session.get(Inspection, inspection.id).status == "closed"
    notice_page = text(officer.get(f"/notices/{notice.id}"))
    assert "已办结" in notice_page and notice.number in notice_page
    assert reload(first).returns_count == 1


# The ticket page's forms --------------------------------------------------------------------------------


def test_bad_input_is_explained_and_kept(demo, browser_for):
    _inspection, _notice, (ticket,) = issued_inspection()
    officer = browser_for("officer")
    missing = officer.post(f"/tickets/{ticket.id}/respond", response_form(ticket, measures="", responsible="王五"),
                           content_type="multipart/form-data")
    assert missing.status_code == 400
    assert "请填写整改措施" in text(missing) and 'value="王五"' in text(missing)
    bad_date = officer.post(f"/tickets/{ticket.id}/respond", response_form(ticket, completed_on="2026-02-31"),
                            content_type="multipart/form-data")
    assert bad_date.status_code == 400 and "日期格式不正确" in text(bad_date)
    not_a_photo = officer.post(f"/tickets/{ticket.id}/respond",
                               response_form(ticket, files=[(io.BytesIO(b"#!/bin/sh\nrm -rf /"), "photo.jpg")]),
                               content_type="multipart/form-data")
    assert not_a_photo.status_code == 400 and "photo.jpg" in text(not_a_photo) and "只能上传" in text(not_a_photo)
    no_csrf = officer.post(f"/tickets/{ticket.id}/respond", response_form(ticket), csrf=False,
                           content_type="multipart/form-data")
    assert no_csrf.status_code == 400 and "页面已过期" in text(no_csrf)
    assert reload(ticket).status == "open"


def test_classified_looking_text_needs_confirmation(demo, browser_for):
    _inspection, _notice, (ticket,) = issued_inspection()
    officer = browser_for("officer")
    flagged = officer.post(f"/tickets/{ticket.id}/respond", response_form(ticket, measures="已收回“机密★10年”文件"),
                           content_type="multipart/form-data")
    assert flagged.status_code == 422 and 'name="confirm_unclassified"' in text(flagged)
    confirmed = officer.post(f"/tickets/{ticket.id}/respond",
                             response_form(ticket, measures="已收回“机密★10年”文件", confirm_unclassified="1"),
                             content_type="multipart/form-data")
    assert confirmed.status_code == 302 and reload(ticket).status == "responded"


def test_refused_transitions_are_explained_on_the_page(demo, browser_for):
    _inspection, _notice, (ticket,) = issued_inspection()
    officer, lead = browser_for("officer"), browser_for("inspector")
    early = lead.post(f"/tickets/{ticket.id}/accept", {})
    assert early.status_code == 409 and "单位尚未报送整改情况，不能销号" in text(early)
    stale_revision = ticket.revision
    officer.post(f"/tickets/{ticket.id}/respond", response_form(ticket), content_type="multipart/form-data")
    again = officer.post(f"/tickets/{ticket.id}/respond", response_form(reload(ticket)),
                         content_type="multipart/form-data")
    assert again.status_code == 409 and "正在等待复查" in text(again)
    stale = lead.post(f"/tickets/{ticket.id}/return", {"reason": "补充", "revision": stale_revision})
    assert stale.status_code == 409 and "已有新的变化" in text(stale)
    wrong_side = officer.post(f"/tickets/{ticket.id}/accept", {})
    assert wrong_side.status_code == 400 and "只有下发整改通知的检查机关" in text(wrong_side)
    leader = browser_for("leader")
    page = text(leader.get(f"/tickets/{ticket.id}"))
    assert "复查通过，销号" not in page and "发送留言" not in page  # leaders read only
    assert reload(ticket).status == "responded"


def test_drafts_extensions_rechecks_comments_and_cancel_through_the_page(demo, browser_for):
    _inspection, _notice, tickets = issued_inspection(failing={"F3": "noncompliant", "F7": "partial"})
    ticket, other = tickets
    officer, lead = browser_for("officer"), browser_for("inspector")
    draft = officer.post(f"/tickets/{ticket.id}/respond",
                         {"action": "draft", "measures": "正在采购", "files": [photo("draft.jpg")]},
                         content_type="multipart/form-data")
    assert draft.status_code == 302
    page = text(officer.get(f"/tickets/{ticket.id}"))
    assert "正在采购" in page and "尚未报送" in page
    draft_file = db.session.scalar(select(Attachment).where(Attachment.ticket_id == ticket.id))
    assert fetch(lead, f"/tickets/{ticket.id}/files/{draft_file.id}").status_code == 404  # the unit's until sent
    assert fetch(officer, f"/tickets/{ticket.id}/files/{draft_file.id}").status_code == 200
    assert officer.post(f"/tickets/{ticket.id}/evidence/{draft_file.id}/remove").status_code == 302
    assert officer.get(f"/tickets/{ticket.id}/files/{draft_file.id}").status_code == 404

    until = ticket.due_date + timedelta(days=14)
    assert officer.post(f"/tickets/{ticket.id}/extension", {"until": until.isoformat(),
                                                            "reason": "需采购设备"}).status_code == 302
    extension = db.session.scalar(select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id))
    assert "延期待审批" in text(lead.get("/tickets/queue"))
    undecided = lead.post(f"/tickets/{ticket.id}/extensions/{extension.id}", {"decision": ""})
    assert undecided.status_code == 400 and "请选择同意或不同意" in text(undecided)
    granted = lead.post(f"/tickets/{ticket.id}/extensions/{extension.id}",
                        {"decision": "grant", "new_due_date": until.isoformat()})
    assert granted.status_code == 302 and reload(ticket).due_date == until

    assert lead.post(f"/tickets/{ticket.id}/recheck", {"note": "现场查看设备已到货"}).status_code == 302
    assert lead.post(f"/tickets/{ticket.id}/comment", {"body": "请尽快安装"}).status_code == 302
    assert officer.post(f"/tickets/{ticket.id}/comment", {"body": "本周完成"}).status_code == 302
    timeline = text(officer.get(f"/tickets/{ticket.id}"))
    for words in ("申请延期", "同意延期", "现场复查", "请尽快安装", "本周完成", user("inspector").display_name):
        assert words in timeline
    cancelled = lead.post(f"/tickets/{other.id}/cancel", {"reason": "问题认定有误"})
    assert cancelled.status_code == 302 and reload(other).status == "cancelled"


def test_evidence_and_photos_are_served_only_through_their_ticket(demo, browser_for):
    _inspection, _notice, tickets = issued_inspection(failing={"F3": "noncompliant", "F7": "partial"})
    respond(tickets[0])
    evidence = db.session.scalar(select(Attachment).where(Attachment.ticket_id == tickets[0].id))
    officer = browser_for("officer")
    full = fetch(officer, f"/tickets/{tickets[0].id}/files/{evidence.id}")
    assert full.status_code == 200 and full.mimetype == "image/jpeg" and full.data[:3] == b"\xff\xd8\xff"
    assert "no-store" in full.headers["Cache-Control"]
    thumb = fetch(officer, f"/tickets/{tickets[0].id}/files/{evidence.id}?size=thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and len(thumb.data) < len(full.data)
    # Not through another ticket, not by guessing.
    assert officer.get(f"/tickets/{tickets[1].id}/files/{evidence.id}").status_code == 404
    assert officer.get(f"/tickets/{tickets[0].id}/files/999999").status_code == 404
    signature = db.session.scalar(select(Attachment).where(Attachment.kind == "signature"))
    assert officer.get(f"/tickets/{tickets[0].id}/files/{signature.id}").status_code == 404
    assert fetch(browser_for("inspector"), f"/tickets/{tickets[0].id}/files/{evidence.id}").status_code == 200


# Scoping ------------------------------------------------------------------------------------------------


def _every_route(ticket: Ticket, notice: Notice, evidence: Attachment, extension: ExtensionRequest):
    t = ticket.id
    gets = [f"/tickets/{t}", f"/tickets/{t}/files/{evidence.id}", f"/tickets/{t}/files/{evidence.id}?size=thumb",
            f"/notices/{notice.id}", f"/inspections/{ticket.inspection_id}/findings",
            f"/inspections/{ticket.inspection_id}/notice"]
    posts = [(f"/tickets/{t}/respond", {"action": "send"}), (f"/tickets/{t}/respond", {"action": "draft"}),
             (f"/tickets/{t}/extension", {}), (f"/tickets/{t}/extensions/{extension.id}", {"decision": "grant"}),
             (f"/tickets/{t}/accept", {}), (f"/tickets/{t}/return", {"reason": "x"}), (f"/tickets/{t}/recheck", {}),
             (f"/tickets/{t}/cancel", {"reason": "x"}), (f"/tickets/{t}/comment", {"body": "x"}),
             (f"/tickets/{t}/evidence/{evidence.id}/remove", {}),
             (f"/inspections/{ticket.inspection_id}/findings/{ticket.finding_id}", {"action": "drop", "reason": "x"}),
             (f"/inspections/{ticket.inspection_id}/notice", {})]
    return gets, posts


def _scoped_setup(unit: str):
    _inspection, notice, tickets = issued_inspection(unit, failing={"F3": "noncompliant", "F7": "partial"})
    officer = user("officer") if unit == "DH-ZFB" else user("officer2")
    respond(tickets[0], by=officer.username)
    extension = rectification.request_extension(db.session, officer, tickets[1],
                                                 until=tickets[1].due_date + timedelta(days=5), reason="采购")
    evidence = db.session.scalar(select(Attachment).where(Attachment.ticket_id == tickets[0].id))
    return notice, tickets[0], evidence, extension


@pytest.mark.parametrize(("outsider", "unit"), [("officer2", "DH-ZFB"), ("inspector2", "XS-ZRZY")])
def test_outsiders_get_404_on_every_route(demo, browser_for, outsider, unit):
    notice, ticket, evidence, extension = _scoped_setup(unit)
    gets, posts = _every_route(ticket, notice, evidence, extension)
    description = ticket.finding.description
    before = (reload(ticket).status, reload(ticket).revision)
    browser = browser_for(outsider)
    for url in gets:
        assert browser.get(url).status_code == 404, url
    for url, data in posts:
        assert browser.post(url, data).status_code == 404, url
    assert (reload(ticket).status, reload(ticket).revision) == before
    for listing in ("/tickets/all", "/tickets/findings", f"/tickets/overdue?unit={ticket.unit_id}",
                    "/tickets/export.csv", "/tickets/findings/export.csv"):
        response = browser.get(listing)
        assert response.status_code in (200, 302), listing
        assert description not in text(response), listing


def test_a_notification_is_its_readers_alone(demo, browser_for):
    issued_inspection()
    note = db.session.scalar(select(Notification).where(Notification.user_id == user("officer").id))
    other = browser_for("officer2")
    assert other.get(f"/notifications/{note.id}/open").status_code == 404
    assert other.post(f"/notifications/{note.id}/read").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is None


def test_roles_without_rectification_work_are_refused(demo, browser_for):
    issued_inspection()
    for username in ("admin", "auditor"):
        browser = browser_for(username)
        assert browser.get("/tickets").status_code == 403
        assert browser.get("/tickets/findings").status_code == 403
    assert browser_for("officer").get("/tickets/queue").status_code == 403
    assert browser_for("inspector").get("/tickets/inbox").status_code == 403
    inspection, _ = submitted_inspection("DH-JYJ")
    assert browser_for("officer").get(f"/inspections/{inspection.id}/findings").status_code == 404  # not its unit
    jyj_officer = make_user("jyj-officer", role="officer", node=node("DH-JYJ"))
    assert browser_for(jyj_officer.username, "Tablet-Check-2026").get(
        f"/inspections/{inspection.id}/findings").status_code == 403


# Lists, filters and exports ----------------------------------------------------------------------------


@pytest.fixture
def worklist(demo):
    """Tickets in several states, one overdue, one a repeat finding, one in another district."""
    first, _n, (old,) = issued_inspection(failing={"F7": "noncompliant"})
    first.submitted_at = first.submitted_at - timedelta(days=200)
    db.session.commit()
    _inspection, _notice, tickets = issued_inspection(failing={"F3": "noncompliant", "F5": "noncompliant",
                                                               "F7": "noncompliant"})
    by_key = {t.finding.item_key: t for t in tickets}
    respond(by_key["F5"])
    respond(by_key["F3"])
    rectification.return_ticket(db.session, user("inspector"), by_key["F3"], reason="重做")
    overdue = by_key["F7"]
    overdue.due_date = local_today() - timedelta(days=3)
    db.session.commit()
    _i, _n, (xs,) = issued_inspection("XS-ZRZY", failing={"F1": "noncompliant"})
    return {"old": old, "returned": by_key["F3"], "responded": by_key["F5"], "overdue": overdue, "xs": xs}


def ids_on(html: str, tickets) -> list[int]:
    """The tickets linked from a page, in page order."""
    found = []
    for ticket in tickets:
        position = html.find(f'href="/tickets/{ticket.id}"')
        if position >= 0:
            found.append((position, ticket.id))
    return [i for _p, i in sorted(found)]


def test_the_inbox_puts_overdue_and_returned_first(worklist, browser_for):
    html = text(browser_for("officer").get("/tickets"))
    order = ids_on(html, worklist.values())
    assert order[:2] == [worklist["overdue"].id, worklist["returned"].id]
    assert worklist["xs"].id not in order  # another unit's


def test_the_queue_holds_what_waits_for_this_inspector(worklist, browser_for):
    assert ids_on(text(browser_for("inspector").get("/tickets")), worklist.values()) == [worklist["responded"].id]
    assert ids_on(text(browser_for("inspector2").get("/tickets")), worklist.values()) == []  # not issued by them


def test_filters_on_the_all_list(worklist, browser_for):
    lead = browser_for("inspector")

    def listed(query: str) -> set[int]:
        return set(ids_on(text(lead.get(f"/tickets/all?{query}")), worklist.values()))

    everything = {t.id for t in worklist.values()}
    assert listed("") == everything
    assert listed("overdue=1") == {worklist["overdue"].id}
    repeat = db.session.scalar(select(Finding).where(Finding.is_repeat.is_(True)))
    assert repeat is not None and repeat.item_key == "F7"
    assert listed("repeat=1") == {worklist["overdue"].id}
    assert listed("status=returned") == {worklist["returned"].id}
    assert listed("status=unfinished") == everything
    # The repeated F7 (general) was suggested one step up, to serious.
    assert listed("severity=serious") == {worklist["responded"].id, worklist["overdue"].id}
    assert listed("severity=critical") == {worklist["returned"].id, worklist["xs"].id}
    assert listed(f"unit={node('XS-ZRZY').id}") == {worklist["xs"].id}
    assert listed(f"district={node('BC-DH').id}") == everything - {worklist["xs"].id}
    number = db.session.get(Ticket, worklist["xs"].id).notice.number
    assert listed(f"q={number}") == {worklist["xs"].id}
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    assert listed(f"from={tomorrow}") == set()
    assert listed(f"to={local_today().isoformat()}") == everything
    assert listed("kind=self") == set()
    # Nonsense is ignored, never a 500.
    for junk in ("status=zzz", "unit=abc", "from=2026-99-99", "sort=nope", "page=-3", "severity=%27"):
        assert lead.get(f"/tickets/all?{junk}").status_code == 200, junk


def test_sorting_and_paging(worklist, browser_for, app):
    lead = browser_for("inspector")
    by_due = ids_on(text(lead.get("/tickets/all?sort=due")), worklist.values())
    dues = [db.session.get(Ticket, i).due_date for i in by_due]
    assert dues == sorted(dues)
    by_due_desc = ids_on(text(lead.get("/tickets/all?sort=-due")), worklist.values())
    assert [db.session.get(Ticket, i).due_date for i in by_due_desc] == sorted(dues, reverse=True)
    app.config["PER_PAGE"] = 2
    first, second = text(lead.get("/tickets/all?page=1")), text(lead.get("/tickets/all?page=2"))
    assert "第 1 / 3 页" in first
    assert not set(ids_on(first, worklist.values())) & set(ids_on(second, worklist.values()))


def test_the_overdue_page_groups_by_district_and_unit(worklist, browser_for):
    html = text(browser_for("leader").get("/tickets/overdue"))
    assert "东湖区国家保密局" in html and "东湖区人民政府办公室" in html
    assert ids_on(html, worklist.values()) == [worklist["overdue"].id]
    assert browser_for("officer").get("/tickets/overdue").location.endswith("/tickets/inbox?overdue=1")


def test_the_ticket_export_as_xlsx(worklist, browser_for):
    response = browser_for("inspector").get("/tickets/export.xlsx?view=all&status=unfinished&repeat=1")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("文号", "被检查单位", "所属区县", "检查名称")
    assert len(rows) == 2  # the header and the one repeat finding's ticket
    row = dict(zip(header, rows[1], strict=True))
    assert row["屡查屡犯"] == "是" and row["是否逾期"] == "是" and row["逾期天数"] == 3
    assert row["整改期限"].date() == worklist["overdue"].due_date  # a real date, not text
    assert sheet.cell(row=2, column=header.index("整改期限") + 1).number_format == "yyyy-mm-dd"
    filters = dict(book["筛选条件"].iter_rows(values_only=True))
    assert filters["屡查屡犯"] == "是" and filters["状态"] == "未完成" and filters["记录数"] == 1


def test_the_ticket_export_as_csv(worklist, browser_for):
    response = browser_for("officer").get("/tickets/export.csv?view=inbox&sort=due")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff文号,")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 1 + 4  # the officer's unit: the old one and three new (the xs ticket is not theirs)
    assert all(r[1] == "东湖区人民政府办公室" for r in rows[1:])
    dues = [r[rows[0].index("整改期限")] for r in rows[1:]]
    assert dues == sorted(dues) and all(len(d) == 10 for d in dues)


def test_exports_neutralise_formulas(demo, browser_for):
    _inspection, _notice, (ticket,) = issued_inspection()
    respond(ticket, measures="=HYPERLINK(\"http://evil\")")
    csv_text = browser_for("inspector").get("/tickets/export.csv").data.decode("utf-8")
    assert "'=HYPERLINK" in csv_text
    book = load_workbook(io.BytesIO(browser_for("inspector").get("/tickets/export.xlsx").data))
    cells = [c for row in book.worksheets[0].iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)


def test_the_findings_list_and_its_export(worklist, browser_for):
    lead = browser_for("inspector")
    html = text(lead.get("/tickets/findings?repeat=1"))
    assert "屡查屡犯" in html and "上次发现" in html
    response = lead.get("/tickets/findings/export.xlsx?repeat=1")
    rows = list(load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "被检查单位" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["检查项"] == "F7" and row["屡查屡犯"] == "是" and isinstance(row["上次发现日期"], date)
    all_csv = lead.get("/tickets/findings/export.csv").data.decode("utf-8")
    assert all_csv.startswith("\ufeff被检查单位,") and len(all_csv.strip().splitlines()) == 1 + 5


def test_the_self_inspections_tickets_are_the_units_own(demo, browser_for):
    _inspection, (ticket,) = self_inspection()
    officer = browser_for("officer")
    assert ids_on(text(officer.get("/tickets")), [ticket]) == [ticket.id]
    officer.post(f"/tickets/{ticket.id}/respond", response_form(ticket), content_type="multipart/form-data")
    lead_page = text(browser_for("inspector").get(f"/tickets/{ticket.id}"))
    assert "检查机关只能查看" in lead_page and "复查通过，销号" not in lead_page
    assert "复查通过，销号" in text(officer.get(f"/tickets/{ticket.id}"))
    assert officer.post(f"/tickets/{ticket.id}/accept", {}).status_code == 302
    assert reload(ticket).status == "accepted"


# Notifications -----------------------------------------------------------------------------------------


def test_the_notification_centre(demo, browser_for):
    _inspection, notice, (ticket,) = issued_inspection()
    respond(ticket)
    rectification.return_ticket(db.session, user("inspector"), ticket, reason="补充照片")
    officer = browser_for("officer")
    page = text(officer.get("/notifications"))
    assert notice.number in page and "补充照片" in page and 'class="badge">2<' in page
    newest = db.session.scalars(select(Notification).where(Notification.user_id == user("officer").id)
                                .order_by(Notification.id.desc())).first()
    opened = officer.get(f"/notifications/{newest.id}/open")
    assert opened.status_code == 302 and opened.location.endswith(f"/tickets/{ticket.id}")
    assert 'class="badge">1<' in text(officer.get("/notifications"))
    assert officer.post("/notifications/read-all").status_code == 302
    assert 'class="badge"' not in text(officer.get("/notifications"))
    assert "没有未读通知" in text(officer.get("/notifications?unread=1"))
    inspector_page = text(browser_for("inspector").get("/notifications"))
    assert "报送了" in inspector_page


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        def say(line: str) -> None:
            self.wfile.write((line + "\r\n").encode())

        say("220 test ESMTP")
        lines, in_data = [], False
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if in_data:
                if line == ".":
                    in_data = False
                    self.server.messages.append("\n".join(lines))
                    lines = []
                    say("250 queued")
                else:
                    lines.append(line[1:] if line.startswith("..") else line)
                continue
            verb = line[:4].upper()
            if verb == "EHLO":
                say("250-test")
                say("250 8BITMIME")
            elif verb == "DATA":
                in_data = True
                say("354 go on")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[str] = []


@pytest.fixture
def smtp_server():
    server = _SMTPServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_mail_goes_out_after_commit_when_configured(demo, app, smtp_server):
    officer = user("officer")
    officer.email = "officer@dh.example"
    user("officer2").email = "officer2@xs.example"
    db.session.commit()
    app.config["MAIL_SERVER"] = f"127.0.0.1:{smtp_server.server_address[1]}"
    _inspection, notice, _tickets = issued_inspection()
    assert len(smtp_server.messages) == 1
    message = email.message_from_string(smtp_server.messages[0], policy=policy.default)
    assert message["To"] == "officer@dh.example"
    assert notice.number in str(message["Subject"]) and notice.number in message.get_content()


def test_mail_is_off_by_default_and_a_dead_server_breaks_nothing(demo, app, smtp_server, caplog):
    app.logger.disabled = False  # a migration test earlier in the run lets Alembic's fileConfig disable it
    user("officer").email = "officer@dh.example"
    db.session.commit()
    assert not app.config["MAIL_SERVER"]
    issued_inspection()
    assert smtp_server.messages == []
    app.config["MAIL_SERVER"] = "127.0.0.1:1"  # nothing listens there
    inspection, notice, _tickets = issued_inspection()
    assert notice.number and inspection.status == "issued"
    assert "mail server 127.0.0.1:1 unreachable" in caplog.text
    assert db.session.scalar(select(Notification).where(Notification.object_id == notice.id)) is not None


def test_the_ticket_shows_the_photos_taken_at_the_inspection(demo, browser_for):
    from inspect_app.services import inspections

    from .factories import answer_all, make_inspection, submit

    inspection = make_inspection()
    answer_all(inspection, failing={"F3": "noncompliant", "F7": "partial"})
    f3 = next(i for i in inspections.load_items(db.session, inspection) if i.key == "F3")
    taken, _ = inspections.add_photo(db.session, user("inspector"), inspection, f3.id, jpeg(640, 480, "#aa3333"),
                                     filename="usb.jpg", client_uuid=None)
    submit(inspection)
    notice = rectification.issue_notice(db.session, user("inspector"), inspection)
    tickets = {t.finding.item_key: t for t in db.session.scalars(select(Ticket).where(Ticket.notice_id == notice.id))}
    officer = browser_for("officer")
    page = text(officer.get(f"/tickets/{tickets['F3'].id}"))
    assert f"/tickets/{tickets['F3'].id}/files/{taken.id}?size=thumb" in page and "检查时拍摄的照片" in page
    assert fetch(officer, f"/tickets/{tickets['F3'].id}/files/{taken.id}").status_code == 200
    # Only through the ticket of the item it was taken on, and never outside the unit.
    assert fetch(officer, f"/tickets/{tickets['F7'].id}/files/{taken.id}").status_code == 404
    assert fetch(browser_for("officer2"), f"/tickets/{tickets['F3'].id}/files/{taken.id}").status_code == 404


def test_a_unit_reads_its_findings_only_once_issued(demo, browser_for):
    inspection, findings = submitted_inspection(failing={"F3": "noncompliant"})
    description, inspection_id = findings[0].description, inspection.id
    officer = browser_for("officer")
    assert description not in text(officer.get("/tickets/findings"))
    assert description in text(browser_for("inspector").get("/tickets/findings"))
    rectification.issue_notice(db.session, user("inspector"), db.session.get(Inspection, inspection_id))
    assert description in text(officer.get("/tickets/findings"))
