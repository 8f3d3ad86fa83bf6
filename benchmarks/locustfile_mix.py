"""The mixed day: inspectors autosaving on tablets, officers answering tickets, leaders reading the dashboard.

Run through benchmarks/proof.py. The plan comes from the file in $BENCH_PLAN (load_setup.py --scale).
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from locust_common import TabletInspector, log_in, next_account, started, token_of

TICKET = re.compile(r'href="/tickets/(\d+)"')


class Inspector(TabletInspector):
    weight = 3


class Officer(HttpUser):
    """A unit's secrecy officer working through the inbox: reads a ticket, keeps a draft, comments."""

    weight = 1
    wait_time = between(2, 5)

    def on_start(self):
        account = next_account("officers")
        log_in(self.client, account["username"], account["password"])
        started(self.environment)

    @task
    def work_on_a_ticket(self):
        inbox = self.client.get("/tickets/inbox", name="ticket inbox").text
        tickets = TICKET.findall(inbox)
        if not tickets:
            return
        ticket = random.choice(tickets)
        page = self.client.get(f"/tickets/{ticket}", name="ticket page").text
        token = token_of(page)
        if 'value="draft"' in page and random.random() < 0.7:  # a draft only while the unit has the turn
            self.client.post(f"/tickets/{ticket}/respond", name="save draft", data={
                "csrf_token": token, "action": "draft", "measures": f"已制定整改方案第{random.randint(1, 9)}稿。",
                "responsible": "保密员"})
        else:
            self.client.post(f"/tickets/{ticket}/comment", name="comment", data={
                "csrf_token": token, "body": "请问佐证材料是否需要盖章？"})


class Leader(HttpUser):
    """A bureau leader with two minutes: the dashboard, and the list behind a figure."""

    weight = 1
    wait_time = between(3, 8)

    def on_start(self):
        account = next_account("leaders")
        log_in(self.client, account["username"], account["password"])
        started(self.environment)

    @task(3)
    def dashboard(self):
        self.client.get("/dashboard", name="dashboard")

    @task(1)
    def overdue_list(self):
        self.client.get("/dashboard/tickets?show=backlog", name="dashboard list")
