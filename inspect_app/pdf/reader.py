"""Read a document's verification code back from a PDF file.

Our PDFs carry the code in the document information dictionary (/VerificationCode, also in /Keywords)
and print it on every page. The dictionary may sit in a compressed object stream, so every Flate stream
is inflated and searched; if that finds nothing (a PDF re-saved by another program), the printed text
is read with poppler's pdftotext when it is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zlib

CODE = r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"
_INFO = re.compile(rb"/VerificationCode\s*\((" + CODE.encode() + rb")\)", re.I)
_KEYWORDS = re.compile(rb"verification-code:(" + CODE.encode() + rb")")
_PRINTED = re.compile(r"验证码[：:\s]*(" + CODE + ")")
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)

MAX_INFLATED = 64 * 1024 * 1024  # a compressed bomb stops here


def _search(data: bytes) -> str | None:
    for pattern in (_INFO, _KEYWORDS):
        match = pattern.search(data)
        if match:
            return match.group(1).decode()
    return None


def code_from_metadata(pdf: bytes) -> str | None:
    found = _search(pdf)
    if found:
        return found
    budget = MAX_INFLATED
    for match in _STREAM.finditer(pdf):
        try:
            inflater = zlib.decompressobj()
            data = inflater.decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(data)
        found = _search(data)
        if found or budget <= 0:
            return found
    return None


def code_from_text(path: str) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    try:
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True, timeout=60,
                              check=False).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None
    match = _PRINTED.search(text)
    return match.group(1) if match else None


def read_code(path: str) -> str | None:
    """The verification code of the PDF at `path`, or None when it carries none we can read."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"%PDF-"):
        return None
    return code_from_metadata(data) or code_from_text(path)


def code_of(data: bytes) -> str | None:
    """The verification code of a PDF given as bytes (an upload)."""
    if not data.startswith(b"%PDF-"):
        return None
    found = code_from_metadata(data)
    if found is None and shutil.which("pdftotext") is not None:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(data)
            f.flush()
            found = code_from_text(f.name)
    return found
