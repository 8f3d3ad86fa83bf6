import hashlib

from flask import current_app, jsonify, make_response, redirect, render_template, session, url_for
from sqlalchemy import text

from .. import authz
from ..extensions import db
from ..models import Role
from ..security import current_user, public, safe_next
from ..services import accounts
from ..templating import static_url
from . import bp
from .forms import LanguageForm

HOME_BY_ROLE = {
    Role.ADMIN: "admin.org",
    Role.SECADMIN: "rights.users",
    Role.AUDITOR: "audit.index",
    Role.PENDING: "main.pending",
}


@bp.route("/")
@authz.requires("signed_in")
def index():
    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "dashboard.index")))


@bp.route("/pending")
@authz.requires("signed_in")
def pending():
    """Where an account without a role lands until the secadmin grants one."""
    return render_template("main/pending.html")


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("health check failed")
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/language", methods=["POST"])
@public
def set_language():
    form = LanguageForm()
    language = form.lang.data
    if form.validate_on_submit() and language in current_app.config["LANGUAGES"]:
        session["lang"] = language
        if current_user:
            accounts.set_language(db.session, current_user, language)
    back = safe_next(form.next.data)
    return redirect(back or url_for("main.index"))


# The offline shell: served from the root so the worker's scope covers the whole app.
SHELL_ASSETS = ("css/app.css", "css/inspections.css", "css/registers.css", "js/app.js", "js/fill.js",
                "js/sampling.js", "img/icon.svg")


@bp.route("/sw.js")
@public
def service_worker():
    shell = [static_url(name) for name in SHELL_ASSETS]
    body = render_template("main/sw.js", shell=shell, version=hashlib.sha256("".join(shell).encode()).hexdigest()[:12])
    response = make_response(body)
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
@public
def manifest():
    response = make_response(render_template("main/manifest.webmanifest"))
    response.headers["Content-Type"] = "application/manifest+json"
    return response
