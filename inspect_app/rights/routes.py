from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import authz
from ..admin.forms import EmptyForm, RightsForm, security_settings_form
from ..admin.shared import account_listing, node_choices
from ..extensions import db
from ..labels import AUDIT_ACTION_LABELS, ROLE_LABELS
from ..models import OrgNode, User
from ..pagination import paginate
from ..security import current_user
from ..services import DomainError, accounts
from ..services.accounts import duties, security_settings
from . import bp


@bp.route("/users")
@authz.requires("rights.manage")
def users():
    return render_template("admin/users.html", **account_listing("rights.users", _("权限管理")),
                           edit_endpoint="rights.edit_user")


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@authz.requires("rights.manage")
@authz.loads(User, "user_id", "rights.manage")
def edit_user(user: User):
    form = RightsForm(obj=user)
    if not form.is_submitted() and user.requested_role:
        form.role.data = user.requested_role  # the admin's request, for the secadmin to confirm or change
    form.role.choices = [(role, str(ROLE_LABELS[role])) for role in duties.MANAGED_ROLES]
    form.org_node_id.choices = node_choices(user)
    if form.validate_on_submit():
        node = authz.get_or_404(current_user, OrgNode, form.org_node_id.data)
        try:
            accounts.assign_rights(db.session, current_user, user, role=form.role.data, org_node=node)
        except duties.NotPermitted:
            raise
        except DomainError as exc:
            getattr(form, exc.field or "role").errors.append(exc.message)
        else:
            flash(_("已保存：%(name)s 现为%(role)s，所属%(org)s。", name=user.display_name,
                    role=ROLE_LABELS[user.role], org=user.org_node.name), "success")
            return redirect(url_for("rights.edit_user", user_id=user.id))
    return render_template("rights/user.html", user=user, form=form,
                           may=lambda action: duties.may(current_user, action, user.role))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@authz.requires("rights.manage")
@authz.loads(User, "user_id", "rights.manage")
def unlock(user: User):
    if EmptyForm().validate_on_submit():
        accounts.unlock(db.session, current_user, user)
        flash(_("已解除锁定，%(name)s 可以重新登录。", name=user.display_name), "success")
    return redirect(url_for("rights.edit_user", user_id=user.id))


@bp.route("/auditors")
@authz.requires("rights.manage")
def auditor_log():
    page = paginate(duties.auditor_trail(), per_page=50)
    return render_template("rights/auditor_log.html", page=page, actions=AUDIT_ACTION_LABELS)


@bp.route("/settings", methods=["GET", "POST"])
@authz.requires("rights.manage")
def settings():
    form = security_settings_form(security_settings.SETTINGS)(data=security_settings.current(db.session))
    if form.validate_on_submit():
        try:
            changed = security_settings.update(
                db.session, current_user, {s.name: form[s.name].data for s in security_settings.SETTINGS})
        except duties.NotPermitted:
            raise
        except DomainError as exc:
            form[exc.field].errors.append(exc.message)
        else:
            flash(_("安全设置已保存。") if changed else _("没有改动。"), "success")
            return redirect(url_for("rights.settings"))
    return render_template("rights/settings.html", form=form, settings=security_settings.SETTINGS)
