from flask import render_template

from ..models import Role
from ..security import roles_required
from . import bp


@bp.route("/dashboard")
@roles_required(Role.INSPECTOR, Role.LEADER, Role.OFFICER)
def index():
    return render_template("dashboard/index.html")
