"""The 安全保密管理员's pages: the rights (role, org scope) of accounts, unlocking, and the auditors' actions."""

from flask import Blueprint

bp = Blueprint("rights", __name__, template_folder="templates")

from . import routes  # noqa: E402,F401
