from datetime import timedelta

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from ..admin.forms import EmptyForm
from ..clock import local_today, parse_day, utc_start
from ..database import transaction
from ..extensions import db
from ..labels import AUDIT_ACTION_LABELS
from ..pagination import paginate
from ..security import current_user
from ..services import audit
from . import bp


def _filter() -> audit.AuditFilter:
    day_from, day_to = parse_day(request.args.get("from")), parse_day(request.args.get("to"))
    return audit.AuditFilter(
        action=request.args.get("action", "").strip(),
        actor=request.args.get("actor", "").strip(),
        object_type=request.args.get("object_type", "").strip(),
        object_id=request.args.get("object_id", "").strip(),
        date_from=utc_start(day_from) if day_from else None,
        date_to=utc_start(day_to + timedelta(days=1)) if day_to else None,
    )


@bp.route("/")
def index():
    page = paginate(audit.search(_filter()), per_page=50)
    return render_template("audit/index.html", page=page, args=request.args, actions=AUDIT_ACTION_LABELS,
                           verify_form=EmptyForm())


@bp.route("/export.csv")
def export():
    flt = _filter()
    with transaction(db.session):
        audit.record(db.session, current_user, "audit.export", details={k: v for k, v in request.args.items() if v})
    filename = f"audit-{local_today().isoformat()}.csv"
    return Response(
        stream_with_context(audit.export_csv(db.session, flt)),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


@bp.route("/verify", methods=["POST"])
def verify():
    if EmptyForm().validate_on_submit():
        broken = audit.verify_chain(db.session)
        with transaction(db.session):
            audit.record(db.session, current_user, "audit.verify", details={"intact": broken is None})
        if broken is None:
            flash(_("审计链完整：所有记录均未被修改或删除。"), "success")
        else:
            flash(_("审计链已断裂：第 %(id)d 条记录异常（%(reason)s）。", id=broken.record_id, reason=broken.reason),
                  "error")
    return redirect(url_for("audit.index"))
