"""Charts as server-rendered SVG: plain strings, no JavaScript, no request.

The same functions draw the dashboard's charts and the charts of the PDF summary, so they take everything
they show as arguments (already translated text, numbers, links) and depend on nothing else: no request, no
locale, no database. Every chart is an accessible image: a <title> and <desc>, a text label on every bar and
point, and a pattern or marker shape beside every colour, so colour is never the only signal.

Styling is by SVG presentation attributes only (fill=, stroke=): the pages' Content Security Policy forbids
style attributes and inline <style>, and a PDF renderer needs the SVG to stand alone.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif'
INK = "#1c2430"
MUTED = "#5b6675"
GRID = "#d5dbe3"
NAVY = "#1f3a5f"
NAVY_SOFT = "#c9d8ea"
# One colour per severity, as everywhere in the product, each with its own fill pattern.
SEVERITY_STYLES = {
    "critical": ("#b3261e", "solid"),
    "serious": ("#c2570c", "hatch"),
    "general": ("#8a6100", "dots"),
}
FONT_SIZE = 16
NO_LINE_START = "，。、；：？！）」』”’》〉"
_ids = itertools.count(1)


@dataclass
class Segment:
    value: float
    colour: str
    pattern: str = "solid"  # solid | hatch | dots
    name: str = ""


@dataclass
class Bar:
    label: str
    value: float
    display: str | None = None  # the text printed after the bar; the value when None
    href: str | None = None
    note: str | None = None  # a short marker after the label, e.g. ★ for the three managements
    segments: list[Segment] = field(default_factory=list)
    title: str | None = None  # the tooltip; label and display when None


@dataclass
class Series:
    name: str
    values: list[float | None]
    colour: str = NAVY
    marker: str = "circle"  # circle | square | diamond
    dashed: bool = False


@dataclass
class Threshold:
    value: float
    label: str


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The rendered width of `text`, estimated: CJK characters take a full em, others about half."""
    width = 0.0
    for char in text:
        if ord(char) > 0x2E80:
            width += 1.0
        elif char in "ilI.,:;|!'":
            width += 0.3
        elif char.isupper() or char in "mwMW%":
            width += 0.72
        else:
            width += 0.56
    return width * size


def wrap(text: str, width: float, lines: int = 2, size: float = FONT_SIZE) -> list[str]:
    """`text` broken into at most `lines` lines of `width`, the last cut with an ellipsis."""
    out = []
    rest = text
    while rest and len(out) < lines - 1:
        cut = len(rest)
        while cut > 1 and text_width(rest[:cut], size) > width:
            cut -= 1
        if cut == len(rest):
            break
        while cut < len(rest) and rest[cut] in NO_LINE_START:
            cut += 1  # closing punctuation stays on the line it closes
        out.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        out.append(fit(rest, width, size))
    return out


def fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """`text`, cut with an ellipsis to fit `width`."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _nice_step(value: float) -> float:
    """The round number (1, 2, 2.5 or 5 times a power of ten) at or above `value`."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude + 1e-9:
            return step * magnitude
    return 10 * magnitude


def _axis(low: float, high: float, ticks: int = 4) -> tuple[float, float, float]:
    """(bottom, top, step) of an axis covering low..high with about `ticks` round steps."""
    step = _nice_step((high - low) / ticks if high > low else 1)
    bottom = math.floor(low / step) * step
    top = math.ceil(high / step) * step
    if top == bottom:
        top = bottom + step
    return bottom, top, step


def _nice_max(value: float) -> float:
    """A round axis maximum at or above `value`."""
    return _axis(0, value)[1] if value > 0 else 1


def _ticks(bottom: float, top: float, step: float) -> list[float]:
    count = round((top - bottom) / step)
    return [bottom + step * i for i in range(count + 1)]


def _attrs(**attrs) -> str:
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items() if v is not None)


def _text(x: float, y: float, content: str, *, size: float = FONT_SIZE, anchor: str = "start", fill: str = INK,
          weight: str | None = None) -> str:
    attrs = _attrs(x=f"{x:.1f}", y=f"{y:.1f}", font_size=size, text_anchor=anchor, fill=fill, font_weight=weight)
    return f"<text{attrs}>{escape(content)}</text>"


