"""Justification between characters, as Chinese text is justified.

WeasyPrint (70) justifies a line by widening its spaces only. Chinese has none, so a line that ends a
character short (the next one may not start a line, like "。", or is a run of digits that does not fit)
stays ragged by up to a character, and the 28-character grid of GB/T 9704 shows it. `install()` replaces
WeasyPrint's `justify_line` with one that spreads the missing width over every character of such a line
as Pango letter spacing; lines with little to spread (a full line of 28 characters leaves 1.2 pt) are left
as they are, so most lines cost nothing extra.

Tied to WeasyPrint's internals (layout.inline.justify_line, text.line_break.Layout): requirements.txt pins
the version, and tests/test_document_geometry.py fails if lines go ragged again.
"""

from __future__ import annotations

from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text import line_break
from weasyprint.text.ffi import TO_UNITS, ffi, pango, unicode_to_char_p

MIN_EXTRA = 2.0  # pt: less than this missing at a line's end is left alone
MAX_EXTRA = 3.0  # em: a line more than three characters short (before an unbreakable run) stays ragged

_installed = False


def _set_text(self, text, justify=False):
    _plain_set_text(self, text, justify)
    spacing = getattr(self, "inter_character", 0)
    if justify and spacing and self.text:
        _text, bytestring = unicode_to_char_p(self.text)
        attr_list = pango.pango_layout_get_attributes(self.layout)
        if attr_list == ffi.NULL:
            attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
        attr = pango.pango_attr_letter_spacing_new(int(spacing * TO_UNITS))
        attr.start_index, attr.end_index = 0, len(bytestring)
        pango.pango_attr_list_change(attr_list, attr)
        pango.pango_layout_set_attributes(self.layout, attr_list)


def _characters(box) -> int:
    if isinstance(box, boxes.TextBox):
        return len(box.text)
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        return sum(_characters(child) for child in box.children if child.is_in_normal_flow())
    return 1  # an atomic inline counts as one character


def _spread(context, box, spacing: float, x_advance: float) -> float:
    if isinstance(box, boxes.TextBox):
        box.position_x += x_advance
        if box.text:
            layout = line_break.create_layout(box.text, box.style, context, max_width=None,
                                              justification_spacing=box.justification_spacing)
            layout.inter_character = spacing
            layout.set_text(box.text, justify=True)
            layout.deactivate()
            box.pango_layout = layout
            extra = spacing * len(box.text)
            box.width += extra
            x_advance += extra
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += x_advance
        before = x_advance
        for child in box.children:
            if child.is_in_normal_flow():
                x_advance = _spread(context, child, spacing, x_advance)
        box.width += x_advance - before
    else:
        box.translate(x_advance, 0)
        x_advance += spacing
    return x_advance


def justify_line(context, line, extra_width):
    """Justify between the characters of the line, spaces included: the documents are Chinese, where one
    space widened by a character's width would read as a gap."""
    if extra_width < MIN_EXTRA or extra_width > MAX_EXTRA * line.style["font_size"]:
        return None
    characters = _characters(line)
    if characters > 1:
        # Pango adds the spacing after every character, the last too: that last bit falls outside the line.
        _spread(context, line, extra_width / (characters - 1), 0)
    return None


_plain_set_text = line_break.Layout.set_text


def install() -> None:
    global _installed
    if not _installed:
        inline.justify_line = justify_line
        line_break.Layout.set_text = _set_text
        _installed = True
