"""The demo reads as a bureau would sign it: its documents cite only texts in force, in the official form, and
its tickets tell a true story (each answer on its own finding, an overdue ticket, plausible dates, a repeat)."""

from __future__ import annotations

import re
import statistics
import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from inspect_app.clock import local_date, local_today
from inspect_app.extensions import db
from inspect_app.models import (
    ApiToken,
    DocumentKind,
    Finding,
    Inspection,
    Notice,
    ProposedAnswer,
    Scan,
    Ticket,
    TicketEventKind,
    TicketStatus,
)
from inspect_app.services import documents, inspections
from inspect_app.services.checklists import legal_texts
from inspect_app.services.documents import summary

# What must never reach a unit-facing document: the years of replaced texts cited as such, unwritten practice,
# and the notes of whoever has yet to check a number.
FORBIDDEN = ("2010年", "2014年", "（2010", "（2014", "保密工作实践", "通行做法", "待核", "未核", "待查", "条号",
             "项号", "具体条款")
CN = "零一二三四五六七八九"


def cn_to_int(text: str) -> int:
    if "百" in text:
        hundreds, _, rest = text.partition("百")
        return CN.index(hundreds) * 100 + (cn_to_int(rest.lstrip("零")) if rest else 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CN.index(tens) if tens else 1) * 10 + (CN.index(ones) if ones else 0)
    return CN.index(text)


def rendered_text(prepared) -> str:
    document = documents.render_inline(db.session, None, prepared)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(documents.file_path(document.sha256)), "-"],
                          capture_output=True, check=True, timeout=60).stdout.decode("utf-8")
    # One running text: no line breaks, page numbers or running footers between the words of a citation.
    lines = [line for line in text.splitlines()
             if not re.fullmatch(r"\s*(— \d+ —|验证码 [0-9A-Z-]+)\s*", line)]
    return "".join(line.strip() for line in lines)


@pytest.fixture
def demo_documents(full_demo) -> dict[str, str]:
    """The text of every notice, every inspection report and rectification report, and the year's summary."""
    session = db.session
    texts = {}
    for notice in session.scalars(select(Notice).order_by(Notice.id)):
        texts[f"notice {notice.number}"] = rendered_text(documents.prepare(session, DocumentKind.NOTICE, notice))
        inspection = notice.inspection
        texts[f"report {inspection.id}"] = rendered_text(
            documents.prepare(session, DocumentKind.INSPECTION_REPORT, inspection))
        if inspection.status == "closed":
            texts[f"rectification {inspection.id}"] = rendered_text(
                documents.prepare(session, DocumentKind.RECTIFICATION_REPORT, inspection))
    today = local_today()
    record = summary.period_summary(date(today.year, 1, 1), today, summary.root_bureau(session), None)
    texts["summary"] = rendered_text(documents.prepare(session, DocumentKind.SUMMARY, record))
    return texts


def test_the_demo_documents_cite_only_texts_in_force_in_the_official_form(demo_documents):
    register = legal_texts.register()
    titles = {t.title: t for t in register.texts if register.in_force(t, local_today())}
    assert len(demo_documents) >= 8
    cited = 0
    for name, text in demo_documents.items():
        for word in FORBIDDEN:
            assert word not in text, (name, word)
        for title, number in re.findall(r"《([^》]+)》第([零一二三四五六七八九十百]+)条", text):
            assert title in titles, (name, title)
            assert cn_to_int(number) in titles[title].articles, (name, title, number)
            cited += 1
        # Article numbers are written in Chinese numerals, never as 第31条.
        assert not re.search(r"》第\d+条", text), name
    assert cited >= 20
    notice = next(text for name, text in demo_documents.items() if name.startswith("notice 宝保检〔2026〕"))
    assert "依据：《中华人民共和国保守国家秘密法》" in notice
    assert "（工作要求）" in demo_documents["report 5"] or "（工作要求）" in notice


def test_every_ticket_answer_belongs_to_its_own_finding(full_demo):
    for ticket in db.session.scalars(select(Ticket)):
        key = ticket.finding.item_key
        for event in ticket.events:
            if event.kind == TicketEventKind.RESPONDED:
                assert event.measures == full_demo.MEASURES[key], (key, event.measures)
            if event.kind == TicketEventKind.EXTENSION_REQUESTED:
                assert key == "E6" and "保密柜" in event.body


