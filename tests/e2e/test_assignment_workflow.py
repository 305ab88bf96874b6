"""In a real browser, through the sandbox LMS: an instructor adds a peer assessment with the content picker,
writes a rubric, six students hand in text and a PDF, and the instructor's roster shows them all."""

from __future__ import annotations

import pytest

from tests.support.documents import pdf_naming_its_author
from tests.support.in_browser import INSTRUCTOR, Person, add_activity_by_deep_linking, add_criterion, hand_in

pytestmark = pytest.mark.e2e
STUDENTS = [f"student-{n}" for n in range(1, 7)]


def test_the_whole_setup_and_submission_workflow_through_the_sandbox(page, lms, tmp_path):
    instructor = Person(INSTRUCTOR, page, lms)
    link_id = add_activity_by_deep_linking(instructor, "Argumentative essay review", "40")
    instructor.launch(link_id)
    add_criterion(instructor, "Thesis")

    essay = tmp_path / "my essay.pdf"
    essay.write_bytes(pdf_naming_its_author())
    for student in STUDENTS:
        hand_in(Person(student, page, lms), f"The essay of {student}.", link_id, file=essay)

    tool = instructor.launch(link_id)
    instructor.navigate("Submissions")
    rows = tool.locator("#submissions tbody tr")
    assert rows.count() == 6
    assert tool.locator("#submissions .badge.ok").count() == 6
    assert tool.locator("#submissions a", has_text="submission-").count() == 6
