"""An administrator registers the tool from the sandbox's External tools page, in a real browser, cross-site."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from lti_tool.installation.invites import issue_invite

pytestmark = pytest.mark.e2e


def test_registration_in_the_frame_closes_it_and_the_new_tool_launches(page, https_lms, session):
    invite = issue_invite(session, created_by="test")
    session.commit()
    registration_url = quote(f"{https_lms.tool.url}/lti/register?invite={invite}", safe="")
    page.goto(f"{https_lms.sandbox.url}/admin/tools?registration_url={registration_url}")
    frame = page.frame_locator("#tool-frame")

    frame.locator("#register").click()
    client_id = frame.locator("#client-id").inner_text()
    frame.locator("#close-registration").click()

    page.wait_for_url(f"{https_lms.sandbox.url}/admin/tools")
    assert page.locator(f"#tool-{client_id}").is_visible()
    page.goto(f"{https_lms.sandbox.url}/admin/tools/{client_id}/launch/instructor-1")
    page.locator("#activity-title").wait_for()
    assert "Set up this peer assessment" in page.locator("main").inner_text()


def test_the_copy_buttons_put_each_value_on_the_clipboard(page, lms):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{lms.sandbox.url}/course/launch-as/instructor-1")
    frame = page.frame_locator("#tool-frame")
    frame.get_by_role("link", name="Install in an LMS").click()

    frame.locator('[data-copy-target="login-url"]').click()

    frame.locator('[data-copy-target="login-url"][data-copied="true"]').wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == f"{lms.tool.url}/lti/login"
