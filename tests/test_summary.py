"""保密检查情况通报, the period summary: rendered from the dashboard's fixed data set and read back with poppler,
its figures against the dashboard's, its charts, scoping, versions, the command line, the dashboard's button and the
download buttons on the inspection, notice and ticket pages."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import Document, Inspection, Role, Ticket
from inspect_app.pdf import cn_date, score
from inspect_app.services import dashboard, documents
from inspect_app.services.dashboard import Context
from inspect_app.services.documents import summary

from . import factories as f
from .helpers import make_user, node, user
from .test_dashboard import city, district_leader
from .test_documents import assert_official_pdf, fetch_pdf, pdf_text, poppler

FIXTURES = (city, district_leader)  # the dashboard's fixed data set (see tests/test_dashboard.py), used here too
PASSWORD = "Tablet-Check-2026"  # accounts made by make_user


def flat(text: str) -> str:
    """The text without spaces and without the page furniture (page number, code) a page break puts mid-sentence."""
    return re.sub(r"—\d+—验证码[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", "", re.sub(r"\s+", "", text))


def pct(value: float | None) -> str:
    return "—" if value is None else f"{score(value)}%"


def summary_url(city, **extra) -> str:
    query = "&".join(f"{k}={v}" for k, v in {**city.period, **extra}.items())
    return f"/documents/summary.pdf?{query}"


def figures_of(username: str, city, **filters) -> dashboard.Figures:
    return dashboard.figures(Context(db.session, user(username), city.filters(**filters)))


def assert_figures_in(text: str, figures: dashboard.Figures) -> None:
    """The body text states the dashboard's figures, each in its sentence."""
    n = figures.counts
    for expected in (
        f"共完成保密检查{n['inspections']}次，检查单位{n['units_covered']}个，占在册单位{n['units_active']}个的"
        f"{pct(figures.coverage)}",
        f"共发现问题{n['findings']}个，其中重大泄密隐患{n['findings_critical']}个、严重问题{n['findings_serious']}个、"
        f"一般问题{n['findings_general']}个；屡查屡犯问题{n['findings_repeat']}个",
        f"本期下发整改事项{n['tickets_issued']}项，已销号{n['tickets_accepted']}项，整改完成率{pct(figures.completion_rate)}",
        f"按期完成率{pct(figures.on_time_rate)}，整改用时中位数{score(figures.median_days)}天",
        f"尚有未完成整改事项{n['backlog']}项，其中逾期未改{n['backlog_overdue']}项",
    ):
        assert expected in text, expected


# Rendering ---------------------------------------------------------------------------------------


def test_the_city_summary_states_the_dashboards_figures_with_its_charts(city, browser_for, tmp_path):
    path, document = fetch_pdf(browser_for("leader"), summary_url(city), tmp_path)
    text = flat(assert_official_pdf(path, document.verification_code))  # A4, CJK fonts embedded and subset
    start, end = city.today - timedelta(days=59), city.today
    for expected in ("宝川市国家保密局", "关于宝川市", "保密检查情况的通报", "各区县国家保密局，市直各单位：",
                     f"落到实处，{cn_date(start)}至{cn_date(end)}，", "一、总体情况", "二、发现的主要问题",
                     "（二）典型问题", "三、整改落实情况", "四、检查得分排名", "五、屡查屡犯单位",
                     "六、泄密事件和案件查处情况", "七、工作要求", "印发"):
        assert expected in text, expected
    assert_figures_in(text, figures_of("leader", city))
    # Typical problems: the most failed items, each with its sentence.
    assert "涉密与非涉密计算机之间未交叉使用U盘、移动硬盘等存储介质" in text
    assert "本期在2个单位查出问题2次，其中不符合2次、基本符合0次；定为重大泄密隐患2次；屡查屡犯1次。" in text
    # Repeat offenders: DH-ZFB failed F3 again.
    assert "本期有1个单位在同一检查项上24个月内再次被查出问题，共1个" in text
    assert "东湖区人民政府办公室（东湖区）：屡查屡犯1个" not in text  # the district is left out when the name says it
    assert "东湖区人民政府办公室：屡查屡犯1个" in text
    # Rankings, in words.
    assert "得分最低的区县是东湖区国家保密局（75分）" in text and "得分最低的单位是东湖区人民政府办公室（75分）" in text
    # The dashboard's charts are drawn as vectors whose labels are text: titles, axis and threshold labels,
    # the eight areas (涉密会议、活动 had no finding and appears in the chart alone), bar values.
    for label in ("检查平均得分", "90符合要求", "80基本符合要求", "每次检查发现问题数", "问题分布：八个方面",
                  "涉密会议、活动", "重大泄密隐患", "问题最多的10个检查项", "2次·2个单位", "各区县平均得分（低分在前）",
                  "各区县逾期未改事项", "得分最低的10个单位", "75分·1次", "逾期未改最多的10个单位"):
        assert label in text, label
    assert poppler("pdfimages", "-list", str(path)).splitlines()[2:] == []  # charts and QR are vectors, no images
    assert document.kind == "summary" and document.unit_id is None and document.object_id is None
    assert document.scope_node_id == node("BC-BMJ").id and document.created_by_id == user("leader").id
    assert document.params["from"] == start.isoformat()
    assert document.params["filename"].startswith("保密检查情况通报-宝川市")


