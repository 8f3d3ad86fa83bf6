"""A document's record version and verification code: the same content always gets the same code, and any
change to what the document shows (or to its layout) gets a new one."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from ... import pdf

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U to misread
_CODE_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE_URL = re.compile(r"[?&]code=([0-9A-Za-z-]+)")


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def record_version(kind: str, data: dict) -> str:
    """SHA-256 over what the document shows and how it is laid out (templates, stylesheet, faces): any change
    of content, or a fix to the layout, is a new version with a new code, rendered afresh."""
    return hashlib.sha256(canonical_json({"kind": kind, "data": data, "layout": pdf.layout_version()})
                          .encode()).hexdigest()


def verification_code(kind: str, subject: str, version: str) -> str:
    """16 characters of Crockford base 32 (80 bits) of a hash over the kind, the record and its version."""
    digest = hashlib.sha256(f"{kind}\n{subject}\n{version}".encode()).digest()
    number = int.from_bytes(digest[:10], "big")
    chars = "".join(CODE_ALPHABET[(number >> shift) & 31] for shift in range(75, -1, -5))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def normalise_code(text: str | None) -> str | None:
    """A code as typed or scanned: any case, spaces or hyphens, O for 0, I or L for 1, or the verify URL
    the QR code holds. None when it cannot be a code."""
    if not text:
        return None
    text = text.strip()[:500]
    match = _CODE_URL.search(text)
    if match:
        text = match.group(1)
    chars = re.sub(r"[\s\-‐‑–—_.]", "", text).upper().translate(_CODE_FIXES)
    if len(chars) != 16 or any(c not in CODE_ALPHABET for c in chars):
        return None
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def sha256_of_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
