"""The JSON API under /api/v1 that the tablets use; described at /api/v1/openapi.json."""

from flask import Blueprint

from .spec import Registry

bp = Blueprint("api", __name__)
api = Registry(bp, prefix="/api/v1")

from . import routes  # noqa: E402,F401
