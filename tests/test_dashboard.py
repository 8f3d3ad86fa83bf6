"""The leadership dashboard: every figure against hand-computed values, scoping, drill-down consistency.

The fixed data set (dates relative to today, T; times local):

    I0  DH-ZFB routine network   submitted T-200  F3 fails                 (makes I1's F3 a repeat)
    I1  DH-ZFB routine network   submitted T-10   F3 (critical, repeat), F7 (general)   score 75 不符合要求
    I2  XS-YY  routine network+classification  submitted T-20  F3 (critical), C8 partial (serious)  score 92
    I3  DH-FY  spot classification  submitted T-100  C1, C2 (outside the period)         score 85
    I4  DH-JYJ routine  cancelled (never counts)
    S1  DH-ZFB self-assessment   submitted T-5, all compliant                        score 100

    T1  I1 F3  created T-9   due T-2   open        → overdue
    T2  I1 F7  created T-9   due T-5   accepted T-5 23:30 local (on its due date: on time), 4 days to close
    T3  I2 F3  created T-19  due T+3   responded   → due within 7 days
    T5  I2 C8  created T-19  due T+40  cancelled
    T4  I3 C1  created T-99  due T-70  accepted T-60 (late; outside the period)
    T6  I3 C2  created T-99  due T-30  returned    → overdue (backlog counts whenever created)

The period under test is the last 60 days, T-59 … T.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text

from inspect_app import clock
from inspect_app.database import transaction
from inspect_app.extensions import db
from inspect_app.models import Finding, Inspection, Notice, Role, Ticket
from inspect_app.services import dashboard
from inspect_app.services.dashboard import MEASURES, Context, Filters
from inspect_app.services.demo import scale as demo_scale

from .factories import answer_all, make_inspection, submit, submitted_inspection
from .helpers import make_user, node, user


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """The stored (naive UTC) instant of a local time."""
    return datetime.combine(day, time(hour, minute), clock.timezone()).astimezone(UTC).replace(tzinfo=None)


@dataclass
class City:
    today: date
    inspections: dict[str, Inspection]
    tickets: dict[str, Ticket]

    @property
    def period(self) -> dict[str, str]:
        return {"from": (self.today - timedelta(days=59)).isoformat(), "to": self.today.isoformat()}

    def filters(self, **kwargs) -> Filters:
        return Filters(start=self.today - timedelta(days=59), end=self.today, preset=None, **kwargs)


def _backdate(inspection: Inspection, day: date, score: float, band: str, status: str = "issued") -> None:
    with transaction(db.session):
        inspection.submitted_at = local(day, 16)
        inspection.score, inspection.band, inspection.status = score, band, status
        for finding in db.session.scalars(select(Finding).where(Finding.inspection_id == inspection.id)):
            finding.created_at = inspection.submitted_at


def _notice(inspection: Inspection, sequence: int) -> Notice:
    notice = Notice(inspection_id=inspection.id, unit_id=inspection.unit_id, bureau_id=inspection.bureau_id,
                    year=2026, sequence=sequence, number=f"宝保检〔2026〕{sequence}号",
                    issued_by_id=user("inspector").id, issued_at=inspection.submitted_at)
    db.session.add(notice)
    db.session.flush()
    return notice


def _ticket(finding: Finding, notice: Notice | None, created: date, due: date, status: str, *,
            accepted: datetime | None = None) -> Ticket:
    ticket = Ticket(finding_id=finding.id, inspection_id=finding.inspection_id, notice_id=notice.id if notice else None,
                    unit_id=finding.unit_id, status=status, due_date=due, original_due_date=due,
                    created_at=local(created, 9), accepted_at=accepted,
                    cancelled_at=local(created + timedelta(days=2)) if status == "cancelled" else None)
    db.session.add(ticket)
    db.session.flush()
    return ticket


def by_key(findings: list[Finding]) -> dict[str, Finding]:
    return {f.item_key: f for f in findings}


@pytest.fixture
def city(demo) -> City:
    today = clock.local_today()
    t = lambda days: today - timedelta(days=days)  # noqa: E731

    i0, _ = submitted_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    _backdate(i0, t(200), 88.0, "basic", "closed")
    i1, f1 = submitted_inspection("DH-ZFB", failing={"F3": "noncompliant", "F7": "partial"})
    _backdate(i1, t(10), 75.0, "fails")
    i2, f2 = submitted_inspection("XS-YY", templates=("network", "classification"),
                                  failing={"F3": "noncompliant", "C8": "partial"})
    _backdate(i2, t(20), 92.0, "meets")
    i3, f3 = submitted_inspection("DH-FY", templates=("classification",), kind="spot",
                                  failing={"C1": "noncompliant", "C2": "noncompliant"})
    _backdate(i3, t(100), 85.0, "basic")
    i4 = make_inspection("DH-JYJ")
    from inspect_app.services import inspections as inspection_service

    inspection_service.cancel_inspection(db.session, user("inspector"), i4, "单位临时承担重大任务")
    s1 = make_inspection("DH-ZFB", lead="officer", templates=("self-assessment",), kind="self")
    answer_all(s1)
    submit(s1)
    _backdate(s1, t(5), 100.0, "meets", "submitted")

    f1, f2, f3 = by_key(f1), by_key(f2), by_key(f3)
    with transaction(db.session):
        n1, n2, n3 = _notice(i1, 1), _notice(i2, 2), _notice(i3, 3)
        tickets = {
            "T1": _ticket(f1["F3"], n1, t(9), t(2), "open"),
            "T2": _ticket(f1["F7"], n1, t(9), t(5), "accepted", accepted=local(t(5), 23, 30)),
            "T3": _ticket(f2["F3"], n2, t(19), today + timedelta(days=3), "responded"),
            "T5": _ticket(f2["C8"], n2, t(19), today + timedelta(days=40), "cancelled"),
            "T4": _ticket(f3["C1"], n3, t(99), t(70), "accepted", accepted=local(t(60), 11)),
            "T6": _ticket(f3["C2"], n3, t(99), t(30), "returned"),
        }
    return City(today, {"I0": i0, "I1": i1, "I2": i2, "I3": i3, "I4": i4, "S1": s1}, tickets)


def ctx_for(username: str, filters: Filters) -> Context:
    return Context(db.session, user(username), filters)


@pytest.fixture
def district_leader(demo):
    return make_user("dh-leader", Role.LEADER, node("BC-DH"))


# Every figure, by hand -------------------------------------------------------------------------

CITY_FIGURES = {
    "inspections": 2, "inspections_failing": 1,
    "units_active": 12, "units_covered": 2, "units_uncovered": 10,
    "findings": 4, "findings_critical": 2, "findings_serious": 1, "findings_general": 1, "findings_repeat": 1,
    "tickets_issued": 3, "tickets_accepted": 1, "tickets_on_time": 1, "tickets_late": 0,
    "backlog": 3, "backlog_overdue": 2, "backlog_due_soon": 1, "backlog_returned": 1,
}
DISTRICT_FIGURES = {
    "inspections": 1, "inspections_failing": 1,
    "units_active": 4, "units_covered": 1, "units_uncovered": 3,
    "findings": 2, "findings_critical": 1, "findings_serious": 0, "findings_general": 1, "findings_repeat": 1,
    "tickets_issued": 2, "tickets_accepted": 1, "tickets_on_time": 1, "tickets_late": 0,
    "backlog": 2, "backlog_overdue": 2, "backlog_due_soon": 0, "backlog_returned": 1,
}


def test_every_figure_for_the_city(city):
    data = dashboard.dashboard(ctx_for("leader", city.filters()))
    assert data.figures.counts == CITY_FIGURES
    assert data.figures.coverage == 16.7  # 2 / 12
    assert data.figures.completion_rate == 33.3  # 1 accepted / 3 not cancelled
    assert data.figures.on_time_rate == 100.0  # T2 accepted on its due date, 23:30 local
    assert data.figures.median_days == 4.0  # T2: created T-9, accepted T-5
    # The headline figures equal the figures counted alone, measure by measure.
    assert dashboard.figures(ctx_for("leader", city.filters())).counts == CITY_FIGURES


def test_the_charts_and_tables_for_the_city(city):
    data = dashboard.dashboard(ctx_for("leader", city.filters()))
    areas = {a.category: a for a in data.breakdown.areas}
    assert list(areas)[:8] == list(dashboard.AREAS)  # the eight areas always, in order
    assert areas["network"].by_severity == {"critical": 2, "serious": 0, "general": 1}
    assert areas["classification"].by_severity == {"critical": 0, "serious": 1, "general": 0}
    assert sum(a.total for a in areas.values()) == 4
    assert [(i.ref, i.findings, i.units) for i in data.items] == [
        ("network:F3", 2, 2), ("classification:C8", 1, 1), ("network:F7", 1, 1)]
    assert data.items[0].item.key == "F3" and data.items[0].item.text.startswith("涉密与非涉密计算机")
    trend = {p.label: p for p in data.breakdown.trend if p.inspections}
    assert sum(p.inspections for p in trend.values()) == 2 and sum(p.findings for p in trend.values()) == 4
    assert data.breakdown.average_score == 83.5
    r = data.rankings
    assert [(x.name, x.value, x.count) for x in r.units_by_score] == [("东湖区人民政府办公室", 75.0, 1),
                                                                       ("西山县人民医院", 92.0, 1)]
    assert [(x.name, x.value) for x in r.districts_by_score] == [("东湖区国家保密局", 75.0), ("西山县国家保密局", 92.0)]
    assert sorted((x.name, x.value) for x in r.units_by_overdue) == [("东湖区人民政府办公室", 1), ("东湖区人民法院", 1)]
    assert [(x.name, x.value) for x in r.districts_by_overdue] == [("东湖区国家保密局", 2)]
    assert r.units_with_overdue == 2 and r.district_count == 3
    assert [(g.name, g.self_score, g.bureau_score, g.gap) for g in data.gaps] == [
        ("东湖区人民政府办公室", 100.0, 75.0, 25.0)]
    assert data.gap_total == 1
    # The period before (T-119 … T-60) holds I3 alone: 85 points, 2 findings.
    c = data.comparison
    assert (c.average_score, c.previous_average_score, c.score_change) == (83.5, 85.0, -1.5)
    assert (c.findings_per_inspection, c.previous_findings_per_inspection) == (2.0, 2.0)


def test_the_period_before_is_as_many_whole_months_when_the_period_is_whole_months():
    last_year = Filters.for_preset("last_year", today=date(2025, 3, 10)).previous()
    assert (last_year.start, last_year.end) == (date(2023, 1, 1), date(2023, 12, 31))  # not from 2 January
    quarter = Filters(start=date(2024, 1, 1), end=date(2024, 3, 31)).previous()
    assert (quarter.start, quarter.end) == (date(2023, 10, 1), date(2023, 12, 31))
    ytd = Filters.for_preset("ytd", today=date(2025, 3, 10)).previous()
    assert (ytd.start, ytd.end) == (date(2024, 10, 24), date(2024, 12, 31))  # the 69 days before
    days = Filters(start=date(2024, 3, 1), end=date(2024, 3, 30)).previous()
    assert (days.start, days.end) == (date(2024, 1, 31), date(2024, 2, 29))


def test_a_district_leader_sees_only_that_district(city, district_leader):
    data = dashboard.dashboard(ctx_for("dh-leader", city.filters()))
    assert data.figures.counts == DISTRICT_FIGURES
    assert data.figures.coverage == 25.0 and data.figures.completion_rate == 50.0
    assert {x.name for x in data.rankings.units_by_overdue} == {"东湖区人民政府办公室", "东湖区人民法院"}
    assert data.rankings.district_count == 1
    # The city's leader filtering by that district sees the same figures.
    district = node("BC-DH").id
    assert dashboard.figures(ctx_for("leader", city.filters(district_id=district))).counts == DISTRICT_FIGURES


def test_filters_by_unit_type_and_kind(city):
    # XS-YY is an institution (事业单位); DH-ZFB a party and government organ.
    institution = dashboard.figures(ctx_for("leader", city.filters(unit_type="institution")))
    assert (institution["inspections"], institution["findings"], institution["units_active"]) == (1, 2, 2)
    spot = dashboard.figures(ctx_for("leader", city.filters(kind="spot")))
    assert spot["inspections"] == 0 and spot["backlog"] == 1 and spot["backlog_overdue"] == 1  # T6, from I3
    own = dashboard.figures(ctx_for("leader", city.filters(kind="self")))
    assert own["inspections"] == 1 and own["units_covered"] == 1 and own["findings"] == 0


def test_a_ticket_closed_after_midnight_on_the_day_after_its_due_date_is_late(city):
    t2 = city.tickets["T2"]
    with transaction(db.session):
        db.session.get(Ticket, t2.id).accepted_at = local(t2.due_date + timedelta(days=1), 0, 30)
    figures = dashboard.figures(ctx_for("leader", city.filters()))
    assert (figures["tickets_on_time"], figures["tickets_late"], figures.on_time_rate) == (0, 1, 0.0)
    assert figures.median_days == 5.0


def test_days_to_close_count_local_days_exactly_at_midnight(city):
    t2 = city.tickets["T2"]
    created = t2.due_date - timedelta(days=4)
    cases = [((created, 0, 0), (t2.due_date, 0, 0), 4.0),  # both at local midnight
             ((created, 23, 59), (t2.due_date, 0, 0), 4.0),  # a minute before midnight is still that day
             ((created, 0, 0), (t2.due_date, 23, 59), 4.0)]
    for (c_day, c_h, c_m), (a_day, a_h, a_m), days in cases:
        with transaction(db.session):
            ticket = db.session.get(Ticket, t2.id)
            ticket.created_at = local(c_day, c_h, c_m)
            ticket.accepted_at = local(a_day, a_h, a_m)
        assert dashboard.median_days_to_close(ctx_for("leader", city.filters())) == days
    with transaction(db.session):
        # A millisecond before midnight (SQLite's date functions count whole milliseconds) is the day before.
        db.session.get(Ticket, t2.id).created_at = local(created, 0, 0) - timedelta(milliseconds=1)
    assert dashboard.median_days_to_close(ctx_for("leader", city.filters())) == 5.0


def test_no_data_at_all(demo):
    data = dashboard.dashboard(ctx_for("leader", Filters.for_preset("12m")))
    assert data.figures.counts == {**dict.fromkeys(MEASURES, 0), "units_active": 12, "units_uncovered": 12}
    assert data.figures.coverage == 0.0
    assert data.figures.completion_rate is None and data.figures.on_time_rate is None
    assert data.figures.median_days is None
    assert data.items == [] and data.gaps == [] and data.gap_total == 0
    assert all(a.total == 0 for a in data.breakdown.areas)
    assert data.rankings.units_by_score == [] and data.rankings.units_by_overdue == []
    assert data.comparison.score_change is None


def test_a_period_with_only_cancelled_inspections(city):
    cancelled = city.inspections["I4"]
    day = clock.local_date(cancelled.cancelled_at)
    figures = dashboard.figures(ctx_for("leader", Filters(start=day, end=day, preset=None)))
    assert figures["inspections"] == 0 and figures["units_covered"] == 0 and figures["findings"] == 0
    assert figures.coverage == 0.0 and figures.completion_rate is None and figures.median_days is None
    # The backlog is today's, whatever the period.
    assert figures["backlog"] == 3


def test_histogram_median():
    assert dashboard.histogram_median([]) is None
    assert dashboard.histogram_median([(4, 1)]) == 4
    assert dashboard.histogram_median([(1, 1), (3, 1)]) == 2
    assert dashboard.histogram_median([(1, 2), (10, 1)]) == 1
    assert dashboard.histogram_median([(0, 1), (2, 2), (9, 1)]) == 2


def test_trend_buckets():
    assert [b[0] for b in dashboard.trend_buckets(date(2026, 1, 15), date(2026, 3, 2))] == [
        "2026-01", "2026-02", "2026-03"]
    buckets = dashboard.trend_buckets(date(2026, 1, 15), date(2026, 3, 2))
    assert buckets[0][1] == date(2026, 1, 15) and buckets[-1][2] == date(2026, 3, 2)
    assert dashboard.trend_buckets(date(2020, 2, 1), date(2026, 1, 1))[0][0] == "2020Q1"
    assert dashboard.trend_buckets(date(2000, 1, 1), date(2026, 1, 1))[0][0] == "2000"


# Drill-down: every figure equals the length of its list -----------------------------------------


@pytest.mark.parametrize("username", ["leader", "dh-leader", "officer"])
def test_every_figure_equals_the_length_of_its_list(city, district_leader, username):
    ctx = ctx_for(username, city.filters())
    numbers = dashboard.dashboard(ctx).figures if username != "officer" else dashboard.figures(ctx)
    for key in MEASURES:
        listed = db.session.scalar(select(func.count()).select_from(dashboard.listing(ctx, key).subquery()))
        assert listed == numbers[key], key
    data = dashboard.dashboard(ctx)
    for area in data.breakdown.areas:
        stmt = dashboard.listing(ctx, "findings", category=area.category)
        assert db.session.scalar(select(func.count()).select_from(stmt.subquery())) == area.total
    for row in data.items:
        stmt = dashboard.listing(ctx, "findings", item=(row.template_key, row.item_key))
        assert db.session.scalar(select(func.count()).select_from(stmt.subquery())) == row.findings
    for row in data.rankings.units_by_overdue:
        unit_ctx = ctx.with_filters(unit_id=row.node_id)
        assert dashboard.count(unit_ctx, "backlog_overdue") == row.value


PAGE_OF = {"inspections": "inspections", "units": "units", "findings": "findings", "tickets": "tickets",
           "backlog": "tickets"}
TOTAL = re.compile(r"共 (\d+) 条")


def listed_on_page(browser, url: str) -> int:
    response = browser.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    match = TOTAL.search(html)
    if match:
        return int(match.group(1))
    assert 'class="empty"' in html, url
    return 0


HREF = re.compile(r'href="(/dashboard/(?:inspections|units|findings|tickets)\?[^"]+)"')


@pytest.mark.parametrize("username", ["leader", "dh-leader"])
def test_every_figure_on_the_page_opens_a_list_of_that_length(city, district_leader, browser_for, username):
    browser = browser_for(username, "Demo@2026" if username == "leader" else "Tablet-Check-2026")
    expected = CITY_FIGURES if username == "leader" else DISTRICT_FIGURES
    html = browser.get("/dashboard?period=custom&from={from}&to={to}".format(**city.period)).get_data(as_text=True)
    links = {}
    for href in HREF.findall(html):
        href = href.replace("&amp;", "&")
        params = dict(p.split("=", 1) for p in href.split("?", 1)[1].split("&"))
        if set(params) == {"show", "period", "from", "to"}:  # a figure's own link, not a chart bar's
            links.setdefault(params["show"], href)
    assert set(links) == set(MEASURES)  # every figure links to its list
    for key, href in links.items():
        assert listed_on_page(browser, href) == expected[key], key


def test_the_dashboard_page_shows_the_figures(city, browser_for):
    leader = browser_for("leader")
    html = leader.get("/dashboard?period=custom&from={from}&to={to}".format(**city.period)).get_data(as_text=True)
    assert "16.7" in html and "33.3" in html and "100.0" in html and "4 天" in html
    assert "问题最多的是“网络与信息设备保密管理”：3 个" in html
    assert "逾期未改 2 项，涉及 2 个单位" in html
    for svg_id in ("areas", "trend-score", "trend-findings", "items", "units-overdue", "districts-overdue",
                   "units-score", "districts-score"):
        assert f'aria-labelledby="{svg_id}-title' in html, svg_id
    assert "东湖区人民政府办公室" in html and "+25.0" in html  # the self-assessment gap
    assert " style=" not in html and "<script>" not in html


# Scoping ---------------------------------------------------------------------------------------


def test_a_district_leader_gets_404_outside_the_district(city, district_leader, browser_for):
    browser = browser_for("dh-leader", "Tablet-Check-2026")
    other_unit, other_district = node("XS-YY").id, node("BC-XS").id
    for url in (f"/units/{other_unit}", f"/dashboard?district={other_district}",
                f"/dashboard/tickets?show=backlog&unit={other_unit}", f"/dashboard/findings?unit={other_unit}",
                f"/dashboard/inspections?district={other_district}", f"/dashboard/units?district={other_district}",
                f"/dashboard/gap?district={other_district}", f"/units?district={other_district}",
                f"/units/{node('BC-DH').id}", "/units/999999", "/dashboard?district=abc"):
        assert browser.get(url).status_code == 404, url
    html = browser.get("/dashboard/findings?period=all").get_data(as_text=True)
    assert "东湖区人民政府办公室" in html and "西山县人民医院" not in html
    units = browser.get("/units").get_data(as_text=True)
    assert "东湖区教育局" in units and "西山县" not in units


def test_an_officer_sees_only_their_own_unit(city, browser_for):
    officer = browser_for("officer")
    html = officer.get("/dashboard").get_data(as_text=True)
    assert "东湖区人民政府办公室" in html
    figures = re.findall(r'class="figure-value"><a href="([^"]+)"[^>]*>(\d+)</a>', html)
    counts = {href.split("show=")[1].split("&")[0]: int(n) for href, n in figures if "show=" in href}
    assert counts == {"backlog": 1, "backlog_due_soon": 0, "backlog_overdue": 1, "findings_repeat": 1}
    assert (f"/registers/units/{node('DH-ZFB').id}", "0") in figures  # the registers' warnings: none kept here
    assert "100" in html and "75" in html  # the latest scores: S1 and I1
    own, other = node("DH-ZFB").id, node("DH-FY").id
    assert officer.get(f"/units/{own}").status_code == 200
    for url in (f"/units/{other}", f"/dashboard/tickets?unit={other}", f"/dashboard?district={node('BC-XS').id}"):
        assert officer.get(url).status_code == 404, url
    listed = officer.get("/dashboard/tickets?show=backlog&kind=any").get_data(as_text=True)
    assert "东湖区人民政府办公室" in listed and "东湖区人民法院" not in listed


@pytest.mark.parametrize("username", ["admin", "auditor"])
def test_admin_and_auditor_have_no_dashboard(city, browser_for, username):
    browser = browser_for(username)
    for url in ("/dashboard", "/dashboard/findings", "/dashboard/gap", "/units", f"/units/{node('DH-ZFB').id}"):
        assert browser.get(url).status_code in (403, 404), url


# Bad input -------------------------------------------------------------------------------------


def test_bad_filters_give_a_message_and_change_nothing(city, browser_for):
    leader = browser_for("leader")
    for query, message in (("from=2026-13-45", "日期格式有误"),
                           ("from=2026-05-01&to=2026-01-01", "开始日期晚于结束日期"),
                           ("from=1990-01-01&to=2026-01-01", "时间段不能超过十年"),
                           ("period=nonsense", "未知的时间段"), ("kind=weekly", "未知的检查类型"),
                           ("type=bank", "未知的单位类型")):
        response = leader.get(f"/dashboard?{query}")
        assert response.status_code == 200 and message in response.get_data(as_text=True), query
    assert leader.get("/dashboard/findings?show=tickets_issued").status_code == 404
    assert leader.get("/dashboard/findings?category=../etc").status_code == 404
    assert leader.get("/dashboard/findings?item=nocolon").status_code == 404
    assert leader.get("/dashboard/tickets?show=backlog&page=abc&sort=drop").status_code == 200
    assert leader.get("/dashboard/gap?page=-3").status_code == 200
    assert leader.get("/units?q=%25_%27&sort=-nonsense&page=999").status_code == 200


def test_the_lists_sort_and_page(city, browser_for):
    leader = browser_for("leader")
    period = "period=custom&from={from}&to={to}".format(**city.period)
    for url in (f"/dashboard/tickets?show=tickets_issued&{period}&sort=-due",
                f"/dashboard/findings?{period}&sort=unit", f"/dashboard/inspections?{period}&sort=score",
                f"/dashboard/units?show=units_uncovered&{period}&sort=-code", "/units?sort=-overdue",
                "/units?sort=score", "/units?sort=-inspected&key=1&inactive=1"):
        assert leader.get(url).status_code == 200, url
    html = leader.get(f"/dashboard/inspections?{period}&sort=score").get_data(as_text=True)
    assert html.index("东湖区人民政府办公室") < html.index("西山县人民医院")  # 75 before 92
    html = leader.get("/units?sort=-overdue").get_data(as_text=True)
    assert html.index("东湖区人民法院") < html.index("宝川市统计局")


def test_the_english_dashboard(city, browser_for):
    leader = browser_for("leader")
    leader.post("/language", {"lang": "en"})
    html = leader.get("/dashboard?period=custom&from={from}&to={to}".format(**city.period)).get_data(as_text=True)
    assert 'lang="en"' in html
    assert "No removable media are used on both classified and unclassified computers" in html  # F3 in English


def test_a_list_by_date_walks_the_date_index_on_sqlite_and_lists_the_same_rows(demo):
    demo_scale.add_scale(db.session, 120, seed=23)
    ctx = Context(db.session, user("leader"), Filters.for_preset("3y"))
    for key, order, narrow in (("inspections", (Inspection.submitted_at.desc(), Inspection.id.desc()), {}),
                               ("findings", (Inspection.submitted_at.desc(), Finding.id.desc()),
                                {"severity": "serious"})):
        steered = dashboard.listing(ctx, key, in_date_order=True, **narrow).order_by(*order).limit(25)
        plain = dashboard.listing(ctx, key, **narrow).order_by(*order).limit(25)
        rows = db.session.scalars(steered).all()
        assert len(rows) == 25 and rows == db.session.scalars(plain).all()
        if db.engine.dialect.name == "sqlite":
            compiled = steered.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(r[-1]) for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "ix_inspection_submitted_at" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan
