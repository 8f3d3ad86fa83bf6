"""Files kept under their SHA-256: attachments and rendered documents. No Flask here: the render worker uses it.

Attachments may be stored sealed with SM4-GCM (keys.py): a sealed file starts with a header naming the format
and the key it is under, and its tag covers that header and the file's own name, so a file moved under
another's name does not open. A file from before encryption was turned on is read as it is.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from . import smcrypto
from .keys import AttachmentKeys

MAGIC = b"SM4GCM1\n"
_KEY_ID_BYTES = 8
HEADER_BYTES = len(MAGIC) + _KEY_ID_BYTES


class UnreadableFile(Exception):
    """A sealed file whose key is not in the key file, or whose content or name was altered."""


def _replace(target: Path, data: bytes) -> None:
    """Write beside the target, sync and rename, so a crash never leaves half a file under the name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, target)


def write_once(target: Path, data: bytes, keys: AttachmentKeys | None = None) -> None:
    """Write `data` to `target` unless it is there already (same name, same content); sealed under the current
    key when `keys` are given."""
    if target.exists():
        return
    _replace(target, seal(data, target.name, keys) if keys else data)


def seal(data: bytes, name: str, keys: AttachmentKeys) -> bytes:
    header = MAGIC + bytes.fromhex(keys.current_id)
    return header + smcrypto.sm4_gcm_encrypt(keys.current, data, header + name.encode())


def sealed_key_id(head: bytes) -> str | None:
    """The key id a file's first bytes name, or None for a file stored as it is."""
    return head[len(MAGIC) : HEADER_BYTES].hex() if head.startswith(MAGIC) and len(head) >= HEADER_BYTES else None


def unseal(data: bytes, name: str, keys: AttachmentKeys | None) -> bytes:
    key_id = sealed_key_id(data[:HEADER_BYTES])
    if key_id is None:
        return data
    key = keys.by_id.get(key_id) if keys else None
    if key is None:
        raise UnreadableFile(f"{name} is sealed under the attachment key {key_id}, which ATTACHMENT_KEY_FILE lacks")
    try:
        return smcrypto.sm4_gcm_decrypt(key, data[HEADER_BYTES:], data[:HEADER_BYTES] + name.encode())
    except smcrypto.DecryptionFailed:
        raise UnreadableFile(f"{name} was altered, or is not the file of that name") from None


def read(path: Path, keys: AttachmentKeys | None) -> bytes:
    """A stored file's content, unsealed when it is sealed."""
    return unseal(Path(path).read_bytes(), Path(path).name, keys)


def reseal(path: Path, keys: AttachmentKeys) -> bool:
    """Put one stored file under the current key (sealing it if it was stored as it is). Whether it changed."""
    data = path.read_bytes()
    if sealed_key_id(data[:HEADER_BYTES]) == keys.current_id:
        return False
    _replace(path, seal(unseal(data, path.name, keys), path.name, keys))
    return True
