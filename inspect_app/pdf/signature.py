"""The bureau's SM2 signature inside an issued PDF, and checking it.

The signature travels as an incremental update appended to the rendered file, as PDF readers expect of any later
addition: a new document information dictionary (the rendered one's entries, the signing key's id, the signed
length and the signature) and a cross-reference stream for it. Viewers show the document as rendered.

What is signed: every byte of the rendered file, followed by the new dictionary's entries up to the signature.
What is checked: that signature under the public key the dictionary names, and that the update is byte for byte
the one this module writes for those entries, so no byte of the file may change, be added or be taken away.

This is the system's own proof of origin and integrity, not an electronic seal (电子印章, GB/T 38540): see
docs/deploy.md ("国密"). No Flask here: the render worker signs too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import smcrypto

ALGORITHM = "SM2-with-SM3"
_SIGNATURE = re.compile(rb"/SM2Signature <([0-9a-f]{16,400})>>>\nendobj\n")
_UPDATE = re.compile(rb"\n(\d+) 0 obj\n<<(.*)/SM2Signature <", re.S)
_KEY_ID = re.compile(rb"/SM2KeyId \(([0-9a-f]{16})\)")
_LENGTH = re.compile(rb"/SM2SignedLength (\d+)")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


class NotSignable(ValueError):
    """Not a PDF as the renderer writes it."""


def _trailer(pdf: bytes) -> tuple[int, bytes, bytes, int]:
    """The rendered file's object count, catalog reference, ID entry (or nothing) and cross-reference offset."""
    found = _STARTXREF.search(pdf[-64:])
    if not pdf.startswith(b"%PDF-") or found is None:
        raise NotSignable("no cross-reference offset at the end")
    offset = int(found[1])
    trailer = pdf[offset : len(pdf) - len(found[0])]
    size, root = re.search(rb"/Size (\d+)", trailer), re.search(rb"/Root (\d+ \d+ R)", trailer)
    if size is None or root is None:
        raise NotSignable("no /Size or /Root in the trailer")
    identifier = re.search(rb"/ID ?\[[^\]]*\]", trailer)
    return int(size[1]), root[1], identifier[0] if identifier else b"", offset


def _update(pdf: bytes, entries: bytes, signature: bytes) -> bytes:
    """What signing appends to `pdf`: the new information dictionary and a cross-reference stream for it."""
    size, root, identifier, previous = _trailer(pdf)
    info_at = len(pdf) + 1
    info = b"\n%d 0 obj\n<<%b/SM2Signature <%b>>>\nendobj\n" % (size, entries, signature.hex().encode())
    xref_at = len(pdf) + len(info)
    rows = b"".join(b"\x01" + at.to_bytes(4, "big") + b"\x00" for at in (info_at, xref_at))
    xref = (b"%d 0 obj\n<</Type /XRef/Index [%d 2]/W [1 4 1]/Size %d/Root %b/Info %d 0 R/Prev %d%b/Length %d>>\n"
            b"stream\n%b\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
            % (size + 1, size, size + 2, root, size, previous, identifier, len(rows), rows, xref_at))
    return info + xref


def _entries(info: bytes, key_id: str, length: int) -> bytes:
    """The rendered dictionary's entries (`info` as the writer serialised it, <<…>>), then the signature's own."""
    inner = info.strip()
    if not (inner.startswith(b"<<") and inner.endswith(b">>")):
        raise NotSignable("the document information is not a dictionary")
    return inner[2:-2] + b"/SM2Algorithm (%b)/SM2KeyId (%b)/SM2SignedLength %d" % (
        ALGORITHM.encode(), key_id.encode(), length)


def sign(pdf: bytes, info: bytes, key: smcrypto.PrivateKey) -> bytes:
    """`pdf` with the signature appended. `info` is the document information dictionary the renderer wrote."""
    entries = _entries(info, key.public.key_id, len(pdf))
    return pdf + _update(pdf, entries, key.sign(pdf + entries))


@dataclass(frozen=True)
class Check:
    """What a file's signature says: `state` is "genuine", "not_genuine" or "not_signed"."""

    state: str
    key_id: str | None = None
    reason: str = ""

    @property
    def genuine(self) -> bool:
        return self.state == "genuine"


def check(pdf: bytes, trusted) -> Check:
    """Check a file's signature against `trusted(key_id) -> PublicKey | None` (keys.SigningKeys.public)."""
    if b"/SM2Signature" not in pdf:
        return Check("not_signed")
    length, key_id = _LENGTH.findall(pdf), _KEY_ID.findall(pdf)
    if not length or not key_id:
        return Check("not_genuine", reason="the signature's entries are incomplete")
    signed_length, key_id = int(length[-1]), key_id[-1].decode()
    update = _UPDATE.match(pdf, signed_length)
    signature = _SIGNATURE.search(pdf, signed_length)
    if update is None or signature is None:
        return Check("not_genuine", key_id, "the signature is not where the signed length puts it")
    original, entries = pdf[:signed_length], update[2]
    try:
        expected = _update(original, entries, bytes.fromhex(signature[1].decode()))
    except (NotSignable, ValueError):
        return Check("not_genuine", key_id, "the signed part is not a whole PDF")
    if pdf[signed_length:] != expected:
        return Check("not_genuine", key_id, "the file was changed after it was signed")
    public = trusted(key_id)
    if public is None:
        return Check("not_genuine", key_id, "signed by a key this system does not trust")
    if not public.verify(original + entries, bytes.fromhex(signature[1].decode())):
        return Check("not_genuine", key_id, "the signature does not match the content")
    return Check("genuine", key_id)
