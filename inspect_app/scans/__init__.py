"""Technical inspection results on the pages: bringing a scan file to an inspection, a scan's results, and the
inspector's decision on each answer a scan proposes (on the fill page)."""

from flask import Blueprint

bp = Blueprint("scans", __name__, template_folder="templates")

from . import routes  # noqa: E402,F401
