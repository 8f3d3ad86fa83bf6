"""API tokens of machine clients, the secadmin's pages: the list, issuing one (shown once) and revoking it; and the
`api-token` commands (cli.py)."""

from flask import Blueprint

bp = Blueprint("tokens", __name__, template_folder="templates")

from . import routes  # noqa: E402,F401
