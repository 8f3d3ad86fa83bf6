"""`seed-demo --scale N`: synthetic inspections that look like a city's, bulk-inserted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import (
    Answer,
    AuditRecord,
    ExtensionRequest,
    Finding,
    Inspection,
    Notice,
    OrgNode,
    Ticket,
    TicketEvent,
    User,
)
from inspect_app.services import audit, dashboard
from inspect_app.services.dashboard import Context, Filters
from inspect_app.services.demo import scale as demo_scale

from .helpers import user


def count(stmt) -> int:
    return db.session.scalar(stmt)


def test_scale_adds_a_realistic_city(demo):
    # As of a fixed day and hour: which of the latest inspections still await their notice depends on the instant.
    today = date(2026, 6, 15)
    report = demo_scale.add_scale(db.session, 400, seed=7, today=today, now=datetime(2026, 6, 15, 10, 0))
    assert report.inspections == 400
    assert count(select(func.count()).select_from(Inspection)) == 400
    # Tickets in every state, overdue ones among them, and extension requests in every state.
    states = dict(db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
    assert set(states) == {"open", "responded", "accepted", "returned", "cancelled"}, states
    assert states == report.ticket_states
    overdue = count(select(func.count()).select_from(Ticket).where(
        Ticket.status.in_(("open", "responded", "returned")), Ticket.due_date < today))
    assert overdue > 0
    assert count(select(func.count()).select_from(Ticket).where(Ticket.due_date != Ticket.original_due_date)) > 0
    extensions = set(db.session.scalars(select(ExtensionRequest.status).distinct()))
    assert {"granted", "refused"} <= extensions
    # Every kind and state of inspection over three years, spread over the units.
    kinds = set(db.session.scalars(select(Inspection.kind).distinct()))
    assert kinds == {"routine", "special", "spot", "self"}
    inspection_states = set(db.session.scalars(select(Inspection.status).distinct()))
    assert {"planned", "submitted", "issued", "closed", "cancelled"} <= inspection_states
    first, last = db.session.execute(select(func.min(Inspection.scheduled_on), func.max(Inspection.scheduled_on))).one()
    assert (today - first).days > 3 * 365 - 40 and last > today
    units = count(select(func.count()).select_from(OrgNode).where(OrgNode.kind == "unit"))
    assert units >= 400 // demo_scale.INSPECTIONS_PER_UNIT
    assert count(select(func.count(Inspection.unit_id.distinct()))) > units // 2
    # About 10 % of the items answered fail, and each failure is a finding with repeats among them.
    failing = count(select(func.count()).select_from(Answer).where(Answer.value.in_(("noncompliant", "partial"))))
    compliance = count(select(func.count()).select_from(Answer).where(
        Answer.value.in_(("compliant", "partial", "noncompliant", "not_applicable"))))
    assert 0.05 < failing / compliance < 0.16
    submitted = count(select(func.count()).select_from(Answer).join(Inspection, Answer.inspection_id == Inspection.id)
                      .where(Answer.value.in_(("noncompliant", "partial")), Inspection.status != "in_progress"))
    assert count(select(func.count()).select_from(Finding)) == submitted == report.findings
    assert count(select(func.count()).select_from(Finding).where(Finding.is_repeat.is_(True))) > 0
    # Every ticket has a finding of its unit, and its timeline starts with its issue.
    assert count(select(func.count()).select_from(Ticket).join(Finding, Ticket.finding_id == Finding.id)
                 .where(Ticket.unit_id != Finding.unit_id)) == 0
    assert count(select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "issued")) == report.tickets
    assert count(select(func.count()).select_from(Notice)) == report.notices > 0
    # Leads are real accounts: each bureau its inspector, each unit its officer.
    assert count(select(func.count()).select_from(Inspection).join(User, Inspection.lead_id == User.id)
                 .where((Inspection.kind == "self") & (User.role != "officer"))) == 0
    # One audit record sums it up, and the chain still verifies.
    assert count(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "demo.scale")) == 1
    assert audit.verify_chain(db.session) is None
    # The dashboard has figures to show, and they hold together.
    figures = dashboard.figures(Context(db.session, user("leader"), Filters.for_preset("12m")))
    assert figures["inspections"] > 0 and figures["findings"] > 0 and figures["backlog_overdue"] > 0
    assert figures["tickets_on_time"] + figures["tickets_late"] == figures["tickets_accepted"]


def test_scale_twice_keeps_ids_and_numbers_unique(demo):
    demo_scale.add_scale(db.session, 60, seed=1)
    demo_scale.add_scale(db.session, 60, seed=2)
    assert count(select(func.count()).select_from(Inspection)) == 120
    assert count(select(func.count(Notice.number.distinct()))) == count(select(func.count()).select_from(Notice))
    # New rows made the ordinary way after a bulk load get fresh ids (on PostgreSQL: the sequences moved on).
    from .factories import submitted_inspection

    inspection, _findings = submitted_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    assert inspection.id > 120


def test_the_cli_scale_option(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    demo_inspections = count(select(func.count()).select_from(Inspection))
    result = runner.invoke(args=["seed-demo", "--scale", "30"])
    assert result.exit_code == 0, result.output
    assert "added 30 inspections" in result.output
    assert count(select(func.count()).select_from(Inspection)) == demo_inspections + 30
    assert runner.invoke(args=["seed-demo", "--scale", "-5"]).exit_code != 0
