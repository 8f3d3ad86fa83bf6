"""The checklist file format: a typed schema, and a loader that reports `file:line: what is wrong`.

The schema is the contract of `checklists/*.yaml` (see the design, "Checklists are data"). Errors
name the file, the line, the item and the field in plain words, so whoever edits a template can fix it
without reading code. The steps that place a YAML node and word a validation error (node_at, key_node,
plain_error, expanded_size_exceeds) serve every file format of the library: the appraisal schemes' too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from typing_extensions import TypedDict

from ...clock import local_today
from ...models.registers import RegisterKind
from .. import canonical
from . import legal_texts

# Template keys that would collide with the library's own pages (/checklists/search).
RESERVED_KEYS = {"search"}

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
ItemKey = Annotated[str, Field(pattern=r"^[A-Z]{1,3}[0-9]{1,3}$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Severity = Literal["general", "serious", "critical"]
Response = Literal["compliance", "number", "text", "choice"]
Category = Literal[
    "key_department", "carrier", "meeting", "classification", "network", "personnel", "responsibility",
    "education", "self_assessment",
]
EvidenceKind = Literal["photo", "document", "record", "interview", "onsite", "technical"]
# What a technical inspection tool checks (the scan format's checks, models.scans.ScanCheck; docs/scans.md).
TechnicalCheckKind = Literal[
    "internet_connection", "dual_use", "usb_storage", "classified_content", "security_software",
    "unapproved_software", "wireless_device", "smart_device",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Basis(_Strict):
    """One entry of an item's legal basis: a text of the register (legal_texts), its version, and where in it.

    Without a year the entry means the version in force, and the year is filled in, so the stored version
    (and every finding made from it) keeps the version it cited.
    """

    law: str
    year: int | None = None
    chapter: int | None = Field(default=None, ge=1, le=50)
    article: int | None = Field(default=None, ge=1, le=500)
    paragraph: int | None = Field(default=None, ge=1, le=50)
    item: int | None = Field(default=None, ge=1, le=200)
    note: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _on_the_register(self) -> Basis:
        today = local_today()
        if self.year is None:
            current = legal_texts.register().current(self.law, today)
            if current is not None:
                self.year = current.year
        problem = legal_texts.check_basis(self.model_dump(), today)
        if problem:
            raise ValueError(problem)
        return self


class Choice(_Strict):
    key: Slug
    label: Text
    label_en: str | None = None


class Sample(TypedDict):
    """The register an item is checked against on site: how many entries to draw, and what to verify of each.
    (A typed dict: a model's field named `register` would hide the class's own.)"""

    __pydantic_config__ = ConfigDict(extra="forbid", str_strip_whitespace=True)  # type: ignore[misc]

    register: Literal[tuple(RegisterKind)]  # type: ignore[valid-type]
    size: Annotated[int, Field(ge=1, le=50)]
    verify: Text
    verify_en: Text


class Item(_Strict):
    key: ItemKey
    text: Text
    text_en: Text
    basis: list[Basis] = Field(min_length=1)
    guidance: Text
    guidance_en: Text
    evidence: list[EvidenceKind] = Field(min_length=1)
    materials: str | None = None
    severity: Severity
    points: int = Field(ge=0, le=20)
    response: Response
    deduction: bool = False
    deduction_points: int = Field(default=4, ge=1, le=20)
    veto: bool = False
    choices: list[Choice] | None = None
    unit: str | None = Field(default=None, max_length=16)
    keywords: list[str] = []
    # Left out of the content when absent, so that adding the field changed no synced version's hash.
    sample: Sample | None = Field(default=None, exclude_if=lambda value: value is None)

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if self.deduction and self.veto:
            raise ValueError("an item cannot be both a deduction and a veto item")
        if (self.deduction or self.veto) and self.points:
            raise ValueError("deduction and veto items take no points (set points: 0)")
        if self.deduction and self.response not in ("compliance", "number"):
            raise ValueError("a deduction item needs response compliance or number")
        if self.veto and self.response != "compliance":
            raise ValueError("a veto item needs response compliance")
        if self.response == "compliance" and not (self.deduction or self.veto) and self.points < 1:
            raise ValueError("a scored compliance item needs points of 1 or more")
        if self.response in ("number", "text", "choice") and self.points:
            raise ValueError(f"a {self.response} item is not scored (set points: 0)")
        if self.response == "choice":
            if not self.choices or len(self.choices) < 2:
                raise ValueError("a choice item needs at least two choices")
            keys = [c.key for c in self.choices]
            if len(set(keys)) != len(keys):
                raise ValueError("choice keys must be unique")
        elif self.choices is not None:
            raise ValueError("only a choice item has choices")
        if self.unit is not None and self.response != "number":
            raise ValueError("only a number item has a unit")
        if self.sample is not None and self.response != "compliance":
            raise ValueError("only a compliance item samples a register")
        return self


class Section(_Strict):
    key: Slug
    title: Text
    title_en: Text
    items: list[Item] = Field(min_length=1)


class TechnicalCheck(_Strict):
    """One row of the mapping table: a tool's failing check proposes 不符合 on this item."""

    check: TechnicalCheckKind
    item: ItemKey


