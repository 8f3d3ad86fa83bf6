"""The demo reads as a bureau would sign it: its documents cite only texts in force, in the official form, and
its tickets tell a true story (each answer on its own finding, an overdue ticket, plausible dates, a repeat)."""

from __future__ import annotations

import re
import statistics
import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inspect_app.clock import local_date, local_today
from inspect_app.extensions import db
from inspect_app.models import (
    ApiToken,
    DocumentKind,
    Finding,
    Incident,
    IncidentEvent,
    Inspection,
    Notice,
    ProposedAnswer,
    Scan,
    SecretPerson,
    Ticket,
    TicketEventKind,
    TicketStatus,
    utcnow,
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
    for incident in session.scalars(select(Incident).where(Incident.reported_at.is_not(None)).order_by(Incident.id)):
        texts[f"incident {incident.id}"] = rendered_text(
            documents.prepare(session, DocumentKind.INCIDENT_REPORT, incident))
        if incident.bulletin_number:
            texts[f"bulletin {incident.bulletin_number}"] = rendered_text(
                documents.prepare(session, DocumentKind.CASE_BULLETIN, incident))
    from inspect_app.models import AppraisalRound

    for appraisal in session.scalars(select(AppraisalRound).where(AppraisalRound.status == "approved")):
        texts[f"appraisal {appraisal.number}"] = rendered_text(documents.prepare(session, DocumentKind.APPRAISAL,
                                                                                 appraisal))
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
    for ticket in db.session.scalars(select(Ticket).where(Ticket.inspection_id.is_not(None))):  # cases' below
        key = ticket.finding.item_key
        for event in ticket.events:
            if event.kind == TicketEventKind.RESPONDED:
                assert event.measures == full_demo.MEASURES[key], (key, event.measures)
            if event.kind == TicketEventKind.EXTENSION_REQUESTED:
                assert key == "E6" and "保密柜" in event.body


def test_the_demo_dates_are_in_order_and_the_figures_agree(full_demo):
    today = local_today()
    tickets = list(db.session.scalars(select(Ticket).where(Ticket.inspection_id.is_not(None))))  # cases' below
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


# The cases --------------------------------------------------------------------------------------------------


def test_the_demos_cases_tell_a_true_story(full_demo):
    """A case in every state, exactly one report late (the notebook lost on a trip), every step after the one
    before it and none in the future, the closed case's fix verified before it closed, nothing that looks
    classified in any text."""
    from inspect_app.services import incidents
    from inspect_app.services.classified import find_suspicions

    now, today = utcnow(), local_today()
    cases = db.session.scalars(select(Incident).order_by(Incident.id)).all()
    assert sorted({c.status for c in cases}) == ["closed", "determined", "handled", "investigating", "reported"]
    assert [c.unit.code for c in cases if c.is_late or c.report_overdue(now)] == ["XS-ZRZY"]
    assert {c.determination for c in cases} == {None, "leak", "violation", "unfounded"}
    for case in cases:
        assert case.occurred_at is None or case.occurred_at <= case.found_at
        assert case.found_at <= case.reported_at <= now and case.report_due_at == case.found_at + timedelta(hours=24)
        events = db.session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == case.id)
                                    .order_by(IncidentEvent.id)).all()
        moments = [e.at for e in events]
        assert moments == sorted(moments) and case.reported_at <= moments[0] + timedelta(minutes=1), case.title
        assert moments[-1] <= now, case.title
        stamps = {"determined": case.determined_at, "handled": case.handled_at, "closed": case.closed_at}
        for event in events:
            if event.kind in stamps:
                assert stamps[event.kind] == event.at, (case.title, event.kind)
            assert find_suspicions({"body": event.body}) == []
        fields = {n: getattr(case, n) for n in ("title", "description", "involved", "persons", "remedies",
                                                  "discipline", "requirement", "bulletin_summary")}
        assert find_suspicions(fields) == [], case.title
        ticket = incidents.case_ticket(db.session, case)
        if case.status == "closed" and ticket is not None:
            assert ticket.status == TicketStatus.ACCEPTED and case.bulletin_number and not case.bulletin_named
            ticket_days = [e.at for e in sorted(ticket.events, key=lambda e: e.id)]
            assert case.handled_at <= ticket_days[0] and ticket_days == sorted(ticket_days)
            assert ticket.accepted_at <= case.closed_at
            assert local_date(ticket.created_at) < ticket.due_date
        if case.status == "handled":
            assert ticket.status == TicketStatus.OPEN and ticket.due_date > today
        if case.follow_up_id:
            follow_up = db.session.get(Inspection, case.follow_up_id)
            assert (follow_up.kind, follow_up.status, follow_up.unit_id) == ("special", "planned", case.unit_id)
            assert follow_up.scheduled_on > today


