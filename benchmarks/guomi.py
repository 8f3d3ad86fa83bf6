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


def timed(fn, runs: int) -> list[float]:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def measure(app, notice_id: int, args) -> dict:
    from inspect_app.database import transaction
    from inspect_app.extensions import db
    from inspect_app.models import Notice
    from inspect_app.services import attachments, audit, documents

    figures = {}
    with app.test_request_context():
        def audit_write():
            with transaction(db.session):
                audit.record(db.session, None, "audit.verify", details={"intact": True, "benchmark": 1})

        figures["audit write"] = timed(audit_write, args.audit)
        notice = db.session.get(Notice, notice_id)
        prepared = documents.prepare(db.session, "notice", notice)
        figures["document issue"] = timed(lambda: documents.render_inline(db.session, None, prepared), args.documents)
        stored = attachments.store(camera_photo(1), allowed={"image/jpeg"})
        figures["attachment read (photo, %.1f MB)" % (stored.size / 1e6)] = timed(
            lambda: attachments.open_stored(stored.sha256).getvalue(), args.reads)
        attachments.thumbnail_path(stored.sha256)
        figures["attachment read (thumbnail)"] = timed(
            lambda: attachments.open_stored(stored.sha256, thumbnail=True).getvalue(), args.reads)
        db.session.remove()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit", type=int, default=500)
    parser.add_argument("--documents", type=int, default=15)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="guomi-") as work:
        for name, settings in SETTINGS.items():
            folder = Path(work) / name.replace(" ", "-")
            folder.mkdir()
            app, notice_id = instance(folder, settings)
            results[name] = measure(app, notice_id, args)
    print(f"{'what':<38} {'with SM median':>15} {'p95':>10} {'without median':>15} {'p95':>10} {'ratio':>7}")
    for what, with_sm in results["with SM"].items():
        without = results["without"][what]
        sm_median, plain_median = statistics.median(with_sm), statistics.median(without)
        print(f"{what:<38} {sm_median * 1e3:>12.3f} ms {percentile(with_sm, 95) * 1e3:>7.3f} ms "
              f"{plain_median * 1e3:>12.3f} ms {percentile(without, 95) * 1e3:>7.3f} ms "
              f"{sm_median / plain_median:>6.2f}×")
    print(f"runs: audit {args.audit}, documents {args.documents}, reads {args.reads}")


if __name__ == "__main__":
    main()
