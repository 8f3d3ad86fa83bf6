"""Language selection. Chinese is the default; a user's choice is kept on their account."""

from __future__ import annotations

from flask import current_app, g, has_request_context, session
from flask_babel import get_locale


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user = g.get("user")
    if user is not None and user.language in current_app.config["LANGUAGES"]:
        return user.language
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def is_english() -> bool:
    return str(get_locale()) == "en"


def localized(obj, field: str) -> str:
    """`obj.field_en` in English when it has one, else `obj.field` (the Chinese original)."""
    if is_english():
        english = getattr(obj, f"{field}_en", None) if not isinstance(obj, dict) else obj.get(f"{field}_en")
        if english:
            return english
    return getattr(obj, field) if not isinstance(obj, dict) else obj.get(field, "")
