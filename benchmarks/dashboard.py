"""The leadership dashboard at province scale: server time of /dashboard for every period preset, district and unit
type filter, of the drill-down lists behind its figures and of a unit profile, against the raw scan.

    .venv/bin/python benchmarks/dashboard.py                       # SQLite only
    .venv/bin/python benchmarks/dashboard.py --postgres postgresql://inspect:inspect@127.0.0.1:5432/inspect
    DATABASE_URL=postgresql://… .venv/bin/python benchmarks/dashboard.py

For each database it builds a fresh one (SQLite in a temporary folder; on PostgreSQL a scratch database named
after the given one with `_bench` appended, dropped afterwards), migrates it, loads the demo and enough
`seed-demo --scale` inspections for 1,000,000 findings (services/demo/scale.py; `--findings` for fewer), then
times, in-process:

- the Flask request, through the WSGI app (routing, login session, queries, templates), over many runs
  after a first one that is not counted; wall time and the CPU time of the serving thread;
- the floor: the same SQL the request sent, replayed on a bare DB-API cursor (its SELECTs; no ORM, no
  templates), so the ratio says what the application adds on top of the database's own work;
- the dashboard twice: as the first view after a write (the board the app keeps by data version dropped before
  every run) and as the app serves it until the next write (kept);
- the raw scan: the same page with DASHBOARD_ROLLUPS=False, every figure read from the records as before the
  rollups (fewer runs: `--raw-runs`), and the ratio raw / rollups.

The budgets (issue 21): every dashboard period, district and unit-type filter ≤ 100 ms server time p95 at
1,000,000 findings, on SQLite and on PostgreSQL; the drill-down lists ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGETS_MS = {"dashboard": 100.0, "list": 150.0}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[index]


class Timed:
    """WSGI middleware: the time from the call to the last byte of the body, wall and thread CPU."""

    def __init__(self, app):
        self.app = app
        self.last: tuple[float, float] | None = None

    def __call__(self, environ, start_response):
        wall, cpu = time.perf_counter(), time.thread_time()
        body = b"".join(self.app(environ, start_response))
        self.last = ((time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000)
        return [body]


def build(url: str, findings_wanted: int, instance: Path):
    """A migrated database at `url` with the demo and enough synthetic inspections for the findings wanted."""
    os.environ["INSPECT_INSTANCE"] = str(instance)
    from flask_migrate import upgrade

    from inspect_app import create_app
    from inspect_app.extensions import db
    from inspect_app.models import Finding
    from inspect_app.services import checklists, demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSPECT_DEMO": True, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        checklists.sync_library(db.session)
        demo.seed(db.session)
        started = time.perf_counter()
        batch, seed = math.ceil(findings_wanted / 3.7), 2026  # about 3.7 findings an inspection, to begin with
        # The demo's own few inspections say nothing about the synthetic city's rate: count from after them.
        base_findings = db.session.scalar(select(func.count()).select_from(Finding)) or 0
        base_inspections = db.session.scalar(text("SELECT COUNT(*) FROM inspection")) or 0
        while True:
            have = db.session.scalar(select(func.count()).select_from(Finding)) or 0
            if have >= findings_wanted:
                break
            added = (db.session.scalar(text("SELECT COUNT(*) FROM inspection")) or 0) - base_inspections
            if added:  # top up at the rate seen so far
                rate = (have - base_findings) / added
                batch = math.ceil((findings_wanted - have) / rate * 1.02) + 10
            log(f"  adding {batch} inspections ({have} findings so far)")
            demo.add_scale(db.session, batch, seed=seed, progress=lambda m: log("    " + m))
            seed += 1
        seconds = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: statistics, and the visibility map that lets
            # PostgreSQL answer from the covering indexes alone.
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        counts = {t: db.session.scalar(text(f"SELECT COUNT(*) FROM {t}"))
                  for t in ("org_node", "inspection", "answer", "finding", "ticket", "ticket_event")}
        db.session.remove()
    return app, counts, seconds


def login(client, username: str = "leader", password: str = "Demo@2026") -> None:
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.status_code


def raw_scan(app, timed: Timed, path: str, runs: int) -> list[float]:
    """`path` with every figure read from the records (DASHBOARD_ROLLUPS=False), after one warm-up; each run
    rendered anew, as before the boards were kept."""
    from inspect_app.dashboard.routes import BOARDS

    client = app.test_client()
    login(client)
    app.config["DASHBOARD_ROLLUPS"] = False
    walls = []
    try:
        for run in range(runs + 1):
            BOARDS.clear()
            assert client.get(path).status_code == 200, path
            if run:
                walls.append(timed.last[0])
    finally:
        app.config["DASHBOARD_ROLLUPS"] = True
    return walls


def measure(app, timed: Timed, path: str, runs: int, fresh: bool = True) -> dict:
    """Time `path` `runs` times after one warm-up, and replay its SELECTs bare for the floor. `fresh`: every
    run as the first view after a write (the kept boards dropped before each); else as the app keeps them."""
    from inspect_app.dashboard.routes import BOARDS
    from inspect_app.extensions import db

    client = app.test_client()
    login(client)
    with app.app_context():
        engine = db.engine
    captured: list[tuple[str, object]] = []
    capturing = False

    def capture(conn, cursor, statement, parameters, context, executemany):
        if capturing:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    walls, cpus = [], []
    try:
        for run in range(runs + 1):
            capturing = run == 1
            if fresh:
                BOARDS.clear()
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            if run:
                walls.append(timed.last[0])
                cpus.append(timed.last[1])
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    selects = [(s, p) for s, p in captured if re.match(r"\s*(SELECT|WITH)\b", s, re.I)]
    floors = []
    raw = engine.raw_connection()
    try:
        for run in range(runs + 1):
            cursor = raw.cursor()
            started = time.perf_counter()
            for statement, parameters in selects:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            cursor.close()
            raw.rollback()
            if run:
                floors.append(elapsed)
    finally:
        raw.close()
    return {
        "path": path, "runs": runs, "queries": len(captured), "selects": len(selects),
        "p50": statistics.median(walls), "p95": percentile(walls, 0.95),
        "cpu50": statistics.median(cpus), "floor50": statistics.median(floors), "floor95": percentile(floors, 0.95),
    }


def busiest_unit(app) -> int:
    from inspect_app.extensions import db
    from inspect_app.models import Inspection

    with app.app_context():
        unit_id = db.session.execute(select(Inspection.unit_id, func.count()).group_by(Inspection.unit_id)
                                     .order_by(func.count().desc()).limit(1)).scalar()
        db.session.remove()
    return unit_id


def existing(url: str, instance: Path):
    """An already built database, timed as it is (--existing)."""
    os.environ["INSPECT_INSTANCE"] = str(instance)
    from inspect_app import create_app
    from inspect_app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSPECT_DEMO": True, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        counts = {t: db.session.scalar(text(f"SELECT COUNT(*) FROM {t}"))
                  for t in ("org_node", "inspection", "answer", "finding", "ticket", "ticket_event")}
        db.session.remove()
    return app, counts, 0.0


def pages(app) -> list[tuple[str, str]]:
    """(kind, path): the dashboard under every period preset, a district, a unit type and both; the drill-down
    lists behind its figures; the busiest unit's profile."""
    from inspect_app.extensions import db
    from inspect_app.models import NodeKind, OrgNode

    with app.app_context():
        district = db.session.scalar(select(OrgNode.id).where(OrgNode.kind == NodeKind.DISTRICT)
                                     .order_by(OrgNode.id).limit(1))
        db.session.remove()
    dashboards = [f"/dashboard?period={p}" for p in ("12m", "ytd", "last_year", "3y", "all")]
    dashboards += [f"/dashboard?district={district}", "/dashboard?type=party_gov",
                   f"/dashboard?period=3y&district={district}&type=institution", "/dashboard?period=12m&kind=any"]
    lists = ["/dashboard/findings", "/dashboard/findings?period=3y&severity=critical",
             "/dashboard/inspections?period=3y", "/dashboard/tickets", "/dashboard/tickets?show=backlog_overdue",
             "/dashboard/units?show=units_uncovered", "/dashboard/gap?period=3y"]
    return ([("dashboard", p) for p in dashboards] + [("list", p) for p in lists]
            + [("unit", f"/units/{busiest_unit(app)}")])


