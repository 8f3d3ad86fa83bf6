"""A register in and out as a spreadsheet. In: all or nothing, each problem named by its row and column; a row
whose number the register holds changes that entry, any other is added, and entries the file leaves out stay.
Out: the same columns (so an export is the template of an import), as .xlsx or CSV."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ... import clock
from ...database import transaction
from ...models import OrgNode, User, utcnow
from .. import audit, spreadsheets
from ..classified import find_suspicions
from .entries import check_keeper
from .kinds import DAY, Register, read, shown

MAX_IMPORT_ROWS = 5000


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    # Cells that look classified: refused unless the importer confirms the file holds no state secret.
    suspicious: list[str] = field(default_factory=list)


def import_entries(session: Session, actor: User, unit: OrgNode, register: Register, rows: list[list[str]], *,
                   digest: str = "", confirm_unclassified: bool = False, today: date | None = None) -> ImportReport:
    """Add and change the unit's entries as the file's rows say, all or none."""
    check_keeper(actor, unit.id)
    today = today or clock.local_today()
    report = ImportReport()
    table = spreadsheets.ImportTable.read(rows, {f.name: f.names() for f in register.fields})
    if table.empty:
        report.errors.append(_("文件是空的。"))
    elif missing := table.missing(*(f.name for f in register.fields if f.required)):
        report.errors.append(missing)
    elif not table.rows:
        report.errors.append(_("文件只有表头，没有数据行。"))
    if report.errors:
        return report
    planned = _read_rows(register, table, today, report)
    if report.suspicious and not confirm_unclassified:
        report.errors.extend(report.suspicious)
    if report.errors:
        return report
    with transaction(session):
        _write(session, actor, unit, register, planned, [f.name for f in register.fields if f.name in table.columns],
               report)
        audit.record(session, actor, "registers.import", unit, details={
            "register": register.key, "sha256": digest, "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "numbers": [values["number"] for values in planned],
            **({"unclassified_confirmed": report.suspicious} if report.suspicious else {})})
    return report


def _read_rows(register: Register, table: spreadsheets.ImportTable, today: date,
               report: ImportReport) -> list[dict]:
    """Each row's values; every problem, named by row and column, goes into the report."""
    headings = {key: table.header[index].strip() for key, index in table.columns.items()}
    first_row: dict[str, int] = {}
    planned = []
    for number, row in table.rows:
        raw = {name: table.cell(row, name) for name in table.columns}
        values, problems = read(register, raw, today)
        key = (values.get("number") or "").lower()
        if key and key in first_row:
            problems.append(("number", _("编号与第 %(row)d 行重复", row=first_row[key])))
        first_row.setdefault(key, number)
        for name, problem in problems:
            report.errors.append(_("第 %(row)d 行“%(column)s”列：%(problem)s。", row=number,
                                   column=headings.get(name, register.field(name).names()[0]), problem=problem))
        for suspicion in find_suspicions({f.name: values[f.name] for f in register.fields if f.free_text}):
            report.suspicious.append(_(
                "第 %(row)d 行“%(column)s”列：疑似密级标志（%(excerpt)s），本系统严禁录入国家秘密。", row=number,
                column=headings[suspicion.field], excerpt=suspicion.excerpt))
        planned.append(values)
    return planned


def _write(session: Session, actor: User, unit: OrgNode, register: Register, planned: list[dict], names: list[str],
           report: ImportReport) -> None:
    """Insert the new entries and update the changed ones, in bulk. A column the file leaves out leaves that field
    of an existing entry as it is."""
    model = register.model
    existing = {row.number.lower(): row for row in session.execute(
        select(model.id, model.revision, *(getattr(model, n) for n in names)).where(model.unit_id == unit.id))}
    now = utcnow()
    new, changed = [], []
    for values in planned:
        current = existing.get(values["number"].lower())
        if current is None:
            new.append({**values, "unit_id": unit.id, "created_at": now, "updated_at": now,
                        "updated_by_id": actor.id, "revision": 1})
        elif any(getattr(current, n) != values[n] for n in names):
            changed.append({**{n: values[n] for n in names}, "id": current.id, "revision": current.revision + 1,
                            "updated_at": now, "updated_by_id": actor.id})
        else:
            report.unchanged += 1
    if new:
        # Every row with every column, NULLs included: rows whose empty cells differ would otherwise be inserted in
        # as many batches as there are patterns of empty cells (thousands of round trips on PostgreSQL). A column
        # with a default gets it where its cell is empty, as a row left to the default would.
        defaults = {c.name: c.default.arg for c in model.__table__.columns
                    if c.default is not None and c.default.is_scalar}
        new = [{**row, **{name: value for name, value in defaults.items() if row.get(name) is None}} for row in new]
        session.execute(insert(model).execution_options(render_nulls=True), new)
    if changed:
        session.execute(update(model), changed)
    report.created, report.updated = len(new), len(changed)


# Out ------------------------------------------------------------------------------------------------------


def _columns(register: Register) -> list[spreadsheets.Column]:
    with force_locale("zh"):
        return [spreadsheets.Column(str(f.heading), 12 if f.kind == DAY else 24 if f.free_text else 14,
                       "date" if f.kind == DAY else "text") for f in register.fields]


def _rows(session: Session, unit: OrgNode, register: Register) -> Iterator[list]:
    model = register.model
    with force_locale("zh"):  # the choices and flags in the words an import reads back
        for entry in session.scalars(select(model).where(model.unit_id == unit.id).order_by(model.number)):
            yield [getattr(entry, f.name) if f.kind == DAY else shown(f, getattr(entry, f.name))
                   for f in register.fields]


def export(session: Session, actor: User, unit: OrgNode, register: Register, fmt: str) -> tuple[object, str]:
    """The unit's register as an .xlsx file (bytes) or CSV (text in pieces), and its file name; audited."""
    with transaction(session):
        audit.record(session, actor, "registers.export", unit, details={"register": register.key, "format": fmt})
    with force_locale("zh"):
        title = f"{unit.name}{register.name}台账"
    filename = f"{register.key}-{unit.code}-{clock.local_today().isoformat()}.{fmt}"
    table = spreadsheets.Export.table(filename.rsplit(".", 1)[0], title, _columns(register),
                                      _rows(session, unit, register), [("单位", unit.name)])
    if fmt == "xlsx":
        return spreadsheets.to_xlsx(table, actor.display_name), filename
    return spreadsheets.to_csv(table), filename


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
