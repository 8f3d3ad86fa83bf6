"""Files kept under their SHA-256: attachments and rendered documents. No Flask here: the render worker uses it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_once(target: Path, data: bytes) -> None:
    """Write `data` to `target` unless it is there already (same name, same content).

    Written beside the target, synced and renamed, so a crash never leaves half a file under the name.
    """
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, target)
