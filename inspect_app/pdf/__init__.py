"""Official documents as PDF: the templates, the GB/T 9704 stylesheet, and the WeasyPrint pipeline.

This package turns a document's data (plain JSON values, prepared by services/documents.py) into PDF
bytes. It knows nothing of the database or of requests, so the worker process can use it alone.

Adding a document type is one template here plus one data function in services/documents.py.
"""

from __future__ import annotations

import ctypes
from datetime import date
from functools import cache
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined

HERE = Path(__file__).parent


class SubsettingUnavailable(RuntimeError):
    """HarfBuzz's subsetter is missing: CJK documents would take 15 s and more instead of well under one."""


# The names WeasyPrint tries when it loads HarfBuzz-Subset (weasyprint/text/ffi.py).
HARFBUZZ_SUBSET_NAMES = ("libharfbuzz-subset.so.0", "libharfbuzz-subset-0", "harfbuzz-subset",
                         "libharfbuzz-subset.0.dylib", "libharfbuzz-subset-0.dll")


def check_library(names: tuple[str, ...] | None = None) -> None:
    """At start-up, without importing WeasyPrint (a second's work): is libharfbuzz-subset loadable?

    Raises SubsettingUnavailable with the package to install. `check_subsetting` repeats the check on
    WeasyPrint's own binding before every render.
    """
    for name in names or HARFBUZZ_SUBSET_NAMES:
        try:
            ctypes.CDLL(name)
            return
        except OSError:
            continue
    raise SubsettingUnavailable(
        "libharfbuzz-subset is missing. Install it (Debian/Ubuntu: `apt-get install libharfbuzz-subset0`); "
        "PDF documents need it to subset the CJK fonts in a fraction of a second instead of 15 s and more.")


_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五, 110 → 一百一十: heading and article numbers."""
    n = int(n)
    if n < 0 or n >= 1000:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    head = _DIGITS[n // 100] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + _DIGITS[rest]
    return head + _DIGITS[rest // 10] + "十" + (_DIGITS[rest % 10] if rest % 10 else "")


def cn_date(value) -> str:
    """2026-03-01 → 2026年3月1日: full Arabic date without zero padding, as GB/T 9704 writes it."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.year}年{value.month}月{value.day}日"


def score(value) -> str:
    if value is None:
        return "—"
    value = round(float(value), 1)
    return f"{value:g}" if value != int(value) else str(int(value))


def sentence(text: str | None) -> str:
    """Text ending in one full stop: `未落实` → `未落实。`, `未落实。` stays as it is."""
    text = (text or "").strip()
    return text if not text or text[-1] in "。！？；：…" else text + "。"


def qr_svg(payload: str) -> str:
    """The QR code as inline SVG: drawn as vectors, so it is sharp at any size and costs no image decoding."""
    return segno.make(payload, error="m", micro=False).svg_inline(omitsize=True, border=2)


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, undefined=StrictUndefined)
    env.filters.update(cn_date=cn_date, cn_number=cn_number, score=score, sentence=sentence)
    return env


def render_html(template: str, *, data: dict, doc: dict, images: dict[str, str], charts: dict | None = None) -> str:
    """The document's HTML. `doc` holds what is printed about the document itself (kind, title, code, QR);
    `charts` the SVG charts drawn from the data, by name."""
    return environment().get_template(template).render(data=data, doc=doc, images=images, charts=charts or {})


def render_document(template: str, *, data: dict, doc: dict, images: dict[str, str], roots=()):
    """The PDF (an engine.Rendered). WeasyPrint is imported here, on first use, not when the app starts."""
    from . import engine

    return engine.render(render_html(template, data=data, doc=doc, images=images), roots=roots)