class Template(_Strict):
    key: Slug
    version: int = Field(ge=1)
    category: Category
    title: Text
    title_en: Text
    description: str | None = None
    description_en: str | None = None
    sections: list[Section] = Field(min_length=1)
    # The mapping of a scan's failing checks to this template's items (services/scans/).
    technical_checks: list[TechnicalCheck] = []

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, key: str) -> str:
        if key in RESERVED_KEYS:
            raise ValueError(f"key {key} is reserved (the library's pages use /checklists/{key}); choose another")
        return key

    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    def canonical_json(self) -> str:
        return canonical.canonical_json(self, omit_when_empty=("technical_checks",))

    def content_hash(self) -> str:
        return canonical.content_hash(self, omit_when_empty=("technical_checks",))


# Loading ----------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    source: str
    template: Template | None = None
    errors: list[str] = field(default_factory=list)
    # The line of every item key, to place later errors (such as a changed text without a version bump).
    item_lines: dict[str, int] = field(default_factory=dict)
    line_of_version: int = 1

    @property
    def ok(self) -> bool:
        return self.template is not None and not self.errors

    def error(self, line: int, message: str) -> None:
        self.errors.append(f"{self.source}:{line}: {message}")


_MESSAGES = {
    "missing": "{field} is missing",
    "extra_forbidden": "{field} is not a known field",
    "int_parsing": "{field} must be a whole number",
    "int_type": "{field} must be a whole number",
    "float_parsing": "{field} must be a number",
    "float_type": "{field} must be a number",
    "bool_parsing": "{field} must be true or false",
    "bool_type": "{field} must be true or false",
    "string_type": "{field} must be text",
    "list_type": "{field} must be a list",
    "too_short": "{field} must not be empty",
    "string_too_short": "{field} must not be empty",
    "string_too_long": "{field} is too long",
    "greater_than_equal": "{field} must be at least {ge}",
    "less_than_equal": "{field} must be at most {le}",
    "model_type": "{field} must be a mapping of fields",
    "dict_type": "{field} must be a mapping of fields",
}


