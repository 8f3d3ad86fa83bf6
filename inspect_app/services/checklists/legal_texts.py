"""The register of legal texts the checklist library may cite (inspect_app/data/legal_texts.yaml).

A basis entry names a text by its key and a version by its year; the register knows each version's title,
short title, dates, what replaced it, and the chapters, articles, paragraphs and items that were read in it.
Checking a basis against the register is how the library stays on the law in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

REGISTER_PATH = Path(__file__).resolve().parents[2] / "data" / "legal_texts.yaml"

Kind = Literal["law", "regulation", "rule", "requirement"]

# Words of an unfinished note: what is left to check belongs in the editors' work, never on a page or a document.
WORKING_NOTE_WORDS = ("待核", "未核", "核对", "核实", "待查", "待定", "存疑", "TODO", "?", "？")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Chapter(_Strict):
    number: int = Field(ge=1)
    title: str
    first: int = Field(ge=1)
    last: int | None = None  # unknown when not every article of the chapter was read


class Article(_Strict):
    topic: str
    # Numbered items (（一）、（二）…) per paragraph; the length is the number of paragraphs.
    items: list[int] = [0]


class LegalText(_Strict):
    key: str
    year: int | None = None
    kind: Kind
    title: str
    short_title: str
    title_en: str
    issued_by: str | None = None
    adopted_on: date | None = None
    in_force_from: date | None = None
    replaced_by: int | None = None  # the year of the version that replaced this one
    replaced_by_text: str | None = None  # when the replacement is another text (key)
    articles_complete: bool = True
    chapters: list[Chapter] = []
    articles: dict[int, Article] = {}

    @property
    def label(self) -> str:
        return f"{self.key} ({self.year})" if self.year else self.key

    @property
    def is_requirement(self) -> bool:
        return self.kind == "requirement"

    @property
    def last_article(self) -> int | None:
        return max(self.articles) if self.articles else None

    def chapter(self, number: int) -> Chapter | None:
        return next((c for c in self.chapters if c.number == number), None)


class _RegisterFile(_Strict):
    texts: list[LegalText]


@dataclass
class Register:
    texts: list[LegalText]
    by_key: dict[str, list[LegalText]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for text in self.texts:
            self.by_key.setdefault(text.key, []).append(text)

    def versions(self, key: str) -> list[LegalText]:
        return self.by_key.get(key, [])

    def find(self, key: str, year: int | None) -> LegalText | None:
        return next((t for t in self.versions(key) if t.year == year), None)

    def replacement(self, text: LegalText) -> LegalText | None:
        if text.replaced_by is None:
            return None
        return self.find(text.replaced_by_text or text.key, text.replaced_by)

    def replaced_on(self, text: LegalText) -> date | None:
        """The day `text` stopped being the one in force: the day its replacement came into force."""
        successor = self.replacement(text)
        return successor.in_force_from if successor is not None else None

    def in_force(self, text: LegalText, on: date) -> bool:
        if text.in_force_from is not None and text.in_force_from > on:
            return False
        replaced = self.replaced_on(text)
        return replaced is None or replaced > on

    def current(self, key: str, on: date) -> LegalText | None:
        """The version of `key` in force on `on` (the newest, when the register does not date them)."""
        live = [t for t in self.versions(key) if self.in_force(t, on)]
        return max(live, key=lambda t: t.year or 0) if live else None

    def text_of(self, entry: dict) -> LegalText | None:
        """The register's text for a stored basis entry (law and year), if the register has it."""
        return self.find(entry.get("law") or "", entry.get("year"))


@cache
def register() -> Register:
    data = yaml.safe_load(REGISTER_PATH.read_text(encoding="utf-8"))
    return Register(_RegisterFile.model_validate(data).texts)


def check_basis(entry: dict, on: date) -> str | None:
    """What is wrong with one basis entry (law, year, article, paragraph, item, chapter, note), or None."""
    reg = register()
    key, year = entry.get("law") or "", entry.get("year")
    versions = reg.versions(key)
    if not versions:
        known = "、".join(dict.fromkeys(t.key for t in reg.texts))
        return f"law {key} is not in the register of legal texts (known: {known})"
    text = reg.find(key, year)
    if text is None:
        years = ", ".join(str(t.year) for t in versions if t.year)
        return f"{key} has no version of {year} in the register (known: {years or 'none'})"
    if not reg.in_force(text, on):
        successor = reg.replacement(text)
        if successor is not None:
            return (f"{text.label} was replaced by {successor.label} on {reg.replaced_on(text).isoformat()}; "
                    f"cite the text in force")
        return f"{text.label} is not in force on {on.isoformat()}"
    article, chapter = entry.get("article"), entry.get("chapter")
    if chapter is not None:
        if article is not None:
            return "cite an article or a chapter, not both"
        if text.chapter(chapter) is None:
            chapters = ", ".join(str(c.number) for c in text.chapters) or "none known"
            return f"{text.label} has no chapter {chapter} (chapters: {chapters})"
    if article is not None:
        if text.is_requirement:
            return f"{text.label} is a work requirement and is cited without a number"
        if article not in text.articles:
            if text.articles_complete and text.last_article:
                return f"{text.label} has articles 1 to {text.last_article}; article {article} is outside that range"
            known = ", ".join(str(n) for n in sorted(text.articles)) or "none"
            return (f"article {article} of {text.label} is not one the register has read (read: {known}); "
                    f"cite the text or a chapter without a number")
        structure = text.articles[article].items
        paragraph, item = entry.get("paragraph"), entry.get("item")
        if paragraph is not None and not 1 <= paragraph <= len(structure):
            return (f"article {article} of {text.label} has {len(structure)} paragraph(s); "
                    f"paragraph {paragraph} is not one")
        if item is not None:
            count = structure[(paragraph or 1) - 1] if paragraph else max(structure)
            if paragraph is None and sum(1 for n in structure if n) > 1:
                return f"article {article} of {text.label} has items in more than one paragraph; name the paragraph"
            if not 1 <= item <= count:
                where = f"paragraph {paragraph} of article {article}" if paragraph else f"article {article}"
                return f"{where} of {text.label} has {count} item(s); item {item} is not one"
    elif entry.get("paragraph") is not None or entry.get("item") is not None:
        return "a paragraph or an item needs its article"
    note = entry.get("note") or ""
    words = [w for w in WORKING_NOTE_WORDS if w in note]
    if words:
        return f"the note reads as a working note ({words[0]}); say what the text requires, or leave the note out"
    return None


def resolve(name: str) -> str | None:
    """The register key for a text named by its key, short title or full title (with or without 《》)."""
    name = (name or "").strip().strip("《》").strip()
    for text in register().texts:
        if name in (text.key, text.short_title, text.title):
            return text.key
    return None
