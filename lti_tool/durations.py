"""How long until a moment, as the page's language says it: "in 2 days 3 hours", "5 minutes ago"."""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.lists import format_list
from flask_babel import format_timedelta, get_locale, gettext

MINUTE, HOUR, DAY, WEEK = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1), timedelta(weeks=1)


def time_left(moment: datetime, now: datetime) -> str:
    """The time from `now` to `moment`: two units within a week (a deadline this close is planned by the hour),
    one unit beyond a week or under an hour, and "ago" once it has passed."""
    left = moment - now
    if left <= timedelta(0):
        return format_timedelta(left, add_direction=True)
    if left < HOUR:
        return format_timedelta(max(left, MINUTE), add_direction=True)
    if left >= WEEK:
        # threshold=1.5: "in 10 days" rather than a rounded "in 1 week"; weeks from a fortnight on.
        return format_timedelta(left, add_direction=True, threshold=1.5)
    larger, smaller = (DAY, HOUR) if left >= DAY else (HOUR, MINUTE)
    # Rounded to the smaller unit: 1 day 23 hours 59 minutes reads "2 days", as a person would say it.
    whole, rest = divmod(round(left / smaller), larger // smaller)
    parts = [whole * larger] + ([rest * smaller] if rest else [])
    # threshold=1 keeps "6 days" from becoming "1 week" and "23 hours" from becoming "1 day".
    words = [format_timedelta(part, threshold=1) for part in parts]
    return gettext("in %(duration)s", duration=format_list(words, style="unit-narrow", locale=get_locale()))
