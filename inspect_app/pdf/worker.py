"""Big documents render in a worker process, with a time and a memory limit, reporting progress.

A web worker that lays out a 40-page document holds on to much of the memory it needed afterwards
(Python rarely returns it), so documents of 30 pages and more are rendered on the job queue (inspect_app/tasks):
the web worker stores the job's HTML and status and enqueues it; a queue worker, on this machine or another,
renders it in a child process that exits when done, forked from a small, clean server process
(multiprocessing's "forkserver", with WeasyPrint imported once), and stores the PDF by its SHA-256 in the
documents folder every app server reads.

A job's status lives in the queue's store (`JobStore`: Redis, or the embedded SQLite queue), where whichever web
worker the browser's poll reaches reads it:

    {"state": "queued" | "running" | "done" | "failed", "progress": 0–100, "pages": …, "sha256": …, …}

The child enforces its own limits: RLIMIT_AS (memory) and an alarm (wall time); the queue worker reports a
child that died without a word as crashed, and a reader that finds a job past its deadline reports it failed.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import resource
import signal
import time
from pathlib import Path
from typing import Protocol

from ..storage import write_once

JOB_ID = re.compile(r"^[0-9A-Z-]{8,40}$")
STARTUP_GRACE = 30  # seconds a job may wait for a queue worker, and its fork server to start, before the deadline
PRELOAD = ["inspect_app.pdf.preload"]  # WeasyPrint imported and the fonts loaded once, in the fork server
KEEP_SECONDS = 24 * 3600  # a finished job is forgotten after a day


class JobStore(Protocol):
    """Where jobs' statuses and HTML live, shared by the web workers and the queue workers."""

    def get(self, key: str) -> dict | None: ...

    def put(self, key: str, value: dict) -> None: ...

    def claim(self, key: str, value: dict) -> bool: ...  # put unless the key is set; False if it was

    def delete(self, key: str) -> None: ...


class RenderTimeout(BaseException):
    """Raised by the alarm; a BaseException so no `except Exception` inside the layout code swallows it."""


def check_id(job_id: str) -> str:
    if not JOB_ID.match(job_id):
        raise ValueError("bad job id")
    return job_id


def _html_key(job_id: str) -> str:
    return f"{job_id}.html"


def read_status(store: JobStore, job_id: str) -> dict | None:
    """The job's status; a job past its deadline reads as failed (no worker took it, or it hung)."""
    status = store.get(check_id(job_id))
    if status is None:
        return None
    if status["state"] in ("queued", "running") and time.time() > status["deadline"]:
        status.update(state="failed", error="timeout")
        store.put(job_id, status)
    elif status["state"] in ("done", "failed") and time.time() > status.get("finished_at", 0) + KEEP_SECONDS:
        store.delete(job_id)
        return None
    return status


def start(store: JobStore, enqueue, job_id: str, *, html: str, roots: list[str], out_dir: str,
          estimated_pages: int, meta: dict, timeout: int, memory_mb: int, signing_key_dir: str | None = None,
          attachment_key_file: str | None = None) -> dict:
    """Queue `html` for rendering unless the same job is already under way or done; return its status.
    `enqueue(job_id)` puts the job on the queue."""
    current = read_status(store, job_id)
    if current is not None and current["state"] in ("queued", "running", "done"):
        return current
    now = time.time()
    status = {
        "job_id": job_id, "state": "queued", "progress": 0, "pages_done": 0, "estimated_pages": estimated_pages,
        "started_at": now, "deadline": now + timeout + STARTUP_GRACE, "timeout": timeout,
        "memory_mb": memory_mb, "roots": list(roots), "out_dir": str(out_dir), "meta": meta,
        "signing_key_dir": signing_key_dir, "attachment_key_file": attachment_key_file,
    }
    if current is None:
        if not store.claim(job_id, status):  # another web worker queued the same job a moment ago
            return read_status(store, job_id) or status
    else:
        store.put(job_id, status)  # a retry of a failed job
    store.put(_html_key(job_id), {"html": html})
    enqueue(job_id)
    return status


def execute(store: JobStore, job_id: str) -> None:
    """The queue worker's part: render the job in a child process and report what it says, or that it died."""
    status = store.get(check_id(job_id))
    page = store.get(_html_key(job_id))
    if status is None or page is None or status["state"] not in ("queued", "running"):
        return
    store.delete(_html_key(job_id))
    status.update(state="running", progress=2, host=os.uname().nodename)
    store.put(job_id, status)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=run, args=(sending, page["html"], status), name=f"pdf-{job_id}")
    process.start()
    sending.close()
    final = False
    while True:
        try:
            changes = receiving.recv()
        except EOFError:
            break
        status.update(changes)
        final = status["state"] in ("done", "failed")
        if final:
            status["finished_at"] = time.time()
        store.put(job_id, status)
    process.join()
    if not final:
        status.update(state="failed", error="crashed", finished_at=time.time())
        store.put(job_id, status)


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


def run(report, html: str, status: dict) -> None:
    """The child: render, store the PDF by its SHA-256, report. Never returns an exception to anyone."""

    def update(**changes) -> None:
        report.send(changes)

    try:
        update(pid=os.getpid())
        from . import engine
        from .engine import render

        engine.font_config()  # before the limits: fontconfig must never scan fonts short of memory (see warm_up)
        _limit(status["timeout"], status["memory_mb"])

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
        report.close()


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
