"""What a verification code stands for: which record and version, and whether it is still current."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ... import authz, keys
from ...labels import DOCUMENT_KIND_LABELS, label
from ...models import Document, User
from ...pdf import reader, signature
from .codes import normalise_code, sha256_of_bytes, verification_code
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


def trusted_key(key_id: str):
    """A public key the bureau signs or signed with, by id. A key id this process does not know yet (a key rotated
    in since it started, used by the render worker) reloads the key folder once."""
    loaded = current_app.config.get("SIGNING_KEYS")
    if loaded is None:
        return None
    if key_id not in loaded.trusted:
        try:
            loaded = current_app.config["SIGNING_KEYS"] = keys.load_signing_keys(loaded.directory)
        except keys.KeyFileError:
            return None
    return loaded.public(key_id)


@dataclass
class FileVerification:
    """What a PDF file is: its code's record and version (`found`), and whether the file is the bureau's, unaltered.

    `verdict`: "genuine" (signed by one of the bureau's SM2 keys and not changed by a byte since), "not_genuine"
    (a signature that does not hold, a key the bureau does not trust, or no signature on a copy of a document that
    was issued signed), "not_signed" (a document issued before signing, or with signing off)."""

    code: str | None
    found: Verification | None
    signature: signature.Check
    identical: bool

    @property
    def verdict(self) -> str:
        issued_signed = self.found is not None and self.found.document.signature_key_id is not None
        if self.signature.state == "not_signed" and issued_signed:
            return "not_genuine"
        return self.signature.state

    @property
    def reason(self) -> str:
        if self.signature.state == "not_signed" and self.verdict == "not_genuine":
            return "the document was issued signed, and this copy carries no signature"
        return self.signature.reason


def verify_file(session: Session, actor: User | None, data: bytes) -> FileVerification:
    """Check a PDF file: its signature, then what its verification code stands for (within `actor`'s scope, as
    `verify`; None is the command line)."""
    code = reader.code_of(data)
    found = verify(session, actor, code) if code else None
    identical = found is not None and found.document.sha256 == sha256_of_bytes(data)
    return FileVerification(code, found, signature.check(data, trusted_key), identical)
