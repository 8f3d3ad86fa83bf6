"""Pages a reader may take away as a spreadsheet: `?format=xlsx` or `?format=csv` on the page's own address, read
under the page's filters and the reader's scope. The area's service gives the rows as a `spreadsheets.Export`;
this sends it, and the export is in the audit trail."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request, stream_with_context, url_for
from werkzeug.exceptions import NotFound

from .clock import local_today
from .extensions import db
from .security import current_user
from .services import spreadsheets

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv")


def requested() -> str | None:
    """The format the page is asked for: None for the page itself; 404 for a format there is none of."""
    fmt = request.args.get("format")
    if not fmt:
        return None
    if fmt not in FORMATS:
        raise NotFound()
    return fmt


def send(export: spreadsheets.Export, fmt: str, action: str) -> Response:
    """The export as a download, recorded in the audit trail under `action`."""
    if fmt not in FORMATS:
        raise NotFound()
    user = current_user._get_current_object()
    spreadsheets.record_export(db.session, user, action, export, fmt)
    filename = f"{export.name}-{local_today().isoformat()}.{fmt}"
    headers = {"Content-Disposition": f"attachment; filename={quote(filename)}; filename*=UTF-8''{quote(filename)}"}
    if fmt == "xlsx":
        return Response(spreadsheets.to_xlsx(export, user.display_name), mimetype=XLSX, headers=headers)
    return Response(stream_with_context(spreadsheets.to_csv(export)), content_type="text/csv; charset=utf-8",
                    headers=headers)


def export_url(fmt: str) -> str:
    """This page's address asking for `fmt`, with its filters and sorting (not its page number: the export holds
    every row)."""
    args = {k: v for k, v in request.args.items() if k not in ("page", "format")}
    return url_for(request.endpoint, **(request.view_args or {}), **args, format=fmt)
