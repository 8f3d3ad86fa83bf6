"""PDF benchmark: the reference inspection report, our pipeline against the naive one, and worker memory.

    .venv/bin/python benchmarks/pdf.py                 # everything (about five minutes on 2 cores)
    .venv/bin/python benchmarks/pdf.py --quick         # fewer runs, 50 renders for memory
    .venv/bin/python benchmarks/pdf.py --samples DIR   # also write the sample documents (PDF + PNG pages)
    .venv/bin/python benchmarks/pdf.py --samples DIR --samples-only

The reference report: 60 checklist items, 10 findings, 6 photos (2048 × 1536 camera-sized JPEGs), built
through the services in a throw-away SQLite instance.

- ours: the app's pipeline as a download button runs it, minus the cache: load the record, build the
  data and the HTML, lay out and write the PDF. HarfBuzz subsetting, one FontConfiguration and one
  parsed stylesheet per process, block layout, photo thumbnails. Warm: the process has rendered before.
- naive: the same content and stylesheet as one long table, the photos as taken, a new FontConfiguration
  and stylesheet per render, and WeasyPrint's fontTools subsetter. fontTools is what WeasyPrint falls
  back to when HarfBuzz-Subset is missing; here it is chosen by hiding HarfBuzz-Subset from WeasyPrint's
  font module for that run (`weasyprint.pdf.fonts.harfbuzz_subset = None`), the documented equivalent
  of a machine without libharfbuzz-subset0.
- cached: a second request for the same version: a lookup and a file read.
- memory: a fresh process renders the reference report 200 times, as a web worker would inline;
  its resident memory after the first render and after the last (budget: ≤ 50 MB growth).
- first render: a fresh process made like a gunicorn worker (the app created, then the warm-up that
  deploy/gunicorn.conf.py starts in each worker, or none), rendering the reference report once and then five
  times more: the first against the warm median (budget: within 2x).

Wall times are what a user waits; CPU times are shown beside them because other work on a shared
machine stretches wall time but not CPU time.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEMPLATES = ("network", "carriers", "classification", "education")  # 19 + 16 + 14 + 11 = 60 items
FAILING = {"F3": "noncompliant", "F4": "noncompliant", "F7": "partial", "F10": "noncompliant",
           "E3": "noncompliant", "E5": "partial", "E9": "noncompliant", "C4": "partial", "C8": "noncompliant",
           "B2": "noncompliant"}
PHOTOS = ("F3", "F3", "E3", "E9", "C8", "B2")

NAIVE_TEMPLATE = Path(__file__).with_name("naive_report.html")
NAIVE_CSS = ".naive { width: 100%; border-collapse: collapse; font-size: 14pt; line-height: 24pt; } "\
            ".naive td, .naive th { border: 0.2mm solid #999; padding: 2pt; vertical-align: top; } "\
            "thead { display: table-header-group; }"


def camera_photo(seed: int) -> bytes:
    """A camera-sized JPEG with texture, so it weighs what a real photo weighs (about 1.5 MB)."""
    from PIL import Image, ImageFilter

    noise = Image.effect_noise((2048, 1536), 60 + seed).convert("RGB")
    tint = Image.new("RGB", noise.size, (60 + 25 * seed, 110, 150 - 15 * seed))
    image = Image.blend(noise, tint, 0.55).filter(ImageFilter.GaussianBlur(0.6))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def build_reference(instance: Path):
    """A migrated SQLite instance with the demo org and the reference inspection, notice and responses."""
    os.environ["INSPECT_INSTANCE"] = str(instance)
    os.environ.pop("DATABASE_URL", None)
    from flask_migrate import upgrade

    from inspect_app import create_app
    from inspect_app.extensions import db
    from inspect_app.services import checklists, demo, inspections
    from tests import factories as f
    from tests.helpers import user

    # Photos stored as they are: the naive pipeline reads them from disk itself (benchmarks/guomi.py measures SM4).
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.db'}", "INSPECT_DEMO": True,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192, "ATTACHMENT_ENCRYPTION": False})
    with app.app_context():
        upgrade()
        checklists.sync_library(db.session)
        demo.seed(db.session)
        inspection = f.make_inspection("DH-ZFB", templates=TEMPLATES, members=())
        f.answer_all(inspection, failing=FAILING)
        items = {i.key: i for i in inspections.load_items(db.session, inspection)}
        for n, key in enumerate(PHOTOS):
            inspections.add_photo(db.session, user("inspector"), inspection, items[key].id, camera_photo(n),
                                  filename=f"IMG_{n:04d}.jpg", client_uuid=None)
        f.submit(inspection)
        notice = f.make_notice(inspection)
        tickets = f.tickets_of(inspection)
        f.respond(tickets[0], photos=2, measures="拆除违规外联设备，对全部涉密计算机开展技术检查，建立外联检查台账。")
        f.review(tickets[0], accept=True, note="现场复查，整改到位")
        f.respond(tickets[1], photos=1, files=1)
        f.review(tickets[1], accept=False, note="涉密U盘台账未更新")
        f.respond(tickets[2], photos=1, measures="已通过机要交通渠道传递涉密载体，并对经办人员开展警示教育。")
        return app, inspection.id, notice.id, len(items)


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(runs):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(name: str, walls: list[float], cpus: list[float], pages: int) -> str:
    return (f"  {name:8s} median {statistics.median(walls):7.3f} s   p95 {p95(walls):7.3f} s   "
            f"cpu median {statistics.median(cpus):7.3f} s   {pages} pages   runs {len(walls)}")


def benchmark(app, inspection_id: int, runs: int, naive_runs: int) -> dict:
    import weasyprint
    from jinja2 import Template
    from weasyprint.pdf import fonts as weasyprint_fonts
    from weasyprint.text.fonts import FontConfiguration

    from inspect_app.extensions import db
    from inspect_app.models import Inspection
    from inspect_app.pdf import engine, faces_css
    from inspect_app.services import attachments, documents

    results: dict = {}
    with app.test_request_context():
        def ours():
            db.session.expire_all()
            inspection = db.session.get(Inspection, inspection_id)
            prepared = documents.prepare(db.session, "inspection_report", inspection)
            results["ours_pages"] = engine.render(documents.document_html(prepared), roots=documents.roots()).pages

        ours()  # cold: fonts found and loaded, stylesheet parsed, thumbnails made
        ours()
        results["ours"] = timed(ours, runs)

        prepared = documents.prepare(db.session, "inspection_report", db.session.get(Inspection, inspection_id))
        document = documents.ensure(db.session, None, prepared)
        results["cached"] = timed(lambda: (documents.cached(db.session, documents.prepare(
            db.session, "inspection_report", db.session.get(Inspection, inspection_id))), documents.file_path(
            document.sha256).read_bytes()), runs)

        data = prepared.data
        originals = {sha: attachments.path_of(sha).as_uri()
                     for sha in [*prepared.kind.thumbnails(data), *prepared.kind.originals(data)]}
        naive_html = Template(NAIVE_TEMPLATE.read_text(encoding="utf-8")).render(
            data=data, doc={"code": prepared.code}, originals=originals)
        roots = documents.roots()
        stylesheet_text = faces_css() + engine.STYLESHEET.read_text() + NAIVE_CSS  # the same faces as ours

        def naive():
            font_config = FontConfiguration()
            css = weasyprint.CSS(string=stylesheet_text, font_config=font_config)
            document = weasyprint.HTML(string=naive_html, base_url=engine.HERE.as_uri() + "/",
                                       url_fetcher=engine.LocalFetcher(roots)).render(
                stylesheets=[css], font_config=font_config)
            document.write_pdf()
            results["naive_pages"] = len(document.pages)

        import logging

        logging.getLogger("weasyprint").setLevel(logging.ERROR)  # the fontTools fallback warns on every font
        saved = weasyprint_fonts.harfbuzz_subset
        weasyprint_fonts.harfbuzz_subset = None
        try:
            naive()  # warm up this pipeline too
            results["naive"] = timed(naive, naive_runs)
        finally:
            weasyprint_fonts.harfbuzz_subset = saved
    return results


MEMORY_CHILD = """
import gc, json, os, sys
sys.path.insert(0, {root!r})
from inspect_app.pdf import engine
html = open({html!r}, encoding="utf-8").read()
roots = {roots!r}

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

