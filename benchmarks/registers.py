"""A unit's register at 5,000 rows: the import of the file, and the register's page.

    .venv/bin/python benchmarks/registers.py                       # SQLite only
    .venv/bin/python benchmarks/registers.py --postgres postgresql://inspect:inspect@127.0.0.1:5432/inspect

For each database it builds a fresh one (SQLite in a temporary folder; on PostgreSQL a scratch database named
after the given one with `_bench` appended, dropped afterwards), migrates it and loads the demo, then times,
in-process through the WSGI app (routing, login session, CSRF, form parsing, queries, templates):

- the import: a 5,000-row .xlsx of the carriers register (every column filled as a real ledger is), uploaded by
  the unit's officer to /registers/units/<id>/carriers/import, each run into a unit of its own whose register is
  empty, so every run writes all 5,000 rows; and the same file imported again into a full register (every row
  read and compared, none written);
- the register's page at 5,000 rows, /registers/units/<id>/carriers: as it opens, sorted by another column,
  searched, and narrowed to a rule; and beside it the unit's registers page and the tablet's registers API.

The budgets (issue 18): the import ≤ 5 s, the register page ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard import Timed, log, percentile, scratch_postgres  # noqa: E402

ROWS = 5000
IMPORT_BUDGET_S = 5.0
PAGE_BUDGET_MS = 100.0
HEADER = ["编号", "名称", "载体类型", "密级", "来源", "保管人", "收到或制作日期", "复制日期", "保密期限至",
          "最近审核日期", "销毁日期", "状态"]


def carriers_file(rows: int = ROWS) -> bytes:
    """A ledger as a unit keeps it: numbered documents and media, some copies, some destroyed, some past their
    period, a few of them reviewed."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("涉密载体台账")
    sheet.append(HEADER)
    start = date(2020, 1, 1)
    for n in range(rows):
        received = start + timedelta(days=n % 2000)
        copied = received + timedelta(days=3) if n % 7 == 0 else None
        destroyed = received + timedelta(days=200) if n % 11 == 0 else None
        sheet.append([
            f"ZT-{received.year}-{n:05d}", f"关于第{n}号工作事项的通知（第{n % 40 + 1}期）",
            ("纸质文件资料", "存储介质", "其他载体")[n % 3], ("秘密", "机密", "绝密")[n % 3 if n % 17 else 2],
            "复制" if copied else ("收文", "自制")[n % 2], ("陈晓东", "赵丽华", "孙敏", "刘建华")[n % 4], received,
            copied, received + timedelta(days=3650 if n % 5 else 1500), received + timedelta(days=365) if n % 9 == 0
            else None, destroyed, "已销毁" if destroyed else "在用"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def build(url: str, instance: Path, runs: int):
    """A migrated database with the demo, and `runs` + 1 units of 东湖区 each with an officer to import."""
    os.environ["INSPECT_INSTANCE"] = str(instance)
    from flask_migrate import upgrade

    from inspect_app import create_app
    from inspect_app.extensions import db
    from inspect_app.models import NodeKind, OrgNode, Role
    from inspect_app.services import accounts, checklists, demo, org

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSPECT_DEMO": True, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192})
    with app.app_context():
        upgrade()
        checklists.sync_library(db.session)
        demo.seed(db.session)
        district = db.session.query(OrgNode).filter_by(code="BC-DH").one()
        units = []
        for n in range(runs + 1):
            unit = org.create_node(db.session, None, kind=NodeKind.UNIT, name=f"基准测试单位{n}", code=f"BENCH-{n}",
                                   parent=district, unit_type="party_gov")
            accounts.create_user(db.session, None, username=f"bench{n}", display_name=f"保密员{n}", role=Role.OFFICER,
                                 org_node=unit, password="Bench-Officer-2026", must_change_password=False)
            units.append(unit.id)
        db.session.remove()
    return app, units


def login(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": "Bench-Officer-2026"})
    assert response.status_code == 302, response.status_code


def time_imports(app, timed: Timed, units: list[int], data: bytes) -> dict:
    """Each unit's officer uploads the file into the unit's empty register; then the first unit's again."""
    walls, cpus = [], []
    for n, unit_id in enumerate(units):
        client = app.test_client()
        login(client, f"bench{n}")
        response = client.post(f"/registers/units/{unit_id}/carriers/import",
                               data={"file": (io.BytesIO(data), "涉密载体台账.xlsx")},
                               content_type="multipart/form-data")
        assert response.status_code == 302, (response.status_code, response.get_data(as_text=True)[-2000:])
        walls.append(timed.last[0] / 1000)
        cpus.append(timed.last[1] / 1000)
    client = app.test_client()
    login(client, "bench0")
    again = []
    for _ in range(3):
        response = client.post(f"/registers/units/{units[0]}/carriers/import",
                               data={"file": (io.BytesIO(data), "涉密载体台账.xlsx")},
                               content_type="multipart/form-data")
        assert response.status_code == 302, response.status_code
        again.append(timed.last[0] / 1000)
    return {"runs": len(walls), "p50": statistics.median(walls), "p95": percentile(walls, 0.95), "max": max(walls),
            "cpu50": statistics.median(cpus), "again50": statistics.median(again)}


def time_page(app, timed: Timed, username: str, path: str, runs: int) -> dict:
    client = app.test_client()
    login(client, username) if username.startswith("bench") else client.post(
        "/login", data={"username": username, "password": "Demo@2026"})
    walls, cpus = [], []
    for run in range(runs + 1):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        if run:
            walls.append(timed.last[0])
            cpus.append(timed.last[1])
    return {"path": path, "runs": runs, "p50": statistics.median(walls), "p95": percentile(walls, 0.95),
            "cpu50": statistics.median(cpus), "bytes": len(response.get_data())}


def inspection_of(app, unit_id: int) -> int:
    """An inspection of the unit with the carriers checklist, for the tablet's registers API."""
    from inspect_app.extensions import db
    from inspect_app.models import OrgNode, User
    from inspect_app.services import checklists, inspections

    with app.app_context():
        inspector = db.session.query(User).filter_by(username="inspector").one()
        version = next(v for v in checklists.current_versions(db.session) if v.template.key == "carriers")
        inspection = inspections.plan_inspection(db.session, inspector, unit=db.session.get(OrgNode, unit_id),
                                                 kind="routine", versions=[version], scheduled_on=date.today(),
                                                 lead=inspector, members=[])
        inspection_id = inspection.id
        db.session.remove()
    return inspection_id


def run_database(name: str, url: str, import_runs: int, page_runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="registers-bench-") as folder:
        log(f"{name}: building the database …")
        app, units = build(url, Path(folder), import_runs)
        timed = Timed(app.wsgi_app)
        app.wsgi_app = timed
        data = carriers_file()
        log(f"{name}: importing {ROWS} rows, {len(units)} times …")
        imports = time_imports(app, timed, units, data)
        unit = units[0]
        base = f"/registers/units/{unit}/carriers"
        pages = []
        for path in (base, f"{base}?sort=-secret_until", f"{base}?q=%E7%AC%AC12", f"{base}?rule=carrier_unreviewed",
                     f"{base}?page=60", f"/registers/units/{unit}"):
            log(f"{name}: timing {path} …")
            pages.append(time_page(app, timed, "bench0", path, page_runs))
        api = f"/api/v1/inspections/{inspection_of(app, unit)}/registers"
        log(f"{name}: timing {api} …")
        pages.append(time_page(app, timed, "inspector", api, max(5, page_runs // 10)))
        from inspect_app.extensions import db

        with app.app_context():
            db.engine.dispose()
        return {"database": name, "imports": imports, "pages": pages, "file_bytes": len(data)}


def report(results: list[dict]) -> None:
    print()
    print(f"Registers at {ROWS:,} rows: in-process WSGI requests (login session, CSRF off, form parsing, queries, "
          f"templates)")
    for r in results:
        i = r["imports"]
        print(f"\n{r['database']}: import of a {ROWS:,}-row .xlsx ({r['file_bytes'] / 1024:.0f} KB), "
              f"{i['runs']} runs each into an empty register")
        print(f"  import   median {i['p50']:.2f} s   p95 {i['p95']:.2f} s   max {i['max']:.2f} s   "
              f"cpu median {i['cpu50']:.2f} s   (the same file again, nothing to write: median {i['again50']:.2f} s)")
        print(f"  {'page':<52}{'p50 ms':>9}{'p95 ms':>9}{'cpu p50':>9}{'KB':>8}")
        for p in r["pages"]:
            path = re.sub(r"/(units|inspections)/\d+", r"/\1/<id>", p["path"])
            print(f"  {path:<52}{p['p50']:>9.1f}{p['p95']:>9.1f}{p['cpu50']:>9.1f}{p['bytes'] / 1024:>8.0f}")
    imports_met = all(r["imports"]["p95"] <= IMPORT_BUDGET_S for r in results)
    pages = [p for r in results for p in r["pages"] if "/carriers" in p["path"]]
    pages_met = all(p["p95"] <= PAGE_BUDGET_MS for p in pages)
    print(f"\nBudget import ≤ {IMPORT_BUDGET_S:.0f} s: " + ("met" if imports_met else "NOT met") + "; register page "
          f"≤ {PAGE_BUDGET_MS:.0f} ms: " + ("met" if pages_met else "NOT met") + f" (load average "
          f"{os.getloadavg()[0]:.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--imports", type=int, default=10, help="timed imports into empty registers (default 10)")
    parser.add_argument("--runs", type=int, default=100, help="timed requests per page (default 100)")
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL", ""),
                        help="a PostgreSQL URL (default: $DATABASE_URL); a scratch database is made beside it")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)  # the app must use the URL each run gives it
    results = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="registers-sqlite-") as folder:
            results.append(run_database("SQLite", f"sqlite:///{folder}/bench.db", args.imports, args.runs))
    if args.postgres:
        url, drop = scratch_postgres(args.postgres)
        try:
            results.append(run_database("PostgreSQL", url, args.imports, args.runs))
        finally:
            drop()
    if not results:
        parser.error("nothing to run")
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
