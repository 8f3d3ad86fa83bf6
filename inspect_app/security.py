"""Who is asking, whether they may ask at all, and the headers every response carries."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from werkzeug.local import LocalProxy

from .extensions import csrf, db
from .models import User
from .problems import is_api_request, problem
from .services import audit, tokens
from .services.accounts import sessions

current_user: User | None = LocalProxy(lambda: g.get("user"))  # type: ignore[assignment]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Pages a signed-out user or a user who must first change their password may still reach.
_PASSWORD_CHANGE_ALLOWED = {"auth.change_password", "auth.logout", "main.set_language", "static"}


def public(view: Callable) -> Callable:
    """Mark a view as reachable without logging in. Everything else needs a login."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json or request.accept_mimetypes.best == "application/json"


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


class SessionInterface(SecureCookieSessionInterface):
    """The signed cookie names a server-side session; Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))

    def should_set_cookie(self, app: Flask, session) -> bool:
        # Static files are cached for a year, and a cached Set-Cookie would hand one session to every user of
        # a shared cache; they read no session either (see _load_user).
        return request.endpoint != "static" and super().should_set_cookie(app, session)


def _load_user() -> None:
    g.started = time.perf_counter()
    audit.client_ip.set(request.remote_addr)
    g.user = g.user_session = g.api_token = None
    if request.endpoint == "static":
        return
    if is_api_request() and "Authorization" in request.headers:
        _load_client()
        return
    token = session.get("sid")
    if not token:
        return
    us = sessions.load_session(db.session, token)
    if us is None:
        session.clear()
        g.session_expired = True
        return
    g.user_session, g.user = us, us.user


def _load_client() -> None:
    """A machine client's request: its bearer token names the client's account; no cookie session is read."""
    scheme, _, presented = request.headers["Authorization"].strip().partition(" ")
    if scheme.lower() != "bearer":
        g.token_refused = "malformed"
        return
    found = tokens.authenticate(db.session, presented.strip(), ip=request.remote_addr, method=request.method,
                                path=request.path)
    if isinstance(found, tokens.TokenRefused):
        g.token_refused = found.reason
        return
    g.api_token, g.user = found, found.account


def _token_refusal(reason: str):
    message = {
        "malformed": _("Authorization 请求头应为“Bearer 令牌”。"),
        "unknown": _("令牌无效。"),
        "revoked": _("令牌已被吊销。"),
        "expired": _("令牌已过期，请向安全保密管理员申请新的令牌。"),
    }[reason]
    response = problem(401, "invalid_token", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token"'
    return response


def _check_csrf() -> None:
    """CSRF on every change a cookie session sends. A bearer token's request has none to check: it carries no
    cookie that another site's page could make the browser send along."""
    if current_app.config["WTF_CSRF_ENABLED"] and g.get("api_token") is None:
        csrf.protect(apply_exemptions=True)


def _refuse_malformed_input():
    """Refuse what no page sends before anything reads it: a NUL byte (some databases refuse it) or a
    form field without a usable name (which trips the CSRF check's own parsing)."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if key is None or "\x00" in key or "\x00" in value:
                abort(400)


def init_request_guards(app: Flask) -> None:
    """Malformed requests are refused first, and a request without a login is sent to log in (the API: 401)
    before its CSRF token is looked at, as that token belongs to a session it lacks. The CSRF check runs here,
    after the login, so that a bearer token's request skips it."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # CSRFProtect's own hook stands aside for _check_csrf
    app.before_request(_refuse_malformed_input)
    app.before_request(_load_user)
    app.before_request(_gate)
    app.before_request(_check_csrf)


def _gate():
    view = request.endpoint and _view_function(request.endpoint)
    if request.endpoint is None or getattr(view, "is_public", False) or request.endpoint == "static":
        return None
    user = g.user
    if user is None:
        if g.get("token_refused"):
            return _token_refusal(g.token_refused)
        message = (
            _("您的登录已过期或已退出，请重新登录。") if g.get("session_expired") else _("请先登录。")
        )
        if is_api_request():
            return problem(401, "login_required", message)
        if wants_json():
            return jsonify(error="login_required", message=message), 401
        flash(message, "info")
        next_path = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=next_path))
    if user.must_change_password and request.endpoint not in _PASSWORD_CHANGE_ALLOWED:
        if is_api_request():
            return problem(403, "password_change_required", _("请先修改密码。"))
        if wants_json():
            return jsonify(error="password_change_required", message=_("请先修改密码。")), 403
        return redirect(url_for("auth.change_password"))
    return None


def _view_function(endpoint: str):
    from flask import current_app

    return current_app.view_functions.get(endpoint)


def _headers(response):
    if "started" in g:
        # The server's own time for this request, for benchmarks and the browser's developer tools.
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.started) * 1000:.1f}"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        # Pages hold unit data: never keep them in a shared or back-button cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.after_request(_headers)
