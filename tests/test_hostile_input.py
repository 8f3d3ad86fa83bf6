"""Hostile input: script in every free-text field comes back as text, in the pages and in the PDFs;
file names cannot reach outside the attachments folder; random form posts never make a server error."""

from __future__ import annotations

import io
import subprocess
import uuid
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import Attachment, Inspection, Ticket
from inspect_app.services import attachments, documents, inspections, org, rectification

from .factories import answer, answer_all, issued_inspection, jpeg, make_inspection, submit
from .helpers import node, user

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_script_in_free_text_is_shown_as_text_everywhere(demo, browser_for, tmp_path):
    unit = org.create_node(db.session, None, kind="unit", name=f"单位{PAYLOAD}", code="XSS-1", parent=node("BC-DH"),
                           unit_type="other")
    inspection = make_inspection("XSS-1", title=f"检查{PAYLOAD}", scope=PAYLOAD, notes=PAYLOAD)
    answer_all(inspection, failing={"F3": "noncompliant"})
    answer(inspection, "F3", "noncompliant", finding_text=f"问题{PAYLOAD}", note=f"备注{PAYLOAD}")
    submit(inspection)
    db.session.refresh(inspection)
    notice = rectification.issue_notice(db.session, user("inspector"), inspection)
    ticket = db.session.scalars(select(Ticket).where(Ticket.inspection_id == inspection.id)).first()
    rectification.comment(db.session, user("inspector"), ticket, f"留言{PAYLOAD}")
    inspector = browser_for("inspector")
    pages = [f"/inspections/{inspection.id}", "/inspections/",
             f"/tickets/{ticket.id}", "/tickets/all", f"/notices/{notice.id}", f"/units/{unit.id}", "/dashboard",
             "/tickets/findings", "/inspections/calendar"]
    for path in pages:
        html = inspector.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", ""), path
    detail = inspector.get(f"/inspections/{inspection.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in detail
    admin = browser_for("admin")
    for path in ("/admin/org", f"/admin/org/{unit.id}"):
        assert "<script>alert" not in admin.get(path).get_data(as_text=True)
    auditor = browser_for("auditor")
    assert "<script>alert" not in auditor.get("/audit/").get_data(as_text=True)

    # In a PDF the same text is printed as text: WeasyPrint never sees it as markup.
    notice = db.session.get(type(notice), notice.id)  # this test's session was renewed by the requests
    document = documents.ensure(db.session, user("inspector"), documents.prepare(db.session, "notice", notice))
    text = subprocess.run(["pdftotext", "-layout", str(documents.file_path(document.sha256)), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert '<script>alert("x")</script>' in text.replace("\n", "")  # the characters, printed
    report = documents.ensure(db.session, user("inspector"),
                              documents.prepare(db.session, "inspection_report", db.session.get(Inspection,
                                                                                                inspection.id)))
    report_text = subprocess.run(["pdftotext", str(documents.file_path(report.sha256)), "-"],
                                 capture_output=True, text=True, check=True).stdout
    assert "onerror=alert(1)" in report_text.replace("\n", "")


def test_file_names_with_paths_are_only_names(demo, browser_for):
    inspection = make_inspection()
    item = next(i for i in inspections.load_items(db.session, inspection) if i.key == "F3")
    for name in ("../../../../etc/passwd.jpg", "..\\..\\windows\\win.ini.jpg", "/abs/olute.jpg", "名\x7f称.jpg"):
        photo, _ = inspections.add_photo(db.session, user("inspector"), inspection, item.id, jpeg(),
                                         filename=name, client_uuid=str(uuid.uuid4()))
        stored = attachments.path_of(photo.sha256)
        assert stored.resolve().is_relative_to(attachments.storage_dir().resolve())
        response = browser_for("inspector").get(f"/inspections/{inspection.id}/photos/{photo.id}")
        disposition = response.headers.get("Content-Disposition", "")
        assert "/" not in disposition.split("filename", 1)[-1] and "\\" not in disposition
    assert not any(p.name == "passwd.jpg" for p in attachments.storage_dir().rglob("*"))
    assert {a.sha256 for a in db.session.scalars(select(Attachment))} == {photo.sha256}


# Random form posts ---------------------------------------------------------------------------------

FIELDS = ["reason", "body", "note", "measures", "responsible", "completed_on", "until", "decision", "decision_reason",
          "new_due_date", "revision", "action", "confirm_unclassified", "value", "finding_text", "severity",
          "na_reason", "client_uuid", "base_revision", "description", "into", "name", "code", "lead_name",
          "lead_signature", "unit_name", "unit_signature", "q", "kind", "unit_id", "versions", "scheduled_on",
          "title", "lang", "next"]
text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=300)
forms = st.dictionaries(st.sampled_from(FIELDS) | st.text(min_size=1, max_size=8), text | st.integers().map(str),
                        max_size=8)


def test_random_form_posts_never_fail(app, full_demo, browser_for):
    issued, _notice, tickets = issued_inspection("DH-ZFB", failing={"F3": "noncompliant", "F7": "partial"})
    extension = rectification.request_extension(db.session, user("officer"), tickets[1],
                                                until=tickets[1].due_date + timedelta(days=20), reason="采购需要时间")
    in_progress = db.session.scalars(select(Inspection).where(Inspection.status == "in_progress")).first()
    ids = {"inspection_id": issued.id, "ticket_id": tickets[0].id, "finding_id": tickets[0].finding_id,
           "item_id": tickets[0].finding.item_id, "extension_id": extension.id, "attachment_id": 1,
           "notification_id": 1, "node_id": node("DH-JYJ").id, "user_id": user("leader").id}
    routes = [f"/inspections/{in_progress.id}/items/{tickets[0].finding.item_id}"]
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint == "static":
            continue
        path = rule.rule
        for name, value in ids.items():
            path = path.replace(f"<int:{name}>", str(value))
        if "<" not in path:
            routes.append(path)
    browsers = {name: browser_for(name) for name in ("inspector", "officer", "admin", "leader")}

    @given(form=forms, who=st.sampled_from(sorted(browsers)), path=st.sampled_from(sorted(routes)))
    @settings(max_examples=600, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def post(form, who, path):
        response = browsers[who].post(path, form)
        assert response.status_code < 500, (who, path, form, response.status_code)

    post()


# Random query strings on every list page --------------------------------------------------------------

QUERY_KEYS = ["page", "sort", "from", "to", "q", "status", "severity", "unit", "district", "repeat", "overdue",
              "category", "kind", "view", "period", "show", "type", "month", "year", "action", "actor",
              "object_type", "object_id", "per_page", "next", "lang", "code", "format"]
EXTREMES = ["99999999999999999999", "-99999999999999999999", "0", "-1", "1e309", "0001-01-01", "9999-12-31",
            "2026-02-30", "10000-01-01", "NaN", "", " ", "%00", "xlsx", "csv"]
query_value = (st.sampled_from(EXTREMES) | st.integers().map(str) | st.dates().map(date.isoformat) | text)
queries = st.dictionaries(st.sampled_from(QUERY_KEYS) | st.text(min_size=1, max_size=8), query_value, max_size=6)


def list_pages(app) -> list[str]:
    """Every page a GET reaches without an object id: the lists, their exports, the forms (not the PDFs,
    each a render of its own, nor the API, which test_api_fuzz covers)."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static/")) or rule.rule.endswith(".pdf"):
            continue
        if not rule.arguments:
            pages.append(rule.rule)
        elif rule.arguments == {"fmt"}:
            pages += [rule.rule.replace("<fmt>", fmt) for fmt in ("csv", "xlsx")]
    return sorted(pages)


ROLES = ("inspector", "officer", "admin", "leader", "auditor")


def test_out_of_range_pages_and_dates_show_the_list(app, full_demo, browser_for):
    pages = list_pages(app)
    assert {"/tickets/all", "/tickets/export.csv", "/audit/", "/audit/export.csv", "/dashboard/gap",
            "/notifications", "/admin/users", "/units"} <= set(pages)
    browsers = {name: browser_for(name) for name in ROLES}
    for name, browser in browsers.items():
        for path in pages:
            for query in ("page=99999999999999999999", "from=0001-01-01", "to=9999-12-31",
                          "from=0001-01-01&to=9999-12-31&page=-5"):
                status = browser.get(f"{path}?{query}").status_code
                assert status < 500, (name, path, query, status)
    # The ends of the calendar stand for "no bound": the list is the whole list.
    leader = browsers["leader"]
    everything = leader.get("/tickets/export.csv").get_data(as_text=True)
    assert everything.count("\n") > 3
    assert leader.get("/tickets/export.csv?from=0001-01-01&to=9999-12-31").get_data(as_text=True) == everything
    auditor = browsers["auditor"]
    assert auditor.get("/audit/?to=9999-12-31").get_data(as_text=True).count("<tr") == \
        auditor.get("/audit/").get_data(as_text=True).count("<tr")
    # A page far beyond the last is an empty page of the list, not an error.
    far = leader.get("/tickets/all?page=99999999999999999999")
    assert far.status_code == 200 and "/tickets/" in far.get_data(as_text=True)


def test_random_query_strings_never_fail(app, full_demo, browser_for):
    pages = list_pages(app)
    browsers = {name: browser_for(name) for name in ROLES}

    @given(query=queries, who=st.sampled_from(ROLES), path=st.sampled_from(pages))
    @settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def get(query, who, path):
        response = browsers[who].get(path, query_string=query)
        assert response.status_code < 500, (who, path, query, response.status_code)

    get()


def test_control_characters_in_a_search_still_export(app, full_demo, browser_for):
    from openpyxl import load_workbook

    leader = browser_for("leader")
    for path in ("/tickets/export.xlsx", "/tickets/findings/export.xlsx"):
        response = leader.get(path, query_string={"q": "\x01网\x0b络"})
        assert response.status_code == 200, path
        about = load_workbook(io.BytesIO(response.data))["筛选条件"]
        assert [row[1] for row in about.iter_rows(values_only=True) if row[0] == "关键词"] == ["网络"]
