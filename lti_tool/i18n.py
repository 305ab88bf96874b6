"""The page language: English or Hindi, from the launch's locale, then the browser's preferences."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel

SUPPORTED_LOCALES = ("en", "hi")
DEFAULT_LOCALE = "en"
SESSION_KEY = "locale"


def supported_locale(tag: str | None) -> str | None:
    """The supported language a BCP 47 tag asks for ("hi-IN" -> "hi"), or None."""
    if not tag:
        return None
    language = tag.replace("_", "-").split("-", 1)[0].lower()
    return language if language in SUPPORTED_LOCALES else None


def remember_launch_locale(tag: str | None) -> None:
    """Keep the locale the LMS sent with the launch (`launch_presentation.locale`) for later pages."""
    locale = supported_locale(tag)
    if locale:
        session[SESSION_KEY] = locale


def select_locale() -> str:
    return session.get(SESSION_KEY) or request.accept_languages.best_match(SUPPORTED_LOCALES) or DEFAULT_LOCALE


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    Babel(app, locale_selector=select_locale)