def _patterns(prefix: str, segments: Sequence[Segment]) -> tuple[str, dict[tuple[str, str], str]]:
    """<defs> with one pattern per (colour, pattern) used, and the fill to use for each."""
    fills, defs = {}, []
    for seg in segments:
        key = (seg.colour, seg.pattern)
        if key in fills:
            continue
        if seg.pattern == "solid":
            fills[key] = seg.colour
            continue
        pid = f"{prefix}-p{len(fills)}"
        if seg.pattern == "hatch":
            body = (f'<rect width="8" height="8" fill="{seg.colour}" fill-opacity="0.35"/>'
                    f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{seg.colour}" stroke-width="2.2"/>')
        else:
            body = (f'<rect width="8" height="8" fill="{seg.colour}" fill-opacity="0.25"/>'
                    f'<circle cx="4" cy="4" r="2" fill="{seg.colour}"/>')
        defs.append(f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">{body}</pattern>')
        fills[key] = f"url(#{pid})"
    return ("<defs>" + "".join(defs) + "</defs>") if defs else "", fills


TITLE_H = 34


def _frame(width: float, height: float, title: str, desc: str | None, body: str, chart_id: str,
           heading: bool = True) -> Markup:
    """The <svg> around a chart: its accessible name and description, and the title printed above it, so the
    chart reads the same on a page, in a PDF or cut out on its own.

    A chart without links is one image to assistive technology. One whose bars or points link to lists is a
    labelled group instead, since an image's content is hidden from it and the links must stay reachable."""
    interactive = "<a " in body
    if interactive:
        labelling = f'role="group" aria-labelledby="{chart_id}-title"' + (
            f' aria-describedby="{chart_id}-desc"' if desc else "")
    else:
        labelling = f'role="img" aria-labelledby="{chart_id}-title' + (f' {chart_id}-desc"' if desc else '"')
    offset = TITLE_H if heading else 0
    shown = (_text(0, FONT_SIZE + 4, fit(title, width), size=FONT_SIZE + 1, weight="700") if heading else "")
    return Markup(
        # Drawn at its natural size (one user unit a pixel, so text is FONT_SIZE px) and shrunk to fit a narrower
        # column, never blown up: the page's stylesheet gives svg.chart max-width 100% and height auto.
        f'<svg class="chart" {labelling} '
        f'viewBox="0 0 {width:.0f} {height + offset:.0f}" width="{width:.0f}" height="{height + offset:.0f}" '
        f'font-family="{escape(FONT)}" font-size="{FONT_SIZE}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        + (f'<desc id="{chart_id}-desc">{escape(desc)}</desc>' if desc else "")
        + shown + f'<g transform="translate(0 {offset})">' + body + "</g></svg>"
    )


def as_document(chart: Markup) -> str:
    """A chart as a standalone .svg file: inline in HTML it needs no namespace, a file does."""
    return '<?xml version="1.0" encoding="utf-8"?>\n' + str(chart).replace(
        "<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)


def _empty(width: float, title: str, desc: str | None, message: str, chart_id: str) -> Markup:
    """A dashed frame saying there is nothing to draw: an empty chart still answers the question."""
    body = (f'<rect x="0.5" y="0.5" width="{width - 1:.0f}" height="79" rx="6" fill="none" stroke="{GRID}" '
            f'stroke-dasharray="4 4"/>' + _text(width / 2, 46, message, anchor="middle", fill=MUTED))
    return _frame(width, 80, title, desc, body, chart_id)


def _link(href: str | None, inner: str, label: str) -> str:
    if not href:
        return f"<g>{inner}</g>"
    return f'<a href="{escape(href)}" aria-label="{escape(label)}">{inner}</a>'


def hbar_chart(bars: Sequence[Bar], *, title: str, desc: str | None = None, empty: str = "—",
               width: float = 760, max_value: float | None = None, legend: Sequence[Segment] = (),
               label_width: float | None = None, label_lines: int = 1, chart_id: str | None = None,
               heading: bool = True) -> Markup:
    """Horizontal bars, one row per item, each labelled with its value; stacked when a bar has segments
    (severity colours with their patterns, named in the legend). A bar with a link opens the list behind it.
    Long labels wrap onto up to `label_lines` lines and are cut with an ellipsis after that."""
    chart_id = chart_id or f"chart{next(_ids)}"
    if not bars:
        return _empty(width, title, desc, empty, chart_id)
    longest = max(text_width(b.label + (f" {b.note}" if b.note else "")) for b in bars)
    label_w = label_width or min(max(longest + 12, 90), width * 0.42)
    value_w = max(text_width(b.display or _fmt(b.value)) for b in bars) + 16
    rows = _BarRows(width, label_w, max(width - label_w - value_w, 40),
                    max_value or _nice_max(max(b.value for b in bars) or 1), label_lines)
    defs, rows.fills = _patterns(chart_id, [s for b in bars for s in b.segments] + list(legend))
    parts = [defs]
    y = 8
    if legend:
        parts.append(_segment_legend(legend, rows.fills, y))
        y += 34
    for bar in bars:
        row, row_h = rows.draw(bar, y)
        parts.append(row)
        y += row_h
    return _frame(width, y, title, desc, "".join(parts), chart_id, heading)


def _segment_legend(legend: Sequence[Segment], fills: dict[tuple[str, str], str], y: float) -> str:
    """A swatch and a name per segment kind, in one line above the bars."""
    parts, x = [], 0.0
    for seg in legend:
        parts.append(f'<rect x="{x:.1f}" y="{y + 4}" width="18" height="18" rx="3" '
                     f'fill="{fills[(seg.colour, seg.pattern)]}" stroke="{seg.colour}"/>')
        parts.append(_text(x + 24, y + 18, seg.name, fill=INK))
        x += 24 + text_width(seg.name) + 22
    return "".join(parts)


@dataclass
class _BarRows:
    """The geometry every row of one bar chart shares."""

    width: float
    label_w: float
    plot_w: float
    top_value: float
    label_lines: int
    fills: dict[tuple[str, str], str] = field(default_factory=dict)
    # Rows 48 units apart, so a linked bar is a 44 px target on a tablet even with the chart scaled down a little.
    line_h: float = FONT_SIZE + 5
    bar_h: float = 24
    gap: float = 24

    def draw(self, bar: Bar, y: float) -> tuple[str, float]:
        """One bar's row at `y`: its wrapped label, the bar (or its segments) and its value; and the row's height."""
        shown = bar.display or _fmt(bar.value)
        full = f"{bar.label}{' ' + bar.note if bar.note else ''}"
        tooltip = bar.title or f"{full}：{shown}"
        note_w = text_width(bar.note) + 6 if bar.note else 0
        lines = wrap(bar.label, self.label_w - 8 - note_w, self.label_lines)
        row_h = max(self.bar_h, self.line_h * len(lines)) + self.gap
        bar_y = y + (row_h - self.gap - self.bar_h) / 2
        inner = [f"<title>{escape(tooltip)}</title>"]
        if bar.href:  # the whole row takes the tap, drawn in nothing
            inner.append(f'<rect x="0" y="{y:.1f}" width="{self.width:.0f}" height="{row_h:.0f}" fill="transparent"/>')
        first_y = y + (row_h - self.gap - self.line_h * len(lines)) / 2 + FONT_SIZE
        for n, line in enumerate(lines):
            inner.append(_text(0, first_y + n * self.line_h, line, fill=INK))
        if bar.note:
            inner.append(_text(text_width(lines[-1]) + 5, first_y + (len(lines) - 1) * self.line_h, bar.note,
                               fill=NAVY, weight="600"))
        x = self.label_w
        inner.append(f'<rect x="{x:.1f}" y="{bar_y:.1f}" width="{self.plot_w:.1f}" height="{self.bar_h}" '
                     'fill="#f3f5f8"/>')
        for seg in bar.segments or [Segment(bar.value, NAVY)]:
            w = self.plot_w * (seg.value / self.top_value) if self.top_value else 0
            if w <= 0:
                continue
            inner.append(f'<rect x="{x:.1f}" y="{bar_y:.1f}" width="{w:.1f}" height="{self.bar_h}" '
                         f'fill="{self.fills.get((seg.colour, seg.pattern), seg.colour)}" stroke="{seg.colour}" '
                         f'stroke-width="0.8"/>')
            x += w
        inner.append(_text(x + 6, bar_y + self.bar_h / 2 + 5.5, shown, fill=INK, weight="600"))
        return _link(bar.href, "".join(inner), tooltip), row_h


_MARKERS = {
    "circle": lambda x, y, c: f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{c}" stroke="#fff" stroke-width="1.5"/>',
    "square": lambda x, y, c: (f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="#fff" '
                               f'stroke="{c}" stroke-width="2.5"/>'),
    "diamond": lambda x, y, c: (f'<path d="M{x:.1f},{y - 6:.1f} l6,6 l-6,6 l-6,-6 z" fill="{c}" stroke="#fff" '
                                f'stroke-width="1.2"/>'),
}


def _x_labels(labels: Sequence[str], xs: Sequence[float], y: float, width_each: float) -> str:
    """Category labels under the axis, thinned to every n-th (counted back from the last, which always shows)
    so that they never overlap."""
    widest = max((text_width(label, FONT_SIZE - 2) for label in labels), default=0) + 8
    step = max(1, math.ceil(widest / max(width_each, 1)))
    out = []
    for i, (label, x) in enumerate(zip(labels, xs, strict=True)):
        if (len(labels) - 1 - i) % step == 0:
            out.append(_text(x, y, label, size=FONT_SIZE - 2, anchor="middle", fill=MUTED))
    return "".join(out)


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, desc: str | None = None,
               empty: str = "—", width: float = 560, height: float = 260, y_min: float | None = None,
               y_max: float | None = None, thresholds: Sequence[Threshold] = (), value_labels: bool | None = None,
               hrefs: Sequence[str | None] | None = None, chart_id: str | None = None,
               heading: bool = True) -> Markup:
    """Lines over categories (months, dates), with a marker shape per series named in a legend, optional
    labelled threshold lines (the band limits), and the value printed at each point when there is room."""
    chart_id = chart_id or f"chart{next(_ids)}"
    values = [v for s in series for v in s.values if v is not None]
    if not labels or not values:
        return _empty(width, title, desc, empty, chart_id)
    lo, hi, tick_step = _axis(min(min(values), y_min if y_min is not None else min(values)),
                              max(max(values), y_max if y_max is not None else max(values)))
    # Threshold labels sit right of the plot, where no point can cover them.
    right = 16 + (max(text_width(t.label, FONT_SIZE - 2) for t in thresholds) + 8 if thresholds else 0)
    left, top, bottom = 44, 14 + (30 if len(series) > 1 else 0), 40
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(labels), 1)
    xs = [left + step * (i + 0.5) for i in range(len(labels))]

    def y_of(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / ((hi - lo) or 1))

    parts = [_series_legend(series, left) if len(series) > 1 else ""]
    parts.append(_grid(_ticks(lo, hi, tick_step), y_of, left, width - right))
    for threshold in thresholds:
        if lo <= threshold.value <= hi:
            y = y_of(threshold.value)
            parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{MUTED}" '
                         f'stroke-dasharray="6 4"/>')
            parts.append(_text(width - right + 8, y + 5, threshold.label, size=FONT_SIZE - 2, fill=MUTED))
    for s in series:
        points = [(x, v) for x, v in zip(xs, s.values, strict=True) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y_of(v):.1f}" for i, (x, v) in enumerate(points))
            parts.append(f'<path d="{path}" fill="none" stroke="{s.colour}" stroke-width="2.5"'
                         + (' stroke-dasharray="7 5"' if s.dashed else "") + "/>")
    show_values = value_labels if value_labels is not None else len(labels) <= 13
    # Where neighbouring values would touch, every other one is printed under its point instead.
    crowded = step < max(text_width(_fmt(v), FONT_SIZE - 2) for v in values) + 6
    for s in series:
        parts.append(_points(s, labels, xs, y_of, hrefs, show_values, crowded))
    parts.append(_baseline(labels, xs, left, width - right, top + plot_h, step))
    return _frame(width, height, title, desc, "".join(parts), chart_id, heading)


