"""What an integration reads and writes through the API: inspections, findings, tickets (and a unit's answer to
one), notices, units and the dashboard's figures; lists a page at a time by cursor; errors as problem details."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import Inspection, Ticket, TicketEvent, TicketStatus
from inspect_app.services import dashboard

from .factories import answer, issued_inspection, jpeg, make_inspection, submitted_inspection
from .helpers import Machine, issue_token, node, user


def walk(machine: Machine, path: str, limit: int) -> list[dict]:
    """Every item of a list, a page at a time."""
    items, cursor = [], None
    while True:
        separator = "&" if "?" in path else "?"
        url = f"{path}{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = machine.get(url).get_json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_lists_run_newest_first_a_page_at_a_time(app, demo):
    planned = [make_inspection("DH-ZFB", lead="inspector2", scheduled_on=local_today() + timedelta(days=d))
               for d in range(1, 8)]
    machine = Machine(app, issue_token("dh-reader", "BC-DH", "inspections.read"))
    items = walk(machine, "/api/v1/inspections", limit=3)
    assert [i["id"] for i in items] == sorted((p.id for p in planned), reverse=True)
    # A row added meanwhile does not shift the pages already read.
    first = machine.get("/api/v1/inspections?limit=3").get_json()
    make_inspection("DH-JYJ", lead="inspector2")
    second = machine.get(f"/api/v1/inspections?limit=3&cursor={first['next_cursor']}").get_json()
    assert [i["id"] for i in second["items"]] == [p.id for p in reversed(planned)][3:6]
    filtered = machine.get(f"/api/v1/inspections?unit_id={node('DH-JYJ').id}&status=planned").get_json()
    assert [i["unit"]["code"] for i in filtered["items"]] == ["DH-JYJ"]
    assert filtered["items"][0]["templates"][0]["key"] == "network"


@pytest.mark.parametrize("query", ["cursor=nonsense", "cursor=YzE6LTE", "limit=0", "limit=101", "status=lost",
                                   "scheduled_from=2026-02-30", "unit_id=0"])
def test_a_bad_query_is_a_problem_in_words(app, demo, query):
    machine = Machine(app, issue_token("dh-reader", "BC-DH", "inspections.read"))
    response = machine.get(f"/api/v1/inspections?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert set(problem) >= {"type", "title", "status", "detail", "instance", "error", "message"}
    assert (problem["status"], problem["error"], problem["instance"]) == (400, "invalid", "/api/v1/inspections")
    assert problem["detail"] == problem["message"] and problem["detail"]


def test_every_problem_type_is_described_in_the_document(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"invalid_token", "login_required", "csrf", "conflict", "needs_confirmation"} <= set(doc["x-problem-types"])
    bearer = doc["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    answers = doc["paths"]["/api/v1/inspections/{inspection_id}/answers"]["put"]
    assert "application/problem+json" in answers["responses"]["409"]["content"]
    csrf = next(p for p in answers["parameters"] if p["name"] == "X-CSRFToken")
    assert csrf["required"] is False  # a token sends none


def test_findings_and_tickets_read_with_their_timeline(app, demo):
    inspection, notice, tickets = issued_inspection("DH-ZFB", failing={"F3": "noncompliant", "F7": "partial"})
    machine = Machine(app, issue_token("dh-reader", "BC-DH", "inspections.read", "tickets.read"))
    findings = machine.get(f"/api/v1/findings?inspection_id={inspection.id}").get_json()["items"]
    assert sorted(f["item_key"] for f in findings) == ["F3", "F7"]
    assert {f["ticket_id"] for f in findings} == {t.id for t in tickets}
    one = machine.get(f"/api/v1/findings/{findings[0]['id']}").get_json()
    assert one == findings[0]
    listed = machine.get(f"/api/v1/tickets?inspection_id={inspection.id}").get_json()["items"]
    assert {t["id"] for t in listed} == {t.id for t in tickets} and all(t["status"] == "open" for t in listed)
    ticket = machine.get(f"/api/v1/tickets/{tickets[0].id}").get_json()
    assert ticket["notice_number"] == notice.number and ticket["events"][0]["kind"] == "issued"
    assert ticket["finding"]["id"] == tickets[0].finding_id and ticket["may_respond"] is False
    read = machine.get(f"/api/v1/notices/{notice.id}").get_json()
    assert read["number"] == notice.number and {t["id"] for t in read["tickets"]} == {t.id for t in tickets}
    assert [n["id"] for n in machine.get("/api/v1/notices").get_json()["items"]] == [notice.id]


def test_a_unit_reads_its_findings_only_once_they_are_issued(app, demo):
    waiting, findings = submitted_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    unit = Machine(app, issue_token("zfb-oa", "DH-ZFB", "tickets.read", "inspections.read"))
    assert unit.get(f"/api/v1/findings?inspection_id={waiting.id}").get_json()["items"] == []
    assert unit.get(f"/api/v1/findings/{findings[0].id}").status_code == 404
    answers = unit.get(f"/api/v1/inspections/{waiting.id}").get_json()
    assert answers["answers"]  # locked: the unit reads the bureau's answers, as on its pages
    ongoing = make_inspection("DH-ZFB")
    answer(ongoing, "F1", "compliant")
    assert unit.get(f"/api/v1/inspections/{ongoing.id}").get_json()["answers"] == []


def evidence(name: str = "after.jpg") -> dict:
    return {"filename": name, "content_base64": base64.b64encode(jpeg(320, 240)).decode()}


def test_a_unit_scoped_token_answers_its_ticket_once(app, demo):
    _inspection, _notice, tickets = issued_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    ticket = tickets[0]
    unit = Machine(app, issue_token("zfb-oa", "DH-ZFB", "tickets.read", "tickets.respond"))
    assert unit.get(f"/api/v1/tickets/{ticket.id}").get_json()["may_respond"] is True
    reply = {"measures": "已收回涉事U盘并重新登记。", "responsible": "张明", "completed_on": local_today().isoformat(),
              "evidence": [evidence()], "revision": ticket.revision}
    sent = unit.send_json("POST", f"/api/v1/tickets/{ticket.id}/responses", reply)
    assert sent.status_code == 201, sent.get_json()
    body = sent.get_json()
    assert body["status"] == "responded" and body["events"][-1]["kind"] == "responded"
    assert body["events"][-1]["actor"] == "zfb-oa" and body["events"][-1]["evidence"][0]["filename"] == "after.jpg"
    # The same answer sent again (a lost reply, a retry) changes nothing: the ticket has moved on.
    again = unit.send_json("POST", f"/api/v1/tickets/{ticket.id}/responses", reply)
    assert (again.status_code, again.get_json()["error"]) == (409, "conflict")
    assert db.session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "responded")) == 1
    assert db.session.get(Ticket, ticket.id).status == TicketStatus.RESPONDED


def test_only_the_units_own_token_answers_and_bad_answers_change_nothing(app, demo):
    _inspection, _notice, tickets = issued_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    _other, _n, elsewhere = issued_inspection("DH-JYJ", failing={"F3": "noncompliant"})
    ticket = tickets[0]
    reader = Machine(app, issue_token("zfb-reader", "DH-ZFB", "tickets.read"))
    unit = Machine(app, issue_token("zfb-oa", "DH-ZFB", "tickets.respond"))
    reply = {"measures": "已整改", "responsible": "张明", "completed_on": local_today().isoformat(),
              "evidence": [evidence()]}
    assert reader.send_json("POST", f"/api/v1/tickets/{ticket.id}/responses", reply).status_code == 403
    assert unit.send_json("POST", f"/api/v1/tickets/{elsewhere[0].id}/responses", reply).status_code == 404
    for bad, status in [({**reply, "evidence": [{"filename": "a.jpg", "content_base64": "AAAA"}]}, 400),
                        ({**reply, "evidence": []}, 400),
                        ({**reply, "completed_on": (local_today() + timedelta(days=3)).isoformat()}, 400),
                        ({**reply, "measures": "抄录“机密★10年”文件一份"}, 422),
                        ({**reply, "revision": ticket.revision + 5}, 409),
                        ({**reply, "extra": 1}, 400)]:
        response = unit.send_json("POST", f"/api/v1/tickets/{ticket.id}/responses", bad)
        assert response.status_code == status, (bad, response.get_json())
    assert db.session.get(Ticket, ticket.id).status == TicketStatus.OPEN


def test_units_and_their_profile(app, demo):
    inspection, _notice, _tickets = issued_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    machine = Machine(app, issue_token("dh-figures", "BC-DH", "figures.read"))
    units = {u["code"]: u for u in walk(machine, "/api/v1/units", limit=2)}
    assert set(units) == {"DH-ZFB", "DH-JYJ", "DH-FY", "DH-DL"}
    zfb = units["DH-ZFB"]
    assert (zfb["open_tickets"], zfb["parent"]["code"], zfb["last_score"]) == (1, "BC-DH", inspection.score)
    profile = machine.get(f"/api/v1/units/{zfb['id']}").get_json()
    assert profile["backlog"] == 1 and [s["inspection_id"] for s in profile["scores"]] == [inspection.id]
    assert machine.get(f"/api/v1/units/{node('BC-DH').id}").status_code == 404  # a bureau has no unit profile
    assert [u["code"] for u in machine.get("/api/v1/units?q=法院").get_json()["items"]] == ["DH-FY"]


def test_the_figures_are_the_dashboards(app, demo):
    issued_inspection("DH-ZFB", failing={"F3": "noncompliant", "F7": "partial"})
    issued_inspection("XS-ZFB", failing={"F3": "noncompliant"})
    district = Machine(app, issue_token("dh-figures", "BC-DH", "figures.read"))
    city = Machine(app, issue_token("city-figures", "BC-BMJ", "figures.read"))
    today = local_today()
    mine = district.get(f"/api/v1/figures?from={today - timedelta(days=30)}&to={today}").get_json()
    assert mine["period"] == {"first": (today - timedelta(days=30)).isoformat(), "last": today.isoformat()}
    assert (mine["counts"]["inspections"], mine["counts"]["findings"], mine["counts"]["tickets_issued"]) == (1, 2, 2)
    everything = city.get("/api/v1/figures").get_json()
    expected = dashboard.figures(dashboard.Context(db.session, user("leader"), dashboard.Filters.for_preset("12m")))
    assert everything["counts"] == expected.counts and everything["counts"]["inspections"] == 2
    assert everything["rates"]["coverage"] == expected.coverage
    for query in ("from=2026-05-01&to=2026-04-01", "from=1990-01-01", "kind=monthly"):
        assert city.get(f"/api/v1/figures?{query}").status_code == 400, query


def test_an_inspector_plans_through_the_api_as_on_the_page(app, demo, browser_for):
    browser = browser_for("inspector2")
    plan = {"unit_id": node("DH-FY").id, "kind": "spot", "scheduled_on": "2030-06-01", "templates": ["network"],
            "member_ids": []}
    created = browser.send_json("POST", "/api/v1/inspections", plan)
    assert created.status_code == 201
    assert db.session.get(Inspection, created.get_json()["id"]).lead.username == "inspector2"
    assert browser.send_json("POST", "/api/v1/inspections", {**plan, "templates": ["nope"]}).status_code == 400
    assert browser.send_json("POST", "/api/v1/inspections", {**plan, "kind": "self"}).status_code == 400
    assert browser_for("leader").send_json("POST", "/api/v1/inspections", plan).status_code == 403