def test_the_summary_data_is_the_dashboards(city, district_leader):
    start, end = city.today - timedelta(days=59), city.today
    city_record = summary.period_summary(start, end, node("BC-BMJ"))
    data = summary.summary_data(db.session, city_record)
    expected = figures_of("leader", city)
    assert {k: data["figures"][k] for k in expected.counts} == expected.counts
    assert (data["figures"]["coverage"], data["figures"]["completion_rate"], data["figures"]["on_time_rate"],
            data["figures"]["median_days"]) == (16.7, 33.3, 100.0, 4.0)
    assert [(t["item_key"], t["findings"], t["units"]) for t in data["typical"]] == [("F3", 2, 2), ("C8", 1, 1),
                                                                                   ("F7", 1, 1)]
    assert data["typical"][1]["partial"] == 1 and data["typical"][1]["area"] == "定密管理"
    assert sum(r["repeat"] for r in data["repeat_offenders"]["rows"]) == expected["findings_repeat"]
    assert sum(a["total"] for a in data["areas"]) == expected["findings"]
    # A district: the city's leader choosing it, and the district's own leader, ask for one and the same summary.
    by_city = summary.period_summary(start, end, node("BC-BMJ"), node("BC-DH"))
    by_district = summary.period_summary(start, end, node("BC-DH"))
    assert by_city == by_district and by_city.params() == by_district.params()
    district = summary.summary_data(db.session, by_city)
    assert {k: district["figures"][k] for k in expected.counts} == figures_of("dh-leader", city).counts
    assert district["area"] == "东湖区" and district["issuer"] == "东湖区国家保密局" and not district["city"]
    assert district["rankings"]["districts_by_score"] == []  # one district: no district ranking
    # The city bureau as a district: the units directly under it (市直单位), as the dashboard's filter shows them.
    direct = summary.period_summary(start, end, node("BC-BMJ"), node("BC-BMJ"))
    assert direct.direct and summary.summary_data(db.session, direct)["area"] == "宝川市市直单位"
    assert {k: summary.summary_data(db.session, direct)["figures"][k] for k in expected.counts} == \
        figures_of("leader", city, district_id=node("BC-BMJ").id).counts


def test_a_district_summary_shows_only_that_district(city, district_leader, browser_for, tmp_path):
    path, document = fetch_pdf(browser_for("dh-leader", PASSWORD), summary_url(city), tmp_path)
    text = flat(pdf_text(path))
    assert "东湖区国家保密局" in text and "关于东湖区" in text and "各有关单位：" in text
    assert_figures_in(text, figures_of("dh-leader", city))
    assert "西山县" not in text and "各区县平均得分" not in text
    assert document.scope_node_id == node("BC-DH").id
    # The city's leader choosing the district gets that very document.
    again = browser_for("leader").get(summary_url(city, district=node("BC-DH").id))
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/documents/{document.id}.pdf")


def test_a_period_without_data_still_makes_a_sound_summary(demo, browser_for, tmp_path):
    path, _document = fetch_pdf(browser_for("leader"), "/documents/summary.pdf?from=2010-01-01&to=2010-12-31",
                                tmp_path)
    text = flat(pdf_text(path))
    assert "关于宝川市2010年保密检查情况的通报" in text and "宝川市没有完成的保密检查" in text
    assert "本期没有发现问题" in text and "本期没有屡查屡犯的问题" in text and "暂无排名" in text


# Versions ----------------------------------------------------------------------------------------


