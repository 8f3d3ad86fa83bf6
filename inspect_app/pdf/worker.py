"""Big documents render in a separate process, with a time and a memory limit, reporting progress.

A web worker that lays out a 40-page document holds on to much of the memory it needed afterwards
(Python rarely returns it), so documents of 30 pages and more are rendered in a child process that
exits when done. The children are forked from a small, clean server process (multiprocessing's
"forkserver", with WeasyPrint imported once) rather than from the web worker itself, which runs threads
and holds database connections.

Each job is a status file, `<jobs>/<job id>.json`, written atomically by the child and read by whichever
web worker the browser's poll reaches:

    {"state": "queued" | "running" | "done" | "failed", "progress": 0–100, "pages": …, "sha256": …, …}

The child enforces its own limits: RLIMIT_AS (memory) and an alarm (wall time); a reader that finds a
job past its deadline, or its process gone, reports it failed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import re
import resource
import signal
import tempfile
import time
from pathlib import Path

from ..storage import write_once

JOB_ID = re.compile(r"^[0-9A-Z-]{8,40}$")
STARTUP_GRACE = 30  # seconds the forkserver may take to start before the deadline counts
PRELOAD = ["inspect_app.pdf.preload"]  # WeasyPrint imported and the fonts loaded once, in the fork server


class RenderTimeout(BaseException):
    """Raised by the alarm; a BaseException so no `except Exception` inside the layout code swallows it."""


def _write_json(path: Path, payload: dict, *, exclusive: bool = False) -> None:
    """Write atomically; with `exclusive`, only if no file is there yet (FileExistsError otherwise)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".job-")
    with os.fdopen(fd, "w") as f:
        json.dump(payload, f, ensure_ascii=False)
    if exclusive:
        try:
            os.link(temporary, path)
        finally:
            os.unlink(temporary)
    else:
        os.replace(temporary, path)


def status_path(jobs_dir: Path, job_id: str) -> Path:
    if not JOB_ID.match(job_id):
        raise ValueError("bad job id")
    return Path(jobs_dir) / f"{job_id}.json"


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_status(jobs_dir: Path, job_id: str) -> dict | None:
    """The job's status; a job past its deadline or whose process vanished reads as failed."""
    path = status_path(jobs_dir, job_id)
    try:
        status = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if status["state"] in ("queued", "running"):
        now = time.time()
        if now > status["deadline"]:
            status.update(state="failed", error="timeout")
            _write_json(path, status)
        elif status["state"] == "running" and not _alive(status.get("pid")):
            status.update(state="failed", error="crashed")
            _write_json(path, status)
    return status


def start(jobs_dir: Path, job_id: str, *, html: str, roots: list[str], out_dir: str, estimated_pages: int,
          meta: dict, timeout: int, memory_mb: int, signing_key_dir: str | None = None,
          attachment_key_file: str | None = None) -> dict:
    """Start rendering `html` unless the same job is already under way; return its status."""
    jobs_dir = Path(jobs_dir)
    jobs_dir.mkdir(parents=True, exist_ok=True)
    current = read_status(jobs_dir, job_id)
    if current is not None and current["state"] in ("queued", "running", "done"):
        return current
    cleanup(jobs_dir)
    status = {
        "job_id": job_id, "state": "queued", "progress": 0, "pages_done": 0, "estimated_pages": estimated_pages,
        "started_at": time.time(), "deadline": time.time() + timeout + STARTUP_GRACE, "timeout": timeout,
        "memory_mb": memory_mb, "roots": list(roots), "out_dir": str(out_dir), "meta": meta, "pid": None,
        "signing_key_dir": signing_key_dir, "attachment_key_file": attachment_key_file,
    }
    path = status_path(jobs_dir, job_id)
    if current is None:
        try:
            _write_json(path, status, exclusive=True)
        except FileExistsError:  # another web worker started the same job a moment ago
            return read_status(jobs_dir, job_id) or status
    else:
        _write_json(path, status)  # a retry of a failed job
    status_path(jobs_dir, job_id).with_suffix(".html").write_text(html, encoding="utf-8")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    process = context.Process(target=run, args=(str(path),), name=f"pdf-{job_id}")
    process.start()
    multiprocessing.active_children()  # reap children that finished earlier
    return status


