"""Technical inspection results: a tool's scan of a unit's devices pushed into an inspection (JSON or CSV,
docs/scans.md), and the scans an inspection holds."""

from flask import jsonify, request
from flask_babel import gettext as _

from .. import authz
from ..extensions import db
from ..models import Inspection
from ..models import Scan as ScanModel
from ..services import DomainError, scans
from . import api, schemas
from .common import BAD, CONFLICT, NEEDS_CONFIRMATION, NOT_FOUND, TOO_LARGE, actor, json_payload, query


def scan_out(scan: ScanModel) -> schemas.ScanOut:
    view = scans.scan_view(db.session, scan)
    return schemas.ScanOut(
        id=scan.id, scan_id=scan.reference, inspection_id=scan.inspection_id, tool=scan.tool_name,
        tool_version=scan.tool_version, source=scan.source, received_at=scan.received_at, started_at=scan.started_at,
        finished_at=scan.finished_at, device_count=scan.device_count, result_count=scan.result_count,
        failing_count=scan.failing_count,
        results=[schemas.ScanResultOut(
            device_id=r.device_id, asset_number=r.asset_number, device_name=r.device_name, check=r.check_kind,
            result=r.result, detail=r.detail, evidence_sha256=r.evidence_sha256, scanned_at=r.scanned_at,
            item_key=r.item.key if r.item else None) for r in view.results],
        proposals=[schemas.ProposalOut(id=p.id, item_id=p.item_id, item_key=p.item.key, status=p.status,
                                       finding_text=p.finding_text) for p in view.proposals])


def _sent_scan() -> scans.ScanFile:
    if request.mimetype == "text/csv":
        return scans.format.read(request.get_data(), "text/csv")
    if request.mimetype != "application/json" and not request.is_json:
        raise DomainError(_("请以 application/json 或 text/csv 发送扫描文件。"), field="file")
    return scans.format.from_mapping(json_payload())


@api.operation("POST", "/inspections/<int:inspection_id>/scans",
               summary="Push a scan of the unit's devices; failing checks become answers for the inspector to "
                       "confirm. The same scan (scan_id) sent again is stored once.",
               request=scans.ScanFile, csv=True, query=schemas.ScanQuery,
               responses={201: ("Stored", schemas.ScanOut), 200: ("Already stored (sent again)", schemas.ScanOut),
                          400: BAD[1], 404: NOT_FOUND[1], 409: CONFLICT[1], 413: TOO_LARGE[1],
                          422: NEEDS_CONFIRMATION[1]})
@authz.loads(Inspection, "inspection_id", "scans.import")
def post_scan(inspection: Inspection):
    confirm = query(schemas.ScanQuery).confirm_unclassified
    scan, created = scans.import_scan(db.session, actor(), inspection, _sent_scan(), source="api",
                                      confirm_unclassified=confirm)
    return jsonify(scan_out(scan).model_dump(mode="json")), 201 if created else 200


@api.operation("GET", "/inspections/<int:inspection_id>/scans", summary="The inspection's scans, newest first",
               responses={200: ("The scans", schemas.ScanList), 404: NOT_FOUND[1]})
@authz.loads(Inspection, "inspection_id", "inspection.view")
def list_scans(inspection: Inspection):
    items = [scan_out(scan) for scan in scans.scans_of(db.session, inspection)]
    return jsonify(schemas.ScanList(items=items).model_dump(mode="json"))
