"""The leadership figures' rollups: kept true by every write, rebuilt from the records on demand, and read by the
dashboard to the same figures the records give."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select, text

from inspect_app.clock import local_today
from inspect_app.database import transaction
from inspect_app.extensions import db
from inspect_app.models import AnalyticsState, ExtensionRequest, Finding, Inspection, Role, Ticket, TicketStatus, User
from inspect_app.services import DomainError, analytics, dashboard, org, rectification
from inspect_app.services.dashboard import Context, Filters, rollups
from inspect_app.services.dashboard.measures import overview as overview_from_records
from inspect_app.services.demo import scale as demo_scale
from inspect_app.services.inspections import reopen_inspection

from .factories import answer_all, make_inspection, respond, review, submit, tickets_of
from .helpers import make_unit, make_user, node, user


def assert_rollups_true() -> None:
    assert analytics.stored(db.session) == analytics.recomputed(db.session)


def snapshot(result) -> dict:
    """An overview as plain data (scores to six places: a sum of tenths and a sum of floats may differ last)."""
    numbers, parts = result

    def point(p):
        return None if p is None else (p.label, p.start, p.end, p.inspections, p.scored, round(p.score_sum, 6),
                                       p.findings, p.repeat)

    return {"counts": numbers.counts, "median": numbers.median_days,
            "areas": [(a.category, a.by_severity) for a in parts.areas],
            "trend": [point(p) for p in parts.trend], "previous": point(parts.previous)}


def both_ways(username: str, filters: Filters) -> tuple[dict, dict]:
    ctx = Context(db.session, user(username), filters)
    name = rollups.slice_of(ctx)
    assert name is not None
    return (snapshot(rollups.overview(ctx, name, with_previous=True)),
            snapshot(overview_from_records(Context(db.session, user(username), filters, use_rollups=False),
                                      with_previous=True)))


# The dashboard reads the same figures from the rollups as from the records ------------------------------------


def test_rollups_give_the_records_figures_for_every_view(demo):
    demo_scale.add_scale(db.session, 400, seed=11)
    assert_rollups_true()
    today = local_today()
    city_districts = [None, node("BC-DH").id, node("BC-BMJ").id]
    views = [("leader", Filters.for_preset(p, district_id=d)) for p in ("12m", "ytd", "last_year", "3y", "all")
             for d in city_districts]
    views += [("leader", Filters.for_preset("12m", unit_type=t, kind=k))
              for t in (None, "party_gov", "institution") for k in (None, "self", "any", "spot")]
    views += [("inspector2", Filters.for_preset("3y")), ("inspector2", Filters.for_preset("12m", kind="routine"))]
    # Part-months at both ends, read from the records; and one ending in the future.
    views += [("leader", Filters(start=today - timedelta(days=200), end=today - timedelta(days=17), preset=None)),
              ("leader", Filters(start=date(today.year - 1, 3, 9), end=today + timedelta(days=40), preset=None))]
    for username, filters in views:
        from_rollups, from_records = both_ways(username, filters)
        assert from_rollups == from_records, (username, filters)
    assert both_ways("leader", views[0][1])[0]["counts"]["findings"] > 100  # the city has figures to compare


def per_unit(ctx: Context) -> dict:
    return {"rankings": dashboard.rankings(ctx), "items": dashboard.most_failed_items(ctx),
            "gaps": dashboard.gap_rows(ctx, limit=10), "units": rollups.unit_counts(ctx),
            "gap pages": [dashboard.gap_rows(ctx, limit=4, offset=offset) for offset in (0, 4, 12)],
            "every gap": dashboard.gap_rows(ctx)}


def test_standings_give_the_records_rankings_items_gaps_and_coverage(demo):
    demo_scale.add_scale(db.session, 400, seed=13)
    views = [("leader", Filters.for_preset(p)) for p in ("12m", "ytd", "last_year", "3y", "all")]
    views += [("leader", Filters.for_preset("12m", district_id=node("BC-DH").id, unit_type="party_gov")),
              ("leader", Filters.for_preset("3y", district_id=node("BC-BMJ").id, kind="any")),
              ("leader", Filters.for_preset("ytd", kind="self")), ("leader", Filters.for_preset("3y", kind="spot")),
              ("inspector2", Filters.for_preset("3y", unit_type="institution"))]
    for username, filters in views:
        ctx = Context(db.session, user(username), filters)
        assert rollups.preset_of(ctx) == filters.preset
        from_standings = per_unit(ctx)
        from_records = per_unit(Context(db.session, user(username), filters, use_rollups=False))
        assert from_standings == from_records, (username, filters)
    whole = per_unit(Context(db.session, user("leader"), Filters.for_preset("3y")))
    assert whole["rankings"].units_by_overdue and whole["items"] and whole["gaps"][1] > 0


def test_the_rankings_and_gap_list_read_ten_units_through_the_standings_indexes(demo):
    """The ranking by score and the gap list take their ten rows from the indexes on the averages and gaps they
    sort by, for the default kinds, one kind chosen and one district, rather than sorting every unit in scope."""
    demo_scale.add_scale(db.session, 200, seed=29)
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "FROM standing_unit" in statement and "LIMIT" in statement:
            statements.append((statement, parameters))

    sqlite = db.engine.dialect.name == "sqlite"
    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        for kind, kinds, district in ((None, "bureau", None), ("spot", "spot", None), (None, "bureau", "BC-DH")):
            statements.clear()
            ctx = Context(db.session, user("leader"), Filters.for_preset(
                "3y", kind=kind, district_id=node(district).id if district else None))
            assert rollups.preset_of(ctx) == "3y"
            dashboard.rankings(ctx)
            dashboard.gap_rows(ctx, limit=10)
            assert len(statements) == 2
            if not sqlite:  # a few hundred rows, which a scan and a sort would read as fast
                db.session.execute(text("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off"))
            indexes = (f"ix_standing_unit_average_{kinds}", f"ix_standing_unit_gap_{kinds}")
            for (statement, parameters), index in zip(list(statements), indexes, strict=True):
                explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
                plan = " ".join(str(row[-1]) for row in db.session.connection().exec_driver_sql(
                    explain + statement, parameters))
                assert index in plan, plan
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
        db.session.rollback()


def test_drill_down_lists_are_as_long_as_the_rollups_say(demo):
    demo_scale.add_scale(db.session, 300, seed=19)
    narrowings = [{}, {"severity": "critical"}, {"category": "network"}, {"repeat": True},
                  {"category": "carrier", "severity": "general"}]
    for filters in (Filters.for_preset("3y"), Filters.for_preset("12m", unit_type="party_gov", kind="any"),
                    Filters(start=local_today() - timedelta(days=100), end=local_today() - timedelta(days=9),
                            preset=None)):
        ctx = Context(db.session, user("leader"), filters)
        for key, measure in dashboard.MEASURES.items():
            for narrow in narrowings if measure.base == "findings" and key == "findings" else [{}]:
                total = dashboard.list_total(ctx, key, **narrow)
                counted = db.session.scalar(select(func.count()).select_from(
                    dashboard.listing(ctx, key, **narrow).subquery()))
                assert total in (None, counted), (filters, key, narrow)
                assert total is not None or (measure.base == "units" and filters.preset is None)


def test_a_new_month_reads_the_records_until_the_standings_move(demo):
    demo_scale.add_scale(db.session, 40, seed=17)
    ctx = Context(db.session, user("leader"), Filters.for_preset("12m"))
    assert rollups.preset_of(ctx) == "12m"
    later = local_today() + timedelta(days=40)

    def a_month_later() -> Context:
        return Context(db.session, user("leader"), Filters.for_preset("12m", today=later), today=later)

    assert rollups.preset_of(a_month_later()) is None
    analytics.rebuild_all(db.session, today=later)
    assert rollups.preset_of(a_month_later()) == "12m"


def test_an_upgraded_database_reads_the_records_until_rebuilt(demo):
    demo_scale.add_scale(db.session, 30, seed=3)
    with transaction(db.session):
        db.session.add(AnalyticsState(name=analytics.STALE))
    assert rollups.slice_of(Context(db.session, user("leader"), Filters.for_preset("12m"))) is None
    analytics.rebuild_all(db.session)
    assert rollups.slice_of(Context(db.session, user("leader"), Filters.for_preset("12m"))) is not None


def test_officers_and_unit_drill_downs_read_the_records(demo):
    officer = Context(db.session, user("officer"), Filters.for_preset("12m"))
    drill = Context(db.session, user("leader"), Filters.for_preset("12m", unit_id=node("DH-ZFB").id))
    assert rollups.slice_of(officer) is None and rollups.slice_of(drill) is None


def test_the_rebuild_command_recomputes_the_rollups(app, demo):
    demo_scale.add_scale(db.session, 40, seed=5)
    with transaction(db.session):
        for rollup in analytics.TABLES:
            db.session.execute(rollup.table.delete())
    assert not any(analytics.stored(db.session).values())
    result = app.test_cli_runner().invoke(args=["analytics", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rollups rebuilt" in result.output and "analytics_finding" in result.output
    db.session.expire_all()
    assert_rollups_true()


# Every write keeps them true: a random sequence of the product's own writes ------------------------------------

UNITS = ("DH-ZFB", "XS-ZRZY", "BC-FGW")  # two districts' units and one of the city's own
FAILABLE = ("F1", "F2", "F3", "F5", "F6", "F7", "F8")


def _officer_for(code: str) -> User:
    unit = node(code)
    existing = db.session.scalar(select(User).where(User.org_node_id == unit.id, User.role == Role.OFFICER))
    return existing or make_user(f"o-{code.lower()}", Role.OFFICER, unit)


def _submit(rng: random.Random) -> None:
    code = rng.choice(UNITS)
    kind = rng.choice(("routine", "special", "spot", "self"))
    if kind == "self":
        officer = _officer_for(code)
        inspection = make_inspection(code, officer.username, ("network",), kind="self", scheduled_on=local_today())
    else:
        inspection = make_inspection(code, "inspector", ("network",), kind=kind)
    failing = {k: rng.choice(("noncompliant", "partial")) for k in rng.sample(FAILABLE, rng.randint(0, 3))}
    answer_all(inspection, failing=failing)
    submit(inspection)


def _issue(rng: random.Random) -> None:
    submitted = db.session.scalars(select(Inspection).where(Inspection.status == "submitted",
                                                            Inspection.kind != "self")).all()
    if submitted:
        inspection = rng.choice(submitted)
        findings = rectification.active_findings(db.session, inspection)
        if findings and rng.random() < 0.4:
            rectification.drop_finding(db.session, user("inspector"), rng.choice(findings), "复核后认定不构成问题")
        if rng.random() < 0.2 and not _repeated(inspection):
            reopen_inspection(db.session, user("inspector"), inspection, "更正检查结果")
            return
        rectification.issue_notice(db.session, user("inspector"), inspection)


def _repeated(inspection: Inspection) -> bool:
    """A later finding names one of this inspection's as the failure it repeats (reopening would orphan it)."""
    own = select(Finding.id).where(Finding.inspection_id == inspection.id)
    return db.session.scalar(select(Finding.id).where(Finding.repeat_of_id.in_(own)).limit(1)) is not None