def test_the_demo_registers_break_each_rule_once_where_the_story_says_and_todays_visit_can_sample(full_demo):
    from inspect_app.models import Classifier, KeyPlace, OrgNode, SecretCarrier, SecretMatter, SecretPerson
    from inspect_app.services import inspections, registers

    today = local_today()
    units = {n.code: n for n in db.session.scalars(select(OrgNode).where(OrgNode.kind == "unit"))}
    warned = {code: {w.rule.key: [e.number for e in w.entries]
                     for w in registers.warnings(db.session, units[code], today)} for code in units}
    assert warned["DH-ZFB"] == {"declear_ended": ["RY-005"], "untrained": ["RY-004"],
                                "carrier_unreviewed": ["ZT-2025-002"], "matter_without_basis": ["SX-2026-01"],
                                "matter_review_due": ["SX-2025-02"], "place_unconfirmed": ["YH-02"]}
    assert warned["DH-FY"] == {"place_unconfirmed": ["YH-01"]}
    assert warned["XS-ZRZY"] == warned["BC-GAJ"] == {}
    # Every date in its place: nothing after today, nothing done before what it follows.
    for person in db.session.scalars(select(SecretPerson)):
        assert person.vetted_on <= person.pledged_on <= today and person.trained_on <= today, person.number
        if person.left_on:
            assert person.trained_on <= person.left_on < person.declear_until, person.number
        if person.released_on:
            assert person.declear_until <= person.released_on <= today, person.number
    for carrier in db.session.scalars(select(SecretCarrier)):
        assert carrier.received_on <= today and (carrier.copied_on is None or carrier.received_on <= carrier.copied_on)
        assert (carrier.state == "destroyed") == (carrier.destroyed_on is not None), carrier.number
        assert carrier.destroyed_on is None or carrier.received_on < carrier.destroyed_on <= today
    for matter in db.session.scalars(select(SecretMatter)):
        assert matter.determined_on <= today and matter.period_years <= registers.kinds.MAX_PERIOD_YEARS[matter.level]
    assert all(c.appointed_on <= today for c in db.session.scalars(select(Classifier)))
    assert all(p.confirmed_on is None or p.confirmed_on <= today for p in db.session.scalars(select(KeyPlace)))
    # Today's visit to 东湖区人民政府办公室 samples three registers, each with more entries than it draws.
    ongoing = db.session.scalar(select(Inspection).where(Inspection.unit_id == units["DH-ZFB"].id,
                                                         Inspection.status == "in_progress"))
    sampled = [i for i in inspections.load_items(db.session, ongoing) if i.sample]
    assert {i.sample["register"] for i in sampled} == {"devices", "key_places", "carriers"}
    for item in sampled:
        model = registers.REGISTERS[item.sample["register"]].model
        size = db.session.scalar(select(func.count()).select_from(model).where(model.unit_id == ongoing.unit_id))
        assert size >= item.sample["size"], item.key


# What each kind of record behind an appraisal's number is (services/appraisals/readings.py `Record.link`).
RECORD_MODELS = {"inspection": Inspection, "ticket": Ticket, "incident": Incident, "person": SecretPerson}


