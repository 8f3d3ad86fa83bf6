"""Rendering a document: its data, version and code prepared, the HTML made, the PDF rendered in this process
and kept on disk by its own SHA-256, one Document row per version."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import pdf
from ...database import transaction
from ...models import Document, User
from ...pdf import worker
from .. import attachments, audit
from .codes import canonical_json, verification_code
from .kinds import Kind, kind


@dataclass
class Prepared:
    """A document ready to render: its data, version and code."""

    kind: Kind
    record: Any
    data: dict
    version: str
    code: str
    object_id: int | None
    unit_id: int | None
    scope_node_id: int | None = None
    params: dict = field(default_factory=dict)

    @property
    def estimated_pages(self) -> int:
        return round(self.kind.estimate_pages(self.data))

    @property
    def filename(self) -> str:
        return self.kind.filename(self.data)


def prepare(session: Session, kind_name: str, record: Any, actor: User | None = None) -> Prepared:
    """Check the document may be made now (DomainError otherwise) and compute its data, version and code.

    `record` has been loaded through the scoping layer (or by the command line, which sees everything).
    """
    spec = kind(kind_name)
    spec.check(actor, record)
    with force_locale("zh"):
        data = spec.data(session, record)
    version = spec.version(data)
    return Prepared(kind=spec, record=record, data=data, version=version,
                    code=verification_code(spec.name, spec.subject(record), version),
                    object_id=spec.object_id(record), unit_id=spec.unit_id(record),
                    scope_node_id=spec.scope_node_id(record),
                    params={**spec.params(record), "filename": spec.filename(data),
                            # a number the document gave itself (the 通报's 文号), kept for its later versions
                            **({"number": data["number"]} if data.get("number") else {})})


def documents_dir() -> Path:
    return Path(current_app.config.get("DOCUMENTS_DIR") or Path(current_app.instance_path) / "documents")


def file_path(sha256: str) -> Path:
    return documents_dir() / sha256[:2] / f"{sha256}.pdf"


def verify_url(code: str) -> str:
    """What the QR code holds: the verify page at the configured address (INSPECT_BASE_URL), else the bare
    code, which the verify page accepts just the same. Never the Host of the request that happened to render
    the document first: that is whatever a client sent, and the PDF is kept and served to everyone."""
    base = (current_app.config.get("DOCUMENTS_BASE_URL") or "").strip()
    return f"{base.rstrip('/')}/verify?code={code}" if base else code


def _images(prepared: Prepared) -> dict[str, str]:
    """file: URLs of the images the document shows: thumbnails of photos (a few dozen KB each, embedded
    as they are), signatures as drawn. An image whose file is missing is left out, not fatal."""
    images: dict[str, str] = {}
    for sha in prepared.kind.thumbnails(prepared.data):
        try:
            images[sha] = attachments.thumbnail_path(sha).as_uri()
        except OSError:
            current_app.logger.warning("document %s: photo %s is missing", prepared.code, sha)
    for sha in prepared.kind.originals(prepared.data):
        path = attachments.path_of(sha)
        if path.is_file():
            images[sha] = path.as_uri()
    return images


def document_html(prepared: Prepared) -> str:
    with force_locale("zh"):  # the document's own words are Chinese whoever asks
        return _document_html(prepared)


def _document_html(prepared: Prepared) -> str:
    doc = {
        "kind": prepared.kind.name, "kind_label": prepared.kind.label, "title": prepared.kind.title(prepared.data),
        "author": prepared.kind.author(prepared.data), "code": prepared.code, "record_version": prepared.version,
        "date_iso": prepared.data.get("date") or "", "qr_svg": pdf.qr_svg(verify_url(prepared.code)),
    }
    return pdf.render_html(prepared.kind.template, data=prepared.data, doc=doc, images=_images(prepared),
                           charts=prepared.kind.charts(prepared.data))


def roots() -> list[str]:
    return [current_app.config["ATTACHMENTS_DIR"]]


def find(session: Session, code: str) -> Document | None:
    return session.scalar(select(Document).where(Document.verification_code == code))


def cached(session: Session, prepared: Prepared) -> Document | None:
    """The Document of this version when its PDF is on disk."""
    document = find(session, prepared.code)
    if document is not None and document.sha256 and file_path(document.sha256).is_file():
        return document
    return None


def signing_key():
    """The bureau's current SM2 key, or None when documents are issued unsigned (DOCUMENT_SIGNING=off)."""
    keys = current_app.config.get("SIGNING_KEYS")
    return keys.current if keys else None


def signing_key_id() -> str | None:
    key = signing_key()
    return key.public.key_id if key else None


def register(session: Session, actor_id: int | None, *, kind_name: str, object_id: int | None,
              unit_id: int | None, version: str, code: str, sha256: str, size: int, pages: int,
              params: dict | None = None, scope_node_id: int | None = None,
              signature_key_id: str | None = None) -> Document:
    """Record a rendered version; the same version rendered twice (a race, or a lost file) keeps one row."""
    actor = session.get(User, actor_id) if actor_id else None
    existing = find(session, code)
    if existing is None:
        try:
            with transaction(session):
                document = Document(kind=kind_name, object_id=object_id, unit_id=unit_id, scope_node_id=scope_node_id,
                                    record_version=version,
                                    verification_code=code, sha256=sha256, size=size, pages=pages,
                                    params_json=canonical_json(params or {}), created_by_id=actor_id,
                                    signature_key_id=signature_key_id)
                session.add(document)
                session.flush()
                audit.record(session, actor, "document.create", document, actor_name="cli",
                             details={"kind": kind_name, "object_id": object_id, "code": code, "version": version,
                                      "sha256": sha256, "pages": pages, "signature_key_id": signature_key_id})
            return document
        except IntegrityError:
            existing = find(session, code)
            if existing is None:
                raise
    if existing.sha256 != sha256 and not (existing.sha256 and file_path(existing.sha256).is_file()):
        with transaction(session):
            existing.sha256, existing.size, existing.pages = sha256, size, pages
            existing.signature_key_id = signature_key_id
    return existing


def render_inline(session: Session, actor: User | None, prepared: Prepared) -> Document:
    """Render in this process (small documents, and the command line) and keep the PDF."""
    from ...pdf import engine

    rendered = engine.render(document_html(prepared), roots=roots(), attachment_keys=attachments.keys())
    key = signing_key()
    pdf = worker.signed(rendered, key)
    sha = worker.store(documents_dir(), pdf)
    return register(session, actor.id if actor else None, kind_name=prepared.kind.name,
                     object_id=prepared.object_id, unit_id=prepared.unit_id, version=prepared.version,
                     code=prepared.code, sha256=sha, size=len(pdf), pages=rendered.pages,
                     params=prepared.params, scope_node_id=prepared.scope_node_id,
                     signature_key_id=key.public.key_id if key else None)


def ensure(session: Session, actor: User | None, prepared: Prepared) -> Document:
    """The Document of this version, rendered now unless it was rendered before."""
    return cached(session, prepared) or render_inline(session, actor, prepared)