def cleanup(jobs_dir: Path, older_than: float = 24 * 3600) -> None:
    """Forget jobs finished more than a day ago."""
    limit = time.time() - older_than
    for path in Path(jobs_dir).glob("*.json"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                path.with_suffix(".html").unlink(missing_ok=True)
        except OSError:
            continue


class _Progress(logging.Handler):
    """Follows WeasyPrint's progress log ("Step 5 - Creating layout - Page 12") into the status file."""

    def __init__(self, update, estimated_pages: int):
        super().__init__(logging.INFO)
        self.update = update
        self.estimated = max(1, estimated_pages)
        self.pages = 0
        self.last_write = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.msg
        if isinstance(message, str) and message.startswith("Step 5") and record.args:
            self.pages = max(self.pages, int(record.args[0]))
            progress = 5 + int(85 * min(self.pages / self.estimated, 0.97))
        elif isinstance(message, str) and message.startswith(("Step 6", "Step 7")):
            progress = 92
        else:
            return
        now = time.monotonic()
        if now - self.last_write >= 0.25:
            self.last_write = now
            self.update(state="running", progress=progress, pages_done=self.pages)


def _limit(timeout: int, memory_mb: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (timeout, timeout + 5))

    def on_alarm(_signum, _frame):
        raise RenderTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGXCPU, on_alarm)  # the CPU limit: same outcome as the wall-clock one
    signal.alarm(timeout)


def run(status_file: str) -> None:
    """The child: render, store the PDF by its SHA-256, report. Never returns an exception to anyone."""
    path = Path(status_file)
    status = json.loads(path.read_text())

    def update(**changes) -> None:
        status.update(changes)
        _write_json(path, status)

    update(state="running", pid=os.getpid(), progress=2)
    try:
        from . import engine
        from .engine import render

        engine.font_config()  # before the limits: fontconfig must never scan fonts short of memory (see warm_up)
        _limit(status["timeout"], status["memory_mb"])

        html = path.with_suffix(".html").read_text(encoding="utf-8")
        signing_key, attachment_keys = _keys(status)
        progress = logging.getLogger("weasyprint.progress")
        progress.setLevel(logging.INFO)
        progress.addHandler(_Progress(update, status["estimated_pages"]))
        rendered = render(html, roots=status["roots"], attachment_keys=attachment_keys)
        signal.alarm(0)
        pdf = signed(rendered, signing_key)
        digest = store(Path(status["out_dir"]), pdf)
        update(state="done", progress=100, pages=rendered.pages, pages_done=rendered.pages, sha256=digest,
               size=len(pdf), signature_key_id=signing_key.public.key_id if signing_key else None,
               finished_at=time.time(),
               max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, vm_peak_mb=_vm_peak_mb())
    except RenderTimeout:
        update(state="failed", error="timeout")
    except MemoryError:
        update(state="failed", error="memory")
    except BaseException as exc:  # the child's last word: whatever happened is reported, never raised
        # Out of address space, C code fails in many ways (SystemError, OSError from cffi…): call it what it is.
        peak = _vm_peak_mb()
        error = "memory" if peak is not None and peak >= 0.9 * status["memory_mb"] else "error"
        update(state="failed", error=error, detail=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        path.with_suffix(".html").unlink(missing_ok=True)


def _keys(status: dict):
    """The signing key and the attachment keys the job names by their files (never the keys themselves)."""
    from .. import keys

    directory, key_file = status.get("signing_key_dir"), status.get("attachment_key_file")
    return (keys.load_signing_keys(directory).current if directory else None,
            keys.load_attachment_keys(key_file) if key_file else None)


def signed(rendered, key) -> bytes:
    """The rendered PDF with the bureau's SM2 signature appended, or as it is when documents are not signed."""
    from . import signature

    return signature.sign(rendered.pdf, rendered.info, key) if key is not None else rendered.pdf


def _vm_peak_mb() -> int | None:
    """The most address space the process used (what RLIMIT_AS caps), for tuning the limit."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def store(out_dir: Path, pdf: bytes) -> str:
    """Keep a PDF under `out_dir` by its SHA-256."""
    digest = hashlib.sha256(pdf).hexdigest()
    write_once(Path(out_dir) / digest[:2] / f"{digest}.pdf", pdf)
    return digest
