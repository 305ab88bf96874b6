"""In a real browser, inside the sandbox's iframe: the staff dashboard of a graded class fits, is accessible, and sorts."""

from __future__ import annotations

import pytest

from tests.support.accessibility import assert_accessible, assert_fits_iframe
from tests.web.conftest import class_in_review, instructor, review_everything  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e


@pytest.fixture
def graded(lms, instructor, class_in_review, session):  # noqa: F811
    review_everything(class_in_review, session)
    instructor.post("/links/{link}/grades/run", {"method": "reliability"})
    return instructor


def _dashboard(page, lms):
    page.goto(f"{lms.sandbox.url}/course/launch-as/instructor-1")
    tool = page.frame_locator("#tool-frame")
    tool.locator("#student-table").wait_for()
    return tool


def test_the_dashboard_fits_an_800_pixel_iframe_and_passes_the_accessibility_checks(page, lms, graded):
    tool = _dashboard(page, lms)

    assert_fits_iframe(page)
    assert_accessible(page.locator("#tool-frame").element_handle().content_frame(), "the staff dashboard")
    assert tool.locator("svg#chart-grades, #chart-grades svg").count() == 1


def test_clicking_a_column_heading_sorts_the_table_in_place(page, lms, graded):
    tool = _dashboard(page, lms)
    heading = tool.locator("#student-table thead th").filter(has=tool.locator('a[data-sort="grade"]'))

    heading.get_by_role("link").click()
    assert heading.get_attribute("aria-sort") == "ascending"
    ascending = [float(value) for value in tool.locator("#student-table tbody tr td:nth-child(5)")
                 .evaluate_all("cells => cells.map(cell => cell.dataset.value)")]
    heading.get_by_role("link").click()
    descending = [float(value) for value in tool.locator("#student-table tbody tr td:nth-child(5)")
                  .evaluate_all("cells => cells.map(cell => cell.dataset.value)")]

    assert heading.get_attribute("aria-sort") == "descending"
    assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True)
    assert "sort=grade" in tool.locator("body").evaluate("() => location.search")