def _ticket(rng: random.Random, statuses) -> Ticket | None:
    tickets = db.session.scalars(select(Ticket).where(Ticket.status.in_(statuses)).order_by(Ticket.id)).all()
    return rng.choice(tickets) if tickets else None


def _work_ticket(rng: random.Random) -> None:
    ticket = _ticket(rng, ("open", "returned", "responded"))
    if ticket is None:
        return
    officer = _officer_for(ticket.unit.code).username
    verifier = officer if ticket.inspection.kind == "self" else "inspector"  # a self-inspection's own officer
    if ticket.status == TicketStatus.RESPONDED:
        review(ticket, accept=rng.random() < 0.7, by=verifier)
    elif rng.random() < 0.2:
        extension = rectification.request_extension(db.session, user(officer), ticket,
                                                    until=ticket.due_date + timedelta(days=rng.randint(5, 40)),
                                                    reason="整改涉及设备采购")
        rectification.decide_extension(db.session, user(verifier), extension, grant=rng.random() < 0.7,
                                       reason="同意延期")
    elif rng.random() < 0.1:
        rectification.cancel_ticket(db.session, user(verifier), ticket, reason="机构调整，问题已消除")
    else:
        respond(ticket, by=officer)


def _backdate(rng: random.Random) -> None:
    """A correction of dates, as an administrator's script would make through the session."""
    days = rng.randint(1, 500)
    with transaction(db.session):
        inspection = db.session.scalars(select(Inspection).where(Inspection.submitted_at.is_not(None))
                                        .order_by(Inspection.id)).first()
        if inspection is not None:
            inspection.submitted_at -= timedelta(days=days)
        ticket = db.session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        if ticket is not None:
            ticket.created_at -= timedelta(days=days)
            if ticket.accepted_at is not None:
                ticket.accepted_at -= timedelta(days=rng.randint(0, days))


