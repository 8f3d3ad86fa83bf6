from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import authz
from ..extensions import db
from ..ids import parse_id
from ..labels import KIND_LABELS, ROLE_LABELS, UNIT_TYPE_LABELS
from ..models import NodeKind, OrgNode, User
from ..models.org import BUSINESS_ROLES, CHILD_KINDS
from ..security import current_user
from ..services import DomainError, accounts, org, spreadsheets
from ..services.accounts import duties
from . import bp
from .forms import (
    EditNodeForm,
    EmptyForm,
    ImportUnitsForm,
    MoveNodeForm,
    NewUserForm,
    NodeForm,
    ProfileForm,
    ResetPasswordForm,
)
from .shared import account_listing, managed_nodes, node_choices


def _node_choices(nodes: list[OrgNode], kinds: tuple[str, ...]) -> list[tuple[int, str]]:
    return [(n.id, "　" * n.depth + n.name) for n in nodes if n.kind in kinds and n.active]


def _unit_type_choices() -> list[tuple[str, str]]:
    return [("", _("（不适用）"))] + [(k, str(v)) for k, v in UNIT_TYPE_LABELS.items()]


def _field_error(form, exc: DomainError) -> None:
    if isinstance(exc, duties.NotPermitted):
        raise exc  # a 403 page, not a form to correct
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors.append(exc.message)
    else:
        flash(exc.message, "error")


# The org tree ----------------------------------------------------------------------------------------


@bp.route("/org", endpoint="org")
def org_tree():
    query = request.args.get("q", "").strip()
    nodes = managed_nodes()
    if query:
        q = query.lower()
        nodes = [n for n in nodes if q in n.name.lower() or q in n.code.lower()]
    counts = dict(
        db.session.execute(
            select(User.org_node_id, func.count()).where(User.active.is_(True)).group_by(User.org_node_id)
        ).all()
    )
    return render_template("admin/org.html", nodes=nodes, query=query, user_counts=counts, action_form=EmptyForm())


@bp.route("/org/new", methods=["GET", "POST"])
def new_node():
    nodes = managed_nodes()
    form = NodeForm()
    form.kind.choices = [(k, str(KIND_LABELS[k])) for k in (NodeKind.DISTRICT, NodeKind.UNIT)]
    form.parent_id.choices = _node_choices(nodes, (NodeKind.BUREAU, NodeKind.DISTRICT))
    form.unit_type.choices = _unit_type_choices()
    if request.method == "GET" and request.args.get("parent"):
        form.parent_id.data = parse_id(request.args.get("parent"))
    if form.validate_on_submit():
        parent = authz.get_node_or_404(current_user, form.parent_id.data)
        try:
            node = org.create_node(
                db.session, current_user, kind=form.kind.data, name=form.name.data, code=form.code.data,
                parent=parent, unit_type=form.unit_type.data or None, is_key_unit=form.is_key_unit.data,
            )
        except DomainError as exc:
            _field_error(form, exc)
        else:
            flash(_("已新建“%(name)s”。", name=node.name), "success")
            return redirect(url_for("admin.org", _anchor=f"node-{node.id}"))
    return render_template("admin/node_new.html", form=form)


@bp.route("/org/<int:node_id>", methods=["GET", "POST"])
def edit_node(node_id: int):
    node = authz.get_node_or_404(current_user, node_id)
    form = EditNodeForm(obj=node)
    form.unit_type.choices = _unit_type_choices()
    if form.validate_on_submit():
        try:
            org.update_node(db.session, current_user, node, name=form.name.data, code=form.code.data,
                            unit_type=form.unit_type.data or None, is_key_unit=form.is_key_unit.data)
        except DomainError as exc:
            _field_error(form, exc)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("admin.edit_node", node_id=node.id))
    nodes = managed_nodes()
    move_form = MoveNodeForm()
    parent_kinds = tuple(k for k, children in CHILD_KINDS.items() if node.kind in children)
    move_form.parent_id.choices = [
        c for c in _node_choices(nodes, parent_kinds) if c[0] != node.parent_id and not _is_within(nodes, c[0], node)
    ]
    users = db.session.scalars(select(User).where(User.org_node_id == node.id).order_by(User.username)).all()
    return render_template("admin/node_edit.html", node=node, form=form, move_form=move_form, users=users,
                           action_form=EmptyForm())


