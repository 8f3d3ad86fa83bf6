from flask import Blueprint

from ..authz import require
from ..security import current_user

bp = Blueprint("admin", __name__, template_folder="templates")


@bp.before_request
def _admins_only():
    require(current_user, "org.manage")


from . import routes  # noqa: E402,F401
