from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

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
    ActiveForm,
    EditNodeForm,
    EmptyForm,
    ImportUnitsForm,
    MoveNodeForm,
    NewUserForm,
    NodeForm,
    ProfileForm,
    ResetPasswordForm,
)
from .shared import account_listing, node_choices


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
@authz.requires("org.manage")
def org_tree():
    query = request.args.get("q", "").strip()
    nodes = org.visible_tree(db.session, current_user)
    if query:
        q = query.lower()
        nodes = [n for n in nodes if q in n.name.lower() or q in n.code.lower()]
    counts = org.active_account_counts(db.session)
    return render_template("admin/org.html", nodes=nodes, query=query, user_counts=counts, action_form=EmptyForm())


@bp.route("/org/new", methods=["GET", "POST"])
@authz.requires("org.manage")
def new_node():
    nodes = org.visible_tree(db.session, current_user)
    form = NodeForm()
    form.kind.choices = [(k, str(KIND_LABELS[k])) for k in (NodeKind.DISTRICT, NodeKind.UNIT)]
    form.parent_id.choices = _node_choices(nodes, (NodeKind.BUREAU, NodeKind.DISTRICT))
    form.unit_type.choices = _unit_type_choices()
    if request.method == "GET" and request.args.get("parent"):
        form.parent_id.data = parse_id(request.args.get("parent"))
    if form.validate_on_submit():
        parent = authz.get_or_404(current_user, OrgNode, form.parent_id.data)
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
@authz.requires("org.manage")
@authz.loads(OrgNode, "node_id", "org.manage")
def edit_node(node: OrgNode):
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
    move_form = MoveNodeForm()
    parent_kinds = tuple(k for k, children in CHILD_KINDS.items() if node.kind in children)
    targets = [n for n in org.visible_tree(db.session, current_user)
               if n.id != node.parent_id and not node.contains(n)]  # never under itself or its own subtree
    move_form.parent_id.choices = _node_choices(targets, parent_kinds)
    users = org.accounts_at(db.session, node)
    return render_template("admin/node_edit.html", node=node, form=form, move_form=move_form, users=users,
                           action_form=EmptyForm())


@bp.route("/org/<int:node_id>/move", methods=["POST"])
@authz.requires("org.manage")
@authz.loads(OrgNode, "node_id", "org.manage")
def move_node(node: OrgNode):
    form = MoveNodeForm()
    form.parent_id.choices = [(n.id, n.name) for n in org.visible_tree(db.session, current_user)]
    if form.validate_on_submit():
        parent = authz.get_or_404(current_user, OrgNode, form.parent_id.data)
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
@authz.requires("org.manage")
@authz.loads(OrgNode, "node_id", "org.manage")
def set_node_active(node: OrgNode):
    form = ActiveForm()
    if form.validate_on_submit():
        active = form.active.data
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
@authz.requires("org.manage")
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


# Accounts: the admin makes them exist; their rights are the secadmin's (rights/, services/accounts/duties.py) ---


@bp.route("/users")
@authz.requires("user.manage")
def users():
    listing = account_listing("admin.users", _("账户管理"))
    return render_template("admin/users.html", **listing, edit_endpoint="admin.edit_user")


@bp.route("/users/new", methods=["GET", "POST"])
@authz.requires("user.manage")
def new_user():
    form = NewUserForm()
    form.role.choices = [(k, str(ROLE_LABELS[k])) for k in BUSINESS_ROLES]
    form.org_node_id.choices = node_choices()
    if form.validate_on_submit():
        node = authz.get_or_404(current_user, OrgNode, form.org_node_id.data)
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
@authz.requires("user.manage")
@authz.loads(User, "user_id", "user.manage")
def edit_user(user: User):
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
@authz.requires("user.manage")
@authz.loads(User, "user_id", "user.manage")
def set_user_active(user: User):
    form = ActiveForm()
    if form.validate_on_submit():
        active = form.active.data
        accounts.set_user_active(db.session, current_user, user, active)
        flash(_("账户已启用。") if active else _("账户已停用，其登录已全部结束。"), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@authz.requires("user.manage")
@authz.loads(User, "user_id", "user.manage")
def reset_password(user: User):
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
