"""Every document kind measured against GB/T 9704-2012: rendered from seeded data, read back with
`pdftotext -bbox` (where each character sits) and, for the rules, a 300 dpi raster (pdftoppm).

Distances to characters are to their em boxes (字身框), computed from the word boxes poppler reports with
the metrics of the face that set them (read from the font file with fontTools): a word box spans the font's
ascent and descent, the em box is the ideographic one inside it.
"""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest
from PIL import Image

from inspect_app import pdf
from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import Inspection, Notice
from inspect_app.services import documents
from inspect_app.services.documents import summary

from . import factories as f

# The renderer's geometry, whatever database the seeded data came from.
pytestmark = pytest.mark.db_independent
MM = 72 / 25.4  # points per millimetre
TOP, BOTTOM = 37 * MM, (297 - 35) * MM  # the type area (版心): 37 mm down, 225 mm high
LEFT = {"odd": 28 * MM, "even": 26 * MM}  # binding side on odd pages, mirrored on even ones
WIDTH = 156 * MM
PITCH = 225 * MM / 22  # 22 lines a page
BODY = 15.75  # 3号
HALF_MM = 0.5 * MM

FAILING = {"F3": "noncompliant", "F4": "noncompliant", "F7": "partial", "F10": "noncompliant",
           "E3": "noncompliant", "E5": "partial", "E9": "noncompliant", "E2": "partial"}


@cache
def metrics(role: str = "body") -> dict:
    """Ascent and descent (what poppler's word boxes span), the em box, and the ink top of the em dash, in em,
    of the face `role` is set in on this machine."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTCollection, TTFont

    face = pdf.faces()[role]
    style = "Bold" if face.weight >= 700 else "Regular"
    found = subprocess.run(["fc-match", "-f", "%{file}\n%{index}", f"{face.family}:style={style}"],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    path, index = found[0], int(found[1] or 0)
    font = TTCollection(path).fonts[index] if path.endswith((".ttc", ".otc")) else TTFont(path)
    upm = font["head"].unitsPerEm
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    pen = BoundsPen(glyphs)
    glyphs[cmap[ord("—")]].draw(pen)
    return {"ascent": font["hhea"].ascent / upm, "descent": -font["hhea"].descent / upm,
            "em_top": font["OS/2"].sTypoAscender / upm, "em_bottom": -font["OS/2"].sTypoDescender / upm,
            "dash_top": pen.bounds[3] / upm}


class Word:
    def __init__(self, x0, y0, x1, y1, text):
        self.x0, self.y0, self.x1, self.y1, self.text = x0, y0, x1, y1, text

    def em(self, role: str = "body") -> tuple[float, float, float]:
        """(size, em top, em bottom) of a word set in `role`'s face."""
        m = metrics(role)
        size = (self.y1 - self.y0) / (m["ascent"] + m["descent"])
        baseline = self.y1 - m["descent"] * size
        return size, baseline - m["em_top"] * size, baseline + m["em_bottom"] * size

    @property
    def body_role(self) -> str | None:
        """The face of a 3号 word of the running text (仿宋, a 黑体 heading or label, a 楷体 heading), if it is one."""
        return next((r for r in ("body", "hei", "kai") if abs(self.em(r)[0] - BODY) < 0.3), None)

    @property
    def baseline(self) -> float:
        m = metrics(self.body_role or "body")
        size = (self.y1 - self.y0) / (m["ascent"] + m["descent"])
        return self.y1 - m["descent"] * size

    def __repr__(self):
        return f"Word({self.x0 / MM:.1f}–{self.x1 / MM:.1f} mm, y {self.y0 / MM:.1f} mm, {self.text!r})"


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pages(path: Path) -> list[list[Word]]:
    out = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    return [[Word(*map(float, m.groups()[:4]), m.group(5)) for m in _WORD.finditer(page)]
            for page in out.split("<page ")[1:]]


def lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into lines by their baseline, each line left to right."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (round(w.baseline), w.x0)):
        if rows and abs(rows[-1][0].baseline - word.baseline) < 2:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w.x0) for row in rows]


def body_lines(words: list[Word]) -> list[list[Word]]:
    """The lines inside the type area in 3号 (the running text and headings)."""
    return [row for row in lines([w for w in words if w.body_role]) if TOP - 2 < row[0].y0 < BOTTOM]


def find(words: list[Word], text: str) -> Word:
    for word in words:
        if word.text.startswith(text):
            return word
    raise AssertionError(f"{text!r} not on the page: {words[:8]}")


def raster_rows(path: Path, page: int, colour) -> dict[int, int]:
    """Pixel rows of a page at 300 dpi → how many pixels of `colour` (a predicate on RGB) each has."""
    subprocess.run(["pdftoppm", "-r", "300", "-f", str(page), "-l", str(page), "-png", "-singlefile", str(path),
                    str(path.with_suffix(""))], check=True)
    image = Image.open(path.with_suffix(".png")).convert("RGB")
    width, height = image.size
    data = image.load()
    rows = {}
    for y in range(height):
        count = sum(1 for x in range(0, width, 2) if colour(data[x, y]))
        if count:
            rows[y] = count * 2
    return rows


def rules(rows: dict[int, int], min_mm: float = 100) -> list[tuple[float, float]]:
    """Horizontal rules at least `min_mm` long: (top, bottom) in points, top to bottom."""
    px = 72 / 300
    long_rows = sorted(y for y, n in rows.items() if n * 25.4 / 300 >= min_mm)
    found: list[list[int]] = []
    for y in long_rows:
        if found and y - found[-1][-1] <= 1:
            found[-1].append(y)
        else:
            found.append([y])
    return [(r[0] * px, (r[-1] + 1) * px) for r in found]


def red(rgb) -> bool:
    return rgb[0] > 180 and rgb[1] < 90 and rgb[2] < 90


def dark(rgb) -> bool:
    return max(rgb) < 90


def side(page_index: int) -> str:
    return "odd" if page_index % 2 == 0 else "even"


@pytest.fixture
def rendered(demo, tmp_path):
    """Render one document kind of a city inspection of DH-ZFB with eight findings; returns its PDF's path."""

    def render(kind: str) -> Path:
        inspection = f.make_inspection("DH-ZFB", templates=("network", "carriers"))
        f.answer_all(inspection, failing=FAILING)
        f.submit(inspection)
        notice = f.make_notice(inspection)
        tickets = f.tickets_of(inspection)
        f.respond(tickets[0], photos=1, measures="拆除违规外联设备，对全部涉密计算机开展技术检查，建立外联检查台账。")
        f.review(tickets[0], accept=True)
        record = {"notice": lambda: db.session.get(Notice, notice.id),
                  "inspection_report": lambda: db.session.get(Inspection, inspection.id),
                  "rectification_report": lambda: db.session.get(Inspection, inspection.id),
                  "summary": lambda: summary.period_summary(local_today() - timedelta(days=365), local_today(),
                                                            summary.root_bureau(db.session))}[kind]()
        document = documents.ensure(db.session, None, documents.prepare(db.session, kind, record))
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(documents.file_path(document.sha256).read_bytes())
        return path

    return render


def line_box(word: Word, pitch: float = PITCH) -> tuple[float, float]:
    """Top and bottom of the grid line a body word sits on: its em box centred in the 28.99 pt line, as
    WeasyPrint centres the font's content area (ascent + descent)."""
    m = metrics()
    size = BODY
    em_top = word.baseline - m["em_top"] * size
    top = em_top - pitch / 2 - size * ((m["ascent"] - m["descent"]) / 2 - m["em_top"])
    return top, top + pitch