def test_unchanged_figures_reuse_the_pdf_and_changed_ones_supersede_it(city, app, browser_for, tmp_path):
    leader = browser_for("leader")
    old_path, old = fetch_pdf(leader, summary_url(city), tmp_path, "old.pdf")
    stored = documents.file_path(old.sha256)
    mtime = stored.stat().st_mtime_ns
    # A response changes no figure of the summary: the same version, the same file.
    t1 = db.session.get(Ticket, city.tickets["T1"].id)
    f.respond(t1)
    _path, same = fetch_pdf(browser_for("inspector"), summary_url(city), tmp_path)
    assert same.id == old.id and stored.stat().st_mtime_ns == mtime
    # The issue date (成文日期) is printed, so it is part of the version: a download on another day is drawn up
    # that day, with the same 文号.
    prepared = documents.prepare(db.session, "summary", summary.load(db.session, old.params))
    assert prepared.version == old.record_version
    assert prepared.kind.version({**prepared.data, "date": "2000-01-01"}) != old.record_version
    assert prepared.data["number"] == old.params["number"] == f"宝保通〔{prepared.data['date'][:4]}〕1号"
    # Accepting it does change the figures (accepted, completion rate, backlog): a new code.
    f.review(db.session.get(Ticket, t1.id), accept=True)
    new_path, new = fetch_pdf(leader, summary_url(city), tmp_path, "new.pdf")
    assert new.verification_code != old.verification_code and new.record_version != old.record_version
    assert db.session.scalar(select(func.count()).select_from(Document)) == 2
    page = leader.get(f"/verify?code={old.verification_code}").get_data(as_text=True)
    assert "已被新版本取代" in page and new.verification_code in page and "宝川市 ·" in page
    page = leader.get(f"/verify?code={new.verification_code}").get_data(as_text=True)
    assert "有效 · 最新版本" in page
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "verify", str(old_path)])
    assert result.exit_code == 1 and "SUPERSEDED" in result.output and new.verification_code in result.output
    result = runner.invoke(args=["report", "verify", str(new_path)])
    assert result.exit_code == 0 and "CURRENT" in result.output and "保密检查情况通报 (summary)" in result.output


def test_a_superseded_summary_without_a_newer_rendering_offers_to_render_it(city, browser_for, tmp_path):
    leader = browser_for("leader")
    _path, old = fetch_pdf(leader, summary_url(city, district=node("BC-DH").id), tmp_path)
    f.respond(db.session.get(Ticket, city.tickets["T1"].id))
    f.review(db.session.get(Ticket, city.tickets["T1"].id), accept=True)
    page = leader.get(f"/verify?code={old.verification_code}").get_data(as_text=True)
    again = html.escape(summary_url(city, district=node("BC-DH").id))
    assert "已被新版本取代" in page and again in page


# Scoping and bad input ---------------------------------------------------------------------------


def test_out_of_area_readers_get_404_and_officers_no_summary(city, district_leader, browser_for, tmp_path):
    _path, document = fetch_pdf(browser_for("leader"), summary_url(city), tmp_path)
    code = document.verification_code
    stored = [f"/documents/{document.id}.pdf", f"/documents/jobs/{code}", f"/documents/jobs/{code}.json",
              f"/verify?code={code}"]
    dh = browser_for("dh-leader", PASSWORD)
    for url in (*stored, summary_url(city, district=node("BC-XS").id), summary_url(city, district=node("BC-BMJ").id),
                summary_url(city, district=node("DH-ZFB").id), summary_url(city, district="abc"),
                summary_url(city, district=999999)):
        assert dh.get(url).status_code == 404, url
    for username in ("officer", "admin", "auditor"):
        browser = browser_for(username)
        assert browser.get(summary_url(city)).status_code == 403, username
        for url in stored:
            assert browser.get(url).status_code == 404, (username, url)
    # A district inspector likewise; the city's inspector may have it.
    assert browser_for("inspector2").get(f"/documents/{document.id}.pdf").status_code == 404
    response = browser_for("inspector").get(f"/documents/{document.id}.pdf")
    assert response.status_code == 200
    response.close()


def test_bad_periods_get_a_clear_message_and_make_nothing(demo, browser_for):
    leader = browser_for("leader")
    for query, message in (("from=2026-13-01&to=2026-12-31", "日期格式有误"),
                           ("from=2026-05-01&to=2026-01-01", "开始日期晚于结束日期"),
                           ("from=2001-01-01&to=2026-01-01", "时间段不能超过十年"),
                           ("from=1990-01-01&to=1990-12-31", "开始日期过早")):
        response = leader.get(f"/documents/summary.pdf?{query}")
        assert response.status_code == 400 and message in response.get_data(as_text=True), query
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


