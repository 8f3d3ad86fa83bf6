"""The kinds of official document, each with its record, data, template and a few facts about it.

Adding a kind is a template in inspect_app/pdf/templates, a data function in the area's own module (as
inspection_documents.py is for the inspection cycle), and one `Kind` entry in KINDS below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ...labels import DOCUMENT_KIND_LABELS, label
from ...models import AppraisalRound, Document, DocumentKind, Incident, Inspection, Notice, User
from ...pdf import summary_charts
from .. import DomainError
from ..appraisals import bulletin
from ..incidents import documents as incidents
from . import inspection_documents as cycle
from . import summary
from .codes import canonical_json, record_version


@dataclass(frozen=True)
class Kind:
    """What one kind of document needs: its record, data, template and a few facts about it."""

    name: str
    template: str
    model: type
    data: Callable[[Session, Any], dict]
    check: Callable[[User | None, Any], None]
    title: Callable[[dict], str]
    author: Callable[[dict], str]
    filename: Callable[[dict], str]
    estimate_pages: Callable[[dict], float]
    thumbnails: Callable[[dict], Iterable[str]] = lambda _data: ()  # images shown small (photos, evidence)
    originals: Callable[[dict], Iterable[str]] = lambda _data: ()  # images shown as they are (signatures)
    # What the document is of. The defaults fit a unit-owned row (an inspection, a notice); the period
    # summary's "record" will be its parameters (dates, district): object_id None, params its JSON, scope
    # node the district, and `load` rebuilding it from Document.params so /verify can recompute it.
    object_id: Callable[[Any], int | None] = lambda record: record.id
    unit_id: Callable[[Any], int | None] = lambda record: record.unit_id
    scope_node_id: Callable[[Any], int | None] = lambda _record: None
    params: Callable[[Any], dict] = lambda _record: {}
    load: Callable[[Session, Document], Any] | None = None
    # Charts drawn from the data when the HTML is made (SVG markup by name), for the template.
    charts: Callable[[dict], dict] = lambda _data: {}
    # How /verify names the record a code stands for.
    describe: Callable[[Any], str] = lambda record: f"{record.unit.name} · {record.title}"

    @property
    def label(self) -> str:
        return label(DOCUMENT_KIND_LABELS, self.name)

    def version(self, data: dict) -> str:
        return record_version(self.name, data)

    def subject(self, record: Any) -> str:
        """What the code is derived from besides the content: the record's id, or the parameters."""
        object_id = self.object_id(record)
        return str(object_id) if object_id is not None else canonical_json(self.params(record))

    def reload(self, session: Session, document: Document) -> Any | None:
        if self.load is not None:
            return self.load(session, document)
        return session.get(self.model, document.object_id) if document.object_id is not None else None


def _no_check(_actor, _record) -> None:
    return None


