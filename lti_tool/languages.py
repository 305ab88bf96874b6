"""The languages the tool speaks, and which of them a BCP 47 tag asks for; no Flask, so workers read it too."""

from __future__ import annotations

SUPPORTED_LOCALES = ("en", "hi")
DEFAULT_LOCALE = "en"


def supported_locale(tag: str | None) -> str | None:
    """The supported language a BCP 47 tag asks for ("hi-IN" -> "hi"), or None."""
    if not tag:
        return None
    language = tag.replace("_", "-").split("-", 1)[0].lower()
    return language if language in SUPPORTED_LOCALES else None


def launch_locale(presentation: object) -> str | None:
    """The supported language of a launch's `launch_presentation` claim, whatever shape the LMS gave it."""
    tag = presentation.get("locale") if isinstance(presentation, dict) else None
    return supported_locale(tag) if isinstance(tag, str) else None