# Command line ------------------------------------------------------------------------------------


def test_report_summary_writes_the_pdf(city, app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "summary.pdf"
    args = ["report", "summary", "--from", city.period["from"], "--to", city.period["to"], "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    code = re.search(r"verification code (\S+)", result.output).group(1)
    text = flat(assert_official_pdf(out, code))
    assert "关于宝川市" in text
    assert_figures_in(text, figures_of("leader", city))
    again = runner.invoke(args=args)
    assert again.exit_code == 0 and "already rendered" in again.output
    verified = runner.invoke(args=["report", "verify", str(out)])
    assert verified.exit_code == 0 and "CURRENT" in verified.output and "宝川市 ·" in verified.output
    district = tmp_path / "district.pdf"
    result = runner.invoke(args=[*args[:-2], "--district", "BC-DH", "--out", str(district)])
    assert result.exit_code == 0, result.output
    assert "关于东湖区" in flat(pdf_text(district))


def test_report_summary_explains_bad_input(demo, app, tmp_path):
    runner = app.test_cli_runner()
    out = str(tmp_path / "x.pdf")
    period = ["--from", "2026-01-01", "--to", "2026-06-30"]
    for args, message in (
        (["--from", "2026-13-01", "--to", "2026-06-30", "--out", out], "'2026-13-01' is not a date"),
        (["--from", "2026-01-01", "--to", "yesterday", "--out", out], "write it as YYYY-MM-DD"),
        (["--from", "2026-06-30", "--to", "2026-01-01", "--out", out], "2026-06-30 is after --to 2026-01-01"),
        (["--from", "1990-01-01", "--to", "1990-12-31", "--out", out], "开始日期过早"),
        ([*period, "--district", "NOPE", "--out", out], "there is no district with the code 'NOPE'"),
        ([*period, "--district", "DH-ZFB", "--out", out], "has no units of its own"),
        ([*period, "--out", str(tmp_path / "no" / "x.pdf")], "does not exist"),
        (period, "--out"),
        (["--to", "2026-06-30", "--out", out], "--from"),
    ):
        result = runner.invoke(args=["report", "summary", *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


# The worker process ------------------------------------------------------------------------------


def test_a_big_summary_renders_in_the_worker_with_progress(city, district_leader, app, browser_for):
    app.config["DOCUMENTS_WORKER_PAGES"] = 1  # everything counts as big
    leader = browser_for("leader")
    response = leader.get(summary_url(city))
    assert response.status_code == 303 and "/documents/jobs/" in response.headers["Location"]
    job_url = response.headers["Location"]
    code = job_url.rsplit("/", 1)[1]
    job = documents.wait_for(db.session, code, timeout=120)
    assert job is not None and job.state == "done", job
    status = leader.get(f"{job_url}.json").json
    assert status["state"] == "done" and status["progress"] == 100
    pdf = leader.get(status["url"])
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF-")
    pdf.close()
    document = db.session.scalar(select(Document).where(Document.verification_code == code))
    assert document.kind == "summary" and document.scope_node_id == node("BC-BMJ").id
    # The city's job is not the district leader's to follow.
    dh = browser_for("dh-leader", PASSWORD)
    assert dh.get(job_url).status_code == 404 and dh.get(f"{job_url}.json").status_code == 404


# Buttons -----------------------------------------------------------------------------------------


def test_the_dashboard_button_carries_the_period_and_district(city, browser_for, tmp_path):
    leader = browser_for("leader")
    district = node("BC-DH").id
    page = leader.get("/dashboard?period=custom&from={from}&to={to}&district=".format(**city.period)
                      + str(district)).get_data(as_text=True)
    href = f"/documents/summary.pdf?from={city.period['from']}&amp;to={city.period['to']}&amp;district={district}"
    assert f'href="{href}">下载通报 PDF</a>' in page
    assert "不含单位类型" not in page  # no filter the summary leaves aside
    _path, document = fetch_pdf(leader, html.unescape(href), tmp_path)
    assert document.params["from"] == city.period["from"] and document.params["to"] == city.period["to"]
    assert document.scope_node_id == district
    # The default period; a unit-type filter, which the summary does not apply, is said so.
    page = leader.get("/dashboard?type=institution").get_data(as_text=True)
    start, end = dashboard.period_bounds("12m", city.today)
    assert f"/documents/summary.pdf?from={start.isoformat()}&amp;to={end.isoformat()}\"" in page
    assert "不含单位类型、检查类型和单位筛选" in page
    assert "下载通报 PDF" in browser_for("inspector2").get("/dashboard").get_data(as_text=True)
    assert "下载通报 PDF" not in browser_for("officer").get("/dashboard").get_data(as_text=True)


def buttons(browser, url: str) -> dict[str, str]:
    """The document buttons and links on a page: label → URL."""
    page = browser.get(url)
    assert page.status_code == 200, url
    found = re.findall(r'<a (?:class="button" )?href="([^"]+)">(?:下载)?((?:检查报告|整改情况报告|整改通知书) PDF)</a>',
                       page.get_data(as_text=True))
    return {label: href for href, label in found}


def test_document_buttons_appear_exactly_when_the_document_may_be_had(demo, browser_for):
    inspector, officer = browser_for("inspector"), browser_for("officer")
    planned = f.make_inspection("DH-ZFB")
    assert buttons(inspector, f"/inspections/{planned.id}") == {}
    submitted, _ = f.submitted_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    report = f"/inspections/{submitted.id}/report.pdf"
    assert buttons(inspector, f"/inspections/{submitted.id}") == {"检查报告 PDF": report}
    assert buttons(browser_for("leader"), f"/inspections/{submitted.id}") == {"检查报告 PDF": report}
    assert buttons(officer, f"/inspections/{submitted.id}") == {}  # the unit gets it with the notice
    submitted = db.session.get(Inspection, submitted.id)  # the requests ended the test's session
    notice = f.make_notice(submitted)
    rectification = f"/inspections/{submitted.id}/rectification-report.pdf"
    both = {"检查报告 PDF": report, "整改情况报告 PDF": rectification}
    assert buttons(inspector, f"/inspections/{submitted.id}") == both
    assert buttons(officer, f"/inspections/{submitted.id}") == both
    assert buttons(officer, f"/notices/{notice.id}") == {"整改通知书 PDF": f"/notices/{notice.id}.pdf"}
    ticket = f.tickets_of(submitted)[0]
    assert buttons(officer, f"/tickets/{ticket.id}") == {"整改通知书 PDF": f"/notices/{notice.id}.pdf",
                                                         "整改情况报告 PDF": rectification}
    for url in (report, rectification, f"/notices/{notice.id}.pdf"):
        assert officer.get(url).status_code == 303, url  # each button leads to its PDF
    # A notice without findings: no rectification to report.
    clean, _ = f.submitted_inspection("DH-ZFB")
    f.make_notice(clean)
    assert buttons(inspector, f"/inspections/{clean.id}") == {"检查报告 PDF": f"/inspections/{clean.id}/report.pdf"}
    # A self-inspection: the unit's own report as soon as it is submitted, and its rectification report.
    own, _tickets = f.self_inspection("DH-ZFB")
    assert set(buttons(officer, f"/inspections/{own.id}")) == {"检查报告 PDF", "整改情况报告 PDF"}
    # Out of scope: the pages themselves answer 404, so no button shows anywhere.
    make_user("xs-inspector", Role.INSPECTOR, node("BC-XS"))
    assert browser_for("xs-inspector", PASSWORD).get(f"/inspections/{submitted.id}").status_code == 404
    assert browser_for("officer2").get(f"/notices/{notice.id}").status_code == 404


def test_render_url_rebuilds_a_summarys_address(city, app):
    from inspect_app.documents.routes import render_url

    start, end = city.today - timedelta(days=59), city.today
    with app.test_request_context():
        for record, district in ((summary.period_summary(start, end, node("BC-BMJ")), None),
                                 (summary.period_summary(start, end, node("BC-DH")), node("BC-DH").id),
                                 (summary.period_summary(start, end, node("BC-BMJ"), node("BC-BMJ")),
                                  node("BC-BMJ").id)):
            url = render_url("summary", None, record.params())
            assert url.startswith(f"/documents/summary.pdf?from={start.isoformat()}&to={end.isoformat()}")
            assert (f"district={district}" in url) if district else ("district" not in url)
        assert render_url("summary", None, {"from": "x"}) is None
