"""The 安全保密管理员's pages: the rights (role, org scope) of accounts, unlocking, and the auditors' actions."""

from flask import Blueprint

from ..authz import require
from ..security import current_user

bp = Blueprint("rights", __name__, template_folder="templates")


@bp.before_request
def _secadmins_only():
    require(current_user, "rights.manage")


from . import routes  # noqa: E402,F401