engine.render(html, roots=roots)
gc.collect()
first = rss_mb()
samples = []
for i in range({count}):
    engine.render(html, roots=roots)
    if (i + 1) % 25 == 0:
        gc.collect()
        samples.append(round(rss_mb(), 1))
gc.collect()
print(json.dumps({{"first": first, "last": rss_mb(), "samples": samples}}))
"""


def memory(app, inspection_id: int, count: int) -> dict:
    """Resident memory of a fresh process over `count` renders of the reference report."""
    from inspect_app.extensions import db
    from inspect_app.models import Inspection
    from inspect_app.services import documents

    with app.test_request_context():
        prepared = documents.prepare(db.session, "inspection_report", db.session.get(Inspection, inspection_id))
        html = documents.document_html(prepared)
        roots = documents.roots()
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False, encoding="utf-8") as f:
        f.write(html)
    try:
        code = MEMORY_CHILD.format(root=str(ROOT), html=f.name, roots=roots, count=count)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=3600)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(f.name)


FIRST_RENDER_CHILD = """
import json, os, statistics, sys, time
sys.path.insert(0, {root!r})
from inspect_app import create_app
from inspect_app.extensions import db
from inspect_app.models import Inspection
from inspect_app.services import documents

app = create_app({{"SQLALCHEMY_DATABASE_URI": {uri!r}, "INSPECT_DEMO": True}})
with app.test_request_context():
    from inspect_app.pdf import engine
    if {warm!r}:
        engine.warm_up_in_background().join()  # what deploy/gunicorn.conf.py starts in each worker

    def once():
        wall, cpu = time.perf_counter(), time.process_time()
        db.session.expire_all()
        prepared = documents.prepare(db.session, "inspection_report", db.session.get(Inspection, {inspection_id}))
        engine.render(documents.document_html(prepared), roots=documents.roots())
        return time.perf_counter() - wall, time.process_time() - cpu

    first = once()
    rest = [once() for _ in range(5)]
