"""The legal basis of a checklist item, as a document cites it.

A local stand-in: inspect_app/formatting.py (`format_basis`) is being written in another branch and will
replace this one at merge; services/documents.py prefers it when it exists.
"""

from __future__ import annotations

from . import cn_number

# Full titles for the laws the library names by their short title.
FULL_TITLES = {
    "保守国家秘密法": "中华人民共和国保守国家秘密法",
    "保守国家秘密法实施条例": "中华人民共和国保守国家秘密法实施条例",
}
PRACTICE = "保密工作实践"


def format_basis(entry: dict) -> str:
    """{"law": "保守国家秘密法", "year": 2024, "article": 31} → 《中华人民共和国保守国家秘密法》（2024年）第三十一条"""
    law = entry.get("law") or ""
    if law == PRACTICE:
        return "保密工作通行做法"
    text = f"《{FULL_TITLES.get(law, law)}》"
    if entry.get("year"):
        text += f"（{entry['year']}年）"
    if entry.get("article"):
        text += f"第{cn_number(entry['article'])}条"
        if entry.get("clause"):
            text += f"第（{cn_number(entry['clause'])}）项"
    elif entry.get("clause"):
        text += f"第（{cn_number(entry['clause'])}）项"
    if entry.get("item"):
        text += f"第{entry['item']}项"
    if entry.get("confirmed") is False:
        text += "（条款待核实）"
    return text
