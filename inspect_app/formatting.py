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

# The laws a checklist may cite (checklist_schema.LAWS), and how the English UI names them.
LAW_NAMES_EN = {
    "保守国家秘密法": "Law on Guarding State Secrets",
    "保守国家秘密法实施条例": "Regulations for the Implementation of the Law on Guarding State Secrets",
    "机关、单位保密自查自评标准": "Standard for Secrecy Self-Inspection and Self-Assessment of Organs and Units",
    "机关、单位保密自查自评工作规则": "Rules for Secrecy Self-Inspection and Self-Assessment of Organs and Units",
    "国家秘密定密管理规定": "Provisions on the Classification of State Secrets",
    "定密管理暂行规定": "Interim Provisions on Classification Management",
    "国家秘密文件、资料和其他物品标志的规定":
        "Provisions on Marking Documents, Materials and Other Items Containing State Secrets",
    "保密工作实践": "Established secrecy practice",
}

# Not a law but the practice seen in units' rules and guidance: cited by its note, never by article.
PRACTICE = "保密工作实践"


def format_basis(entry: dict) -> str:
    """One legal-basis entry as a citation.

    《保守国家秘密法》（2024年）第31条第1项 · 《机关、单位保密自查自评标准》第53项 ·
    Law on Guarding State Secrets (2024), art. 31(1) · an unconfirmed number says so.
    """
    law = entry.get("law") or ""
    note = entry.get("note")
    english = i18n.is_english()
    if law == PRACTICE:
        name = LAW_NAMES_EN[PRACTICE] if english else PRACTICE
        if not note:
            return name
        return f"{name} ({note})" if english else f"{name}（{note}）"

    year, article, clause, item = (entry.get(k) for k in ("year", "article", "clause", "item"))
    unconfirmed = entry.get("confirmed") is False
    if english:
        parts = [LAW_NAMES_EN.get(law, law)]
        if year:
            parts[0] += f" ({year})"
        if article:
            parts.append(f"art. {article}" + (f"({clause})" if clause else ""))
        elif item:
            parts.append(f"item {item}")
        text = ", ".join(parts)
        if unconfirmed and article:
            text += " (article number unconfirmed)"
        elif unconfirmed and item:
            text += " (item number unconfirmed)"
        return text

    text = f"《{law}》"
    if year:
        text += f"（{year}年）"
    if article:
        text += f"第{article}条" + (f"第{clause}项" if clause else "")
    elif item:
        text += f"第{item}项"
    if unconfirmed and article:
        text += "（条号待核实）"
    elif unconfirmed and item:
        text += "（项号待核实）"
    return text


def basis_note(entry: dict) -> str | None:
    """The explanatory note of an entry, when the citation itself does not already carry it."""
    if entry.get("law") == PRACTICE:
        return None
    return entry.get("note") or None


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
