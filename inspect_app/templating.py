"""What every template can use: the current user, permissions, labels, dates and asset URLs."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache
from pathlib import Path

from flask import Flask, current_app, request, url_for
from flask_babel import format_date, format_datetime, get_locale

from . import authz, exports, formatting, i18n, labels
from .security import current_user
from .services.org import district_name


@cache
def _asset_version(static_folder: str, filename: str) -> str:
    path = Path(static_folder) / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.exists() else "0"


def static_url(filename: str) -> str:
    """The URL of a static file, versioned by its content so browsers may cache it for a year."""
    version = "dev" if current_app.debug else _asset_version(current_app.static_folder, filename)
    return url_for("static", filename=filename, v=version)


def datetime_filter(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    return format_datetime(value, fmt) if value else ""


def date_filter(value: date | None, fmt: str = "yyyy-MM-dd") -> str:
    return format_date(value, fmt) if value else ""


def init_app(app: Flask) -> None:
    app.config.setdefault("SEND_FILE_MAX_AGE_DEFAULT", 31536000)
    app.jinja_env.filters["datetime"] = datetime_filter
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.filters["items_as_text"] = lambda mapping: {k: str(v) for k, v in mapping.items()}
    app.jinja_env.filters["basis"] = formatting.format_basis
    app.jinja_env.filters["basis_note"] = formatting.basis_note
    app.jinja_env.tests["nav_path_matches"] = nav_path_matches
    app.jinja_env.filters["highlight"] = formatting.highlight
    app.jinja_env.globals.update(static_url=static_url, localized=i18n.localized, nav_items=nav_items,
                                 labels=labels, label=labels.label, district_name=district_name,
                                 export_url=exports.export_url)

    @app.context_processor
    def inject():
        return {
            "current_user": current_user._get_current_object() if current_user else None,
            "can": lambda action, obj=None: authz.can(current_user._get_current_object(), action, obj)
            if current_user
            else False,
            "lang": str(get_locale()),
        }


# The navigation: (endpoint, label, roles).
# The labels have a context of their own: 单位 and 检查 also stand for other things on the pages.
def _nav() -> list[tuple[str, object, tuple[str, ...]]]:
    from flask_babel import lazy_pgettext

    from .models import Role

    bureau = (Role.INSPECTOR, Role.LEADER)
    return [
        ("dashboard.index", lazy_pgettext("navigation", "工作台"), (Role.INSPECTOR, Role.LEADER, Role.OFFICER)),
        ("inspections.index", lazy_pgettext("navigation", "检查"), (*bureau, Role.OFFICER)),
        ("tickets.index", lazy_pgettext("navigation", "整改"), (*bureau, Role.OFFICER)),
        ("incidents.index", lazy_pgettext("navigation", "事件"), (*bureau, Role.OFFICER)),
        ("units.index", lazy_pgettext("navigation", "单位"), bureau),
        # The officer keeps the unit's registers; the bureau's roles, whose row is full, reach them from 单位. The
        # annual appraisal, once a year, is reached from 单位 by the bureau and from 工作台 by the officer.
        ("registers.index", lazy_pgettext("navigation", "台账"), (Role.OFFICER,)),
        ("checklists.index", lazy_pgettext("navigation", "检查表"), (*bureau, Role.OFFICER, Role.ADMIN)),
        # The officer, with 事件 and 台账 on the bar, checks a document's code from 工作台.
        ("documents.verify", lazy_pgettext("navigation", "文件核验"), bureau),
        ("admin.org", lazy_pgettext("navigation", "机构"), (Role.ADMIN,)),
        ("admin.users", lazy_pgettext("navigation", "账户"), (Role.ADMIN,)),
        ("rights.users", lazy_pgettext("navigation", "权限"), (Role.SECADMIN,)),
        ("rights.auditor_log", lazy_pgettext("navigation", "审计员操作"), (Role.SECADMIN,)),
        ("rights.settings", lazy_pgettext("navigation", "安全设置"), (Role.SECADMIN,)),
        ("tokens.index", lazy_pgettext("navigation", "接口令牌"), (Role.SECADMIN,)),
        ("audit.index", lazy_pgettext("navigation", "审计"), (Role.AUDITOR,)),
    ]


def nav_path_matches(endpoint: str) -> bool:
    """Whether the page asked for lies under this navigation entry's address (/admin/users/7 under /admin/users)."""
    base = url_for(endpoint).rstrip("/")
    return request.path == base or request.path.startswith(base + "/")


def nav_items() -> list[tuple[str, str]]:
    user = current_user._get_current_object() if current_user else None
    if user is None:
        return []
    return [(endpoint, str(label)) for endpoint, label, roles in _nav() if user.role in roles]
