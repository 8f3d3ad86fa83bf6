"""The appraisal scheme's file format (`checklists/appraisal/*.yaml`): a typed schema, and a loader that reports
`file:line: what is wrong`, as the checklist library's does.

A scheme names its legal basis, its indicators (each a source from the registry, or `manual`, with a weight; the
weights add up to 100), its veto items and its four bands (优秀, 合格, 基本合格, 不合格), each by the lowest total
it takes. How an indicator's value becomes its score out of 100:

- a source that reads as a score or share out of 100 (`percent`) is its own score;
- a count or points off (`count`, `points`) takes `deduct` points from 100 for each one (never below 0);
- a `manual` indicator is the value the bureau enters for each unit, out of 100, with its reason.

`when_missing` says what a unit without data for the indicator gets: `leave_out` (the default: the indicator is left
out and its weight shared among the others) or `zero` (it scores 0: no self-assessment at all is the worst gap).

`min_weight` (0–100, percent of the total weight; default 0) is the share of the weight a unit's computed indicators
must carry for the unit to be rated: below it the unit has no total, no band and no rank, as a unit with nothing
computable has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .. import canonical
from ..checklists.schema import Basis, expanded_size_exceeds, key_node, node_at, plain_error
from . import sources

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
BAND_KEYS = ("excellent", "qualified", "basic", "unqualified")
MAX_NODES = 20_000  # a scheme has a few hundred values; aliases could make a small file expand to billions


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _known(name: str) -> sources.Source:
    found = sources.source(name)
    if found is None:
        known = ", ".join([*sources.SOURCES, sources.MANUAL])
        raise ValueError(f"source {name} is not a known indicator source (known: {known})")
    return found


class Indicator(_Strict):
    key: Slug
    title: Title
    title_en: Title
    description: Text | None = None
    description_en: Text | None = None
    source: str
    weight: int = Field(ge=1, le=100)
    deduct: float | None = Field(default=None, gt=0, le=100)
    when_missing: Literal["leave_out", "zero"] = "leave_out"

    @field_validator("source")
    @classmethod
    def _an_indicators_source(cls, name: str) -> str:
        if name != sources.MANUAL and _known(name).is_veto:
            raise ValueError(f"source {name} is a veto item's source: list it under vetoes")
        return name

    @model_validator(mode="after")
    def _reads(self) -> Indicator:
        if self.source == sources.MANUAL:
            if self.deduct is not None:
                raise ValueError("a manual indicator is entered out of 100 and takes no deduct")
            if self.when_missing != "leave_out":
                raise ValueError("a manual indicator is entered for every unit; when_missing does not apply")
            return self
        known = _known(self.source)
        if known.reads in ("count", "points") and self.deduct is None:
            raise ValueError(f"source {self.source} counts; give deduct, the points taken from 100 for each one")
        if known.reads == "percent" and self.deduct is not None:
            raise ValueError(f"source {self.source} is a score out of 100 and takes no deduct")
        return self


class Veto(_Strict):
    key: Slug
    title: Title
    title_en: Title
    source: str

    @field_validator("source")
    @classmethod
    def _a_veto_items_source(cls, name: str) -> str:
        if name == sources.MANUAL or not _known(name).is_veto:
            raise ValueError(f"source {name} is an indicator's source, not a veto item's")
        return name


class Band(_Strict):
    key: Literal["excellent", "qualified", "basic", "unqualified"]
    min: float = Field(ge=0, le=100)


class Scheme(_Strict):
    key: Slug
    version: int = Field(ge=1)
    title: Title
    title_en: Title
    description: Text | None = None
    description_en: Text | None = None
    basis: list[Basis] = Field(min_length=1)
    indicators: list[Indicator] = Field(min_length=1)
    vetoes: list[Veto] = []
    bands: list[Band] = Field(min_length=4, max_length=4)
    min_weight: float = Field(default=0, ge=0, le=100)

    def canonical_json(self) -> str:
        return canonical.canonical_json(self, omit_when_empty=("min_weight",))

    def content_hash(self) -> str:
        return canonical.content_hash(self, omit_when_empty=("min_weight",))


# Loading ----------------------------------------------------------------------------------------------


@dataclass
class SchemeFile:
    source: str
    scheme: Scheme | None = None
    errors: list[str] = field(default_factory=list)
    line_of_version: int = 1

    @property
    def ok(self) -> bool:
        return self.scheme is not None and not self.errors

    def error(self, line: int, message: str) -> None:
        self.errors.append(f"{self.source}:{line}: {message}")


def _context(data: Any, loc: tuple) -> str:
    """'indicator inspection: ' or 'veto leak: ' for an error inside one, so the reader finds it."""
    try:
        if len(loc) >= 2 and loc[0] in ("indicators", "vetoes") and isinstance(loc[1], int):
            key = data[loc[0]][loc[1]].get("key")
            what = "indicator" if loc[0] == "indicators" else "veto"
            return f"{what} {key}: " if key else f"{what} #{loc[1] + 1}: "
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return ""


def _line(root: yaml.Node, *loc) -> int:
    return node_at(root, loc).start_mark.line + 1


def _key_line(root: yaml.Node, name: str) -> int:
    """The line of a top-level key (`indicators:`), where an error about the whole list belongs."""
    node = key_node(root, name)
    return node.start_mark.line + 1 if node is not None else 1


def load_text(text: str, source: str, *, expected_key: str | None = None) -> SchemeFile:
    """Parse and validate one scheme. `expected_key` is the file name's, when it has one."""
    result = SchemeFile(source=source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if expanded_size_exceeds(root, MAX_NODES):
            result.error(1, f"the file expands to more than {MAX_NODES} values; write it out plainly")
            return result
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        result.error(mark.line + 1 if mark else 1, f"YAML syntax error: {exc.problem or exc}")
        return result
    except (yaml.YAMLError, RecursionError) as exc:
        result.error(1, f"YAML syntax error: {str(exc).splitlines()[0] if str(exc) else 'nested too deeply'}")
        return result
    if not isinstance(data, dict) or root is None:
        result.error(1, "the file must be a mapping with key, version, title, basis, indicators and bands")
        return result
    try:
        scheme = Scheme.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            node = node_at(root, loc)
            if error["type"] == "extra_forbidden":
                node = key_node(node_at(root, loc[:-1]), loc[-1]) or node
            result.error(node.start_mark.line + 1, _context(data, loc) + plain_error(error))
        return result
    _check_whole(result, root, scheme)
    if expected_key is not None and scheme.key != expected_key:
        result.error(_line(root, "key"), f"key must match the file name ({expected_key})")
    result.line_of_version = _line(root, "version")
    result.scheme = scheme
    return result


def _check_whole(result: SchemeFile, root: yaml.Node, scheme: Scheme) -> None:
    """What no single field shows: the weights' sum, keys used twice, the bands' order and thresholds."""
    total = sum(i.weight for i in scheme.indicators)
    if total != 100:
        result.error(_key_line(root, "indicators"),
                     f"the indicators' weights add up to {total}; they must add up to 100")
    seen: dict[str, int] = {}
    for part, entries in (("indicators", scheme.indicators), ("vetoes", scheme.vetoes)):
        for index, entry in enumerate(entries):
            line = _line(root, part, index, "key")
            if entry.key in seen:
                result.error(line, f"key {entry.key} is used twice (first at line {seen[entry.key]})")
            seen.setdefault(entry.key, line)
    if tuple(b.key for b in scheme.bands) != BAND_KEYS:
        result.error(_key_line(root, "bands"), f"bands must be {', '.join(BAND_KEYS)}, in this order")
        return
    minimums = [b.min for b in scheme.bands]
    if any(higher <= lower for higher, lower in pairwise(minimums)):
        result.error(_key_line(root, "bands"), "each band's min must be lower than the one before it")
    if minimums[-1] != 0:
        result.error(_line(root, "bands", 3, "min"), "the last band (unqualified) must start at 0")


def load_file(path: Path, source: str | None = None) -> SchemeFile:
    source = source or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        result = SchemeFile(source=source)
        result.error(1, "the file is not UTF-8 text")
        return result
    return load_text(text, source, expected_key=path.stem)
