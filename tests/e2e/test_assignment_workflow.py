"""In a real browser, through the sandbox LMS: an instructor adds a peer assessment with the content picker,
writes a rubric, six students hand in text and a PDF, and the instructor's roster shows them all."""

from __future__ import annotations

import pytest

from tests.support.documents import pdf_naming_its_author

pytestmark = pytest.mark.e2e
STUDENTS = [f"student-{n}" for n in range(1, 7)]


def test_the_whole_setup_and_submission_workflow_through_the_sandbox(page, lms, tmp_path):
    page.goto(f"{lms.sandbox.url}/")
    page.get_by_role("link", name="Add an activity with peerlti as Ada Instructor").click()
    picker = page.frame_locator("#tool-frame")
    picker.get_by_label("Title").fill("Argumentative essay review")
    picker.get_by_label("Points possible").fill("40")
    picker.get_by_role("button", name="Add to the course").click()

    confirmation = picker.locator("h1", has_text="Activity added")
    confirmation.wait_for()
    link_id = picker.locator("section[id^=added-] code").first.inner_text()

    page.goto(f"{lms.sandbox.url}/course/launch-as/instructor-1?link={link_id}")
    tool = page.frame_locator("#tool-frame")
    tool.get_by_role("link", name="Rubric").first.click()
    tool.get_by_label("Criterion").fill("Thesis")
    tool.get_by_role("button", name="Save criterion").click()
    tool.get_by_text("Criterion saved.").wait_for()

    essay = tmp_path / "my essay.pdf"
    essay.write_bytes(pdf_naming_its_author())
    for student in STUDENTS:
        page.goto(f"{lms.sandbox.url}/course/launch-as/{student}?link={link_id}")
        tool = page.frame_locator("#tool-frame")
        tool.get_by_label("Your answer").fill(f"The essay of {student}.")
        tool.locator("input[type=file]").set_input_files(str(essay))
        tool.get_by_role("button", name="Submit").click()
        tool.get_by_text("Submitted: version 1.").wait_for()

    page.goto(f"{lms.sandbox.url}/course/launch-as/instructor-1?link={link_id}")
    tool = page.frame_locator("#tool-frame")
    tool.get_by_role("link", name="Submissions").first.click()
    rows = tool.locator("#submissions tbody tr")
    rows.first.wait_for()
    assert rows.count() == 6
    assert tool.locator("#submissions .badge.ok").count() == 6
    assert tool.locator("#submissions a", has_text="submission-").count() == 6
