"""The long proof under load: a mixed day for ten minutes at fifty users, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/proof.py [--minutes 10] [--users 50] [--workers N] [--threads N] [--postgres URL]

Thirty inspectors autosave on tablets, ten unit officers work through their tickets, ten leaders read the
dashboard, against gunicorn on loopback over a city of --scale inspections. Prints per request: count,
failures, throughput, server time (Server-Timing) and client time p50/p95, against the design's budgets.
`make proof` runs it on SQLite, and on PostgreSQL when DATABASE_URL names one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import ROOT, Gunicorn, instance_env, run_locust, table

BUDGETS = {"fill page": 50.0, "autosave": 20.0, "dashboard": 300.0}


def empty_postgresql(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run(minutes: float, users: int, workers: int | None, threads: int | None, scale: int,
        database_url: str | None) -> None:
    work = Path(tempfile.mkdtemp(prefix="inspect-proof-"))
    env = instance_env(work)
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
        empty_postgresql(database_url)
    inspectors, officers = users * 3 // 5, users // 5
    plan_file = work / "plan.json"
    with plan_file.open("w") as f:
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load_setup.py"), "--inspectors", str(inspectors),
                        "--officers", str(officers), "--scale", str(scale)],
                       env=env, stdout=f, check=True, cwd=ROOT)
    plan = json.loads(plan_file.read_text())
    server = Gunicorn(env, workers, threads)
    try:
        stats, server_times = run_locust(ROOT / "benchmarks" / "locustfile_mix.py", server.url, users,
                                         int(minutes * 60), work, {**env, "BENCH_PLAN": str(plan_file)})
    finally:
        server.stop()
    kind = "PostgreSQL" if database_url else "SQLite"
    print(f"\n{kind}: {users} users ({len(plan['inspectors'])} inspectors, {len(plan['officers'])} officers, "
          f"leaders) for {minutes:g} min, gunicorn {server.workers} workers × {server.threads} threads, "
          f"a city of {scale} inspections")
    print("\n".join(table(stats, server_times, BUDGETS)))
    total = stats.get("Aggregated", {})
    print(f"all requests: {total.get('Request Count')} with {total.get('Failure Count')} failures")
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, help="default: deploy/gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, help="default: deploy/gunicorn.conf.py's")
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--postgres", help="also run against this PostgreSQL database (emptied first)")
    args = parser.parse_args()
    run(args.minutes, args.users, args.workers, args.threads, args.scale, None)
    if args.postgres:
        run(args.minutes, args.users, args.workers, args.threads, args.scale, args.postgres)


if __name__ == "__main__":
    main()