def node_at(node: yaml.Node, loc: tuple) -> yaml.Node:
    """The deepest YAML node along `loc` (a pydantic error location)."""
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    node = value_node
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def key_node(node: yaml.Node, name: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, _value in node.value:
            if key_node.value == name:
                return key_node
    return None


def _context(data: Any, loc: tuple) -> str:
    """'item F3: ' or 'section access: ' for an error inside one, so the reader finds it."""
    try:
        if len(loc) >= 4 and loc[0] == "sections" and loc[2] == "items":
            key = data["sections"][loc[1]]["items"][loc[3]].get("key")
            return f"item {key}: " if key else f"item #{loc[3] + 1} of section {loc[1] + 1}: "
        if len(loc) >= 2 and loc[0] == "sections":
            key = data["sections"][loc[1]].get("key")
            return f"section {key}: " if key else f"section #{loc[1] + 1}: "
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return ""


def _field_name(loc: tuple) -> str:
    names = [p for p in loc if isinstance(p, str) and p not in ("sections", "items")]
    if loc and loc[-1] in ("sections", "items") and (not names or names[-1] != loc[-1]):
        names.append(loc[-1])
    if len(loc) >= 2 and isinstance(loc[-1], int) and isinstance(loc[-2], str):
        return f"{loc[-2]} entry {loc[-1] + 1}"
    return names[-1] if names else "the file"


def plain_error(error: dict) -> str:
    loc = tuple(error["loc"])
    field_name = _field_name(loc)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        expected = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
        return f"{field_name} must be one of {expected}"
    if kind == "string_pattern_mismatch":
        if field_name == "key" and "items" in loc:
            return "key must be letters then digits, such as F3"
        return f"{field_name} must be lower-case letters, digits, '-' or '_'"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    template = _MESSAGES.get(kind)
    if template:
        return template.format(field=field_name, **ctx)
    return f"{field_name}: {error['msg']}"


# A template of the library has a few thousand values; aliases could make a small upload expand to billions.
MAX_NODES = 100_000


def expanded_size_exceeds(root: yaml.Node | None, limit: int) -> bool:
    """Whether the document, with every alias expanded, holds more than `limit` nodes (cycles count forever)."""
    count, stack = 0, [root] if root is not None else []
    while stack:
        node = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                stack.extend((key_node, value_node))
    return False


def load_text(text: str, source: str, *, expected_key: str | None = None) -> LoadResult:
    """Parse and validate one template. `expected_key` is the file name's, when it has one."""
    result = LoadResult(source=source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if expanded_size_exceeds(root, MAX_NODES):
            result.error(1, f"the file expands to more than {MAX_NODES} values (too large, or aliases that repeat "
                            f"themselves); write it out plainly")
            return result
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        result.error(mark.line + 1 if mark else 1, f"YAML syntax error: {exc.problem or exc}")
        return result
    except yaml.YAMLError as exc:
        result.error(1, f"YAML syntax error: {str(exc).splitlines()[0]}")
        return result
    except RecursionError:
        result.error(1, "the file is nested too deeply to be a checklist")
        return result
    if not isinstance(data, dict) or root is None:
        result.error(1, "the file must be a mapping with key, version, category, title and sections")
        return result
    try:
        template = Template.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            node = node_at(root, loc)
            if error["type"] == "extra_forbidden":
                node = key_node(node_at(root, loc[:-1]), loc[-1]) or node
            result.error(node.start_mark.line + 1, _context(data, loc) + plain_error(error))
        return result

    # Checks across the whole file.
    sections_node = node_at(root, ("sections",))
    seen_sections: dict[str, int] = {}
    seen_items: dict[str, int] = {}
    for s_index, section in enumerate(template.sections):
        line = node_at(sections_node, (s_index, "key")).start_mark.line + 1
        if section.key in seen_sections:
            result.error(line, f"section {section.key}: key is used twice (first at line {seen_sections[section.key]})")
        seen_sections.setdefault(section.key, line)
        for i_index, item in enumerate(section.items):
            line = node_at(sections_node, (s_index, "items", i_index, "key")).start_mark.line + 1
            if item.key in seen_items:
                result.error(line, f"item {item.key}: key is used twice (first at line {seen_items[item.key]})")
            seen_items.setdefault(item.key, line)
    _check_technical_checks(template, root, result)
    if expected_key is not None and template.key != expected_key:
        line = node_at(root, ("key",)).start_mark.line + 1
        result.error(line, f"key must match the file name ({expected_key})")
    result.item_lines = seen_items
    result.line_of_version = node_at(root, ("version",)).start_mark.line + 1
    result.template = template
    return result


def _check_technical_checks(template: Template, root: yaml.Node, result: LoadResult) -> None:
    """Each check mapped once, to an item of this template that takes a compliance answer. Checked once the file's
    items are sound, so that a broken item key is reported as itself, not again as a mapping to nowhere."""
    if result.errors:
        return
    items = {item.key: item for item in template.items()}
    seen: set[str] = set()
    for index, entry in enumerate(template.technical_checks):
        line = node_at(root, ("technical_checks", index)).start_mark.line + 1
        item = items.get(entry.item)
        if entry.check in seen:
            result.error(line, f"technical_checks: {entry.check} is mapped twice")
        elif item is None:
            result.error(line, f"technical_checks: {entry.check} maps to item {entry.item}, which is not in the file")
        elif item.response != "compliance":
            result.error(line, f"technical_checks: {entry.check} maps to item {entry.item}, whose response is "
                               f"{item.response}; it needs response compliance")
        seen.add(entry.check)


def load_file(path: Path, source: str | None = None) -> LoadResult:
    source = source or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        result = LoadResult(source=source)
        result.error(1, "the file is not UTF-8 text")
        return result
    return load_text(text, source, expected_key=path.stem)
