"""What the load benchmarks share: a prepared instance, gunicorn on loopback, and the figures."""

from __future__ import annotations

import csv
import json
import os
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def instance_env(work: Path) -> dict:
    """The environment of a throw-away instance in `work`.

    Every simulated tablet logs in from 127.0.0.1, where the real ones each have an address of their own, so
    the per-address login limit is raised for the run; the per-account lock-out stays as it is.
    """
    instance = work / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text('LOGIN_RATE_LIMIT = "1000/minute"\n')
    return {**os.environ, "INSPECT_INSTANCE": str(instance), "INSPECT_DEMO": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


class Gunicorn:
    """The app served as in production (deploy/gunicorn.conf.py), on loopback."""

    def __init__(self, env: dict, workers: int | None = None, threads: int | None = None):
        """`workers`, `threads`: the settings' defaults unless given."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        sizes = {name: str(n) for name, n in (("WEB_WORKERS", workers), ("WEB_THREADS", threads)) if n is not None}
        settings = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))  # what it starts with when not given
        self.workers, self.threads = workers or settings["workers"], threads or settings["threads"]
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "--access-logfile", "/dev/null",
             "--log-level", "warning", "wsgi:app"],
            env={**env, "BIND": f"127.0.0.1:{self.port}", **sizes}, cwd=ROOT, start_new_session=True)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.url}/healthz").read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


def run_locust(locustfile: Path, url: str, users: int, seconds: int, work: Path, env: dict) -> tuple[dict, dict]:
    """Run locust headless; returns (its stats by request name, the server times by request name)."""
    server_times = work / "server-times.json"
    subprocess.run(
        [str(BIN / "locust"), "-f", str(locustfile), "--headless", "--host", url, "-u", str(users),
         "-r", str(max(1, users // 5)), "-t", f"{seconds}s", "--csv", str(work / "load"), "--only-summary",
         "--reset-stats", "--loglevel", "WARNING"],
        env={**env, "BENCH_SERVER_TIMES": str(server_times)}, check=False, cwd=ROOT)
    stats = {row["Name"]: row for row in csv.DictReader((work / "load_stats.csv").open())}
    return stats, json.loads(server_times.read_text()) if server_times.exists() else {}


def table(stats: dict, server_times: dict, budgets: dict[str, float]) -> list[str]:
    lines = [f"{'request':<22}{'count':>8}{'fail':>6}{'req/s':>8}{'server p50':>12}{'server p95':>12}"
             f"{'client p50':>12}{'client p95':>12}{'budget p95':>12}"]
    for name, row in stats.items():
        if name == "Aggregated" or row["Request Count"] == "0":  # e.g. the logins, all before the steady state
            continue
        times = server_times.get(name, [])
        p50, p95 = (statistics.median(times), percentile(times, 95)) if times else (0.0, 0.0)
        budget = budgets.get(name)
        verdict = "" if budget is None else (f"{budget:>9.0f}ms {'ok' if p95 <= budget else 'OVER'}")
        lines.append(f"{name:<22}{row['Request Count']:>8}{row['Failure Count']:>6}"
                     f"{float(row['Requests/s']):>8.1f}{p50:>10.1f}ms{p95:>10.1f}ms"
                     f"{float(row['50%']):>10.0f}ms{float(row['95%']):>10.0f}ms{verdict}")
    return lines