def _series_legend(series: Sequence[Series], left: float) -> str:
    """Each series' marker and name, in one line above the plot."""
    parts, x = [], left
    for s in series:
        parts.append(_MARKERS[s.marker](x + 8, 18, s.colour))
        parts.append(_text(x + 20, 23, s.name))
        x += 44 + text_width(s.name)
    return "".join(parts)


def _points(s: Series, labels: Sequence[str], xs: Sequence[float], y_of, hrefs: Sequence[str | None] | None,
            show_values: bool, crowded: bool) -> str:
    """A series' markers, each with its tooltip, its value when shown and its link when it has one."""
    parts = []
    for i, (x, v) in enumerate(zip(xs, s.values, strict=True)):
        if v is None:
            continue
        y = y_of(v)
        tip = f"{s.name} {labels[i]}：{_fmt(v)}"
        inner = f"<title>{escape(tip)}</title>" + _MARKERS[s.marker](x, y, s.colour)
        if hrefs:  # a point a finger can hit: 48 units across, drawn in nothing
            inner += f'<circle cx="{x:.1f}" cy="{y:.1f}" r="24" fill="transparent"/>'
        if show_values:
            below = crowded and i % 2 == 1
            inner += _text(x, y + 22 if below else y - 10, _fmt(v), size=FONT_SIZE - 2, anchor="middle", weight="600")
        parts.append(_link(hrefs[i] if hrefs else None, inner, tip))
    return "".join(parts)


