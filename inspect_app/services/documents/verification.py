"""What a verification code stands for: which record and version, and whether it is still current."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ... import authz
from ...labels import DOCUMENT_KIND_LABELS, label
from ...models import Document, User
from .codes import normalise_code, verification_code
from .kinds import KINDS
from .rendering import find


@dataclass
class Verification:
    document: Document
    kind_label: str
    record: Any | None  # the inspection or notice; None when it no longer exists
    record_label: str
    current: bool
    latest: Document | None  # the rendering of the current version, when there is one


def record_of(session: Session, document: Document) -> Any | None:
    spec = KINDS.get(document.kind)
    return spec.reload(session, document) if spec is not None else None


def record_label(document: Document, record: Any | None) -> str:
    if record is None:
        return _("记录已不存在")
    spec = KINDS.get(document.kind)
    return spec.describe(record) if spec is not None else ""


def current_version(session: Session, document: Document, record: Any) -> str:
    spec = KINDS[document.kind]
    with force_locale("zh"):
        return spec.version(spec.data(session, record))


def verify(session: Session, actor: User | None, text: str | None) -> Verification | None:
    """What a code stands for. None when it is no code of ours, or of a document outside `actor`'s scope:
    both read the same, so a code reveals nothing of other units. `actor` None is the command line."""
    code = normalise_code(text)
    if code is None:
        return None
    document = find(session, code)
    if document is None or (actor is not None and not authz.can_see_document(actor, document)):
        return None
    spec = KINDS.get(document.kind)
    record = record_of(session, document)
    current, latest = False, None
    if record is not None and spec is not None:
        version = current_version(session, document, record)
        current = version == document.record_version
        if not current:
            latest = find(session, verification_code(spec.name, spec.subject(record), version))
    return Verification(document=document, kind_label=label(DOCUMENT_KIND_LABELS, document.kind), record=record,
                        record_label=record_label(document, record), current=current, latest=latest)
