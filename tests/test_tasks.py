"""The job queue: the embedded default's local worker, and the periodic tasks that replace cron lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from inspect_app import clock, tasks
from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import Notification, Ticket
from inspect_app.services import analytics
from inspect_app.services.dashboard import Context, Filters, rollups
from inspect_app.services.demo import scale as demo_scale

from .factories import issued_inspection, report_incident
from .helpers import user


def periodic(name: str):
    return tasks.queue().periodic[name]


def local_hour() -> int:
    return datetime.now(UTC).astimezone(clock.timezone()).hour


def test_without_a_broker_the_queue_is_the_embedded_sqlite_one(app):
    q = tasks.queue()
    assert q.embedded and type(q.huey).__name__ == "SqliteHuey"
    assert q.huey.storage.filename.startswith(app.instance_path)
    assert not q.worker_running()


def test_the_reminders_run_once_a_day_at_the_configured_hour(app, demo, monkeypatch):
    _inspection, _notice, tickets = issued_inspection()
    ticket = tickets[0]
    ticket.due_date = local_today() - timedelta(days=2)
    db.session.commit()
    found = (datetime.now(clock.timezone()) - timedelta(hours=30)).replace(tzinfo=None)
    report_incident(by="inspector2", found_at=found)  # its report is 6 hours late
    task = periodic("send_reminders")
    app.config["REMINDER_HOUR"] = (local_hour() + 1) % 24
    task.func()
    assert db.session.get(Ticket, ticket.id).last_reminded_on is None  # not the hour yet
    app.config["REMINDER_HOUR"] = local_hour()
    task.func()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).last_reminded_on == local_today()
    late = select(Notification).where(Notification.kind == "incident_report_overdue")
    assert db.session.scalars(late).all()  # the incidents' reminders run with the tickets'
    # Every hour it looks; once a day it finds something to do.
    schedule = task.task_class()
    assert schedule.validate_datetime(datetime(2026, 12, 7, 3, 5))
    assert not schedule.validate_datetime(datetime(2026, 12, 7, 3, 6))


def test_the_catch_up_moves_the_presets_windows_in_a_new_month(app, demo):
    demo_scale.add_scale(db.session, 30, seed=9)
    later = local_today() + timedelta(days=40)
    assert analytics.catch_up(db.session) == "current"
    assert analytics.catch_up(db.session, today=later) == "moved"
    ctx = Context(db.session, user("leader"), Filters.for_preset("12m", today=later), today=later)
    assert rollups.preset_of(ctx) == "12m"
    assert analytics.stored(db.session) == analytics.recomputed(db.session)
    with app.app_context():
        periodic("analytics_catch_up").func()  # as the worker runs it: back to today's windows
    db.session.rollback()
    assert analytics.catch_up(db.session) == "current"
