"""How long until a deadline, as a student reads it in the page's language."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import Babel

from lti_tool.durations import time_left

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _read(left: timedelta, locale: str = "en") -> str:
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: locale)
    with app.test_request_context():
        return time_left(NOW + left, NOW)


@pytest.mark.parametrize(("left", "reads"), [
    (timedelta(days=2, hours=3, minutes=10), "in 2 days 3 hours"),
    (timedelta(days=2), "in 2 days"),
    (timedelta(days=1, hours=23, minutes=59), "in 2 days"),
    (timedelta(days=6, hours=23), "in 6 days 23 hours"),
    (timedelta(hours=5, minutes=20), "in 5 hours 20 minutes"),
    (timedelta(minutes=20), "in 20 minutes"),
    (timedelta(seconds=10), "in 1 minute"),
    (timedelta(days=10), "in 10 days"),
    (timedelta(days=21), "in 3 weeks"),
    (-timedelta(days=2), "2 days ago"),
])
def test_time_left_reads_in_one_or_two_units(left, reads):
    assert _read(left) == reads


def test_time_left_takes_its_units_from_the_pages_language():
    assert "2 दिन 3 घंटे" in _read(timedelta(days=2, hours=3), "hi")
    assert _read(-timedelta(days=2), "hi") == "2 दिन पहले"