def run_database(name: str, url: str, findings: int, runs: int, raw_runs: int, built: bool = False) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as folder:
        instance = Path(folder)
        log(f"{name}: building the database …" if not built else f"{name}: timing the database as it is …")
        app, counts, seconds = existing(url, instance) if built else build(url, findings, instance)
        log(f"{name}: {counts} in {seconds:.0f} s")
        gc.collect()
        gc.freeze()  # as each web worker does once the app is loaded (deploy/gunicorn.conf.py)
        timed = Timed(app.wsgi_app)
        app.wsgi_app = timed
        results = []
        for kind, path in pages(app):
            log(f"{name}: timing {path} …")
            result = measure(app, timed, path, runs)
            kept = measure(app, timed, path, runs, fresh=False) if kind == "dashboard" else None
            raw = raw_scan(app, timed, path, raw_runs) if kind == "dashboard" and raw_runs else []
            results.append({"database": name, "counts": counts, "seed_seconds": seconds, "kind": kind,
                            "raw50": statistics.median(raw) if raw else None,
                            "kept50": kept["p50"] if kept else None, "kept95": kept["p95"] if kept else None,
                            **result})
        from inspect_app.extensions import db

        with app.app_context():
            postgres = db.engine.dialect.name == "postgresql"
            setting = f", random_page_cost {db.session.scalar(text('SHOW random_page_cost'))}" if postgres else ""
            db.session.remove()
            db.engine.dispose()
        for r in results:
            r["conditions"] = f"load average {os.getloadavg()[0]:.1f} at the end{setting}"
        return results


