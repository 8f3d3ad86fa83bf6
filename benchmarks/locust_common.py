"""Locust helpers shared by the benchmark locustfiles: logging in, CSRF tokens, server times."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid

from locust import HttpUser, between, events, task
from locust.exception import StopUser

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SERVER_TIMES: dict[str, list[float]] = {}


_started = 0


def started(environment) -> None:
    """Call at the end of each user's on_start. Logins (argon2id, deliberately slow) and first page loads all
    happen at once at the start, after locust has finished spawning; measure the steady state after the last."""
    global _started
    _started += 1
    if _started == environment.runner.target_user_count:
        SERVER_TIMES.clear()
        environment.runner.stats.reset_all()


@events.request.add_listener
def _server_time(request_type, name, response, exception, **kwargs):
    timing = response.headers.get("Server-Timing", "") if response is not None else ""
    match = re.search(r"dur=([\d.]+)", timing)
    if match and not exception:
        SERVER_TIMES.setdefault(name, []).append(float(match.group(1)))


@events.quitting.add_listener
def _write_server_times(environment, **kwargs):
    target = os.environ.get("BENCH_SERVER_TIMES")
    if target:
        with open(target, "w") as f:
            json.dump(SERVER_TIMES, f)


def log_in(client, username: str, password: str) -> None:
    page = client.get("/login", name="login page").text
    with client.post("/login", name="login", data={"username": username, "password": password,
                                                   "csrf_token": TOKEN.search(page).group(1)},
                     catch_response=True) as response:
        if not response.ok or "/login" in response.url:
            # Everything this user would do next fails as a consequence; count the cause once and stop it.
            response.failure(f"login refused: {response.status_code}")
            raise StopUser()


def token_of(html: str) -> str:
    return TOKEN.search(html).group(1)


_plan: dict | None = None
_cycles: dict[str, itertools.cycle] = {}


def plan() -> dict:
    global _plan
    if _plan is None:
        with open(os.environ["BENCH_PLAN"]) as f:
            _plan = json.load(f)
    return _plan


def next_account(role: str) -> dict:
    """The next account of a role from the plan, round robin over the users locust starts."""
    if role not in _cycles:
        _cycles[role] = itertools.cycle(plan()[role])
    return next(_cycles[role])


class TabletInspector(HttpUser):
    """An inspector on a tablet: opens the fill page, then autosaves an answer about every second."""

    abstract = True
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.account = next_account("inspectors")
        log_in(self.client, self.account["username"], self.account["password"])
        self.revisions: dict[int, int] = {}
        self.open_fill_page()
        started(self.environment)

    def open_fill_page(self):
        html = self.client.get(f"/inspections/{self.account['inspection']}/fill", name="fill page").text
        self.token = token_of(html)

    @task(10)
    def autosave(self):
        item = random.choice(self.account["items"])
        failing = random.random() < 0.1
        write = {"client_uuid": str(uuid.uuid4()), "item_id": item, "base_revision": self.revisions.get(item, 0),
                 "value": "noncompliant" if failing else "compliant",
                 "finding_text": "抽查发现记录不全，需补登。" if failing else None,
                 "note": f"第{random.randint(1, 99)}号柜"}
        with self.client.put(f"/api/v1/inspections/{self.account['inspection']}/answers", name="autosave",
                             json={"answers": [write]}, headers={"X-CSRFToken": self.token},
                             catch_response=True) as response:
            result = response.json()["results"][0] if response.ok else None
            if result is None or result["status"] not in ("saved", "duplicate"):
                response.failure(f"{response.status_code} {result}")
                return
            self.revisions[item] = result["answer"]["revision"]

    @task(1)
    def reload_fill_page(self):
        self.open_fill_page()
