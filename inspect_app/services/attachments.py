"""Files: photos, evidence and signatures, kept on disk by SHA-256 outside static/, sealed with SM4-GCM when
ATTACHMENT_KEY_FILE is set (storage.py; the name stays the SHA-256 of the content, so a file is stored once).

A file is trusted by what its bytes are, never by its name or declared type: an executable renamed
to .jpg is refused, an image must decode, and a PDF must hold nothing that runs when it is opened.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from .. import keys as key_files
from .. import storage
from . import DomainError, pdf_content

# Magic numbers of the types we accept, and the MIME type each one is served as.
_SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
]
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
MAX_PIXELS = 40_000_000  # a 30-megapixel camera photo passes; a decompression bomb does not
THUMBNAIL_SIZE = (480, 480)


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    mime: str
    size: int
    width: int | None
    height: int | None


def sniff(data: bytes) -> str | None:
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def display_name(filename: str | None, default: str = "file") -> str:
    """The name a file is shown and downloaded under: its last path part, without control characters.
    (Files are stored under their hash; the name is only a label.)"""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return (name or default)[-200:]


def storage_dir() -> Path:
    return Path(current_app.config["ATTACHMENTS_DIR"])


def path_of(sha256: str) -> Path:
    return storage_dir() / sha256[:2] / sha256


def keys() -> key_files.AttachmentKeys | None:
    """The attachment keys, or None when files are stored as they are."""
    return current_app.config.get("ATTACHMENT_KEYS")


def read(path: Path) -> bytes:
    """A stored file's content. A file sealed under a key this process has not loaded yet (one added by `keys
    rotate-attachment-key` since it started) reloads the key file once."""
    try:
        return storage.read(path, keys())
    except storage.UnreadableFile:
        loaded = keys()
        if loaded is None or storage.sealed_key_id(path.read_bytes()[: storage.HEADER_BYTES]) in loaded.by_id:
            raise
        current_app.config["ATTACHMENT_KEYS"] = key_files.load_attachment_keys(loaded.path)
        return storage.read(path, keys())


def open_stored(sha256: str, *, thumbnail: bool = False) -> io.BytesIO:
    """The file (or its thumbnail) to send; FileNotFoundError when it is missing."""
    return io.BytesIO(read(thumbnail_path(sha256) if thumbnail else path_of(sha256)))


def check_file(data: bytes, *, allowed: set[str]) -> tuple[str, int | None, int | None]:
    """The MIME type and, for images, the size in pixels; DomainError with a clear message otherwise."""
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    if not data:
        raise DomainError(_("文件是空的。"))
    if len(data) > limit:
        raise DomainError(_("文件过大：%(size).1f MB，上限为 %(limit)d MB。请压缩后再上传。",
                            size=len(data) / 1024 / 1024, limit=limit // 1024 // 1024))
    mime = sniff(data)
    if mime is None or mime not in allowed:
        names = "、".join(sorted({"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP",
                                 "application/pdf": "PDF"}[m] for m in allowed))
        raise DomainError(_("不支持这种文件。只能上传 %(types)s 文件。", types=names))
    if mime == "application/pdf":
        pdf_content.check(data)
    if mime not in IMAGE_TYPES:
        return mime, None, None
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise DomainError(_("图片像素过大，请缩小后再上传。"))
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise DomainError(_("图片已损坏，无法打开。")) from None
    return mime, width, height


def store(data: bytes, *, allowed: set[str]) -> StoredFile:
    """Check and keep a file; storing the same bytes twice keeps one copy."""
    mime, width, height = check_file(data, allowed=allowed)
    digest = hashlib.sha256(data).hexdigest()
    storage.write_once(path_of(digest), data, keys())
    return StoredFile(digest, mime, len(data), width, height)


def thumbnail_path(sha256: str) -> Path:
    """A small JPEG of an image, made once and kept beside it (sealed like the image)."""
    target = path_of(sha256).with_name(f"{sha256}.thumb.jpg")
    if not target.exists():
        with Image.open(io.BytesIO(read(path_of(sha256)))) as image:
            image = image.convert("RGB")
            image.thumbnail(THUMBNAIL_SIZE)
            jpeg = io.BytesIO()
            image.save(jpeg, "JPEG", quality=80)
        storage.write_once(target, jpeg.getvalue(), keys())
    return target


class NotEncrypted(Exception):
    """Rekeying asked of an instance that stores attachments as they are."""


@dataclass(frozen=True)
class RekeyReport:
    key_id: str
    files: int
    resealed: int


def stored_files() -> list[Path]:
    """Every stored file: attachments and their thumbnails (not the half-written `.partial-…` ones)."""
    root = storage_dir()
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")) if root.exists() else []


def rekey() -> RekeyReport:
    """Seal every stored file under the current key, one file at a time, each replaced atomically."""
    current = keys()
    if current is None:
        raise NotEncrypted("attachments are not encrypted: set ATTACHMENT_KEY_FILE (keys new-attachment-key)")
    files = stored_files()
    resealed = sum(storage.reseal(path, current) for path in files)
    return RekeyReport(current.current_id, len(files), resealed)


def key_ids_in_use() -> list[str]:
    """The keys the stored files are sealed under, for a backup's manifest."""
    used = set()
    for path in stored_files():
        with open(path, "rb") as f:
            key_id = storage.sealed_key_id(f.read(storage.HEADER_BYTES))
        if key_id:
            used.add(key_id)
    return sorted(used)
