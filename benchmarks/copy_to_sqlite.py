"""A row-for-row copy of a PostgreSQL database into a new SQLite file, for timing the same data on both.

    .venv/bin/python benchmarks/copy_to_sqlite.py postgresql://inspect:inspect@127.0.0.1:5432/inspect_big big.db

`seed-demo --scale` builds a million findings on PostgreSQL with COPY in minutes; on SQLite it inserts row by
row and takes over an hour. The dashboard benchmark times both databases on the same records, so the SQLite one
is made by migrating an empty file to the newest schema and copying every table in dependency order (the
rollups included: they are rows like any other), without ANALYZE, as the app's own SQLite files are. Then
`dashboard.py --existing sqlite:///big.db`.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BATCH = 20_000


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    source_url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", sys.argv[1])
    target = Path(sys.argv[2]).resolve()
    if target.exists():
        print(f"{target} exists; give a new file", file=sys.stderr)
        return 2
    os.environ.update(INSPECT_DEMO="1", INSPECT_INSTANCE=tempfile.mkdtemp(prefix="copy-to-sqlite-"))
    os.environ.pop("DATABASE_URL", None)
    from flask_migrate import upgrade

    from inspect_app import create_app
    from inspect_app.models import Base

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}"})
    with app.app_context():
        upgrade()
    source = create_engine(source_url)
    sink = create_engine(f"sqlite:///{target}")
    started = time.perf_counter()
    with source.connect() as reading, sink.begin() as writing:
        writing.execute(text("PRAGMA foreign_keys=OFF"))
        for table in Base.metadata.sorted_tables:
            writing.execute(table.delete())  # what the migrations seed (settings, heads) comes from the source
            rows = reading.execution_options(yield_per=BATCH).execute(select(table))
            n = 0
            for batch in rows.partitions():
                writing.execute(table.insert(), [row._asdict() for row in batch])
                n += len(batch)
            print(f"{table.name}: {n:,} rows", file=sys.stderr, flush=True)
    print(f"copied into {target} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
