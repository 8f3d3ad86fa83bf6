"""The 国密 keys, kept in files outside the database: the bureau's SM2 document-signing keys and the SM4 keys of
the attachments. No Flask here: the render worker loads them too.

Signing keys live in one folder (SIGNING_KEY_DIR): `signing.key`, the current private key (PKCS#8 PEM, mode 0400),
and `<key id>.pub`, the public key of every key the bureau has signed with, current and retired. A document
verifies under any public key in the folder; rotating makes a new pair and keeps the old public key, so documents
signed before still verify; deleting a `.pub` file withdraws trust in that key.

Attachment keys live in one file (ATTACHMENT_KEY_FILE, mode 0400): one key a line, 32 hex characters, the
current one first and retired ones after it, kept so files and backups written under them can still be read.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import smcrypto

SIGNING_KEY = "signing.key"
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{32}$")


class KeyFileError(Exception):
    """A key file that is missing, unreadable, open to other users or not in the expected form; the message says
    which and what to do."""


def write_private(path: Path, text: str) -> None:
    """Write a key file readable by its owner only, atomically: a crash never leaves half a key under the name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        os.fchmod(fd, 0o400)
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_private(path: Path, setting: str) -> str:
    """A secret file's text, refused when other users may read or write it."""
    try:
        mode = path.stat().st_mode
        text = path.read_text()
    except OSError as exc:
        raise KeyFileError(f"{setting}: {path} cannot be read: {exc.strerror}") from exc
    if mode & 0o077:
        raise KeyFileError(f"{setting}: {path} is open to other users (mode {mode & 0o777:o}): make it 0400, owned "
                           f"by the app's user")
    return text


# SM2 document signing ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SigningKeys:
    directory: Path
    current: smcrypto.PrivateKey
    trusted: dict[str, smcrypto.PublicKey] = field(default_factory=dict)  # by key id, the current one included

    def public(self, key_id: str) -> smcrypto.PublicKey | None:
        return self.trusted.get(key_id)


def public_key_path(directory: Path, key_id: str) -> Path:
    return Path(directory) / f"{key_id}.pub"


def load_signing_keys(directory: Path | str) -> SigningKeys:
    directory = Path(directory)
    setting = "SIGNING_KEY_DIR"
    try:
        current = smcrypto.PrivateKey.from_pem(read_private(directory / SIGNING_KEY, setting))
    except smcrypto.KeyFormatError as exc:
        raise KeyFileError(f"{setting}: {directory / SIGNING_KEY} is not an SM2 private key: {exc}") from exc
    trusted = {}
    for path in sorted(directory.glob("*.pub")):
        try:
            key = smcrypto.PublicKey.from_pem(path.read_text())
        except (OSError, ValueError) as exc:
            raise KeyFileError(f"{setting}: {path} is not an SM2 public key ({exc})") from exc
        if path.stem != key.key_id:
            raise KeyFileError(f"{setting}: {path} holds the key {key.key_id}, not the one its name says")
        trusted[key.key_id] = key
    trusted.setdefault(current.public.key_id, current.public)
    return SigningKeys(directory, current, trusted)


def _write_pair(directory: Path, key: smcrypto.PrivateKey) -> None:
    public = public_key_path(directory, key.public.key_id)
    public.write_text(key.public.pem())
    public.chmod(0o444)
    write_private(directory / SIGNING_KEY, key.pem())


def create_signing_key(directory: Path | str) -> smcrypto.PublicKey:
    """The bureau's first key pair; refused when the folder has a private key already (that is `rotate`)."""
    directory = Path(directory)
    if (directory / SIGNING_KEY).exists():
        raise KeyFileError(f"{directory / SIGNING_KEY} exists already: rotate the key instead of making a first one")
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    key = smcrypto.PrivateKey.generate()
    _write_pair(directory, key)
    return key.public


def rotate_signing_key(directory: Path | str) -> tuple[smcrypto.PublicKey, smcrypto.PublicKey]:
    """A new pair replaces the current one, whose private key is gone afterwards; its public key stays trusted.
    The old and the new public key."""
    old = load_signing_keys(directory)
    key = smcrypto.PrivateKey.generate()
    kept = public_key_path(old.directory, old.current.public.key_id)
    if not kept.exists():
        kept.write_text(old.current.public.pem())
    _write_pair(old.directory, key)
    return old.current.public, key.public


def demo_signing_keys(instance_path: str) -> SigningKeys:
    """The demo's key pair, made once in the instance folder as the demo's audit key is."""
    directory = Path(instance_path) / "signing"
    if not (directory / SIGNING_KEY).exists():
        create_signing_key(directory)
    return load_signing_keys(directory)


# SM4 attachment keys ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttachmentKeys:
    path: Path
    current_id: str
    by_id: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.by_id[self.current_id]


def attachment_key_id(key: bytes) -> str:
    """16 hex characters naming a key in each encrypted file's header, the backups and the listings."""
    return smcrypto.hmac_sm3(key, b"attachment key id")[:8].hex()


def load_attachment_keys(path: Path | str) -> AttachmentKeys:
    path = Path(path)
    setting = "ATTACHMENT_KEY_FILE"
    lines = [line.strip() for line in read_private(path, setting).splitlines()]
    keys = [line for line in lines if line and not line.startswith("#")]
    if not keys or not all(_HEX_KEY.match(k) for k in keys):
        raise KeyFileError(f"{setting}: {path} must hold SM4 keys of 32 hex characters, one a line, the current one "
                           f"first (flask --app wsgi keys new-attachment-key)")
    by_id = {attachment_key_id(bytes.fromhex(k)): bytes.fromhex(k) for k in keys}
    return AttachmentKeys(path, attachment_key_id(bytes.fromhex(keys[0])), by_id)


def _key_lines(keys: list[bytes]) -> str:
    return "".join(k.hex() + "\n" for k in keys)


def create_attachment_key(path: Path | str) -> str:
    """A first attachment key; refused when the file exists (that is `rotate`). Its key id."""
    path = Path(path)
    if path.exists():
        raise KeyFileError(f"{path} exists already: rotate the key instead of making a first one")
    key = secrets.token_bytes(smcrypto.SM4_KEY_BYTES)
    write_private(path, _key_lines([key]))
    return attachment_key_id(key)


def add_attachment_key(path: Path | str) -> AttachmentKeys:
    """A new current key in front of the others, which stay to read what was written under them."""
    old = load_attachment_keys(path)
    key = secrets.token_bytes(smcrypto.SM4_KEY_BYTES)
    write_private(old.path, _key_lines([key, *old.by_id.values()]))
    return load_attachment_keys(old.path)


def demo_attachment_keys(instance_path: str) -> AttachmentKeys:
    path = Path(instance_path) / "attachment_key"
    if not path.exists():
        create_attachment_key(path)
    return load_attachment_keys(path)
