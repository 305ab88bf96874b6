"""In a real browser, inside the sandbox's iframe: after a form is sent, its outcome is in view and has the focus,
though the LMS page had scrolled down to the form's button."""

from __future__ import annotations

import pytest

from tests.web.conftest import instructor  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

# True once the element the frame reports (its top and height within the frame) is inside the course page's viewport.
IN_VIEW = """([top, height]) => {
  const frame = document.getElementById('tool-frame').getBoundingClientRect();
  return frame.top + top >= 0 && frame.top + top + height <= window.innerHeight;
}"""


def _settings_scrolled_to_save(page, lms):
    page.set_viewport_size({"width": 1000, "height": 600})
    page.goto(f"{lms.sandbox.url}/course/launch-as/instructor-1")
    tool = page.frame_locator("#tool-frame")
    tool.get_by_role("link", name="Settings and dates").click()
    tool.get_by_role("button", name="Save settings").wait_for()
    # The frame grows to the long settings page; the course page scrolls down to the button, as a person would.
    page.wait_for_function("() => document.getElementById('tool-frame').clientHeight > 1500")
    tool.get_by_role("button", name="Save settings").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 900
    return tool


def _outcome_in_view(page, selector: str) -> None:
    frame = page.frame(name="tool-frame")
    frame.wait_for_function("s => document.activeElement && document.activeElement.matches(s)", arg=selector)
    box = frame.evaluate("s => { const r = document.querySelector(s).getBoundingClientRect(); return [r.top, r.height]; }",
                         selector)
    page.wait_for_function(IN_VIEW, arg=box)


def test_settings_saved_is_in_view_and_focused_after_save_at_the_bottom_of_the_page(page, lms, instructor):  # noqa: F811
    tool = _settings_scrolled_to_save(page, lms)

    tool.get_by_role("button", name="Save settings").click()

    tool.get_by_text("Settings saved.").wait_for()
    _outcome_in_view(page, "main .flash")


def test_a_refused_form_shows_its_problems_in_view_and_focused(page, lms, instructor):  # noqa: F811
    tool = _settings_scrolled_to_save(page, lms)
    tool.get_by_label("Title").fill("")

    tool.get_by_role("button", name="Save settings").click()

    tool.get_by_text("Some fields need your attention").wait_for()
    _outcome_in_view(page, "main .error")
