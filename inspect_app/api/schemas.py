"""The API's request and response shapes: the tablet's (an inspection to fill, answers, photos, submitting) and
an integration's (lists, plans, findings, tickets, notices, units, figures, scans)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..clock import FIRST_DAY, LAST_DAY
from ..ids import MAX_ID
from ..models.registers import RegisterKind
from ..services.registers import MAX_POPULATION, MAX_SEED, NOTE_LIMIT
from .spec import Problem

__all__ = ["Problem"]  # one error shape for the whole API, defined with the registry

# Text from a person: no NUL characters, which no database keeps.
NO_NUL = r"^[^\x00]*$"
Text = Field(default=None, max_length=2000, pattern=NO_NUL)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Field(pattern=UUID_PATTERN)
# Whole base64 quanta, as base64.b64decode(validate=True) takes them.
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# The database keeps naive UTC; the API says which zone it is: 2026-11-28T02:15:00Z (RFC 3339, as the document's
# date-time format requires).
Timestamp = Annotated[datetime, AfterValidator(_as_utc)]


def _on_the_calendar(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"a date from {FIRST_DAY} to {LAST_DAY}")
    return day


# A local calendar date (YYYY-MM-DD), within the years the records can hold.
Day = Annotated[date, AfterValidator(_on_the_calendar)]


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


# Lists: newest first, a page at a time ----------------------------------------------------------------------


class _Query(BaseModel):
    """A query string: unknown arguments are ignored, as on the pages."""

    model_config = ConfigDict(extra="ignore")


class ListQuery(_Query):
    cursor: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_-]*$",
                               description="next_cursor of the page before; none for the first page")
    limit: int = Field(default=50, ge=1, le=100, description="How many items a page holds")


class UnitRef(BaseModel):
    id: int
    name: str
    code: str


class Person(BaseModel):
    id: int
    name: str


# Inspections


InspectionKind = Literal["routine", "special", "spot", "self"]
InspectionStatus = Literal["planned", "in_progress", "submitted", "issued", "closed", "cancelled"]


class InspectionQuery(ListQuery):
    status: InspectionStatus | None = None
    kind: InspectionKind | None = None
    unit_id: Id | None = None
    scheduled_from: Day | None = Field(default=None, description="Planned on or after (YYYY-MM-DD)")
    scheduled_to: Day | None = Field(default=None, description="Planned on or before (YYYY-MM-DD)")


class TemplateRef(BaseModel):
    key: str
    version: int
    title: str


class InspectionSummary(BaseModel):
    id: int
    title: str
    unit: UnitRef
    kind: str
    status: str
    scheduled_on: date
    lead: Person
    templates: list[TemplateRef]
    started_at: Timestamp | None
    submitted_at: Timestamp | None
    issued_at: Timestamp | None
    closed_at: Timestamp | None
    score: float | None
    band: str | None


class InspectionList(BaseModel):
    items: list[InspectionSummary]
    next_cursor: str | None


class PlanIn(_In):
    unit_id: Id
    kind: Literal["routine", "special", "spot"]
    scheduled_on: Day
    templates: list[str] = Field(min_length=1, max_length=20, description="Checklist keys; their current versions")
    lead_id: Id | None = Field(default=None, description="An inspector who may inspect the unit; a token must name one")
    member_ids: list[Id] = Field(default=[], max_length=20)
    title: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    scope: str | None = Text
    notes: str | None = Text


# Findings, tickets, notices


Severity = Literal["general", "serious", "critical"]


class FindingQuery(ListQuery):
    inspection_id: Id | None = None
    unit_id: Id | None = None
    severity: Severity | None = None
    status: Literal["active", "dropped", "merged", "all"] = "active"


class FindingOut(BaseModel):
    id: int
    inspection_id: int
    unit: UnitRef
    template_key: str
    item_key: str
    item_text: str
    category: str
    compliance: str
    severity: str
    description: str
    is_repeat: bool
    status: str
    created_at: Timestamp
    ticket_id: int | None


class FindingList(BaseModel):
    items: list[FindingOut]
    next_cursor: str | None


TicketState = Literal["open", "responded", "accepted", "returned", "cancelled"]


class TicketQuery(ListQuery):
    status: TicketState | Literal["unfinished"] | None = None
    overdue: bool = Field(default=False, description="Only those past their due date that the unit still owes")
    unit_id: Id | None = None
    inspection_id: Id | None = None
    severity: Severity | None = None


class TicketSummary(BaseModel):
    id: int
    finding_id: int
    inspection_id: int
    notice_id: int | None
    unit: UnitRef
    status: str
    overdue: bool
    due_date: date
    original_due_date: date
    severity: str
    title: str
    returns_count: int
    revision: int
    created_at: Timestamp
    responded_at: Timestamp | None
    accepted_at: Timestamp | None


class TicketList(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None


class EvidenceFile(BaseModel):
    id: int
    filename: str
    mime: str
    size: int
    sha256: str


class TicketEventOut(BaseModel):
    kind: str
    at: Timestamp
    actor: str | None
    body: str | None
    measures: str | None
    responsible: str | None
    completed_on: date | None
    old_due_date: date | None
    new_due_date: date | None
    evidence: list[EvidenceFile]


class TicketOut(TicketSummary):
    finding: FindingOut
    notice_number: str | None
    events: list[TicketEventOut]
    may_respond: bool = Field(description="Whether the caller answers this ticket, and its state lets them now")


class EvidenceIn(_In):
    filename: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f/\\]+$")
    content_base64: str = Field(min_length=4, max_length=20_000_000, pattern=BASE64_PATTERN)


class RespondIn(_In):
    measures: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    responsible: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    completed_on: Day
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=10,
                                       description="Photos (JPEG, PNG, WebP) or scanned PDFs of the fix")
    revision: int | None = Field(default=None, ge=0, le=MAX_ID,
                                 description="The ticket's revision the answer was written against (409 if it moved)")
    confirm_unclassified: bool = False


class NoticeQuery(ListQuery):
    unit_id: Id | None = None
    inspection_id: Id | None = None


class NoticeSummary(BaseModel):
    id: int
    number: str
    inspection_id: int
    unit: UnitRef
    bureau: UnitRef
    issued_at: Timestamp


class NoticeList(BaseModel):
    items: list[NoticeSummary]
    next_cursor: str | None


class NoticeOut(NoticeSummary):
    issued_by: str
    finished: int
    tickets: list[TicketSummary]


# Units and figures


UnitType = Literal["party_gov", "judicial", "people_org", "institution", "state_enterprise", "defence", "other"]


class UnitQuery(ListQuery):
    q: str | None = Field(default=None, max_length=100, pattern=NO_NUL, description="In the name or the code")
    district_id: Id | None = Field(default=None, description="The units directly under this bureau")
    unit_type: UnitType | None = None
    key_only: bool = Field(default=False, description="Key units (重点单位) only")


class UnitSummary(BaseModel):
    id: int
    name: str
    code: str
    unit_type: str | None
    is_key_unit: bool
    active: bool
    parent: UnitRef | None
    last_inspected_at: Timestamp | None
    last_score: float | None
    last_band: str | None
    open_tickets: int
    overdue_tickets: int


class UnitList(BaseModel):
    items: list[UnitSummary]
    next_cursor: str | None


class ScorePoint(BaseModel):
    day: date
    kind: str
    score: float
    inspection_id: int


class UnitOut(UnitSummary):
    backlog: int
    overdue: int
    due_soon: int
    returned: int
    repeat_findings: int
    scores: list[ScorePoint]


class FiguresQuery(_Query):
    start: Day | None = Field(default=None, alias="from", description="First day (YYYY-MM-DD); default a year ago")
    end: Day | None = Field(default=None, alias="to", description="Last day (YYYY-MM-DD); default today")
    kind: InspectionKind | Literal["any"] | None = Field(
        default=None, description="One kind; any: every kind; none: the three a bureau conducts")
    district_id: Id | None = None
    unit_type: UnitType | None = None


class Rates(BaseModel):
    coverage: float | None = Field(description="检查覆盖率, percent: units covered / active units")
    completion_rate: float | None = Field(description="整改完成率, percent: accepted / tickets issued")
    on_time_rate: float | None = Field(description="按期完成率, percent: accepted by the due date / accepted")


class Period(BaseModel):
    first: date
    last: date


class FiguresOut(BaseModel):
    period: Period
    counts: dict[str, int] = Field(description="Each figure of the dashboard by its key (docs/api.md)")
    rates: Rates
    median_days_to_close: float | None


# Scans


class ScanQuery(_Query):
    confirm_unclassified: bool = Field(
        default=False, description="The sender confirms that text flagged as looking classified holds no secret")


class ScanResultOut(BaseModel):
    device_id: str
    asset_number: str | None
    device_name: str | None
    check: str
    result: str
    detail: str | None
    evidence_sha256: str | None
    scanned_at: Timestamp
    item_key: str | None = Field(description="The checklist item the mapping table gives the check; none: none")


class ProposalOut(BaseModel):
    id: int
    item_id: int
    item_key: str
    status: Literal["pending", "confirmed", "rejected"]
    finding_text: str


class ScanOut(BaseModel):
    id: int
    scan_id: str
    inspection_id: int
    tool: str
    tool_version: str
    source: str
    received_at: Timestamp
    started_at: Timestamp
    finished_at: Timestamp
    device_count: int
    result_count: int
    failing_count: int
    results: list[ScanResultOut]
    proposals: list[ProposalOut]


class ScanList(BaseModel):
    items: list[ScanOut]
