"""Jinja filters for the tool's pages: dates in a time zone, points and sizes, each written as the reader's language does."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from flask_babel import format_decimal, gettext, lazy_gettext, ngettext
from markupsafe import Markup

from assessment.calibration import ACCURACY_TOLERANCE
from assessment.messages import Message
from assessment.models import FlagReason, PostingStatus, ReviewKind, ReviewStatus
from assessment.phases import PHASE_NAMES, Phase
from assessment.rich_text import clean_rich_text
from assessment.uploads import KNOWN_KINDS
from lti_tool.i18n import format_moment, translate

# What people read for the domain's states; the values themselves stay in the database and the forms.
LABELS: dict[type[enum.Enum], Mapping[Any, object]] = {
    Phase: PHASE_NAMES,
    ReviewKind: {ReviewKind.PEER: lazy_gettext("peer"), ReviewKind.SELF: lazy_gettext("self"),
                 ReviewKind.STAFF: lazy_gettext("staff")},
    ReviewStatus: {ReviewStatus.ASSIGNED: lazy_gettext("assigned"), ReviewStatus.SUBMITTED: lazy_gettext("submitted"),
                   ReviewStatus.EXPIRED: lazy_gettext("expired"), ReviewStatus.REMOVED: lazy_gettext("removed")},
    FlagReason: {FlagReason.UNFAIR: lazy_gettext("unfair"), FlagReason.INAPPROPRIATE: lazy_gettext("inappropriate")},
    PostingStatus: {PostingStatus.PENDING: lazy_gettext("pending"), PostingStatus.IN_FLIGHT: lazy_gettext("sending"),
                    PostingStatus.POSTED: lazy_gettext("posted"), PostingStatus.FAILED: lazy_gettext("failed")},
}


def local_time(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # stored in UTC; SQLite hands it back without its zone
    return format_moment(moment, zone)


def points(value: float | None) -> str:
    return "—" if value is None else format_decimal(value)


def input_number(value: float | None) -> str:
    """A number as form fields send it back (no grouping, a dot for decimals), whatever the page's language."""
    return "" if value is None else f"{value:g}"


def floor_percent(accuracy: float | None) -> int:
    """A calibration accuracy in whole percents, rounded down as the pass mark compares it (79.6% reads 79%, never
    an 80% that did not pass); floating-point noise just under a whole percent is not taken off."""
    return math.floor((accuracy or 0.0) * 100 + ACCURACY_TOLERANCE * 100)


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return ngettext("%(num)s byte", "%(num)s bytes", size)
    value, unit = size / 1024, "KB"
    if value >= 1024:
        value, unit = value / 1024, "MB"
    return f"{format_decimal(value, format='#,##0.0')} {unit}"


def label(value: enum.Enum) -> str:
    """How a state of the domain (a phase, a review's status, ...) is named on the page."""
    text = LABELS.get(type(value), {}).get(value)
    return str(value.value) if text is None else str(translate(text))


def stored_message(text: str | None) -> str:
    """A stored domain message (an outbox row's reason) in the page's language: a `Message` kept with its parameters
    is translated and filled in; text stored as English before is translated when the catalogue has it, and a
    platform's own words stay as they came."""
    if isinstance(text, Message):
        return str(translate(text))
    return gettext(text) if text else ""


def extension(kind_name: str) -> str:
    kind = KNOWN_KINDS.get(kind_name)
    return "." + kind.extension if kind else ""


def rich_text(html: str | None) -> Markup:
    """Stored rich text, cleaned again as it is shown: rows stored under older rules get today's."""
    return Markup(clean_rich_text(html or "", current_app.config["PEERLTI_SETTINGS"].tool_base_url))  # noqa: S704


def init_templating(app: Flask) -> None:
    app.add_template_filter(rich_text, "rich_text")
    app.add_template_filter(extension, "extension")
    app.add_template_filter(label, "label")
    app.add_template_filter(stored_message, "stored_message")
    app.add_template_filter(local_time, "local")
    app.add_template_filter(points, "points")
    app.add_template_filter(floor_percent, "floor_percent")
    app.add_template_filter(input_number, "input_number")
    app.add_template_filter(file_size, "file_size")
