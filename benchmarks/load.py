"""The fill-page and autosave benchmark: inspectors autosaving against gunicorn on loopback.

    .venv/bin/python benchmarks/load.py [--users 20] [--seconds 60] [--workers N] [--threads N]

Prepares a fresh SQLite database (or uses DATABASE_URL), starts gunicorn on 127.0.0.1, runs locust headless,
and prints p50/p95 of server time (the app's Server-Timing header) and of the client-side time for the fill
page and for one autosaved answer, against the design's budgets, and the fill page's compressed transfer
size (HTML + CSS + JS, gzip).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from harness import ROOT, Gunicorn, instance_env, run_locust, table

BUDGETS = {"fill page": 50.0, "autosave": 20.0}  # the design's budgets; the autosave one is for SQLite
TRANSFER_BUDGET_KB = 150


def transfer_size(base: str, account: dict) -> tuple[int, int]:
    """(raw, gzip) bytes of the fill page with the CSS and JS it loads."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": account["username"], "password": account["password"],
                                   "csrf_token": token}).encode()
    opener.open(f"{base}/login", data=data).read()
    html = opener.open(f"{base}/inspections/{account['inspection']}/fill").read()
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js)[^"]*)"', html)
    bodies = [html] + [opener.open(base + a.decode()).read() for a in assets]
    return sum(map(len, bodies)), sum(len(gzip.compress(b, 6)) for b in bodies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, help="default: deploy/gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, help="default: deploy/gunicorn.conf.py's")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="inspect-load-"))
    env = instance_env(work)
    plan_file = work / "plan.json"
    with plan_file.open("w") as f:
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load_setup.py"), "--inspectors", str(args.users)],
                       env=env, stdout=f, check=True, cwd=ROOT)
    plan = json.loads(plan_file.read_text())
    server = Gunicorn(env, args.workers, args.threads)
    try:
        raw, compressed = transfer_size(server.url, plan["inspectors"][0])
        stats, server_times = run_locust(ROOT / "benchmarks" / "locustfile.py", server.url, args.users,
                                         args.seconds, work, {**env, "BENCH_PLAN": str(plan_file)})
    finally:
        server.stop()
    print(f"\n{args.users} inspectors, {args.seconds} s, gunicorn {server.workers} workers × {server.threads} threads, "
          f"{'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}, 59-item inspections")
    stats = {name: row for name, row in stats.items() if name in BUDGETS}
    budgets = BUDGETS if not os.environ.get("DATABASE_URL") else {"fill page": BUDGETS["fill page"]}
    print("\n".join(table(stats, server_times, budgets)))
    print(f"fill page transfer: {raw / 1024:.0f} KB raw, {compressed / 1024:.1f} KB gzip "
          f"(budget {TRANSFER_BUDGET_KB} KB)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
