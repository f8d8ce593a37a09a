"""Locale choice (Chinese by default, English on request) and localized display of names."""
from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user


def select_locale() -> str:
    if not has_request_context():  # CLI commands and Celery tasks speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if getattr(current_user, "is_authenticated", False) and current_user.locale:
        return current_user.locale
    if session.get("locale") in current_app.config["LANGUAGES"]:
        return session["locale"]
    if request.args.get("lang") in current_app.config["LANGUAGES"]:
        return request.args["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return "Asia/Shanghai"


def is_chinese() -> bool:
    return str(get_locale()).startswith("zh")


def local_name(obj) -> str:
    """The name of a street, sector or district in the current language."""
    if obj is None:
        return ""
    english = getattr(obj, "name_en", None)
    return obj.name_zh if is_chinese() or not english else english
