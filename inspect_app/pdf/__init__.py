"""Official documents as PDF: the templates, the GB/T 9704 stylesheet, and the WeasyPrint pipeline.

This package turns a document's data (plain JSON values, prepared by services/documents/) into PDF
bytes. It knows nothing of the database or of requests, so the worker process can use it alone.

Adding a document type is one template here plus a data function and a `Kind` in services/documents/.
"""

from __future__ import annotations

import ctypes
import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
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


class FontsMissing(RuntimeError):
    """A face the official documents need is not installed: its text would silently be set in another font."""


@dataclass(frozen=True)
class Face:
    family: str
    weight: int = 400
    package: str | None = None  # the Debian package that installs it; None for a site's licensed fonts


# The faces of GB/T 9704 by role, best first. A site that installs its licensed GB fonts (仿宋_GB2312, 楷体_GB2312,
# 黑体, 方正小标宋简体) gets them; otherwise the free Debian faces stand in. No free GB 仿宋 exists in Debian, so the
# body falls back to Noto Serif CJK (a 宋体-like face); Noto Serif CJK Bold stands in for 小标宋, Noto Sans CJK Bold
# for 黑体, and AR PL KaitiM GB (a complete GB 2312 楷体) for the level-2 headings.
FACES: dict[str, tuple[Face, ...]] = {
    "body": (Face("FangSong_GB2312"), Face("仿宋_GB2312"), Face("FangSong"), Face("仿宋"),
             Face("Noto Serif CJK SC", 400, "fonts-noto-cjk")),
    "title": (Face("方正小标宋简体"), Face("FZXiaoBiaoSong-B05S"), Face("Noto Serif CJK SC", 700, "fonts-noto-cjk")),
    "hei": (Face("SimHei"), Face("黑体"), Face("Noto Sans CJK SC", 700, "fonts-noto-cjk")),
    "kai": (Face("KaiTi_GB2312"), Face("楷体_GB2312"), Face("KaiTi"), Face("楷体"),
            Face("AR PL KaitiM GB", 400, "fonts-arphic-gkai00mp")),
    "song": (Face("SimSun"), Face("宋体"), Face("Noto Serif CJK SC", 400, "fonts-noto-cjk")),  # page numbers
}
ROLE_NAMES = {"body": "正文（仿宋）", "title": "标题（小标宋）", "hei": "一级标题（黑体）", "kai": "二级标题（楷体）",
              "song": "页码（宋体）"}


def installed_families() -> dict[str, set[int]]:
    """Font families fontconfig knows, every name of each (a font has its English and Chinese names),
    with the weights it has (CSS scale)."""
    if shutil.which("fc-list") is None:
        return {}
    out = subprocess.run(["fc-list", ":", "family", "weight"], capture_output=True, text=True, timeout=30,
                         check=False).stdout
    families: dict[str, set[int]] = {}
    for line in out.splitlines():
        names, _, weight = line.partition(":weight=")
        try:  # fontconfig's scale: 80 regular, 200 bold, 210 black
            css = {40: 200, 50: 300, 80: 400, 100: 500, 180: 600, 200: 700, 205: 800, 210: 900}.get(
                int(weight.strip().split()[0].strip("[]")), 400)
        except (ValueError, IndexError):
            css = 400
        for name in names.split(","):
            if name.strip():
                families.setdefault(name.strip(), set()).add(css)
    return families


def resolve_faces(families: dict[str, set[int]] | None = None) -> dict[str, Face]:
    """The face each role uses on this machine: the first of FACES[role] that is installed (in its weight, for
    the stand-ins). Raises FontsMissing naming the packages to install when a role has none."""
    families = installed_families() if families is None else families
    chosen: dict[str, Face] = {}
    missing: list[str] = []
    for role, candidates in FACES.items():
        for face in candidates:
            weights = families.get(face.family)
            if weights and (face.package is None or face.weight in weights):
                chosen[role] = face
                break
        else:
            fallback = candidates[-1]
            missing.append(f"{ROLE_NAMES[role]}: {fallback.family} {fallback.weight} ({fallback.package})")
    if missing:
        packages = sorted({c[-1].package for r, c in FACES.items() if r not in chosen})
        raise FontsMissing(
            "Fonts for the official documents are missing: " + "; ".join(missing) + ". Install them "
            f"(Debian/Ubuntu: `apt-get install {' '.join(packages)}`) or the site's licensed GB fonts.")
    return chosen


@cache
def faces() -> dict[str, Face]:
    """resolve_faces(), once per process."""
    return resolve_faces()


def check_fonts() -> dict[str, Face]:
    """At start-up and before `report` renders: every role of the documents has its face (FontsMissing otherwise)."""
    return faces()


def faces_css(chosen: dict[str, Face] | None = None) -> str:
    """The custom properties official.css sets its faces with."""
    chosen = chosen or faces()
    return ":root { " + " ".join(f'--face-{role}: "{face.family}"; --weight-{role}: {face.weight};'
                                 for role, face in chosen.items()) + " }"


@cache
def layout_version() -> str:
    """A hash of what shapes a document besides its data: the templates, the stylesheet, the code that lays
    them out and the faces. Part of every record version, so a fix to the layout gives documents new codes
    and fresh renderings."""
    digest = hashlib.sha256()
    code = [HERE / name for name in ("__init__.py", "engine.py", "justify.py")]
    for path in sorted([*(HERE / "templates").glob("*.html"), HERE / "official.css", *code]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(faces_css().encode())
    return digest.hexdigest()[:16]


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


# A number with its measure word (1个, 10项, 85.5分, 33.3%, 2026年, 12月, 4日, 4号): kept on one line. A date may
# still break between its parts, as in any Chinese text; kept whole it would leave half a line to spread.
_NUMBER_WORD = re.compile(r"\d+(?:\.\d+)?(?:个月|[个项次分天张条名家人页%年月日号])")
# What the number rule leaves alone: markup, and the SVG charts and styles, whose text is no HTML.
_MARKUP = re.compile(r"(<svg\b.*?</svg>|<style\b.*?</style>|<[^>]*>)", re.S)


def keep_numbers_together(html: str) -> str:
    """Wrap each number and its measure word in a no-break span: a line break between 1 and 个 (which Unicode
    line breaking allows) reads as a mistake in an official document."""
    start = html.find("<body")
    if start < 0:
        return html
    parts = _MARKUP.split(html[start:])
    for i in range(0, len(parts), 2):  # the text between tags
        parts[i] = _NUMBER_WORD.sub(lambda m: f'<span class="nb">{m.group(0)}</span>', parts[i])
    return html[:start] + "".join(parts)


def render_html(template: str, *, data: dict, doc: dict, images: dict[str, str], charts: dict | None = None) -> str:
    """The document's HTML. `doc` holds what is printed about the document itself (kind, title, code, QR);
    `charts` the SVG charts drawn from the data, by name."""
    return keep_numbers_together(
        environment().get_template(template).render(data=data, doc=doc, images=images, charts=charts or {}))


def render_document(template: str, *, data: dict, doc: dict, images: dict[str, str], roots=()):
    """The PDF (an engine.Rendered). WeasyPrint is imported here, on first use, not when the app starts."""
    from . import engine

    return engine.render(render_html(template, data=data, doc=doc, images=images), roots=roots)
