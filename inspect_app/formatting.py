"""How checklist data reads on pages and in documents: legal basis, item fields, changed text, search matches.

Pure functions of their arguments and the current locale (`i18n.is_english()`), so the PDF documents
render the same citations as the pages.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from . import i18n, labels
from .clock import local_today
from .pdf import cn_number
from .services.checklists import legal_texts

# Older library versions cited texts the register no longer holds; their snapshots still read by these names.
LEGACY_NAMES_EN = {
    "保守国家秘密法": "Law on Guarding State Secrets",
    "保守国家秘密法实施条例": "Regulations for the Implementation of the Law on Guarding State Secrets",
    "保密工作实践": "Established secrecy practice",
}


def _has_working_note(text: str | None) -> bool:
    return bool(text) and any(word in text for word in legal_texts.WORKING_NOTE_WORDS)


def format_basis(entry: dict, *, english: bool | None = None) -> str:
    """One legal-basis entry as the 公文 convention cites it: the full title, then article, paragraph and item
    in Chinese numerals — 《中华人民共和国保守国家秘密法》第三十一条第一款第二项.

    A work requirement says so: 《机关、单位保密自查自评标准》（工作要求）. A version that is no longer in force
    (the snapshot of an old finding) names its year, so its numbering is not read against the current text.
    English: Law of the People's Republic of China on Guarding State Secrets, art. 31(1)(2).
    """
    english = i18n.is_english() if english is None else english
    law = entry.get("law") or ""
    reg = legal_texts.register()
    text = reg.text_of(entry)
    article, paragraph, item, chapter = (entry.get(k) for k in ("article", "paragraph", "item", "chapter"))
    # Entries of versions before the register: `clause` was the item of an article.
    item = item or entry.get("clause") if article else item
    year = entry.get("year")
    current = reg.current(law, local_today())
    outdated = bool(year) and (text is None or current is None or current.year != year)
    if english:
        name = text.title_en if text else LEGACY_NAMES_EN.get(law, law)
        if outdated:
            name += f" ({year} version)"
        if chapter:
            name += f", chapter {chapter}"
        elif article:
            name += f", art. {article}" + (f"({paragraph})" if paragraph else "") + (f"({item})" if item else "")
        if text is not None and text.is_requirement:
            name += " (work requirement)"
        return name

    if text is None and law == LEGACY_PRACTICE:
        return law
    cited = f"《{text.title if text else law}》"
    if outdated:
        cited += f"（{year}年）"
    if chapter:
        cited += f"第{cn_number(chapter)}章"
    elif article:
        cited += f"第{cn_number(article)}条"
        if paragraph:
            cited += f"第{cn_number(paragraph)}款"
        if item:
            cited += f"第{cn_number(item)}项"
    if text is not None and text.is_requirement:
        cited += "（工作要求）"
    return cited


def cite_in_document(entry: dict) -> str:
    """A basis as an official document prints it: always in Chinese, whatever the reader's language."""
    return format_basis(entry, english=False)


# What older library versions called unwritten practice; no current item cites it.
LEGACY_PRACTICE = "保密工作实践"


def basis_note(entry: dict) -> str | None:
    """The editors' short gloss of an entry, when it is one a reader may see (never a working note)."""
    note = entry.get("note")
    if not note or entry.get("law") == LEGACY_PRACTICE or _has_working_note(note):
        return None
    return note


def _join(values: Iterable[str]) -> str:
    return ("; " if i18n.is_english() else "；").join(values)


def format_item_field(name: str, value) -> str:
    """A checklist item field's value (as stored in the version's content) in words, for the diff."""
    if value is None or value == [] or value == "":
        return "—"
    if name == "basis":
        return _join(format_basis(entry) for entry in value)
    if name == "evidence":
        return _join(labels.label(labels.EVIDENCE_LABELS, kind) for kind in value)
    if name == "severity":
        return labels.label(labels.SEVERITY_LABELS, value)
    if name == "response":
        return labels.label(labels.RESPONSE_LABELS, value)
    if name == "category":
        return labels.label(labels.CATEGORY_LABELS, value)
    if name == "choices":
        return _join(i18n.localized(choice, "label") for choice in value)
    if name == "sample":
        return _("%(register)s，随机抽取 %(n)d 条", register=labels.label(labels.REGISTER_LABELS, value["register"]),
                 n=value["size"])
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return _join(str(v) for v in value)
    return str(value)


# Fields whose old and new values are prose: shown with what went and what came marked in place.
PROSE_FIELDS = {"title", "title_en", "description", "description_en", "section", "section_en", "text", "text_en",
                "guidance", "guidance_en", "materials"}


@dataclass
class FieldChange:
    name: str
    label: str
    old: list[tuple[str, str]]  # runs of ('same' | 'gone' | 'new', text)
    new: list[tuple[str, str]]


def field_changes(old: dict, new: dict, fields: Iterable[str]) -> list[FieldChange]:
    """The changed `fields` of an item (or a template's content), old beside new, in words."""
    changes = []
    for name in fields:
        label = labels.label(labels.ITEM_FIELD_LABELS, name)
        if name in PROSE_FIELDS:
            before, after = text_changes(old.get(name) or "", new.get(name) or "")
            changes.append(FieldChange(name, label, before or [("same", "—")], after or [("same", "—")]))
        elif isinstance(old.get(name), list) and isinstance(new.get(name), list):
            before_list, after_list = old[name], new[name]
            changes.append(FieldChange(
                name, label,
                _list_runs([(v, "same" if v in after_list else "gone") for v in before_list], name),
                _list_runs([(v, "same" if v in before_list else "new") for v in after_list], name),
            ))
        else:
            changes.append(FieldChange(name, label, [("gone", format_item_field(name, old.get(name)))],
                                       [("new", format_item_field(name, new.get(name)))]))
    return changes


def _list_runs(entries: list[tuple[object, str]], name: str) -> list[tuple[str, str]]:
    """A list field entry by entry, so a basis or an evidence kind added or dropped stands out alone."""
    if not entries:
        return [("same", "—")]
    runs: list[tuple[str, str]] = []
    for index, (value, kind) in enumerate(entries):
        if index:
            runs.append(("same", "; " if i18n.is_english() else "；"))
        runs.append((kind, format_item_field(name, [value])))
    return runs


_TOKEN = re.compile(r"[A-Za-z0-9]+|\s+|.", re.S)


def text_changes(old: str, new: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The old and the new text as runs of ('same' | 'gone' | 'new', text), for reading a change in place.

    Chinese compares character by character, Latin text word by word.
    """
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    before: list[tuple[str, str]] = []
    after: list[tuple[str, str]] = []

    def add(runs: list[tuple[str, str]], kind: str, tokens: list[str]) -> None:
        if not tokens:
            return
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + "".join(tokens))
        else:
            runs.append((kind, "".join(tokens)))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        add(before, "same" if op == "equal" else "gone", a[i1:i2])
        add(after, "same" if op == "equal" else "new", b[j1:j2])
    return before, after


def highlight(value: str | None, query: str | None) -> Markup:
    """`value` escaped, with every occurrence of `query` (ignoring case) marked. Safe for any input."""
    if not value:
        return Markup("")
    if not query:
        return escape(value)
    parts = re.split(f"({re.escape(query)})", value, flags=re.IGNORECASE)
    out = Markup("")
    for index, part in enumerate(parts):
        # Odd parts are the matches; Markup's % escapes them like the rest.
        out += Markup("<mark>%s</mark>") % part if index % 2 else escape(part)
    return out