print(json.dumps({{"first": first, "warm_wall": statistics.median(r[0] for r in rest),
                   "warm_cpu": statistics.median(r[1] for r in rest)}}))
"""


def first_render(app, inspection_id: int, warm: bool) -> dict:
    """A fresh process as a gunicorn worker is: the app created, the warm-up of deploy/gunicorn.conf.py run
    (or not), then the reference report rendered once, and five more times."""
    code = FIRST_RENDER_CHILD.format(root=str(ROOT), uri=app.config["SQLALCHEMY_DATABASE_URI"],
                                     inspection_id=inspection_id, warm=warm)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_samples(app, inspection_id: int, notice_id: int, folder: Path) -> None:
    """The documents of the reference inspection and the year's 通报, as PDF and as PNG pages (pdftoppm -r 60)."""
    from inspect_app import clock
    from inspect_app.extensions import db
    from inspect_app.models import Inspection, Notice
    from inspect_app.services import documents
    from inspect_app.services.documents import summary

    folder.mkdir(parents=True, exist_ok=True)
    with app.test_request_context():
        inspection = db.session.get(Inspection, inspection_id)
        city = summary.root_bureau(db.session)
        start = inspection.scheduled_on.replace(month=1, day=1)
        period = summary.period_summary(start, clock.local_today(), city, None)
        for kind, record in (("inspection_report", inspection),
                             ("notice", db.session.get(Notice, notice_id)),
                             ("rectification_report", inspection),
                             ("summary", period)):
            document = documents.ensure(db.session, None, documents.prepare(db.session, kind, record))
            target = folder / f"{kind}.pdf"
            shutil.copyfile(documents.file_path(document.sha256), target)
            if shutil.which("pdftoppm"):
                subprocess.run(["pdftoppm", "-r", "60", "-png", str(target), str(folder / kind)], check=True)
            print(f"  {target}: {document.pages} pages, code {document.verification_code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed renders of our pipeline")
    parser.add_argument("--naive-runs", type=int, default=5, help="timed renders of the naive pipeline")
    parser.add_argument("--renders", type=int, default=200, help="renders for the memory measurement")
    parser.add_argument("--quick", action="store_true", help="5 / 2 runs and 50 renders")
    parser.add_argument("--samples", type=Path, help="write the sample documents (PDF and PNG pages) here")
    parser.add_argument("--samples-only", action="store_true", help="with --samples: skip the measurements")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.naive_runs, args.renders = 5, 2, 50

    from inspect_app.pdf import engine

    engine.check_subsetting()
    instance = Path(tempfile.mkdtemp(prefix="pdf-bench-"))
    try:
        app, inspection_id, notice_id, items = build_reference(instance)
        print(f"reference report: {items} items, {len(FAILING)} findings, {len(PHOTOS)} photos "
              f"(2048 x 1536 JPEG); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        if args.samples and args.samples_only:
            write_samples(app, inspection_id, notice_id, args.samples)
            return
        results = benchmark(app, inspection_id, args.runs, args.naive_runs)
        ours, naive, cached = results["ours"], results["naive"], results["cached"]
        print("warm render, inspection report (wall time, CPU time):")
        print(line("ours", *ours, results["ours_pages"]))
        print(line("naive", *naive, results["naive_pages"]))
        print(f"  cached   median {statistics.median(cached[0]) * 1000:7.1f} ms (same version: lookup and file read)")
        ratio = statistics.median(naive[0]) / statistics.median(ours[0])
        cpu_ratio = statistics.median(naive[1]) / statistics.median(ours[1])
        budget = "within" if statistics.median(ours[0]) <= 1.0 else "OVER"
        print(f"  ratio    naive / ours = {ratio:.1f}x wall, {cpu_ratio:.1f}x CPU; ours is {budget} the 1 s budget")
        print("first render in a fresh web worker (wall / CPU), against its own warm median:")
        for warm in (False, True):
            fr = first_render(app, inspection_id, warm)
            label = "warmed" if warm else "cold"
            wall_ratio, cpu_ratio = fr["first"][0] / fr["warm_wall"], fr["first"][1] / fr["warm_cpu"]
            print(f"  {label:7s} first {fr['first'][0]:6.3f} s / {fr['first'][1]:6.3f} s   warm median "
                  f"{fr['warm_wall']:6.3f} s / {fr['warm_cpu']:6.3f} s   first/warm {wall_ratio:.1f}x wall, "
                  f"{cpu_ratio:.1f}x CPU")
        mem = memory(app, inspection_id, args.renders)
        growth = mem["last"] - mem["first"]
        verdict = "within" if growth <= 50 else "OVER"
        print(f"worker memory over {args.renders} renders: first {mem['first']:.1f} MB, after {args.renders} "
              f"{mem['last']:.1f} MB, growth {growth:+.1f} MB ({verdict} the 50 MB budget)")
        print(f"  resident MB every 25 renders: {mem['samples']}")
        if args.samples:
            print("samples:")
            write_samples(app, inspection_id, notice_id, args.samples)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
