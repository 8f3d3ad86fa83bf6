"""Large documents render on the job queue (inspect_app/tasks): the job, its progress, and the Document it ends in."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from ... import tasks
from ...models import Document, User
from ...pdf import worker
from .rendering import Prepared, cached, document_html, documents_dir, file_path, register, render_inline, roots

# Defaults; each may be overridden in the app config (instance/config.py).
WORKER_PAGES = 30  # documents estimated at this many pages or more render in the worker process
WORKER_TIMEOUT = 120  # seconds
WORKER_MEMORY_MB = 1536  # RLIMIT_AS of the worker process


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


@dataclass
class Job:
    """A document rendering in the worker process."""

    code: str
    state: str
    progress: int
    pages_done: int
    estimated_pages: int
    error: str | None = None
    document: Document | None = None
    unit_id: int | None = None
    scope_node_id: int | None = None
    # What it renders, so a failed job can be asked for again.
    kind: str | None = None
    object_id: int | None = None
    params: dict | None = None


def request_document(session: Session, actor: User, prepared: Prepared) -> Document | Job:
    """What a download button does: the PDF if it exists or is small enough to render now; otherwise a job
    on the queue, whose progress the browser follows."""
    document = cached(session, prepared)
    if document is not None:
        return document
    if prepared.estimated_pages < _config("DOCUMENTS_WORKER_PAGES", WORKER_PAGES):
        return render_inline(session, actor, prepared)
    meta = {"kind": prepared.kind.name, "object_id": prepared.object_id, "unit_id": prepared.unit_id,
            "scope_node_id": prepared.scope_node_id, "version": prepared.version, "actor_id": actor.id,
            "params": prepared.params}
    queue = tasks.queue()
    status = worker.start(queue.store, queue.enqueue_render, prepared.code, html=document_html(prepared), roots=roots(),
                          out_dir=str(documents_dir()), estimated_pages=prepared.estimated_pages, meta=meta,
                          timeout=_config("DOCUMENTS_WORKER_TIMEOUT", WORKER_TIMEOUT),
                          memory_mb=_config("DOCUMENTS_WORKER_MEMORY_MB", WORKER_MEMORY_MB),
                          **_key_files())
    return _job(session, prepared.code, status)


def _key_files() -> dict:
    """Where the worker finds the signing key and the attachment keys: it reads them itself, so no key is ever
    written into a job's files."""
    signing, attachment = current_app.config.get("SIGNING_KEYS"), current_app.config.get("ATTACHMENT_KEYS")
    return {"signing_key_dir": str(signing.directory) if signing else None,
            "attachment_key_file": str(attachment.path) if attachment else None}


def _job(session: Session, code: str, status: dict) -> Job:
    meta = status["meta"]
    job = Job(code=code, state=status["state"], progress=status.get("progress", 0),
              pages_done=status.get("pages_done", 0), estimated_pages=status.get("estimated_pages", 0),
              error=status.get("error"), unit_id=meta.get("unit_id"), scope_node_id=meta.get("scope_node_id"),
              kind=meta.get("kind"), object_id=meta.get("object_id"), params=meta.get("params"))
    if job.state == "done":
        if not file_path(status["sha256"]).is_file():
            job.state, job.error = "failed", "missing"
            return job
        job.document = register(session, meta.get("actor_id"), kind_name=meta["kind"],
                                object_id=meta["object_id"], unit_id=meta["unit_id"], version=meta["version"],
                                code=code, sha256=status["sha256"], size=status["size"], pages=status["pages"],
                                params=meta.get("params"), scope_node_id=meta.get("scope_node_id"),
                                signature_key_id=status.get("signature_key_id"))
    return job


def job_status(session: Session, code: str) -> Job | None:
    """A job by its code (the verification code of the document it renders); None when unknown."""
    try:
        status = worker.read_status(tasks.queue().store, code)
    except ValueError:
        return None
    return _job(session, code, status) if status else None


def wait_for(session: Session, code: str, timeout: float = 60) -> Job | None:
    """Poll a job until it ends (tests and the command line)."""
    limit = time.monotonic() + timeout
    while True:
        job = job_status(session, code)
        if job is None or job.state in ("done", "failed") or time.monotonic() > limit:
            return job
        time.sleep(0.2)
