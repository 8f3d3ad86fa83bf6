"""Pages leave the app gzip-compressed (level 5) when the browser accepts it: `make run` has no nginx in front."""

from __future__ import annotations

import gc
import gzip
import zlib
from pathlib import Path

from .factories import make_inspection


def test_pages_are_compressed_for_browsers_that_accept_it(demo, browser_for):
    inspection = make_inspection(templates=["network", "carriers"])
    inspector = browser_for("inspector")
    plain = inspector.get(f"/inspections/{inspection.id}/fill")
    packed = inspector.get(f"/inspections/{inspection.id}/fill", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    body = gzip.decompress(packed.get_data())
    assert body.count(b'<form class="item') == 35 and len(packed.get_data()) < len(body) / 5
    assert packed.headers["Server-Timing"].startswith("app;dur=")


def test_a_static_file_is_sent_compressed_and_its_file_closed(app):
    """A file is compressed chunk by chunk into a new body (deflate, br or zstd: gzip is for whole pages); the file
    itself must still be closed (an open one fails this test when it is collected)."""
    client = app.test_client()
    response = client.get("/static/js/fill.js", headers={"Accept-Encoding": "deflate"})
    compressed = response.get_data()
    response.close()
    gc.collect()
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "deflate"
    assert zlib.decompress(compressed) == (Path(app.static_folder) / "js" / "fill.js").read_bytes()
