"""The scan file, format version 1 (docs/scans.md): what a technical inspection tool reports about one unit's
devices, as JSON or as CSV with one row per result. Both read into one `ScanFile`; its content hash tells a scan
sent again from one sent with other content under the same id."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ...models import ScanCheck, ScanOutcome
from .. import DomainError, canonical

FORMAT = "inspect-scan"
VERSION = 1
MAX_BYTES = 5 * 1024 * 1024
MAX_DEVICES = 500
MAX_RESULTS = 5000
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]
Reference = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]


def _plausible(moment: datetime) -> datetime:
    """A scan took place after 2000 and not in the future (a tablet's clock may run a little fast)."""
    if not EARLIEST <= moment <= datetime.now(UTC) + timedelta(days=1):
        raise ValueError("scanned_at must lie between 2000 and now")
    return moment


ScannedAt = Annotated[AwareDatetime, AfterValidator(_plausible)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Tool(_Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")
    version: str = Field(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f]+$")


class Result(_Strict):
    check: ScanCheck
    result: ScanOutcome
    detail: str | None = Field(default=None, max_length=1000, pattern=NO_NUL, description="What the tool saw")
    evidence_sha256: Sha256 | None = Field(default=None, description="SHA-256 of the tool's evidence file")
    scanned_at: ScannedAt


class Device(_Strict):
    device_id: Name
    asset_number: Name | None = None
    name: str | None = Field(default=None, max_length=100, pattern=r"^[^\x00-\x1f]*$")
    results: list[Result] = Field(min_length=1, max_length=50)


class ScanFile(_Strict):
    """A technical inspection tool's scan of one unit's devices, format version 1."""

    format: Literal["inspect-scan"]
    version: Literal[1]
    scan_id: Reference = Field(description="The tool's id for this scan: a scan sent again under it is stored once")
    tool: Tool
    unit_code: str | None = Field(default=None, max_length=32, pattern=r"^[^\x00-\x1f]+$",
                                  description="The unit scanned; when given, it must be the inspection's")
    devices: list[Device] = Field(min_length=1, max_length=MAX_DEVICES)

    @model_validator(mode="after")
    def _bounded(self) -> ScanFile:
        if sum(len(d.results) for d in self.devices) > MAX_RESULTS:
            raise ValueError(f"a scan holds at most {MAX_RESULTS} results")
        ids = [d.device_id for d in self.devices]
        if len(set(ids)) != len(ids):
            raise ValueError("each device_id appears once")
        return self

    def results(self) -> list[tuple[Device, Result]]:
        return [(device, result) for device in self.devices for result in device.results]

    def content_hash(self) -> str:
        """Of what the scan says, however it was sent (JSON or CSV, in any key order)."""
        return canonical.content_hash(self)

    @property
    def started_at(self) -> datetime:
        return min(r.scanned_at for _d, r in self.results()).astimezone(UTC).replace(tzinfo=None)

    @property
    def finished_at(self) -> datetime:
        return max(r.scanned_at for _d, r in self.results()).astimezone(UTC).replace(tzinfo=None)


def _problem(exc: ValidationError, where: str = "") -> DomainError:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"])
    return DomainError(_("扫描文件有误：%(where)s%(path)s %(msg)s", where=where, path=path, msg=first["msg"]),
                       field="file")


def from_json(data: bytes) -> ScanFile:
    try:
        payload = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DomainError(_("扫描文件不是有效的 UTF-8 JSON。"), field="file") from None
    return from_mapping(payload)


def from_mapping(payload) -> ScanFile:
    if not isinstance(payload, dict):
        raise DomainError(_("扫描文件应为一个 JSON 对象。"), field="file")
    try:
        return ScanFile.model_validate(payload)
    except ValidationError as exc:
        raise _problem(exc) from None


# CSV: one row per result, the scan's own columns repeated on every row.
CSV_COLUMNS = ("format_version", "scan_id", "tool", "tool_version", "unit_code", "device_id", "asset_number",
               "device_name", "check", "result", "detail", "evidence_sha256", "scanned_at")
SCAN_COLUMNS = ("format_version", "scan_id", "tool", "tool_version", "unit_code")


def from_csv(data: bytes) -> ScanFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_("扫描文件不是 UTF-8 编码的 CSV。"), field="file") from None
    if "\x00" in text:
        raise DomainError(_("请求中含有无效字符。"), field="file")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DomainError(_("扫描文件不是有效的 CSV：%(error)s", error=str(exc)), field="file") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows or tuple(cell.strip() for cell in rows[0]) != CSV_COLUMNS:
        raise DomainError(_("CSV 的第一行应为列名：%(columns)s。", columns=",".join(CSV_COLUMNS)), field="file")
    if len(rows) == 1:
        raise DomainError(_("扫描文件中没有结果行。"), field="file")
    if len(rows) - 1 > MAX_RESULTS:
        raise DomainError(_("一次扫描最多 %(n)d 条结果。", n=MAX_RESULTS), field="file")
    return _scan_of_rows(rows[1:])


def _scan_of_rows(rows: list[list[str]]) -> ScanFile:
    first = dict(zip(CSV_COLUMNS, rows[0], strict=False))
    devices: dict[str, dict] = {}
    for number, row in enumerate(rows, start=2):
        if len(row) != len(CSV_COLUMNS):
            raise DomainError(_("第 %(row)d 行：应有 %(n)d 列。", row=number, n=len(CSV_COLUMNS)), field="file")
        cells = {name: cell.strip() for name, cell in zip(CSV_COLUMNS, row, strict=True)}
        changed = [c for c in SCAN_COLUMNS if cells[c] != first[c].strip()]
        if changed:
            raise DomainError(_("第 %(row)d 行：%(column)s 与第 2 行不同，一个文件只能是一次扫描。", row=number,
                                column=changed[0]), field="file")
        device = devices.setdefault(cells["device_id"], {
            "device_id": cells["device_id"], "asset_number": cells["asset_number"] or None,
            "name": cells["device_name"] or None, "results": []})
        device["results"].append({"check": cells["check"], "result": cells["result"], "detail": cells["detail"] or None,
                                  "evidence_sha256": cells["evidence_sha256"] or None,
                                  "scanned_at": cells["scanned_at"], "_row": number})
    payload = {"format": FORMAT, "version": _version(first["format_version"].strip()),
               "scan_id": first["scan_id"].strip(),
               "tool": {"name": first["tool"].strip(), "version": first["tool_version"].strip()},
               "unit_code": first["unit_code"].strip() or None, "devices": list(devices.values())}
    rows_of = [[r.pop("_row") for r in d["results"]] for d in payload["devices"]]
    try:
        return ScanFile.model_validate(payload)
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        if len(loc) >= 4 and loc[0] == "devices" and loc[2] == "results":
            raise _problem(exc, _("第 %(row)d 行：", row=rows_of[loc[1]][loc[3]])) from None
        raise _problem(exc) from None


def _version(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def read(data: bytes, filename_or_type: str) -> ScanFile:
    """A scan file by its name (.json, .csv) or media type (application/json, text/csv)."""
    if len(data) > MAX_BYTES:
        raise DomainError(_("扫描文件过大（上限 %(mb)d MB）。", mb=MAX_BYTES // (1024 * 1024)), field="file")
    kind = filename_or_type.lower()
    if kind.endswith(".csv") or kind.startswith("text/csv"):
        return from_csv(data)
    if kind.endswith(".json") or kind.startswith("application/json"):
        return from_json(data)
    raise DomainError(_("请上传 .json 或 .csv 格式的扫描文件。"), field="file")
