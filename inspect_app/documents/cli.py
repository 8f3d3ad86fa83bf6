"""Official documents on the command line: `report inspection|notice|rectification|summary` write a PDF,
`report verify` reads one's verification code, `report fonts` names the faces on this machine."""

from __future__ import annotations

import shutil
import sys
import time
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .. import pdf
from ..extensions import db
from ..models import DocumentKind, Inspection, Notice, OrgNode
from ..services import DomainError, documents
from ..services.documents import summary


@click.group("report", cls=AppGroup)
def report_group() -> None:
    """Official documents as PDF (GB/T 9704 layout), and verification of their codes."""


_OUT = click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                    help="Where to write the PDF.")


def _write_document(kind: str, model, record_id: int, what: str, out: Path) -> None:
    record = db.session.get(model, record_id)
    if record is None:
        raise click.ClickException(f"there is no {what} with the id {record_id}")
    _write_record(kind, record, out)


def _check_fonts() -> None:
    try:
        pdf.check_fonts()
    except pdf.FontsMissing as exc:
        raise click.ClickException(str(exc)) from exc


def _write_record(kind: str, record, out: Path) -> None:
    _check_fonts()
    if not out.parent.is_dir():
        raise click.ClickException(f"cannot write {out}: the folder {out.parent} does not exist")
    try:
        prepared = documents.prepare(db.session, kind, record)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    started = time.perf_counter()
    document = documents.cached(db.session, prepared)
    how = "already rendered: the same version is kept"
    if document is None:
        document = documents.render_inline(db.session, None, prepared)
        how = f"rendered in {time.perf_counter() - started:.2f} s"
    try:
        shutil.copyfile(documents.file_path(document.sha256), out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror}") from exc
    click.echo(f"{out}: {prepared.kind.label}, {document.pages} pages, verification code "
               f"{document.verification_code} ({how})")


@report_group.command("fonts")
def report_fonts() -> None:
    """The face each part of the documents is set in on this machine, or which package to install."""
    _check_fonts()
    for role, face in pdf.faces().items():
        stand_in = f"stand-in from {face.package}" if face.package else "licensed GB font"
        click.echo(f"{pdf.ROLE_NAMES[role]}: {face.family} {face.weight} ({stand_in})")


@report_group.command("inspection")
@click.argument("inspection_id", type=int)
@_OUT
def report_inspection(inspection_id: int, out: Path) -> None:
    """The inspection report (检查报告) of inspection INSPECTION_ID."""
    _write_document(DocumentKind.INSPECTION_REPORT, Inspection, inspection_id, "inspection", out)


@report_group.command("notice")
@click.argument("notice_id", type=int)
@_OUT
def report_notice(notice_id: int, out: Path) -> None:
    """The rectification notice (整改通知书) NOTICE_ID."""
    _write_document(DocumentKind.NOTICE, Notice, notice_id, "rectification notice", out)


@report_group.command("rectification")
@click.argument("inspection_id", type=int)
@_OUT
def report_rectification(inspection_id: int, out: Path) -> None:
    """The unit's rectification report (整改情况报告) for inspection INSPECTION_ID."""
    _write_document(DocumentKind.RECTIFICATION_REPORT, Inspection, inspection_id, "inspection", out)


def _day(option: str, value: str):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD", param_hint=option) from None


@report_group.command("summary")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="First day of the period.")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Last day of the period.")
@click.option("--district", "district_code", metavar="CODE",
              help="A district bureau's code (its units), or the city bureau's (the units directly under it).")
@_OUT
def report_summary(start: str, end: str, district_code: str | None, out: Path) -> None:
    """The period summary for leadership (保密检查情况通报) of the whole city, or of one district."""
    first, last = _day("--from", start), _day("--to", end)
    if first > last:
        raise click.BadParameter(f"{start} is after --to {end}", param_hint="--from")
    district = None
    if district_code:
        district = db.session.scalar(select(OrgNode).where(OrgNode.code == district_code.strip()))
        if district is None:
            raise click.BadParameter(f"there is no district with the code {district_code!r}", param_hint="--district")
        if district not in summary.district_choices(db.session, None):
            raise click.BadParameter(f"{district_code!r} is {district.name}, which has no units of its own: give a "
                                     "district bureau's code, or the city bureau's for its directly supervised units",
                                     param_hint="--district")
    city = summary.root_bureau(db.session)
    if city is None and district is None:
        raise click.ClickException("there is no single city bureau in the org tree; give --district")
    try:
        record = summary.period_summary(first, last, city or district, district)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    _write_record(DocumentKind.SUMMARY, record, out)


@report_group.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def report_verify(path: Path) -> None:
    """Check a PDF's SM2 signature, then read its verification code and say which record and version it is and
    whether it is current.

    Exit status: 0 current, 1 superseded (or its record is gone), 2 no code or a code this system never issued,
    3 not genuine (altered, or signed by a key the bureau does not trust).
    """

    checked = documents.verify_file(db.session, None, path.read_bytes())
    signed = checked.signature
    if checked.verdict == "genuine":
        retired = "" if signed.key_id == documents.signing_key_id() else ", a retired key"
        click.echo(f"signature:         GENUINE: signed with the bureau's SM2 key {signed.key_id}{retired}; "
                   f"not a byte changed since")
    elif checked.verdict == "not_signed":
        click.echo("signature:         NOT SIGNED: issued before documents were signed, or with signing off")
    else:
        click.echo(f"signature:         NOT GENUINE: {checked.reason}", err=True)
    if checked.code is None:
        click.echo(f"{path}: no verification code found (not a document of this system, or not a PDF)", err=True)
        sys.exit(3 if checked.verdict == "not_genuine" else 2)
    result = checked.found
    if result is None:
        click.echo(f"verification code {checked.code}: NOT FOUND: this system never issued a document with this code",
                   err=True)
        sys.exit(3 if checked.verdict == "not_genuine" else 2)
    doc = result.document
    click.echo(f"verification code: {checked.code}")
    of = f" of record {doc.object_id}" if doc.object_id is not None else ""
    click.echo(f"document:          {result.kind_label} ({doc.kind}{of}): {result.record_label}")
    click.echo(f"version:           {doc.record_version[:16]}, rendered {doc.created_at:%Y-%m-%d %H:%M} UTC, "
               f"{doc.pages} pages")
    if result.current:
        click.echo("status:            CURRENT: the record has not changed since this version")
    elif result.record is None:
        click.echo("status:            SUPERSEDED: the record no longer exists")
    else:
        newer = f" (current version: {result.latest.verification_code})" if result.latest else ""
        click.echo(f"status:            SUPERSEDED: the record has changed since{newer}")
    click.echo("file:              " + ("identical to the copy the system issued" if checked.identical else
                                        "the code is ours, but the file is not byte-identical to the issued copy"))
    if checked.verdict == "not_genuine":
        sys.exit(3)
    sys.exit(0 if result.current else 1)


commands = [report_group]
