"""The page language: English or Hindi, from the launch's locale, then the browser's preferences."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, get_datetime_format
from flask import Flask, request, session
from flask_babel import Babel, format_decimal, get_locale, gettext
from flask_babel.speaklater import LazyString

from assessment.messages import Message
from lti_tool.languages import DEFAULT_LOCALE, SUPPORTED_LOCALES, launch_locale, supported_locale

__all__ = ["DEFAULT_LOCALE", "SUPPORTED_LOCALES", "launch_locale", "supported_locale"]

SESSION_KEY = "locale"
REGION_SESSION_KEY = "locale_region"


def remember_launch_locale(presentation: object) -> None:
    """Keep the language the LMS sent with the launch (`launch_presentation.locale`) for later pages, and its
    country, which puts that country's time zones first."""
    locale = launch_locale(presentation)
    if locale:
        session[SESSION_KEY] = locale
    tag = presentation.get("locale") if isinstance(presentation, dict) else None
    region = locale_region(tag) if isinstance(tag, str) else None
    if region:
        session[REGION_SESSION_KEY] = region


def locale_region(tag: str | None) -> str | None:
    """The country of a BCP 47 tag ("hi-IN" -> "IN", "en_AU" -> "AU"), or None when it names none."""
    parts = (tag or "").replace("_", "-").split("-")[1:]
    return next((part.upper() for part in parts if len(part) == 2 and part.isalpha()), None)


def reader_region() -> str | None:
    """The reader's country as the LMS's launch locale says, else as the browser's preferred language says."""
    remembered = session.get(REGION_SESSION_KEY)
    if remembered:
        return str(remembered)
    return next((region for tag, _quality in request.accept_languages if (region := locale_region(tag))), None)


def select_locale() -> str:
    return session.get(SESSION_KEY) or request.accept_languages.best_match(SUPPORTED_LOCALES) or DEFAULT_LOCALE


def current_locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def format_moment(moment: datetime, zone: str) -> str:
    """A moment in `zone` as the reader's language writes it, with the zone named: "Mon, Jan 5, 2026, 14:00 CET"."""
    local = moment.astimezone(ZoneInfo(zone))
    locale = get_locale() or DEFAULT_LOCALE
    # 24-hour times in every language: deadlines are read at a glance, and "12:00 am" is misread.
    date, time = format_skeleton("yMMMEd", local, locale=locale), format_skeleton("Hm", local, locale=locale)
    # str(): Babel annotates the result as a DateTimePattern, but the locale data holds the plain "{1}, {0}" string.
    return str(get_datetime_format("medium", locale=locale)).format(time, date) + f" {zone_label(local)}"


def zone_label(local: datetime) -> str:
    """The zone of a moment as every page names it: its abbreviation ("CET", "IST") where it has one, else its offset
    from UTC ("UTC", "UTC-3", "UTC+5:45"). GMT is written UTC, as the browser's rewrite (local_time.js) does too."""
    name = local.tzname() or ""
    if name and name not in ("GMT", "UTC") and not name.startswith(("+", "-")):
        return name
    offset = int((local.utcoffset() or timedelta()).total_seconds()) // 60
    if offset == 0:
        return "UTC"
    hours, minutes = divmod(abs(offset), 60)
    return f"UTC{'-' if offset < 0 else '+'}{hours}" + (f":{minutes:02d}" if minutes else "")


def translate(text: Any) -> Any:
    """A domain `Message` in the page's language, its numbers and dates formatted for it; anything else as it is."""
    if not isinstance(text, Message):
        return text
    if not text.params:
        return gettext(text.template)
    return gettext(text.template, **{name: _localised(value) for name, value in text.params.items()})


def lazy_translate(message: Message, *, capitalize: bool = False) -> LazyString:
    """A domain message for a label made at import time (form choices), translated each time it is shown."""
    return LazyString(_capitalised if capitalize else translate, message)


def translate_problems(problems: Mapping[str, Any]) -> dict[str, Any]:
    return {key: translate(text) for key, text in problems.items()}


def _capitalised(message: Message) -> str:
    text = translate(message)
    return text[:1].upper() + text[1:]


def _localised(value: object) -> object:
    if isinstance(value, Message):
        return translate(value)
    if isinstance(value, datetime):
        return format_moment(value, "UTC")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_decimal(value)
    return value


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    Babel(app, locale_selector=select_locale)
    app.context_processor(lambda: {"current_locale": current_locale()})
    # Domain messages reach templates in many ways (errors, problems, reasons); each is shown in the page's language.
    app.jinja_env.finalize = translate
