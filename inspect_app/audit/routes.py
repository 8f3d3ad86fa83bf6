from datetime import timedelta

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from .. import authz
from ..clock import local_today, parse_day, utc_start
from ..database import transaction
from ..extensions import db
from ..labels import AUDIT_ACTION_LABELS, CHAIN_BREAK_LABELS
from ..pagination import paginate
from ..security import current_user
from ..services import audit
from ..templating import datetime_filter
from . import bp
from .forms import VerifyForm


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
@authz.requires("audit.read")
def index():
    page = paginate(audit.search(_filter()), per_page=50)
    return render_template("audit/index.html", page=page, args=request.args, actions=AUDIT_ACTION_LABELS,
                           verify_form=VerifyForm(), head=audit.current_head(db.session))


@bp.route("/export.csv")
@authz.requires("audit.read")
def export():
    flt = _filter()
    with transaction(db.session):
        audit.record(db.session, current_user, "audit.export", details={k: v for k, v in request.args.items() if v})
    filename = f"audit-{local_today().isoformat()}.csv"
    return Response(
        stream_with_context(audit.export_csv(db.session, flt)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


STAMP = "yyyy-MM-dd HH:mm:ss ZZZZ"


@bp.route("/head.txt")
@authz.requires("audit.read")
def head():
    """The newest link, for the auditor to keep outside the system and check the trail against later."""
    mark = audit.current_head(db.session)
    with transaction(db.session):
        audit.record(db.session, current_user, "audit.head_export", details={"head": mark.token})
    lines = [
        _("保密检查 审计链头"),
        _("序号：%(id)d", id=mark.record_id),
        _("哈希：%(hash)s", hash=mark.hash),
        _("记录时间：%(at)s", at=datetime_filter(mark.at, STAMP) or "—"),
        _("导出时间：%(at)s（%(user)s）", at=datetime_filter(audit.utcnow(), STAMP), user=current_user.username),
        _("密钥标识：%(key)s", key=audit.key_id()),
        _("校验时填写：%(token)s", token=mark.token),
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain", headers={
        "Content-Disposition": f"attachment; filename=audit-head-{mark.record_id}.txt"})


@bp.route("/verify", methods=["POST"])
@authz.requires("audit.read")
def verify():
    form = VerifyForm()  # the CSRF token is checked for every POST before this
    text = (form.head.data or "").strip()
    exported = audit.parse_head(text) if form.validate() and text else None
    if text and exported is None:
        flash(_("无法识别链头：请填写导出文件中“序号:哈希”一行。"), "error")
        return redirect(url_for("audit.index"))
    broken = audit.verify_chain(db.session, exported)
    details = {"intact": broken is None} | ({"head": exported.token} if exported else {})
    with transaction(db.session):
        audit.record(db.session, current_user, "audit.verify", details=details)
    if broken is not None:
        flash(_("审计链已断裂：第 %(id)d 条记录异常（%(reason)s）。", id=broken.record_id,
                reason=CHAIN_BREAK_LABELS[broken.kind]), "error")
    elif exported is not None:
        flash(_("审计链完整，且第 %(id)d 条记录与已导出的链头一致。", id=exported.record_id), "success")
    else:
        flash(_("审计链完整：所有记录均未被修改或删除。"), "success")
    return redirect(url_for("audit.index"))