KINDS: dict[str, Kind] = {
    DocumentKind.INSPECTION_REPORT: Kind(
        name=DocumentKind.INSPECTION_REPORT, template="inspection_report.html", model=Inspection,
        data=cycle.inspection_report_data, check=cycle.check_inspection_report,
        title=lambda d: f"{d['unit']['name']}保密检查报告", author=lambda d: d["bureau"],
        filename=lambda d: f"检查报告-{d['unit']['name']}-{d['inspection']['date']}.pdf",
        # Calibrated on rendered reports: the head and result take about two pages, a finding a third of
        # one, six photos a page, and the annex about 13 items a page.
        estimate_pages=lambda d: 2 + 0.35 * len(d["findings"]) + sum(len(f["photos"]) for f in d["findings"]) / 6
        + sum(len(s["entries"]) for c in d["annex"] for s in c["sections"]) / 13,
        thumbnails=lambda d: [sha for f in d["findings"] for sha in f["photos"]],
        originals=lambda d: [s["image"] for s in d["signatures"]],
    ),
    DocumentKind.NOTICE: Kind(
        name=DocumentKind.NOTICE, template="notice.html", model=Notice, data=cycle.notice_data, check=_no_check,
        title=lambda d: f"关于{d['unit']['name']}保密检查发现问题限期整改的通知", author=lambda d: d["issuer"],
        filename=lambda d: f"整改通知书-{d['notice']['number']}.pdf",
        estimate_pages=lambda d: 2 + 0.3 * len(d["findings"]),
        describe=lambda notice: f"{notice.number} · {notice.unit.name}",
    ),
    DocumentKind.RECTIFICATION_REPORT: Kind(
        name=DocumentKind.RECTIFICATION_REPORT, template="rectification_report.html", model=Inspection,
        data=cycle.rectification_report_data, check=cycle.check_rectification_report,
        title=lambda d: f"{d['unit']['name']}关于保密检查发现问题整改情况的报告", author=lambda d: d["unit"]["name"],
        filename=lambda d: f"整改情况报告-{d['unit']['name']}-{d['date']}.pdf",
        estimate_pages=lambda d: 1.5 + 0.35 * len(d["tickets"])
        + sum(len(t["response"]["evidence"]) for t in d["tickets"] if t["response"]) / 6,
        thumbnails=lambda d: [sha for t in d["tickets"] if t["response"] for sha in t["response"]["evidence"]],
    ),
    DocumentKind.SUMMARY: Kind(
        name=DocumentKind.SUMMARY, template="summary.html", model=summary.PeriodSummary,
        data=summary.summary_data, check=lambda _actor, record: summary.check_period(record.start, record.end),
        title=lambda d: f"关于{d['area']}{d['period']['text']}保密检查情况的通报", author=lambda d: d["issuer"],
        filename=lambda d: f"保密检查情况通报-{d['area']}-{d['period']['from']}至{d['period']['to']}.pdf",
        estimate_pages=summary.estimate_pages,
        object_id=lambda _record: None, unit_id=lambda _record: None,
        scope_node_id=lambda record: record.scope_node_id, params=lambda record: record.params(),
        load=lambda session, document: summary.load(session, document.params),
        charts=summary_charts.charts_for,
        describe=lambda record: f"{record.area_name} · {summary.period_text(record.start, record.end)}",
    ),
    DocumentKind.INCIDENT_REPORT: Kind(
        name=DocumentKind.INCIDENT_REPORT, template="incident_report.html", model=Incident,
        data=incidents.incident_report_data, check=incidents.check_incident_report,
        title=lambda d: f"{d['unit']['name']}关于{d['title']}的报告", author=lambda d: d["unit"]["name"],
        filename=lambda d: f"泄密事件报告-{d['unit']['name']}-{d['found_on']}.pdf",
        estimate_pages=lambda d: 2 + 0.3 * len(d["supplements"]),
        describe=lambda incident: f"{incident.unit.name} · {incident.title}",
    ),
    DocumentKind.CASE_BULLETIN: Kind(
        name=DocumentKind.CASE_BULLETIN, template="case_bulletin.html", model=Incident,
        data=incidents.case_bulletin_data, check=incidents.check_case_bulletin,
        title=lambda d: f"关于一起{d['kind_label']}查处情况的通报", author=lambda d: d["issuer"],
        filename=lambda d: f"案件通报-{d['number']}.pdf", estimate_pages=lambda _d: 2,
        describe=lambda incident: f"{incident.bulletin_number} · {incident.title}",
    ),
    DocumentKind.APPRAISAL: Kind(
        name=DocumentKind.APPRAISAL, template="appraisal.html", model=AppraisalRound,
        data=bulletin.bulletin_data, check=bulletin.check_bulletin,
        title=lambda d: f"关于{d['area']}{d['year']}年度保密工作责任制考核结果的通报", author=lambda d: d["issuer"],
        filename=lambda d: f"考核结果通报-{d['area']}-{d['year']}.pdf",
        # About three pages of text, and the ranking at some thirty units a page.
        estimate_pages=lambda d: 3 + len(d["ranking"]) / 30,
        unit_id=lambda _record: None, scope_node_id=lambda record: record.area_id,
        describe=lambda record: f"{record.title} · {record.number or ''}",
    ),
}


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise DomainError(_("未知的文件类型。")) from None
