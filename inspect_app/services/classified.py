"""A guard against classified content in free text.

Nothing classified belongs in this system. Text that looks like it came from a classified document —
a classification mark such as 机密★ or a 密级 line — is stopped before saving and kept only when the
author confirms it holds no state secret. The check is a net for slips, not a classifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERNS = [
    # A mark: 绝密★, 机密★10年, 秘密☆ (the star is what makes it a mark, not the word).
    re.compile(r"(绝密|机密|秘密)\s*[★☆✩✪⭐]"),
    # A 密级 line or field: 密级：机密, 密 级: 秘密
    re.compile(r"密\s*级\s*[:：]\s*(绝密|机密|秘密)"),
    # A full marking with its duration: 机密 5年, 秘密★长期
    re.compile(r"(绝密|机密|秘密)\s*[★☆]?\s*(\d+\s*年|长期)"),
]


@dataclass(frozen=True)
class Suspicion:
    field: str
    excerpt: str


def find_suspicions(fields: dict[str, str | None]) -> list[Suspicion]:
    """The fields whose text looks classified, each with the matching excerpt."""
    found = []
    for name, value in fields.items():
        if not value:
            continue
        for pattern in _PATTERNS:
            match = pattern.search(value)
            if match:
                found.append(Suspicion(name, match.group(0)))
                break
    return found
