"""Background work on a job queue (Huey): big documents' renders, the daily reminders, the rollups' catch-up.

With `QUEUE_URL` (redis://…) the tasks go to that Redis and run in `flask --app wsgi worker` processes, on any
machine that reaches Redis, the database and the shared folders; a worker also runs the periodic tasks, and
any number of them may run (each periodic run is claimed once). Without it, the embedded default: a SQLite queue
in the instance folder and one local worker process, started by gunicorn (`make run`) or by the app when it
first enqueues something, so nothing more needs installing.

Periodic tasks, in place of cron lines: the reminders (tickets, incidents, registers) once a day at
`REMINDER_HOUR` (local time, default 8), and the rollups' catch-up at ten past every hour (services/analytics:
a new month moves the presets' windows).
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent.parent
REMINDER_HOUR = 8


class Store:
    """The render jobs' statuses in the queue's own key-value store (pdf.worker.JobStore)."""

    def __init__(self, huey: Huey):
        self.huey = huey

    def get(self, key: str) -> dict | None:
        return self.huey.get(f"job:{key}", peek=True)

    def put(self, key: str, value: dict) -> None:
        self.huey.put(f"job:{key}", value)

    def claim(self, key: str, value: dict) -> bool:
        return self.huey.put_if_empty(f"job:{key}", value)

    def delete(self, key: str) -> None:
        self.huey.delete(f"job:{key}")


class Queue:
    """The app's queue: the Huey instance, its tasks, and whether its worker is the embedded one."""

    def __init__(self, app: Flask):
        url = app.config.get("QUEUE_URL") or ""
        self.embedded = not url
        self.lock_path = Path(app.instance_path) / "queue-worker.lock"
        if url:
            self.huey = RedisHuey("inspect", url=url, results=False)
        else:
            self.huey = SqliteHuey("inspect", filename=str(Path(app.instance_path) / "queue.db"), results=False)
        self.store = Store(self.huey)
        self.app = app
        self._register()

    def _register(self) -> None:
        huey, app, store = self.huey, self.app, self.store

        @huey.task(name="render_document")
        def render_document(job_id: str) -> None:
            from ..pdf import worker

            worker.execute(store, job_id)

        @huey.periodic_task(crontab(minute="5"), name="send_reminders")
        @huey.lock_task("send_reminders")  # several workers may schedule it; one runs it
        def send_reminders() -> None:
            hour = app.config.get("REMINDER_HOUR", REMINDER_HOUR)
            with app.app_context():
                from .. import clock

                if datetime.now(UTC).astimezone(clock.timezone()).hour != hour:
                    return
                from ..extensions import db
                from ..services import incidents, rectification, registers

                try:
                    report = rectification.send_reminders(db.session)
                    log.info("reminders: %d due soon, %d overdue", len(report.due_soon), len(report.overdue))
                    cases = incidents.send_reminders(db.session)
                    log.info("incident reminders: %d overdue reports, %d cases past their target",
                             len(cases.overdue_reports), len(cases.past_target))
                    log.info("register warnings: told the officers of %d units",
                             registers.remind(db.session, clock.local_today()))
                finally:
                    db.session.remove()

        @huey.periodic_task(crontab(minute="10"), name="analytics_catch_up")
        @huey.lock_task("analytics_catch_up")
        def analytics_catch_up() -> None:
            with app.app_context():
                from ..extensions import db
                from ..services import analytics

                try:
                    analytics.catch_up(db.session)
                finally:
                    db.session.remove()

        self.render_document = render_document
        self.periodic = {"send_reminders": send_reminders, "analytics_catch_up": analytics_catch_up}

    def enqueue_render(self, job_id: str) -> None:
        self.render_document(job_id)
        if self.embedded:
            self.ensure_embedded_worker()

    # The embedded worker ----------------------------------------------------------------------------------

    def worker_running(self) -> bool:
        """Whether a worker holds the instance's worker lock (it does for as long as it runs)."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False

    def ensure_embedded_worker(self, idle_seconds: int | None = 120, parent: int | None = None) -> bool:
        """Start the local worker process unless one runs (True if this call started it): one that stops after
        `idle_seconds` without work, or (None) gunicorn's own, which runs the periodic tasks too and stops with
        the `parent` process. Detached: it outlives the web worker that started it, which gunicorn renews now
        and then."""
        if self.worker_running():
            return False
        env = {**os.environ, **_worker_environment(self.app)}
        env.pop("QUEUE_URL", None)
        args = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--embedded"]
        if idle_seconds is not None:
            args += ["--idle", str(idle_seconds)]
        if parent is not None:
            args += ["--parent", str(parent)]
        _spawn_detached(args, env, Path(self.app.instance_path) / "queue-worker.log")
        return True

    def stop_embedded_worker(self) -> None:
        """Stop the local worker process, if one runs (its lock file names it)."""
        try:
            pid = int(self.lock_path.read_text().strip() or 0)
        except (OSError, ValueError):
            return
        if pid and self.worker_running():
            os.kill(pid, signal.SIGTERM)


def _worker_environment(app: Flask) -> dict[str, str]:
    """The app's own settings as the worker reads them from its environment, so it starts as this app runs
    (a test's or an instance/config.py's settings included): same database, keys, folders and demo mode."""
    config = app.config
    signing, attachment = config.get("SIGNING_KEYS"), config.get("ATTACHMENT_KEYS")
    env = {"INSPECT_INSTANCE": app.instance_path, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": config["SECRET_KEY"], "AUDIT_KEY": config["AUDIT_KEY"],
           "AUDIT_ALGORITHM": config["AUDIT_ALGORITHM"], "ATTACHMENTS_DIR": config["ATTACHMENTS_DIR"],
           "INSPECT_DEMO": "1" if config.get("INSPECT_DEMO") else "0",
           "DOCUMENT_SIGNING": "on" if signing else "off", "ATTACHMENT_ENCRYPTION": "on" if attachment else "off"}
    if signing:
        env["SIGNING_KEY_DIR"] = str(signing.directory)
    if attachment:
        env["ATTACHMENT_KEY_FILE"] = str(attachment.path)
    if config.get("DOCUMENTS_DIR"):
        env["DOCUMENTS_DIR"] = str(config["DOCUMENTS_DIR"])
    return env


def _spawn_detached(args: list[str], env: dict, logfile: Path) -> None:
    """Run `args` as a grandchild in a session of its own, so no process of ours waits for it."""
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        return
    try:  # the child: only async-signal-safe steps until exec
        os.setsid()
        if os.fork():
            os._exit(0)
        os.chdir(ROOT)
        log_fd = os.open(logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null_fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null_fd, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.execve(args[0], args, env)
    finally:
        os._exit(127)


def queue() -> Queue:
    """The app's queue, made on first use from its configuration."""
    app = current_app._get_current_object()
    if "queue" not in app.extensions:
        app.extensions["queue"] = Queue(app)
    return app.extensions["queue"]