def _reorganise(rng: random.Random) -> None:
    unit = node(rng.choice(UNITS))
    roll = rng.random()
    if roll < 0.15:
        make_unit(node(rng.choice(("BC-DH", "BC-BMJ"))), f"NEW-{rng.randrange(10 ** 6)}",
                  unit_type=rng.choice(("party_gov", "institution")))
    elif roll < 0.3:
        org.set_node_active(db.session, user("admin"), unit, not unit.active)
    elif roll < 0.65:
        org.update_node(db.session, None, unit, name=unit.name, code=unit.code,
                        unit_type=rng.choice(("party_gov", "institution", "judicial")), is_key_unit=unit.is_key_unit)
    else:
        target = rng.choice([n for n in (node("BC-DH"), node("BC-XS"), node("BC-BMJ")) if n.id != unit.parent_id])
        org.move_node(db.session, None, unit, target)


STEPS = {"submit": _submit, "issue": _issue, "ticket": _work_ticket, "backdate": _backdate,
         "reorganise": _reorganise}


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=8), seed=st.integers(0, 2 ** 16))
def test_rollups_equal_a_recomputation_after_any_writes(demo, steps, seed):
    rng = random.Random(seed)
    analytics.rebuild_all(db.session)  # the presets' windows, so the standings are kept too
    for step in ["submit", *steps]:
        try:
            STEPS[step](rng)
        except DomainError:
            db.session.rollback()  # a write the rules refuse changes nothing, rollups included
        db.session.expire_all()
    assert_rollups_true()
    assert any(analytics.stored(db.session).values())  # the sequence wrote figures to compare


def test_extension_requests_move_the_backlog_by_due_date(demo):
    inspection = make_inspection("DH-ZFB", "inspector", ("network",))
    answer_all(inspection, failing={"F3": "noncompliant"})
    submit(inspection)
    rectification.issue_notice(db.session, user("inspector"), inspection)
    ticket = tickets_of(inspection)[0]
    before = ticket.due_date
    extension = rectification.request_extension(db.session, user("officer"), ticket,
                                                until=before + timedelta(days=30), reason="整改涉及设备采购")
    rectification.decide_extension(db.session, user("inspector"), extension, grant=True, reason="同意延期")
    assert db.session.get(ExtensionRequest, extension.id).status == "granted"
    backlog = next(r for r in analytics.ROLLUPS if r.table.name == "analytics_backlog")
    rows = {(k[1], k[2]): v for k, v in analytics.stored(db.session)[backlog].items()
            if k[0] == f"{node('BC-BMJ').id}s:*:bureau"}
    assert rows == {(before + timedelta(days=30), "open"): [1]}