def test_the_years_appraisal_tells_the_same_story(full_demo):
    """The city's appraisal covers every unit, each total is its indicators' weighted mean plus its adjustment,
    every number stands on records of that unit and year, every rating and adjustment says why, and it was
    approved by the leader after it was last computed; 东湖区's own appraisal is still a draft."""
    from inspect_app.models import AppraisalResult, AppraisalRound, OrgNode
    from inspect_app.services import appraisals

    rounds = {r.area.code: r for r in db.session.scalars(select(AppraisalRound))}
    assert set(rounds) == {"BC-BMJ", "BC-DH"}
    city, district = rounds["BC-BMJ"], rounds["BC-DH"]
    assert city.is_approved and not district.is_approved and appraisals.missing_values(db.session, district) == 4
    assert city.approved_by.username == "leader" and city.computed_at <= city.approved_at
    assert city.as_of == min(local_today(), date(city.year, 12, 31))
    results = db.session.scalars(select(AppraisalResult).where(AppraisalResult.round_id == city.id)).all()
    units = set(db.session.scalars(select(OrgNode.code).where(OrgNode.kind == "unit")))
    assert {r.unit.code for r in results} == units == set(full_demo.LEADERSHIP)
    scheme = city.scheme.data
    # A unit the year's inspections did not reach is not rated: leadership and the two incident indicators carry 20
    # of the weight, below the scheme's 50. Every unit inspected in the year is rated.
    inspected = {r.unit.code for r in results
                 if any(i["key"] == "inspection" and i["counted"] for i in r.indicators)}
    unrated = {r.unit.code for r in results if r.band is None}
    assert inspected and unrated == {r.unit.code for r in results if not r.vetoed} - inspected
    for result in results:
        counted = [i for i in result.indicators if i["counted"]]
        if result.unit.code in inspected:
            total = sum(i["score"] * i["weight"] for i in counted) / sum(i["weight"] for i in counted)
            assert result.computed_score == round(total + 1e-9, 1), result.unit.code
            assert result.score == round(result.computed_score + result.adjustment, 1)
            assert result.band == ("unqualified" if result.vetoed else
                                   next(b["key"] for b in scheme["bands"] if result.score >= b["min"]))
        else:
            assert sum(i["weight"] for i in counted) < scheme["min_weight"]
            assert (result.computed_score, result.score, result.rank) == (None, None, None), result.unit.code
        manual = next(i for i in result.indicators if i["source"] == "manual")
        assert (manual["value"], manual["reason"]) == full_demo.LEADERSHIP[result.unit.code]
        for entry in [*result.indicators, *result.vetoes]:
            for record in entry["records"]:
                kind, record_id = record["link"]
                row = db.session.get(RECORD_MODELS[kind], record_id)
                # A person counts by the day of their latest training: in the year, or not trained in it.
                in_year = record["day"].startswith(str(city.year))
                assert row.unit_id == result.unit_id and in_year == (record["mark"] != "untrained"), record
    # The 通报 names the units not rated, and why.
    bulletin = "".join(rendered_text(documents.prepare(db.session, DocumentKind.APPRAISAL, city)).split())
    names = "、".join(r.unit.name for r in sorted(results, key=lambda r: r.unit.path) if r.unit.code in unrated)
    assert f"以下单位年度内可以计分的指标分值合计不足50分，本年度不评定等次：{names}。" in bulletin
    # The ranks follow the totals, the vetoed last, the units not rated without a place; the unit that let its
    # notice lapse lost its three points.
    ranked = sorted((r for r in results if r.rank is not None), key=lambda r: r.rank)
    assert [r.unit.code for r in ranked] and {r.unit.code for r in ranked} == inspected
    assert [(r.vetoed, -r.score) for r in ranked] == sorted((r.vetoed, -r.score) for r in ranked)
    code, points, reason = full_demo.ADJUSTMENT
    lapsed = next(r for r in results if r.unit.code == code)
    made = appraisals.unit_result(db.session, city, lapsed.unit).adjustments
    assert [(a.points, a.reason) for a in made] == [(points, reason)]
    assert lapsed.adjustment == points and any(
        t.due_date < local_today() and t.status == TicketStatus.OPEN for t in db.session.scalars(
            select(Ticket).where(Ticket.unit_id == lapsed.unit_id)))
    on_time = next(i for i in lapsed.indicators if i["key"] == "on-time")
    assert on_time["score"] == 0.0 and {r["mark"] for r in on_time["records"]} == {"overdue"}
    # The year's incidents: the case determined a leak in the year vetoes its unit (宝川市公安局, whose story is the
    # worst of the year already; a demo seeded in the year's first weeks appraises the year before, without it), and
    # every report later than 24 hours counts against its unit (西山县自然资源局's notebook, a day and a half).
    by_code = {r.unit.code: r for r in results}
    incidents = db.session.scalars(select(Incident)).all()
    leaks = {i.unit.code for i in incidents
             if i.determination == "leak" and local_date(i.determined_at).year == city.year}
    assert leaks == ({"BC-GAJ"} if city.year == local_today().year else set())
    assert {c for c, r in by_code.items() if any(v["key"] == "leak" and v["triggered"] for v in r.vetoes)} == leaks
    assert all(by_code[c].band == "unqualified" for c in leaks)
    for code, result in by_code.items():
        late = [i.id for i in incidents if i.unit.code == code and local_date(i.found_at).year == city.year
                and i.is_late]
        indicator = next(i for i in result.indicators if i["key"] == "late-reports")
        assert indicator["value"] == len(late) and indicator["score"] == max(0, 100 - 50 * len(late)), code
        assert (code == "XS-ZRZY") == bool(late) or city.year < local_today().year, code
    # Training: the units keeping a personnel register are scored on it, the others have no value for it.
    training = {c: next(i for i in r.indicators if i["key"] == "training") for c, r in by_code.items()}
    kept = set(db.session.scalars(select(SecretPerson.unit_id)))
    assert {c for c, i in training.items() if i["state"] == "ok"} == {
        c for c, r in by_code.items() if r.unit_id in kept}
    assert {i["note"] for c, i in training.items() if i["state"] != "ok"} == {"no_register"}
    if city.year == local_today().year:
        # 东湖区人民政府办公室: four on post, three trained this year, 孙敏 last November: 3/4 = 75%.
        assert training["DH-ZFB"]["value"] == 75.0


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
    # The kit's computers are the ones the office's 涉密设备 register holds, and the notes say which entries.
    assert "台账：ZC-JSJ-03 涉密台式计算机，秘密，综合科，责任人孙敏" in f8.note
    assert "台账：ZC-JSJ-01 涉密台式计算机，机密，机要室，责任人陈晓东" in decided["F3"].note
    assert f3.value == "compliant" and "U盘" in decided["F3"].finding_text + decided["F3"].note
