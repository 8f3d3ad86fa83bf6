"""Errors of the JSON API as RFC 9457 problem details (application/problem+json).

Every problem carries the members of the RFC (type, title, status, detail, instance) and two of its own that the
tablets' client has always read: `error`, a stable code for programs, and `message`, the detail again. A code that
means more than its HTTP status has a type of its own, described in the OpenAPI document under `x-problem-types`;
one that says no more than the status is `about:blank`, as the RFC asks.
"""

from __future__ import annotations

from flask import Response, jsonify, request, url_for
from werkzeug.http import HTTP_STATUS_CODES

MEDIA_TYPE = "application/problem+json"

# The codes with a meaning of their own: code → (title, what it means). The OpenAPI document lists them.
PROBLEM_TYPES = {
    "login_required": ("Login required",
                       "No session and no bearer token, or the session ended: log in, or send a token."),
    "invalid_token": ("Invalid bearer token", "The bearer token is malformed, unknown, revoked or expired."),
    "password_change_required": ("Password change required",
                                 "The account must change its password on the pages before anything else."),
    "csrf": ("Missing or expired CSRF token",
             "A change sent with a session cookie lacks a valid X-CSRFToken header (GET /csrf gives one)."),
    "invalid": ("Invalid request", "The request is not valid: `detail` says what, in the user's language."),
    "forbidden": ("Not allowed", "The rules give this action to someone else: `detail` says whom."),
    "conflict": ("Conflict", "The object changed, or its state does not allow the action: `detail` says why."),
    "locked": ("Inspection locked", "The inspection is submitted: its answers are locked."),
    "needs_confirmation": ("Confirmation needed",
                           "Text looks like classified content; send it again with confirm_unclassified once you "
                           "are sure it holds no state secret."),
    "too_large": ("Too large", "The request is larger than the upload limit."),
    "not_found": ("Not found", "Not found, or outside the caller's scope: nobody can tell the two apart."),
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def problem_type(code: str) -> str:
    if code not in PROBLEM_TYPES:
        return "about:blank"
    return url_for("api.openapi", _external=True) + f"#/x-problem-types/{code}"


def problem(status: int, code: str, message: str, **extra) -> Response:
    """The response for an API error: `code` for programs, `message` for people (in their language)."""
    body = {
        "type": problem_type(code),
        "title": PROBLEM_TYPES[code][0] if code in PROBLEM_TYPES else HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": message,
        "instance": request.path,
        "error": code,
        "message": message,
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    return response
