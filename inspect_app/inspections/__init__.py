from flask import Blueprint

bp = Blueprint("inspections", __name__, template_folder="templates")

from . import item_forms, routes  # noqa: E402,F401
from .review import review_findings  # noqa: E402,F401  registers the findings review and notice routes
