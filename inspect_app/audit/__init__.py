from flask import Blueprint

from ..authz import require
from ..security import current_user

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.before_request
def _auditors_only():
    require(current_user, "audit.read")


from . import routes  # noqa: E402,F401