def _is_within(nodes: list[OrgNode], node_id: int, ancestor: OrgNode) -> bool:
    target = next((n for n in nodes if n.id == node_id), None)
    return target is not None and target.path.startswith(ancestor.path)


@bp.route("/org/<int:node_id>/move", methods=["POST"])
def move_node(node_id: int):
    node = authz.get_node_or_404(current_user, node_id)
    form = MoveNodeForm()
    form.parent_id.choices = [(n.id, n.name) for n in managed_nodes()]
    if form.validate_on_submit():
        parent = authz.get_node_or_404(current_user, form.parent_id.data)
        try:
            org.move_node(db.session, current_user, node, parent)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("已移到“%(name)s”之下。", name=parent.name), "success")
    else:
        flash(_("请选择新的上级机构。"), "error")
    return redirect(url_for("admin.edit_node", node_id=node.id))


@bp.route("/org/<int:node_id>/active", methods=["POST"])
def set_node_active(node_id: int):
    node = authz.get_node_or_404(current_user, node_id)
    if EmptyForm().validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            affected = org.set_node_active(db.session, current_user, node, active)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            if active:
                flash(_("“%(name)s”已启用。", name=node.name), "success")
            else:
                flash(_("“%(name)s”已停用，%(n)d 个账户随之停用。", name=node.name, n=affected), "success")
    return redirect(url_for("admin.edit_node", node_id=node.id))


@bp.route("/org/import", methods=["GET", "POST"])
def import_units():
    form = ImportUnitsForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = spreadsheets.read_table(upload.filename or "", upload.read(), org.MAX_IMPORT_ROWS)
            report = org.import_units(db.session, current_user, current_user.org_node, rows)
        except DomainError as exc:
            form.file.errors.append(exc.message)
        else:
            if not report.errors:
                flash(_("已导入 %(n)d 个单位。", n=len(report.created)), "success")
                return redirect(url_for("admin.org"))
    return render_template("admin/import.html", form=form, report=report)


# Accounts: the admin makes them exist; their rights are the secadmin's (rights/, services/duties.py) ---


@bp.route("/users")
def users():
    listing = account_listing("admin.users", _("账户管理"))
    return render_template("admin/users.html", **listing, edit_endpoint="admin.edit_user")


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    form.role.choices = [(k, str(ROLE_LABELS[k])) for k in BUSINESS_ROLES]
    form.org_node_id.choices = node_choices()
    if form.validate_on_submit():
        node = authz.get_node_or_404(current_user, form.org_node_id.data)
        try:
            user, temporary = accounts.create_user(
                db.session, current_user, username=form.username.data, display_name=form.display_name.data,
                role=form.role.data, org_node=node, email=form.email.data,
            )
        except DomainError as exc:
            _field_error(form, exc)
        else:
            return render_template("admin/temporary_password.html", user=user, password=temporary, created=True)
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = authz.get_account_or_404(current_user, user_id)
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(db.session, current_user, user, display_name=form.display_name.data,
                                    email=form.email.data)
        except DomainError as exc:
            _field_error(form, exc)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_edit.html", form=form, user=user, reset_form=ResetPasswordForm(),
                           action_form=EmptyForm(), may=lambda action: duties.may(current_user, action, user.role))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def set_user_active(user_id: int):
    user = authz.get_account_or_404(current_user, user_id)
    if EmptyForm().validate_on_submit():
        active = request.form.get("active") == "1"
        accounts.set_user_active(db.session, current_user, user, active)
        flash(_("账户已启用。") if active else _("账户已停用，其登录已全部结束。"), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int):
    user = authz.get_account_or_404(current_user, user_id)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.edit_user", user_id=user.id))
    try:
        temporary = accounts.reset_password(db.session, current_user, user, form.reason.data or "")
    except duties.NotPermitted:
        raise
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/temporary_password.html", user=user, password=temporary, created=False)