def assert_type_area_and_grid(all_pages: list[list[Word]]) -> None:
    """Edges within 0.5 mm on odd and even pages; 28 characters on a full line; 22 lines on a full page."""
    full_lines, full_pages = 0, 0
    flush_left: dict[str, float] = {}
    for index, words in enumerate(all_pages):
        rows = body_lines(words)
        if not rows:
            continue
        left, right = LEFT[side(index)], LEFT[side(index)] + WIDTH
        for row in rows:
            assert row[0].x0 > left - HALF_MM and row[-1].x1 < right + HALF_MM, (index + 1, row)
        # A short page may hold only indented lines (headings, first lines); each side has flush-left ones.
        flush_left[side(index)] = min(flush_left.get(side(index), right), *(row[0].x0 for row in rows))
        # Every line that runs on to the next is justified to the right edge of the type area.
        for row, following in pairwise(rows):
            text = "".join(w.text for w in row)
            cjk = re.fullmatch(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef《》“”]+", text)
            if cjk and following[0].x0 == pytest.approx(left, abs=1) and row[-1].x1 > right - 6 * MM:
                assert row[-1].x1 == pytest.approx(right, abs=HALF_MM), (index + 1, row)
                if row[0].x0 == pytest.approx(left, abs=1) and len(text) == 28:
                    full_lines += 1
                assert len(text) <= 28, (index + 1, text)
        # The grid: lines 28.99 pt apart, the first line box on the type area's top edge.
        pitches = [b[0].baseline - a[0].baseline for a, b in pairwise(rows)]
        if len(rows) == 22:
            full_pages += 1
            assert all(p == pytest.approx(PITCH, abs=0.2) for p in pitches), (index + 1, pitches)
            assert line_box(rows[0][0])[0] == pytest.approx(TOP, abs=HALF_MM), index + 1
            assert line_box(rows[-1][0])[1] == pytest.approx(BOTTOM, abs=HALF_MM), index + 1
        assert len(rows) <= 22, (index + 1, len(rows))
    for page_side, start in flush_left.items():
        assert start == pytest.approx(LEFT[page_side], abs=HALF_MM), (page_side, start)
    assert full_lines >= 3, "no line of 28 characters"
    assert full_pages >= 1, [len(body_lines(w)) for w in all_pages]


def assert_page_numbers(all_pages: list[list[Word]], unnumbered: set[int] = frozenset()) -> None:
    """"— 1 —" in 4号, its dashes 7 mm below the type area; odd pages right, even pages left, one character in."""
    dash_top_ratio = metrics("song")["dash_top"]
    for index, words in enumerate(all_pages):
        row = [w for w in words if w.y0 > BOTTOM]
        number = [w for w in row if w.text == str(index + 1)]
        if index + 1 in unnumbered:
            assert not number, index + 1
            continue
        dashes = [w for w in row if w.text == "—" and abs(w.y0 - number[0].y0) < 1]
        assert number and len(dashes) == 2, (index + 1, row)
        m = metrics("song")
        size = (dashes[0].y1 - dashes[0].y0) / (m["ascent"] + m["descent"])
        assert size == pytest.approx(14, abs=0.2)
        baseline = dashes[0].y1 - m["descent"] * size
        assert baseline - dash_top_ratio * size == pytest.approx(BOTTOM + 7 * MM, abs=HALF_MM), index + 1
        if side(index) == "odd":
            assert dashes[-1].x1 == pytest.approx(LEFT["odd"] + WIDTH - 14, abs=HALF_MM)
        else:
            assert dashes[0].x0 == pytest.approx(LEFT["even"] + 14, abs=HALF_MM)


