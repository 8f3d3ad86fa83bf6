"""The API's own document, and a CSRF token for the tablets' session."""

from flask import jsonify
from flask_wtf.csrf import generate_csrf

from .. import authz
from ..security import public
from . import api, schemas

DESCRIPTION = (
    "The JSON API of 保密检查: the tablets fill checklists through it with the pages' session (a cookie; every "
    "change needs the X-CSRFToken header from GET /csrf), and machine clients (technical inspection kits, "
    "monitoring platforms, other office systems) read and write through it with an API token "
    "(`Authorization: Bearer bmjc_…`; no CSRF), which the secadmin issues to a named client with a scope (a part "
    "of the org tree) and permissions. A token sees what a person of its scope sees: an object outside it answers "
    "404. Without a session or token every operation answers 401 first. Lists run newest first, a page at a "
    "time: pass a page's next_cursor as `cursor` for the next. Errors are RFC 9457 problem details "
    "(application/problem+json); `error` is a stable code (x-problem-types). Timestamps are RFC 3339 in UTC "
    "(2026-11-28T02:15:00Z); dates are local (YYYY-MM-DD). Guide: docs/api.md; the scan format: docs/scans.md."
)


@api.operation("GET", "/csrf", summary="A CSRF token for this session",
               responses={200: ("The token to send as X-CSRFToken", schemas.Csrf)})
@authz.requires("signed_in")
def get_csrf():
    return jsonify(csrf_token=generate_csrf())


@api.operation("GET", "/openapi.json", summary="This document", public=True, responses={200: ("OpenAPI 3.1", None)})
@public
def openapi():
    return jsonify(api.document("保密检查 API", "1", DESCRIPTION))
