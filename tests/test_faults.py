"""The app server killed with SIGKILL in the middle of a stream of autosaves and submissions, then restarted:
every write the server acknowledged is there, each write at most once, no submission half-written, no
server error on the way (SQLite's "database is locked" included), and the audit chain intact."""

from __future__ import annotations

import base64
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import AnswerRevision, Finding, Inspection, Signature
from inspect_app.services import audit, inspections

from .factories import answer_all, make_inspection, png

pytestmark = pytest.mark.slow
GUNICORN = Path(sys.executable).parent / "gunicorn"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, app, port: int):
        self.env = {**os.environ, "INSPECT_INSTANCE": app.instance_path,
                    "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""),
                    "ATTACHMENTS_DIR": app.config["ATTACHMENTS_DIR"], "SECRET_KEY": app.config["SECRET_KEY"],
                    "AUDIT_KEY": app.config["AUDIT_KEY"],
                    "SIGNING_KEY_DIR": str(app.config["SIGNING_KEYS"].directory),
                    "ATTACHMENT_KEY_FILE": str(app.config["ATTACHMENT_KEYS"].path)}
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(GUNICORN), "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "error", "wsgi:app"],
            env=self.env, cwd=Path(__file__).resolve().parent.parent, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not start")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)  # master and workers, mid-request, no clean-up
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)


@dataclass
class Log:
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (client uuid, "saved" or "duplicate")
    lost: list[str] = field(default_factory=list)  # sent, no reply: stored or not, at most once
    server_errors: list[str] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)
    submit_lost: list[int] = field(default_factory=list)
    lock = threading.Lock()


def logged_in(base: str) -> requests.Session:
    session = requests.Session()
    for _ in range(100):
        try:
            page = session.get(f"{base}/login", timeout=5).text
            session.post(f"{base}/login", data={"username": "inspector", "password": "Demo@2026",
                                                "csrf_token": TOKEN.search(page).group(1)}, timeout=5)
            session.headers["X-CSRFToken"] = session.get(f"{base}/api/v1/csrf", timeout=5).json()["csrf_token"]
            return session
        except (requests.RequestException, AttributeError, ValueError):
            time.sleep(0.2)  # the server is down for a moment
    raise AssertionError("could not log in")


def autosaver(base: str, inspection_id: int, items: list[int], log: Log, stop: threading.Event) -> None:
    session = logged_in(base)
    rng = random.Random()
    while not stop.is_set():
        item = rng.choice(items)
        write = {"client_uuid": str(uuid.uuid4()), "item_id": item, "base_revision": 0, "value": "compliant",
                 "note": f"第{rng.randint(1, 999)}次"}
        try:
            current = session.get(f"{base}/api/v1/inspections/{inspection_id}", timeout=5).json()
            write["base_revision"] = next((a["revision"] for a in current["answers"] if a["item_id"] == item), 0)
            response = session.put(f"{base}/api/v1/inspections/{inspection_id}/answers",
                                   json={"answers": [write]}, timeout=5)
        except (requests.RequestException, ValueError):
            with log.lock:
                log.lost.append(write["client_uuid"])
            time.sleep(0.2)
            continue
        with log.lock:
            if response.status_code >= 500:
                log.server_errors.append(f"{response.status_code} {response.text[:200]}")
            elif response.ok and response.json()["results"][0]["status"] in ("saved", "duplicate"):
                log.acknowledged.append((write["client_uuid"], response.json()["results"][0]["status"]))


def submitter(base: str, inspection_ids: list[int], log: Log) -> None:
    session = logged_in(base)
    signatures = [{"role": role, "signer_name": name, "png_base64": base64.b64encode(png()).decode()}
                  for role, name in (("lead", "王建国"), ("unit", "单位代表"))]
    for inspection_id in inspection_ids:
        try:
            response = session.post(f"{base}/api/v1/inspections/{inspection_id}/submit",
                                    json={"signatures": signatures}, timeout=10)
        except requests.RequestException:
            with log.lock:
                log.submit_lost.append(inspection_id)
            continue
        with log.lock:
            if response.status_code >= 500:
                log.server_errors.append(f"submit {response.status_code}")
            elif response.ok:
                log.submitted.append(inspection_id)
        time.sleep(0.3)


def acknowledged_at_least(log: Log, count: int, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while len(log.acknowledged) < count:
        assert time.monotonic() < deadline, f"only {len(log.acknowledged)} writes acknowledged in {seconds} s"
        time.sleep(0.05)


def test_kill_9_mid_stream_loses_no_acknowledged_write(app, demo):
    streamed = make_inspection("DH-JYJ", templates=["network", "carriers"])
    items = [i.id for i in inspections.load_items(db.session, streamed) if i.response == "compliance"]
    to_submit = []
    for n in range(8):
        inspection = make_inspection("DH-FY", templates=["network"])
        answer_all(inspection, failing={"F3": "noncompliant", "F7": "partial"} if n % 2 else {"F5": "noncompliant"})
        to_submit.append(inspection.id)
    streamed_id = streamed.id
    db.session.remove()

    server = Server(app, free_port())
    base = f"http://127.0.0.1:{server.port}"
    server.start()
    log, stop = Log(), threading.Event()
    workers = [threading.Thread(target=autosaver, args=(base, streamed_id, items, log, stop)) for _ in range(4)]
    workers.append(threading.Thread(target=submitter, args=(base, to_submit, log)))
    try:
        for worker in workers:
            worker.start()
        # Counted in acknowledged writes rather than seconds, so that a busy machine kills the server mid-stream too.
        acknowledged_at_least(log, 12)
        server.kill()
        time.sleep(1)
        server.start()
        acknowledged_at_least(log, len(log.acknowledged) + 12)
        deadline = time.monotonic() + 90
        while not (log.submitted or log.submit_lost) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        server.stop()

    db.session.remove()
    assert log.server_errors == []
    assert len(log.acknowledged) > 20 and len(log.submitted) + len(log.submit_lost) >= 1
    stored = set(db.session.scalars(select(AnswerRevision.client_uuid)
                                    .where(AnswerRevision.inspection_id == streamed_id)))
    # "saved" means this write is a revision of its own; "duplicate" means the answer already said exactly
    # that, so nothing new was stored for it.
    missing = [u for u, status in log.acknowledged if status == "saved" and u not in stored]
    assert missing == [], f"{len(missing)} acknowledged writes were lost"
    # At most once: the unique constraint holds every UUID to one row, and nothing unknown got in.
    assert stored <= {u for u, _ in log.acknowledged} | set(log.lost)
    for inspection_id in to_submit:
        inspection = db.session.get(Inspection, inspection_id)
        findings = db.session.scalar(select(func.count()).select_from(Finding)
                                     .where(Finding.inspection_id == inspection_id))
        signatures = db.session.scalar(select(func.count()).select_from(Signature)
                                       .where(Signature.inspection_id == inspection_id))
        if inspection.status == "submitted":
            assert findings >= 1 and signatures == 2 and inspection.score is not None, inspection_id
        else:  # never half-submitted
            assert (inspection.status, findings, signatures) == ("in_progress", 0, 0), inspection_id
            assert inspection_id not in log.submitted
    assert audit.verify_chain(db.session) is None
