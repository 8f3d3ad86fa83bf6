"""保密检查 — secrecy inspection checklists, findings and rectification tracking."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as app_config


def create_app(overrides: dict | None = None) -> Flask:
    """The application factory: configuration, extensions, blueprints, CLI, security, errors."""
    app = Flask(__name__, instance_path=os.environ.get("INSPECT_INSTANCE") or None, instance_relative_config=True)
    _configure(app, overrides)
    _check_document_libraries()
    _init_extensions(app)
    _init_pages(app)
    _register_blueprints(app)

    from . import cli

    cli.init_app(app)
    return app


def _configure(app: Flask, overrides: dict | None) -> None:
    """Defaults, then the environment, then instance/config.py, then the caller's overrides; the audit key."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(app_config.Defaults)
    app.config.update(app_config.from_environment(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if overrides:
        app.config.update(overrides)
    app.config["AUDIT_KEY"] = app_config.audit_key(app.config["AUDIT_KEY"], app.instance_path,
                                                   app.config["INSPECT_DEMO"])
    app_config.crypto_keys(app.config, app.instance_path)
    if app.config["INSPECT_DEMO"] and not app.config["CONTACT_PHONES"]:
        app.config["CONTACT_PHONES"] = app_config.DEMO_CONTACT_PHONES


def _check_document_libraries() -> None:
    from . import pdf

    # HarfBuzz subsetting is a hard dependency of the official documents: refuse to start without it
    # rather than serve PDFs that take 15 s each. A dlopen, not a WeasyPrint import.
    pdf.check_library()
    # The faces of GB/T 9704 (or their stand-ins) must be installed: fontconfig would otherwise set the
    # documents in whatever CJK font it finds, silently. One fc-list call per process.
    pdf.check_fonts()


def _init_extensions(app: Flask) -> None:
    """The proxy headers, the database and migrations, the request guards, CSRF, rate limits, languages and
    password hashing, in the order their request hooks must run."""
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from .extensions import babel, compress, csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    from . import security

    security.init_request_guards(app)
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)

    @app.after_request  # runs before compression (hooks run last-registered first)
    def _close_the_file_once_compressed(response):
        # A streamed file (a static asset, a PDF) is compressed chunk by chunk into a new body, and its file
        # would never be closed: close it with the response.
        if response.is_streamed and hasattr(response.response, "close"):
            response.call_on_close(response.response.close)
        return response

    from . import i18n

    babel.init_app(app, locale_selector=i18n.select_locale)

    from .database import configure_engine

    with app.app_context():
        configure_engine(db.engine)

    from .services.accounts import passwords

    passwords.configure(app.config)


def _init_pages(app: Flask) -> None:
    """Sessions and security headers, error pages, what templates can use, and the id converter of URLs."""
    from . import errors, security, templating

    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)

    from .ids import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added


def _register_blueprints(app: Flask) -> None:
    from . import (
        admin,
        api,
        appraisals,
        audit,
        auth,
        checklists,
        dashboard,
        documents,
        incidents,
        inspections,
        main,
        notifications,
        registers,
        rights,
        scans,
        tickets,
        tokens,
        units,
    )

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(units.bp, url_prefix="/units")
    app.register_blueprint(checklists.bp)  # /checklists/… and /admin/checklists/…
    app.register_blueprint(inspections.bp, url_prefix="/inspections")
    app.register_blueprint(tickets.bp)  # /tickets/…, /notices/…
    app.register_blueprint(notifications.bp, url_prefix="/notifications")
    app.register_blueprint(documents.bp)  # /notices/…, /documents/…, /verify
    app.register_blueprint(incidents.bp)  # /incidents/…
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(audit.bp, url_prefix="/audit")
    app.register_blueprint(rights.bp, url_prefix="/rights")
    app.register_blueprint(registers.bp, url_prefix="/registers")
    app.register_blueprint(appraisals.bp, url_prefix="/appraisals")
    app.register_blueprint(tokens.bp, url_prefix="/rights/tokens")
    app.register_blueprint(scans.bp, url_prefix="/inspections")  # /inspections/<id>/scans/…
