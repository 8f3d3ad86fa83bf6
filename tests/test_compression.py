"""Pages leave the app gzip-compressed (level 5) when the browser accepts it: `make run` has no nginx in front."""

from __future__ import annotations

import gzip

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
