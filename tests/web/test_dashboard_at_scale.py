"""The dashboard of a large class: its reviewer chart is binned so the page stays small, and the export keeps every
reviewer."""

from __future__ import annotations

import csv
import io
import re

import pytest

from assessment.db import utcnow
from assessment.models import CourseRole
from lti_tool.charts import COLUMNS, ROWS
from tests.support.page_class import PageClass, launched_client, page_class

LARGE = 400
# A page for a class of this size once held a dot and its tooltip per reviewer; binned, the chart is a few KB.
LARGE_PAGE_BYTES = 150_000


@pytest.fixture
def large_class(session) -> PageClass:
    return page_class(session, LARGE, utcnow())


def _reviewer_dots(page: str) -> list[str]:
    chart = page.split('id="chart-reviewers"')[1].split("</svg>")[0]
    return re.findall(r'<circle class="dot"[^>]*><title>([^<]*)</title>', chart)


def test_the_reviewer_chart_of_a_large_class_draws_binned_dots_not_one_per_reviewer(app, large_class):
    staff = launched_client(app, large_class, large_class.staff_id, CourseRole.STAFF)

    page = staff.get(f"/links/{large_class.link_id}").get_data(as_text=True)

    dots = _reviewer_dots(page)
    assert 0 < len(dots) <= min(COLUMNS * ROWS, LARGE // 10)
    counted = sum(int(match[1]) if (match := re.match(r"(\d+) reviewers:", dot)) else 1 for dot in dots)
    assert counted == LARGE
    assert f"{LARGE} reviewers;" in page  # the chart's description still counts every reviewer


def test_the_dashboard_of_a_large_class_stays_a_small_page(app, large_class):
    staff = launched_client(app, large_class, large_class.staff_id, CourseRole.STAFF)

    page = staff.get(f"/links/{large_class.link_id}").get_data()

    assert len(page) < LARGE_PAGE_BYTES


def test_the_reviews_export_of_a_large_class_still_has_every_reviewer(app, large_class, session):
    staff = launched_client(app, large_class, large_class.staff_id, CourseRole.STAFF)

    export = staff.get(f"/links/{large_class.link_id}/export/reviews.csv").get_data(as_text=True)

    rows = list(csv.DictReader(io.StringIO(export.lstrip("\ufeff"))))
    assert len(rows) == 3 * LARGE
    assert len({row["Reviewer"] for row in rows}) == LARGE
