"""What 国密 costs: an audit write, a document issued, an attachment read — with SM (HMAC-SM3, the SM2 signature,
SM4-GCM) and without (HMAC-SHA256, unsigned, stored as they are), each on a throw-away SQLite instance of its own.

    .venv/bin/python benchmarks/guomi.py [--audit N] [--documents N] [--reads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import percentile
from benchmarks.pdf import camera_photo

SETTINGS = {
    "with SM": {"AUDIT_ALGORITHM": "HMAC-SM3", "DOCUMENT_SIGNING": True, "ATTACHMENT_ENCRYPTION": True},
    "without": {"AUDIT_ALGORITHM": "HMAC-SHA256", "DOCUMENT_SIGNING": False, "ATTACHMENT_ENCRYPTION": False},
}


def instance(work: Path, settings: dict):
    """A migrated instance with the demo org, one issued inspection and one camera photo."""
    os.environ["INSPECT_INSTANCE"] = str(work)
    os.environ.pop("DATABASE_URL", None)
    from flask_migrate import upgrade

    from inspect_app import create_app
    from inspect_app.extensions import db
    from inspect_app.services import checklists, demo
    from tests import factories as f

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}", "INSPECT_DEMO": True,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192, **settings})
    with app.app_context():
        upgrade()
        checklists.sync_library(db.session)
        demo.seed_org(db.session)
        inspection, _ = f.submitted_inspection("DH-ZFB")
        notice_id = f.make_notice(inspection).id
        db.session.remove()
    return app, notice_id


def workloads(app, notice_id: int) -> dict:
    """What is measured, by name: each a callable that runs in the app's own context."""
    from inspect_app.database import transaction
    from inspect_app.extensions import db
    from inspect_app.models import AuditRecord, Notice
    from inspect_app.pdf import engine, worker
    from inspect_app.services import attachments, audit, documents

    with app.test_request_context():
        stored = attachments.store(camera_photo(1), allowed={"image/jpeg"})
        attachments.thumbnail_path(stored.sha256)
        prepared = documents.prepare(db.session, "notice", db.session.get(Notice, notice_id))
        rendered = engine.render(documents.document_html(prepared), roots=documents.roots(),
                                 attachment_keys=attachments.keys())
        key = documents.rendering.signing_key()
        record = db.session.get(AuditRecord, 1)
        mac_inputs = (app.config["AUDIT_KEY"].encode(), audit._content(record), audit.algorithm())
        db.session.remove()

    def in_app(work, request=False):
        def run():
            with app.test_request_context() if request else app.app_context():
                work()
                db.session.remove()
        return run

    def audit_write():
        with transaction(db.session):
            audit.record(db.session, None, "audit.verify", details={"intact": True, "benchmark": 1})

    def issue():
        notice = db.session.get(Notice, notice_id)
        documents.render_inline(db.session, None, documents.prepare(db.session, "notice", notice))

    return {
        "audit write": in_app(audit_write),
        "document issue": in_app(issue, request=True),
        f"attachment read (photo, {stored.size / 1e6:.1f} MB)": in_app(
            lambda: attachments.open_stored(stored.sha256).getvalue()),
        "attachment read (thumbnail)": in_app(
            lambda: attachments.open_stored(stored.sha256, thumbnail=True).getvalue()),
        # The cryptography alone, apart from the database, the layout and the disk.
        "  the record's MAC alone": lambda: audit.chain_mac(*mac_inputs),
        f"  the PDF's signature alone ({len(rendered.pdf) // 1024} KB)": lambda: worker.signed(rendered, key),
    }


def interleaved(with_sm, without, runs: int) -> tuple[list[float], list[float]]:
    """Both timed in turn, so whatever else the machine does weighs on both alike."""
    with_sm(), without()  # warm
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, into in ((with_sm, times[0]), (without, times[1])):
            started = time.perf_counter()
            fn()
            into.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit", type=int, default=500)
    parser.add_argument("--documents", type=int, default=15)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    results: dict = {"with SM": {}, "without": {}}
    with tempfile.TemporaryDirectory(prefix="guomi-") as work:
        loads = {}
        for name, settings in SETTINGS.items():
            folder = Path(work) / name.replace(" ", "-")
            folder.mkdir()
            loads[name] = workloads(*instance(folder, settings))
        for (what, with_sm), without in zip(loads["with SM"].items(), loads["without"].values(), strict=True):
            runs = args.documents if what == "document issue" else args.audit if what == "audit write" else args.reads
            results["with SM"][what], results["without"][what] = interleaved(with_sm, without, runs)
    print(f"{'what':<38} {'with SM median':>15} {'p95':>10} {'without median':>15} {'p95':>10} {'ratio':>8} "
          f"{'added':>10}")
    for what, with_sm in results["with SM"].items():
        without = results["without"][what]
        sm_median, plain_median = statistics.median(with_sm), statistics.median(without)
        ratio = f"{sm_median / plain_median:>7.2f}×" if plain_median > 1e-6 else f"{'—':>8}"
        print(f"{what:<38} {sm_median * 1e3:>12.3f} ms {percentile(with_sm, 95) * 1e3:>7.3f} ms "
              f"{plain_median * 1e3:>12.3f} ms {percentile(without, 95) * 1e3:>7.3f} ms {ratio} "
              f"{(sm_median - plain_median) * 1e3:>7.3f} ms")
    print(f"runs: audit {args.audit}, documents {args.documents}, reads {args.reads}")


if __name__ == "__main__":
    main()
