"""The fill-page and autosave load benchmark: 20 inspectors autosaving against gunicorn on loopback.

    .venv/bin/python benchmarks/load.py [--users 20] [--seconds 60] [--workers 2]

Prepares a fresh SQLite database (or uses DATABASE_URL), starts gunicorn on 127.0.0.1, runs locust
headless, and prints p50/p95 of server time (the Server-Timing header) and of the client-side time for
the fill page and for one autosaved answer, against the design's budgets, and the fill page's
compressed transfer size (HTML + CSS + JS, gzip).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUDGETS = {"fill page": 50.0, "autosave": 20.0}
TRANSFER_BUDGET_KB = 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def transfer_size(base: str, plan: dict) -> tuple[int, int]:
    """(raw, gzip) bytes of the fill page with the CSS and JS it loads."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": plan["username"], "password": plan["password"],
                                   "csrf_token": token}).encode()
    opener.open(f"{base}/login", data=data).read()
    html = opener.open(f"{base}/inspections/{plan['inspection']}/fill").read()
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js)[^"]*)"', html)
    bodies = [html] + [opener.open(base + a.decode()).read() for a in assets]
    return sum(map(len, bodies)), sum(len(gzip.compress(b, 6)) for b in bodies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="inspect-load-"))
    env = {**os.environ, "INSPECT_INSTANCE": str(work / "instance"), "INSPECT_DEMO": "1"}
    plan_file = work / "plan.json"
    with plan_file.open("w") as f:
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load_setup.py"), str(args.users)], env=env,
                       stdout=f, check=True, cwd=ROOT)
    plan = json.loads(plan_file.read_text())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(args.workers), "--threads", str(args.threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], env=env, cwd=ROOT)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz").read()
                break
            except OSError:
                time.sleep(0.1)
        raw, compressed = transfer_size(base, plan[0])
        server_times = work / "server-times.json"
        subprocess.run(
            [str(BIN / "locust"), "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless", "--host", base,
             "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--csv", str(work / "load"),
             "--only-summary", "--reset-stats", "--loglevel", "WARNING"],
            env={**env, "BENCH_PLAN": str(plan_file), "BENCH_SERVER_TIMES": str(server_times)}, check=False, cwd=ROOT)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    stats = {row["Name"]: row for row in csv.DictReader((work / "load_stats.csv").open())}
    times = json.loads(server_times.read_text())
    print(f"\n{args.users} inspectors, {args.seconds} s, gunicorn {args.workers} workers × {args.threads} threads, "
          f"{'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}, 59-item inspections")
    print(f"{'request':<12}{'count':>8}{'fail':>6}{'server p50':>12}{'server p95':>12}{'client p50':>12}"
          f"{'client p95':>12}{'budget p95':>12}")
    for name in ("fill page", "autosave"):
        row, server_ms = stats[name], times.get(name, [])
        p50, p95 = (statistics.median(server_ms), percentile(server_ms, 95)) if server_ms else (0, 0)
        verdict = "ok" if p95 <= BUDGETS[name] else "OVER"
        print(f"{name:<12}{row['Request Count']:>8}{row['Failure Count']:>6}{p50:>10.1f}ms{p95:>10.1f}ms"
              f"{float(row['50%']):>10.0f}ms{float(row['95%']):>10.0f}ms{BUDGETS[name]:>9.0f}ms {verdict}")
    print(f"fill page transfer: {raw / 1024:.0f} KB raw, {compressed / 1024:.1f} KB gzip "
          f"(budget {TRANSFER_BUDGET_KB} KB)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
