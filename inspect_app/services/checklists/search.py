"""Searching the library: the items of the current versions that mention some words, and the items of every
version that cite a legal text (what to revise when the law changes)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ...models import ChecklistItem, TemplateVersion
from .library import current_versions, library_order

# Where the search looks, in the order a result names the fields that matched.
SEARCH_FIELDS = ("text", "text_en", "guidance", "guidance_en", "materials", "keywords")
MAX_QUERY_LENGTH = 100


def _like_pattern(query: str) -> str:
    """A LIKE pattern that matches `query` literally: % and _ typed by a user are text, not wildcards."""
    return "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def mentions(value: str | None, query: str) -> bool:
    """Whether `value` contains `query`, ignoring case (as the highlighting on the page marks it)."""
    return bool(value and query and re.search(re.escape(query), value, re.IGNORECASE))


def matched_fields(item: ChecklistItem, query: str) -> list[str]:
    """The fields of `item` that mention `query` (ignoring case), among SEARCH_FIELDS."""
    found = [f for f in SEARCH_FIELDS if f != "keywords" and mentions(getattr(item, f), query)]
    if any(mentions(k, query) for k in item.keywords):
        found.append("keywords")
    return found


def search_items(session: Session, query: str, limit: int = 200) -> list[ChecklistItem]:
    """Items of the current versions that mention `query` in text, guidance, materials or keywords.
    A substring match, which is what Chinese needs: 手机 finds 智能手机 and 手机拍摄 alike."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query or "\x00" in query:  # no stored text holds a NUL (PostgreSQL refuses even to compare one)
        return []
    like = _like_pattern(query)
    current = [v.id for v in current_versions(session)]
    stmt = (
        select(ChecklistItem)
        .where(
            ChecklistItem.version_id.in_(current),
            or_(*(getattr(ChecklistItem, f).ilike(like, escape="\\") for f in SEARCH_FIELDS if f != "keywords"),
                ChecklistItem.keywords_json.ilike(like, escape="\\")),
        )
        .options(selectinload(ChecklistItem.version).selectinload(TemplateVersion.template),
                 selectinload(ChecklistItem.section))
        .order_by(ChecklistItem.version_id, ChecklistItem.section_id, ChecklistItem.position)
    )
    # The JSON of the keywords matches more than the keywords do (quotes, commas): check each item in full.
    found = []
    for item in session.scalars(stmt):
        if matched_fields(item, query):
            found.append(item)
            if len(found) >= limit:
                break
    return found


@dataclass
class SearchHit:
    item: ChecklistItem
    fields: list[str]


@dataclass
class SearchGroup:
    version: TemplateVersion
    hits: list[SearchHit]


@dataclass
class SearchResult:
    query: str
    groups: list[SearchGroup]
    count: int
    truncated: bool


def search_library(session: Session, query: str, limit: int = 200) -> SearchResult:
    """`search_items`, grouped by template in the library's order, each hit naming the fields that matched."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    items = search_items(session, query, limit=limit + 1)
    truncated = len(items) > limit
    items = items[:limit]
    order = {v.id: n for n, v in enumerate(current_versions(session))}
    groups: dict[int, SearchGroup] = {}
    for item in sorted(items, key=lambda i: (order.get(i.version_id, 0), i.section.position, i.position)):
        group = groups.setdefault(item.version_id, SearchGroup(item.version, []))
        group.hits.append(SearchHit(item, matched_fields(item, query)))
    return SearchResult(query, list(groups.values()), len(items), truncated)


# Which items cite a legal text ------------------------------------------------------------------


@dataclass
class CitingItem:
    version: TemplateVersion
    item: ChecklistItem
    entries: list[dict]  # the item's basis entries that cite the text (and article)
    current: bool  # the version is what new inspections use


def citing_items(session: Session, law: str, article: int | None = None) -> list[CitingItem]:
    """Every item, in every stored template version, whose basis cites `law` (a register key), or one article
    of it: when the law changes, the list of what to revise. Current versions first, in the library's order."""
    pattern = _like_pattern(json.dumps(law, ensure_ascii=False))
    rows = session.scalars(
        select(ChecklistItem)
        .where(ChecklistItem.basis_json.like(pattern, escape="\\"))
        .options(selectinload(ChecklistItem.version).selectinload(TemplateVersion.template),
                 selectinload(ChecklistItem.section))
    )
    current_ids = {v.id for v in current_versions(session)}
    found = []
    for item in rows:
        entries = [e for e in item.basis
                   if e.get("law") == law and (article is None or e.get("article") == article)]
        if entries:
            found.append(CitingItem(item.version, item, entries, item.version_id in current_ids))
    found.sort(key=lambda c: (not c.current, library_order(c.version.category), c.version.key,
                              -c.version.version, c.item.section.position, c.item.position))
    return found
