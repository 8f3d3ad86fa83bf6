"""The API's request and response shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..ids import MAX_ID
from ..models.registers import RegisterKind
from ..services.registers import MAX_POPULATION, MAX_SEED, NOTE_LIMIT
from .spec import Error

__all__ = ["Error"]  # one error shape for the whole API, defined with the registry

# Text from a person: no NUL characters, which no database keeps.
NO_NUL = r"^[^\x00]*$"
Text = Field(default=None, max_length=2000, pattern=NO_NUL)
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Field(pattern=UUID_PATTERN)
# Whole base64 quanta, as base64.b64decode(validate=True) takes them.
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# The database keeps naive UTC; the API says which zone it is: 2026-11-28T02:15:00Z (RFC 3339, as the document's
# date-time format requires).
Timestamp = Annotated[datetime, AfterValidator(_as_utc)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Csrf(BaseModel):
    csrf_token: str


class Choice(BaseModel):
    key: str
    label: str
    label_en: str | None = None


class Item(BaseModel):
    id: int
    key: str
    text: str
    text_en: str | None
    response: Literal["compliance", "number", "text", "choice"]
    severity: Literal["general", "serious", "critical"]
    points: int
    deduction: bool
    veto: bool
    choices: list[Choice]
    unit_label: str | None


class Section(BaseModel):
    id: int
    key: str
    title: str
    title_en: str | None
    items: list[Item]


class SampleEntry(BaseModel):
    id: int
    number: str
    title: str


class SampleCheck(BaseModel):
    entry_id: int
    result: Literal["compliant", "noncompliant"]
    note: str | None


class Sample(BaseModel):
    """A draw from a register: its seed and size, the entries in draw order, what was found of each."""

    seed: int
    size: int
    entries: list[SampleEntry]
    checks: list[SampleCheck]


class Answer(BaseModel):
    item_id: int
    value: str | None
    note: str | None
    finding_text: str | None
    severity: str | None
    na_reason: str | None
    revision: int
    answered_by: str
    answered_at: Timestamp
    complete: bool
    sample: Sample | None = None


class Photo(BaseModel):
    id: int
    item_id: int
    client_uuid: str | None
    url: str
    thumbnail_url: str
    size: int


class Progress(BaseModel):
    total: int
    answered: int
    complete: int


class Unit(BaseModel):
    id: int
    name: str


class Inspection(BaseModel):
    id: int
    title: str
    unit: Unit
    kind: str
    status: str
    locked: bool
    can_answer: bool
    can_submit: bool
    sections: list[Section]
    answers: list[Answer]
    photos: list[Photo]
    progress: Progress


EntryId = Annotated[int, Field(ge=1, le=MAX_ID)]


class SampleCheckIn(_In):
    entry_id: EntryId
    result: Literal["compliant", "noncompliant"]
    note: str | None = Field(default=None, max_length=NOTE_LIMIT, pattern=NO_NUL)


class SampleIn(_In):
    """A draw as the tablet made it: the seed; with the first write the ids drawn from and the ids drawn (the
    server draws again and must get the same); and the checks so far."""

    seed: int = Field(ge=0, le=MAX_SEED)
    population: list[EntryId] | None = Field(default=None, min_length=1, max_length=MAX_POPULATION)
    entries: list[EntryId] | None = Field(default=None, max_length=50)
    checks: list[SampleCheckIn] = Field(default_factory=list, max_length=50)


class AnswerIn(_In):
    client_uuid: str = Uuid
    item_id: int = Field(ge=1, le=MAX_ID)
    base_revision: int = Field(ge=0, le=MAX_ID)
    value: str | None = Text
    note: str | None = Text
    finding_text: str | None = Text
    severity: Literal["general", "serious", "critical"] | None = None
    na_reason: str | None = Text
    confirm_unclassified: bool = False
    sample: SampleIn | None = None


class AnswersIn(_In):
    answers: list[AnswerIn] = Field(min_length=1, max_length=100)


class AnswerResult(BaseModel):
    client_uuid: str
    status: Literal["saved", "duplicate", "conflict", "invalid", "needs_confirmation"]
    answer: Answer | None = None
    message: str | None = None
    field: str | None = None


class AnswersOut(BaseModel):
    results: list[AnswerResult]


class SignatureIn(_In):
    role: Literal["lead", "unit"]
    signer_name: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    png_base64: str = Field(min_length=16, max_length=2_000_000, pattern=BASE64_PATTERN)


class SubmitIn(_In):
    signatures: list[SignatureIn] = Field(min_length=2, max_length=2)


class Finding(BaseModel):
    id: int
    item_key: str
    severity: str
    description: str
    is_repeat: bool


class SubmitOut(BaseModel):
    status: str
    score: float | None
    band: str | None
    findings: list[Finding]


# The registers an inspection samples -------------------------------------------------------------------


class SampledItem(BaseModel):
    item_id: int
    register_key: Literal[tuple(RegisterKind)]  # type: ignore[valid-type]  # ("register" is a pydantic name)
    size: int
    verify: str
    verify_en: str


class RegisterEntry(BaseModel):
    id: int
    number: str
    title: str
    details: str


class Register(BaseModel):
    name: str
    measure: str
    entries: list[RegisterEntry]


class Prefinding(BaseModel):
    """A rule the unit's registers break, on the checklist item it serves."""

    item_id: int
    rule: str
    text: str
    entries: list[str]


class InspectionRegisters(BaseModel):
    items: list[SampledItem]
    registers: dict[str, Register]
    samples: dict[str, Sample]  # by item id
    prefindings: list[Prefinding]
