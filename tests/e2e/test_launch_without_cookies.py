"""In a Chromium that refuses every cookie of the tool (partitioned ones too), launches go through the LMS's
platform storage and the session follows the tab; without storage, the new-window page is the way in."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import CHROMIUM_FLAGS
from tests.support.rows import row_counts

pytestmark = pytest.mark.e2e

# Chromium's cookie content setting: 2 blocks, for the tool's host on every port and under every top-level site.
REFUSE_TOOL_COOKIES = {"profile": {"content_settings": {"exceptions": {"cookies": {"localhost,*": {"setting": 2}}}}}}


@pytest.fixture
def cookieless_page(chromium, tmp_path) -> Iterator[object]:
    """A page of a Chromium profile that refuses the tool's cookies, driven by the session's Playwright."""
    profile = tmp_path / "chromium-profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(REFUSE_TOOL_COOKIES))
    context = chromium.browser_type.launch_persistent_context(
        str(profile), executable_path=chromium_executable(), headless=True, args=CHROMIUM_FLAGS,
        ignore_https_errors=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def chromium_executable() -> str:
    return shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"


def _open(page, lms, user_id: str, storage: str):
    page.goto(f"{lms.sandbox.url}/course/launch-as/{user_id}?storage={storage}")
    return page.frame_locator("#tool-frame")


def _tool_frame_url(page, lms) -> str:
    return next(frame.url for frame in page.frames if frame.url.startswith(lms.tool.url))


def test_without_cookies_a_launch_through_platform_storage_works_page_after_page_and_form_after_form(
    cookieless_page, https_lms
):
    page = cookieless_page
    # First make sure this browser really refuses the tool's cookies: the cookie-only launch loses its state.
    tool = _open(page, https_lms, "instructor-1", "off")
    tool.locator("#launch-problem").wait_for()
    assert tool.get_by_role("link", name="Open peerlti in a new window").is_visible()
    assert page.context.cookies(https_lms.tool.url) == []

    tool = _open(page, https_lms, "instructor-1", "on")
    tool.get_by_role("button", name="Create the peer assessment").click()
    tool.get_by_role("button", name="Save settings").click()
    tool.get_by_text("Settings saved.").wait_for()
    tool.get_by_role("link", name="Rubric").first.click()
    tool.get_by_label("Criterion").fill("Thesis")
    tool.get_by_role("button", name="Save criterion").click()
    tool.get_by_text("Criterion saved.").wait_for()
    tool.get_by_role("link", name="Activity").click()
    tool.get_by_role("button", name="Open the activity").click()
    tool.get_by_text("The activity is open").wait_for()

    tool = _open(page, https_lms, "student-3", "on")
    tool.locator("#activity-title").wait_for()
    tool.get_by_role("link", name="Your data").click()
    tool.locator("#my-data").wait_for()
    assert tool.locator("#my-role").inner_text() == "Student"
    assert "_t=" in _tool_frame_url(page, https_lms)
    tool.get_by_role("link", name="Activity").click()
    tool.get_by_label("Your answer").fill("An essay handed in by a browser without cookies.")
    tool.get_by_role("button", name="Submit").click()
    tool.get_by_text("Submitted: version 1.").wait_for()
    assert page.context.cookies(https_lms.tool.url) == []


def test_without_cookies_and_without_platform_storage_the_launch_offers_a_new_window(cookieless_page, https_lms):
    tool = _open(cookieless_page, https_lms, "student-1", "silent")

    tool.locator("#launch-problem").wait_for()
    assert "blocks cookies inside embedded pages" in tool.locator("#launch-problem").inner_text()
    assert tool.get_by_role("link", name="Open peerlti in a new window").is_visible()


def test_storage_answers_from_another_origin_are_ignored_and_nothing_is_kept(cookieless_page, https_lms, session):
    before = row_counts(session)

    tool = _open(cookieless_page, https_lms, "student-2", "other-origin")

    problem = tool.locator("#storage-problem")
    problem.wait_for()
    relay_origin = https_lms.sandbox.url.replace("127.0.0.1", "localhost")
    assert problem.locator("[data-origin]").inner_text() == relay_origin
    assert tool.get_by_role("link", name="Open peerlti in a new window").is_visible()
    assert row_counts(session) == before


def test_a_storage_answer_with_another_state_is_refused_and_nothing_is_kept(cookieless_page, https_lms, session):
    before = row_counts(session)

    tool = _open(cookieless_page, https_lms, "student-2", "tampered")

    tool.locator("#launch-problem").wait_for()
    assert "different state" in tool.locator("#launch-problem").inner_text()
    assert row_counts(session) == before


def test_the_sandbox_answers_the_tools_capabilities_question(page, https_lms):
    page.goto(f"{https_lms.sandbox.url}/course/launch-as/student-1?storage=on")
    page.frame_locator("#tool-frame").locator("#activity-title").wait_for()
    tool = next(frame for frame in page.frames if frame.url.startswith(https_lms.tool.url))

    answer = tool.evaluate("""origin => new Promise(resolve => {
        window.addEventListener("message", event => {
            if (event.origin === origin && event.data.message_id === "probe") { resolve(event.data); }
        });
        window.parent.postMessage({subject: "lti.capabilities", message_id: "probe"}, origin);
    })""", https_lms.sandbox.url)

    assert answer["subject"] == "lti.capabilities.response"
    assert {item["subject"] for item in answer["supported_messages"]} >= {"lti.put_data", "lti.get_data"}
