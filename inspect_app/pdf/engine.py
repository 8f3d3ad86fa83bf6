"""WeasyPrint, set up once per process: the fonts, the official stylesheet and a URL fetcher that serves
only our own files.

Kept free of Flask and of the database, so the worker process can import it and nothing else.

Speed comes from four things (see benchmarks/pdf.py): HarfBuzz subsetting of the CJK fonts instead of
fontTools (a hard dependency, checked by `check_subsetting`), one FontConfiguration and one parsed
stylesheet per process, block layout in the templates instead of long multi-page tables, and images
embedded as small JPEG thumbnails.
"""

from __future__ import annotations

import ctypes
import logging
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .. import storage
from . import HERE, SubsettingUnavailable, faces_css, justify

justify.install()

STYLESHEET = HERE / "official.css"

log = logging.getLogger(__name__)


def check_subsetting() -> None:
    """Fail loudly unless WeasyPrint found libharfbuzz-subset (Debian: libharfbuzz-subset0).

    Without it WeasyPrint falls back to fontTools, which subsets a 20 MB CJK font in seconds per
    document. Cheap: the library was loaded (or not) when WeasyPrint was imported.
    """
    from weasyprint.pdf import fonts
    from weasyprint.text import ffi

    if ffi.harfbuzz_subset is None or fonts.harfbuzz_subset is None:
        raise SubsettingUnavailable(
            "WeasyPrint cannot find HarfBuzz-Subset (libharfbuzz-subset.so.0). Install it with "
            "`apt-get install libharfbuzz-subset0`: without it every PDF takes seconds instead of a fraction of one.")
    if not ffi.harfbuzz.hb_version_atleast(4, 1, 0):
        raise SubsettingUnavailable("HarfBuzz 4.1.0 or newer is needed for font subsetting.")


_lock = threading.RLock()
_font_config: FontConfiguration | None = None
_stylesheet: weasyprint.CSS | None = None


def font_config() -> FontConfiguration:
    """One font configuration per process: fontconfig's lookups and loaded faces are reused."""
    global _font_config
    if _font_config is None:
        with _lock:
            if _font_config is None:
                _font_config = FontConfiguration()
    return _font_config


def stylesheet() -> weasyprint.CSS:
    """The official-document stylesheet, parsed once per process."""
    global _stylesheet
    if _stylesheet is None:
        with _lock:
            if _stylesheet is None:
                # The faces found on this machine (pdf.FACES) as custom properties, then the stylesheet.
                _stylesheet = weasyprint.CSS(string=faces_css() + "\n" + STYLESHEET.read_text(encoding="utf-8"),
                                             base_url=STYLESHEET.as_uri(), font_config=font_config(),
                                             url_fetcher=LocalFetcher(()))
    return _stylesheet


class LocalFetcher(URLFetcher):
    """Serves `file:` URLs under the given folders and `data:` URLs; refuses everything else.

    Documents are rendered from our own data, but a photo's or a unit's text must never make the
    server reach out to the network (the system is air-gapped) or read a file elsewhere on disk.
    Attachments sealed with SM4 are opened with `keys` (storage.py).
    """

    def __init__(self, roots, keys=None):
        super().__init__(timeout=1, allowed_protocols=("file", "data"), allow_redirects=False)
        self.roots = tuple(Path(r).resolve() for r in roots)
        self.keys = keys

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if path.is_file() and any(path.is_relative_to(root) for root in self.roots):
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                data = path.read_bytes()
                if storage.sealed_key_id(data[: storage.HEADER_BYTES]) is None:
                    return URLFetcherResponse(url, data, {"Content-Type": mime})
                # Not under its file: URL, which WeasyPrint would read again from disk, sealed, when it writes.
                return URLFetcherResponse(f"attachment:{path.name}", storage.unseal(data, path.name, self.keys),
                                          {"Content-Type": mime})
        raise ValueError(f"refused to fetch {url[:200]}")


