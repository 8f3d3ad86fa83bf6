"""The JSON API under /api/v1, described at /api/v1/openapi.json: the tablets' (a browser session and CSRF) and
machine clients' (an API token: `Authorization: Bearer`, no CSRF, limited per token). One module per resource:
meta (the document, CSRF), inspections (and the tablet's filling), rectification (findings, tickets, notices),
units (units and the dashboard's figures), scans (technical inspection results)."""

from flask import Blueprint, current_app, g

from ..extensions import limiter
from .spec import Registry

bp = Blueprint("api", __name__)
api = Registry(bp, prefix="/api/v1")


def _token_key() -> str:
    return f"api-token:{g.api_token.id}"


# A machine client's requests count against its token's limit; the tablets' (a session) are not limited here.
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_token_key,
              exempt_when=lambda: g.get("api_token") is None)(bp)

from . import inspections, meta, rectification, scans, units  # noqa: E402,F401
