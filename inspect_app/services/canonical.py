"""Content known by its hash (checklist templates, appraisal schemes, scans): the canonical JSON of a pydantic model,
with sorted keys, no spaces and Chinese as it is, so the same content hashes the same however it was written."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel


def canonical_json(model: BaseModel, *, omit_when_empty: tuple[str, ...] = ()) -> str:
    """The fields in `omit_when_empty` are left out while empty: content from before they existed keeps its hash."""
    data = model.model_dump(mode="json")
    for name in omit_when_empty:
        if not data[name]:
            del data[name]
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(model: BaseModel, *, omit_when_empty: tuple[str, ...] = ()) -> str:
    return hashlib.sha256(canonical_json(model, omit_when_empty=omit_when_empty).encode()).hexdigest()