def test_the_demo_dates_are_in_order_and_the_figures_agree(full_demo):
    today = local_today()
    tickets = list(db.session.scalars(select(Ticket)))
    for ticket in tickets:
        found_on = local_date(ticket.inspection.started_at)
        created = local_date(ticket.created_at)
        assert found_on <= created <= today, ticket.id
        assert ticket.due_date > created
        days = [local_date(e.at) for e in sorted(ticket.events, key=lambda e: e.id)]
        assert days == sorted(days) and days[0] == created and days[-1] <= today, (ticket.id, days)
    accepted = [t for t in tickets if t.status == TicketStatus.ACCEPTED]
    assert len(accepted) >= 3
    for ticket in accepted:
        assert local_date(ticket.responded_at) <= local_date(ticket.accepted_at) <= ticket.due_date
    # All closed in time, and in days well within the shortest deadline they had: the two figures agree.
    median = statistics.median((local_date(t.accepted_at) - local_date(t.created_at)).days for t in accepted)
    assert 3 <= median <= 30
    for inspection in db.session.scalars(select(Inspection).where(Inspection.status == "closed")):
        last = max(local_date(t.accepted_at) for t in accepted if t.inspection_id == inspection.id)
        assert local_date(inspection.closed_at) == last
    # The overdue case is overdue: open, never answered, its deadline passed.
    overdue = [t for t in tickets if t.status == TicketStatus.OPEN and t.due_date < today]
    assert overdue and all(t.responded_at is None for t in overdue)
    assert all(t.due_date <= today - timedelta(days=7) for t in overdue)


def test_a_repeat_finding_points_at_the_earlier_one(full_demo):
    repeats = list(db.session.scalars(select(Finding).where(Finding.is_repeat.is_(True))))
    assert repeats
    for finding in repeats:
        earlier = db.session.get(Finding, finding.repeat_of_id)
        assert (earlier.unit_id, earlier.template_key, earlier.item_key) == (
            finding.unit_id, finding.template_key, finding.item_key)
        assert earlier.inspection.started_at < finding.inspection.started_at


def test_unit_facing_pages_show_no_working_note_even_for_an_older_snapshot(full_demo, browser_for):
    """A finding made under an older library version keeps its basis snapshot, notes and all; the pages cite it
    (with the replaced text's year) and never show the note."""
    ticket = next(t for t in db.session.scalars(select(Ticket).where(Ticket.status == TicketStatus.OPEN))
                  if t.unit.code == "XS-ZRZY" and t.finding.item_key == "F7")  # officer2's unit
    ticket.finding.basis_json = (
        '[{"law": "保守国家秘密法", "year": 2010, "article": 24, "clause": 1, "confirmed": false, '
        '"note": "条号待核"}, {"law": "保密工作实践", "confirmed": false, "note": "具体条款未核对"}]')
    db.session.commit()
    officer = browser_for("officer2")
    for browser, url in [(officer, f"/tickets/{ticket.id}"),
                         (browser_for("inspector"), f"/tickets/{ticket.id}"),
                         (browser_for("inspector"), f"/inspections/{ticket.inspection_id}")]:
        response = browser.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert "《中华人民共和国保守国家秘密法》（2010年）第二十四条第一项" in body, url
        for word in ("待核", "未核对", "条号"):
            assert word not in body, (url, word)
    inspector = browser_for("inspector")
    for other in db.session.scalars(select(Ticket).where(Ticket.id != ticket.id)):
        body = inspector.get(f"/tickets/{other.id}").get_data(as_text=True)
        assert all(word not in body for word in FORBIDDEN), other.id


def test_the_district_kits_scan_is_in_todays_visit_one_answer_confirmed_one_waiting(full_demo):
    """The kit's token was issued by the secadmin to the district; its scan of the office arrived after the visit
    began; the Bluetooth adapter it found is the F8 answer now, its evidence in the note; the USB stick waits
    beside the F3 answered compliant before the scan."""
    scan = db.session.scalars(select(Scan)).one()
    token = db.session.scalars(select(ApiToken)).one()
    inspection = scan.inspection
    assert (token.name, token.scope.code, token.created_by.username) == ("dh-tech-kit", "BC-DH", "secadmin")
    assert token.is_usable() and scan.received_by_id == token.account_id and scan.source == "api"
    assert inspection.status == "in_progress" and inspection.unit.code == "DH-ZFB"
    assert inspection.unit.parent_id == token.scope.id
    assert inspection.started_at <= scan.received_at and local_date(scan.started_at) == local_today()
    results = scan.results
    assert (scan.device_count, scan.result_count, scan.failing_count) == (
        len({r.device_id for r in results}), len(results), sum(r.result == "fail" for r in results))
    decided = {p.item.key: p for p in db.session.scalars(select(ProposedAnswer))}
    assert {key: p.status for key, p in decided.items()} == {"F3": "pending", "F8": "confirmed"}
    assert decided["F8"].decided_by_id == inspection.lead_id
    answers = inspections.load_answers(db.session, inspection)
    f8, f3 = answers[decided["F8"].item_id], answers[decided["F3"].item_id]
    assert f8.value == "noncompliant" and "蓝牙" in f8.finding_text and scan.reference in f8.note
    assert f3.value == "compliant" and "U盘" in decided["F3"].finding_text + decided["F3"].note
