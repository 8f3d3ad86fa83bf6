"""The secadmin's pages for API tokens. Thin: services/tokens/ issues and revokes."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import authz
from ..admin.shared import node_choices
from ..clock import local_today
from ..extensions import db
from ..labels import TOKEN_PERMISSION_LABELS
from ..models import ApiToken, OrgNode
from ..pagination import paginate, sort_order
from ..security import current_user
from ..services import DomainError, tokens
from . import bp
from .forms import IssueForm, RevokeForm

SORTS = {"created": ApiToken.created_at, "name": ApiToken.name, "expires": ApiToken.expires_at,
         "used": ApiToken.last_used_at}
DEFAULT_DAYS = 365


@bp.route("")
@authz.requires("tokens.manage")
def index():
    sort, order = sort_order(request.args, SORTS, default="-created")
    page = paginate(tokens.token_list(current_user).order_by(None).order_by(order.nulls_last(), ApiToken.id.desc()))
    return render_template("tokens/index.html", page=page, sort=sort, revoke_form=RevokeForm())


def _issue_form() -> IssueForm:
    form = IssueForm()
    form.scope_id.choices = node_choices()
    form.permissions.choices = [(key, str(text)) for key, text in TOKEN_PERMISSION_LABELS.items()]
    if not form.is_submitted():
        form.expires_on.data = (local_today() + timedelta(days=DEFAULT_DAYS)).isoformat()
    return form


@bp.route("/new", methods=["GET", "POST"])
@authz.requires("tokens.manage")
def new():
    form = _issue_form()
    if form.validate_on_submit():
        scope = authz.get_or_404(current_user, OrgNode, form.scope_id.data)
        try:
            token, secret = tokens.issue_token(db.session, current_user, name=form.name.data, scope=scope,
                                               permissions=form.permissions.data, expires_on=form.expires_on.day)
        except DomainError as exc:
            getattr(form, {"scope": "scope_id"}.get(exc.field, exc.field) or "name").errors.append(exc.message)
        else:
            # The token is on this page and nowhere else: it is not kept.
            return render_template("tokens/issued.html", token=token, secret=secret)
    return render_template("tokens/new.html", form=form, max_days=tokens.MAX_DAYS)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@authz.requires("tokens.manage")
@authz.loads(ApiToken, "token_id", "tokens.manage")
def revoke(token: ApiToken):
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            revoked = tokens.revoke_token(db.session, current_user, token, form.reason.data)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("已吊销“%(name)s”的令牌，它此后的请求都会被拒绝。", name=token.name) if revoked
                  else _("这个令牌已经吊销了。"), "success")
    else:
        flash(_("请填写吊销原因。"), "error")
    return redirect(url_for("tokens.index"))