def _grid(ticks: Sequence[float], y_of, left: float, right: float) -> str:
    """A line across the plot at each tick, its value to the left of the axis."""
    parts = []
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, y + 5, _fmt(round(tick, 1)), size=FONT_SIZE - 2, anchor="end", fill=MUTED))
    return "".join(parts)


def _baseline(labels: Sequence[str], xs: Sequence[float], left: float, right: float, y: float, step: float) -> str:
    """The axis under the plot, and the category labels under it."""
    return (f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{MUTED}"/>'
            + _x_labels(labels, xs, y + 22, step))


def column_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str, desc: str | None = None,
                 empty: str = "—", width: float = 560, height: float = 230, colour: str = NAVY,
                 value_labels: bool | None = None, hrefs: Sequence[str | None] | None = None,
                 chart_id: str | None = None, heading: bool = True) -> Markup:
    """Vertical columns over categories, each with its value printed above it when there is room."""
    chart_id = chart_id or f"chart{next(_ids)}"
    present = [v for v in values if v is not None]
    if not labels or not present or not any(present):
        return _empty(width, title, desc, empty, chart_id)
    left, right, top, bottom = 44, 16, 22, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    _bottom, hi, tick_step = _axis(0, max(present))
    step = plot_w / len(labels)
    xs = [left + step * (i + 0.5) for i in range(len(labels))]
    bar_w = max(3.0, min(step * 0.7, 38))
    parts = [_grid(_ticks(0, hi, tick_step), lambda tick: top + plot_h * (1 - tick / hi), left, width - right)]
    show_values = value_labels if value_labels is not None else len(labels) <= 13
    for i, (x, v) in enumerate(zip(xs, values, strict=True)):
        if v is None:
            continue
        h = plot_h * v / hi
        tip = f"{labels[i]}：{_fmt(v)}"
        inner = (f"<title>{escape(tip)}</title>"
                 f'<rect x="{x - bar_w / 2:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                 f'fill="{colour}"/>')
        if show_values:
            inner += _text(x, top + plot_h - h - 6, _fmt(v), size=FONT_SIZE - 2, anchor="middle", weight="600")
        if hrefs and hrefs[i]:  # the column's whole slot takes the tap, drawn in nothing
            inner += (f'<rect x="{x - step / 2:.1f}" y="{top:.1f}" width="{step:.1f}" height="{plot_h:.1f}" '
                      'fill="transparent"/>')
        parts.append(_link(hrefs[i] if hrefs else None, inner, tip))
    parts.append(_baseline(labels, xs, left, width - right, top + plot_h, step))
    return _frame(width, height, title, desc, "".join(parts), chart_id, heading)


def severity_segments(by_severity: dict[str, int], names: dict[str, str]) -> list[Segment]:
    """Stacked segments in severity order (critical first), coloured and patterned as everywhere."""
    return [Segment(by_severity.get(key, 0), colour, pattern, names.get(key, key))
            for key, (colour, pattern) in SEVERITY_STYLES.items()]


def severity_legend(names: dict[str, str]) -> list[Segment]:
    return [Segment(0, colour, pattern, names.get(key, key)) for key, (colour, pattern) in SEVERITY_STYLES.items()]
