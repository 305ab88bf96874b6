"""The sandbox's course page launches the tool inside its iframe, in a real browser."""

from __future__ import annotations

import pytest

from tests.support.accessibility import assert_accessible, assert_fits_iframe

pytestmark = pytest.mark.e2e


def _launch_in_frame(page, lms, user_id: str):
    page.goto(f"{lms.sandbox.url}/course/launch-as/{user_id}")
    frame = page.frame_locator("#tool-frame")
    frame.locator("#activity-title").wait_for()
    return frame


def test_the_sandbox_page_launches_the_tool_inside_its_iframe(page, lms):
    frame = _launch_in_frame(page, lms, "student-1")

    assert frame.locator("#activity-title").inner_text() == "Peer review: Essay 1"
    assert "Not set up yet" in frame.locator("main").inner_text()


def test_an_instructor_launch_in_the_iframe_shows_the_setup_page(page, lms):
    frame = _launch_in_frame(page, lms, "instructor-1")

    assert "Set up this peer assessment" in frame.locator("main").inner_text()
    assert frame.locator("#course-title").inner_text().startswith("Demo course: Academic Writing")


def test_cross_site_over_https_the_launch_works_and_a_second_page_still_knows_the_user(page, https_lms):
    assert https_lms.sandbox.url.startswith("https://127.0.0.1:")
    assert https_lms.tool.url.startswith("https://localhost:")
    frame = _launch_in_frame(page, https_lms, "student-2")

    frame.get_by_role("link", name="Your data").click()

    frame.locator("#my-data").wait_for()
    assert frame.locator("#my-role").inner_text() == "Student"
    assert frame.locator("#my-name").inner_text() not in ("", "Unnamed participant")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies(https_lms.tool.url)}
    session_cookie = cookies["peerlti_session"]
    assert session_cookie["sameSite"] == "None" and session_cookie["secure"]
    # Partitioned (CHIPS) under the LMS's site: the only kind Chromium keeps in a cross-site iframe.
    assert session_cookie["partitionKey"] == "https://127.0.0.1"


def test_the_not_set_up_page_and_a_refusal_in_the_frame_pass_the_accessibility_checks(page, lms):
    _launch_in_frame(page, lms, "student-1")
    frame = page.frame(name="tool-frame")
    assert_accessible(frame, "the not-set-up page")

    response = frame.goto(frame.url + "/grades")

    assert response.status in (403, 404)
    assert frame.locator("[role=alert] h1").inner_text()
    assert_accessible(frame, "a refusal")
    assert_fits_iframe(page)


def test_the_frame_takes_the_height_of_the_tools_page(page, lms):
    page.set_viewport_size({"width": 1000, "height": 600})
    _launch_in_frame(page, lms, "student-1")
    frame_element = page.locator("#tool-frame")
    page_height = page.frame(name="tool-frame").evaluate(
        "Math.ceil(document.documentElement.getBoundingClientRect().height)")

    # lti.frameResize: the course page gives the frame the page's own height, not its fixed 75vh (450 px here).
    page.wait_for_function(
        "expected => Math.abs(document.getElementById('tool-frame').clientHeight - expected) <= 2", arg=page_height)
    assert frame_element.evaluate("frame => frame.style.height") == f"{max(page_height, 240)}px"
    assert page_height != 450