def scratch_postgres(url: str):
    """A fresh scratch database beside the one named in `url`; returns (its URL, a function dropping it)."""
    base = make_url(re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url))
    name = f"{base.database}_bench"
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1'))  # solid-state, as docs/deploy.md

    def drop():
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def verdict(p95: float | None, budget: float | None) -> str:
    return "" if budget is None or p95 is None else ("ok" if p95 <= budget else "OVER")


def report(results: list[dict]) -> None:
    print()
    print(f"Dashboard benchmark: in-process WSGI requests, {results[0]['runs']} timed runs each after one warm-up")
    verdicts, kept_verdicts = [], []
    for name in dict.fromkeys(r["database"] for r in results):
        first = next(r for r in results if r["database"] == name)
        c = first["counts"]
        print(f"\n{name}: {c['finding']:,} findings, {c['inspection']:,} inspections, {c['answer']:,} answers, "
              f"{c['ticket']:,} tickets, {c['org_node']:,} org nodes (seeded in {first['seed_seconds']:.0f} s; "
              f"{first['conditions']})")
        print(f"  {'page':<54}{'p50 ms':>8}{'p95 ms':>8}{'budget':>8}{'SQL p50':>9}{'queries':>8}"
              f"{'kept p50':>10}{'kept p95':>10}{'budget':>8}{'raw scan p50':>14}{'raw/p50':>9}")
        for r in (r for r in results if r["database"] == name):
            page = re.sub(r"/units/\d+", "/units/<id> (busiest)", r["path"])
            budget = BUDGETS_MS.get(r["kind"])
            fresh, kept = verdict(r["p95"], budget), verdict(r["kept95"], budget)
            if budget is not None:
                verdicts.append(fresh == "ok")
                kept_verdicts.append(kept in ("ok", ""))
            kept_times = f"{r['kept50']:>10.1f}{r['kept95']:>10.1f}{kept:>8}" if r["kept50"] is not None else " " * 28
            raw = f"{r['raw50']:>12.0f}ms{r['raw50'] / r['p50']:>8.0f}×" if r["raw50"] else ""
            print(f"  {page:<54}{r['p50']:>8.1f}{r['p95']:>8.1f}{fresh:>8}{r['floor50']:>9.1f}{r['queries']:>8}"
                  f"{kept_times}{raw}")
    print("\np50/p95: every request the first after a write (nothing kept); kept: as the app serves a board it "
          "keeps until the next write.")
    print("Budgets: dashboard p95 ≤ 100 ms, drill-down lists p95 ≤ 150 ms: "
          + ("met" if all(verdicts) else f"{verdicts.count(False)} page(s) over")
          + " after a write; " + ("met" if all(kept_verdicts) else f"{kept_verdicts.count(False)} page(s) over")
          + " as kept")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=1_000_000, help="findings to seed (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per page (default 30)")
    parser.add_argument("--raw-runs", type=int, default=3,
                        help="timed runs of each dashboard page reading the records (default 3; 0: none)")
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL", ""),
                        help="a PostgreSQL URL (default: $DATABASE_URL); a scratch database is made beside it")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--existing", metavar="URL", action="append", default=[],
                        help="time an already built database instead (repeatable); nothing is seeded or dropped")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)  # the app must use the URL each run gives it

    results = []
    for url in args.existing:
        kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
        results += run_database(kind, url, args.findings, args.runs, args.raw_runs, built=True)
    if args.existing:
        report(results)
        return 0
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="dashboard-sqlite-") as folder:
            results += run_database("SQLite", f"sqlite:///{folder}/bench.db", args.findings, args.runs, args.raw_runs)
    if args.postgres:
        url, drop = scratch_postgres(args.postgres)
        try:
            results += run_database("PostgreSQL", url, args.findings, args.runs, args.raw_runs)
        finally:
            drop()
    if not results:
        parser.error("nothing to run")
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