# Every face and every kind of box the documents use: the masthead's mark, a title, 黑体 and 楷体 headings, a
# justified paragraph, labels, a sealed sign-off, a footnote colophon and the page numbers.
WARM_UP_HTML = (
    '<html lang="zh-CN"><head><style>@page { @bottom-center { content: "验证码 0123"; } }</style></head><body>'
    '<header class="masthead"><div class="secrecy">工作秘密</div><div class="issuer">国家保密局文件</div>'
    '<div class="doc-number">宝保检〔2026〕1号</div><div class="red-rule"></div></header>'
    '<h1 class="title"><span>关于保密检查发现问题</span><span>限期整改的通知</span></h1>'
    '<p class="addressee">各有关单位：</p><h2>一、存在的问题</h2><h3>（一）问题分布</h3>'
    '<p><span class="kai">（一）高度重视。</span>根据《中华人民共和国保守国家秘密法》有关规定，检查发现问题'
    '<span class="nb">10个</span>，其中<b>重大泄密隐患</b>4个，整改期限2026年12月11日。验证码 0123456789 ABCDEF'
    '</p><div class="cards"><div class="card"><div class="head">（一）【严重问题】</div><div class="line">'
    '<b class="label">整改措施：</b>已整改。</div></div></div>'
    '<div class="sealed"><div class="seal-place">（印章位置）</div><div class="name">国家保密局</div>'
    '<div class="date">2026年12月4日</div></div><div class="colophon-anchor"><div class="colophon">'
    '<div class="line printed"><span class="printed-by">国家保密局办公室</span>'
    '<span class="printed-on">2026年12月4日印发</span></div></div></div></body></html>')


def warm_up() -> None:
    """Load fontconfig's configuration, the faces the documents use and the stylesheet, and compile the
    templates, once per process: the first document a process renders then costs what the next ones do.

    Run in the worker's fork server, so its children never scan the font folders themselves, which
    matters: fontconfig scanning under the child's memory limit fails, and as root it would then write
    an empty cache for the font folder that every other program on the machine would trust. Run in each
    web worker too (deploy/gunicorn.conf.py), so no user waits for a cold first render.
    """
    from . import environment

    for template in sorted(p.name for p in (HERE / "templates").glob("*.html")):
        environment().get_template(template)
    render(WARM_UP_HTML)


def warm_up_in_background() -> threading.Thread:
    """warm_up() in a thread, so a web worker serves pages at once; a document asked for meanwhile waits for
    the render lock, then renders warm."""
    thread = threading.Thread(target=_warm_up_quietly, name="pdf-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_quietly() -> None:
    try:
        warm_up()
    except Exception:  # a warm-up that fails leaves the first render cold, nothing worse
        log.exception("warming up the PDF engine failed")


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    info: bytes = b"<<>>"  # the document information dictionary as written, for the signature (signature.py)


def _malloc_trim():
    """glibc's malloc_trim, or None elsewhere."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_trim = _malloc_trim()

# One render at a time per process: Pango's font map behind the shared FontConfiguration is not
# thread-safe, and layout is CPU-bound Python, so threads would gain nothing by overlapping anyway.
_render_lock = threading.Lock()


COLOPHON_ANCHOR = 'class="colophon-anchor"'
COLOPHON_ANCHOR_EVEN = 'class="colophon-anchor to-even"'
COLOPHON_ANCHOR_UNNUMBERED = 'class="colophon-anchor to-even unnumbered"'


def _layout(html: str, fetcher: LocalFetcher, stylesheets):
    return weasyprint.HTML(string=html, base_url=HERE.as_uri() + "/", url_fetcher=fetcher).render(
        stylesheets=stylesheets or [stylesheet()], font_config=font_config(), presentational_hints=False)


def render(html: str, *, roots=(), stylesheets=None, attachment_keys=None) -> Rendered:
    """Lay out `html` with the official stylesheet and write the PDF (fonts embedded and subset).

    `roots`: the folders whose files the document may show (photos, signatures); nothing else is read.
    `attachment_keys`: the keys of the files there that are sealed.
    """
    check_subsetting()
    fetcher = LocalFetcher(roots, attachment_keys)
    with _render_lock:
        document = _layout(html, fetcher, stylesheets)
        if len(document.pages) % 2 and COLOPHON_ANCHOR in html:
            # The text ended on an odd page, so the colophon would sit on the front of the last sheet: lay
            # out again with it moved to the next even page (a second layout for short documents only; the
            # inspection report has no colophon).
            document = _layout(html.replace(COLOPHON_ANCHOR, COLOPHON_ANCHOR_EVEN, 1), fetcher, stylesheets)
            if len(document.pages) > 2 and document.pages[-2]._page_box.page_type.blank:
                # The colophon did not fit below the text, so a blank page comes before it: neither page
                # carries a number (GB/T 9704 7.5).
                document = _layout(html.replace(COLOPHON_ANCHOR, COLOPHON_ANCHOR_UNNUMBERED, 1), fetcher,
                                   stylesheets)
        info = []
        pdf = document.write_pdf(custom_metadata=True, finisher=lambda _document, written: info.append(
            bytes(written.info.data)))
        pages = len(document.pages)
        del document
        if _trim is not None:
            # A layout frees tens of MB that glibc would keep for the process: hand them back, so a web
            # worker that renders all day stays the size it had after its first document (2 ms).
            _trim(0)
    return Rendered(pdf=pdf, pages=pages, info=info[0])