def assert_masthead(path: Path, first: list[Word], mark: str, mark_from_top_mm: float, number: str | None) -> None:
    """机关标志's top edge `mark_from_top_mm` below the type area; two empty lines to the 发文字号; the red rule
    4 mm below the 字号 and as wide as the type area."""
    issuer = find(first, mark)
    size, mark_top, mark_bottom = issuer.em()
    assert size >= 30
    assert mark_top == pytest.approx(TOP + mark_from_top_mm * MM, abs=HALF_MM)
    number_word = find(first, number) if number else next(w for w in first if "〔" in w.text)
    number_size, number_top, number_bottom = number_word.em()
    assert number_size == pytest.approx(BODY, abs=0.2)
    assert number_top - mark_bottom == pytest.approx(2 * PITCH + (PITCH - BODY), abs=HALF_MM)
    red_rules = rules(raster_rows(path, 1, red), min_mm=150)
    assert len(red_rules) == 1, red_rules
    assert red_rules[0][0] - number_bottom == pytest.approx(4 * MM, abs=HALF_MM)


def unnumbered(all_pages: list[list[Word]]) -> set[int]:
    """The pages without a number: a blank page before the colophon's page, and that page."""
    n = len(all_pages)
    blank = n > 2 and not [w for w in all_pages[n - 2] if TOP - 1 < w.y0 < BOTTOM]
    return {n - 1, n} if blank else set()


def assert_colophon_on_an_even_page(path: Path, all_pages: list[list[Word]]) -> None:
    """版记 on the last page, an even one, its last rule on the bottom edge of the type area."""
    last = len(all_pages)
    assert last % 2 == 0
    assert any(w.text.endswith("印发") for w in all_pages[-1])
    dark_rules = rules(raster_rows(path, last, dark), min_mm=150)
    assert dark_rules and dark_rules[-1][1] == pytest.approx(BOTTOM, abs=HALF_MM), dark_rules


def test_the_notice_is_measured_against_gbt9704(rendered):
    path = rendered("notice")
    all_pages = pages(path)
    assert_masthead(path, all_pages[0], "宝川市国家保密局文件", 35, "宝保检〔")
    assert_type_area_and_grid(all_pages)
    assert_page_numbers(all_pages, unnumbered=unnumbered(all_pages))
    assert_colophon_on_an_even_page(path, all_pages)
    first = all_pages[0]
    assert find(first, "工作秘密").x0 == pytest.approx(LEFT["odd"], abs=HALF_MM)  # flush left, first line
    assert find(first, "工作秘密").em("hei")[1] == pytest.approx(TOP + (PITCH - BODY) / 2, abs=1 * MM)


def test_the_summary_is_measured_against_gbt9704(rendered):
    path = rendered("summary")
    all_pages = pages(path)
    assert_masthead(path, all_pages[0], "宝川市国家保密局文件", 35, "宝保通〔")
    assert_type_area_and_grid(all_pages)
    assert_page_numbers(all_pages, unnumbered=unnumbered(all_pages))
    assert_colophon_on_an_even_page(path, all_pages)


def test_the_rectification_report_is_an_upward_document(rendered):
    path = rendered("rectification_report")
    all_pages = pages(path)
    # 上行文: the mark 80 mm down; the 字号 one character in from the left, 签发人 one character in from the right.
    assert_masthead(path, all_pages[0], "东湖区人民政府办公室文件", 80, None)
    first = all_pages[0]
    number = next(w for w in first if "〔" in w.text)
    signer = find(first, "签发人")
    assert number.x0 < 105 * MM < signer.x0
    assert_page_numbers(all_pages, unnumbered=unnumbered(all_pages))
    assert_colophon_on_an_even_page(path, all_pages)


def test_the_inspection_report_keeps_the_type_area_and_page_numbers(rendered):
    path = rendered("inspection_report")
    all_pages = pages(path)
    assert_page_numbers(all_pages)
    for index, words in enumerate(all_pages):
        left = LEFT[side(index)]
        inside = [w for w in words if TOP - 1 < w.y0 < BOTTOM]
        assert min(w.x0 for w in inside) == pytest.approx(left, abs=HALF_MM), index + 1
        assert max(w.x1 for w in inside) < left + WIDTH + HALF_MM, index + 1
