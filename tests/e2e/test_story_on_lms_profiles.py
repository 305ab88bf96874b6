"""The story's main steps in headless Chromium with the sandbox behaving like Canvas and like Moodle: adding the
activity by deep linking, launches, hand-in, reviewing, grading and the grades in the LMS's gradebook."""

from __future__ import annotations

import pytest

from tests.support.in_browser import (
    INSTRUCTOR,
    Person,
    add_activity_by_deep_linking,
    add_criterion,
    gradebook_scores,
    hand_in,
    move_phase,
    new_browser_page,
    release_grades,
    review_peers,
    run_grading,
    settle_doubtful_grades,
)

pytestmark = pytest.mark.e2e
STUDENTS = [f"student-{n}" for n in range(1, 5)]


@pytest.mark.parametrize("lms", ["canvas", "moodle"], indirect=True)
def test_an_activity_is_added_handed_in_reviewed_and_graded_into_the_lms_gradebook(chromium, lms):
    ada = Person(INSTRUCTOR, new_browser_page(chromium), lms)
    link = add_activity_by_deep_linking(ada, "Short essay", "10")
    ada.launch(link)
    add_criterion(ada, "Argument")

    lab = new_browser_page(chromium)
    students = [Person(user, lab, lms) for user in STUDENTS]
    for number, student in enumerate(students, start=1):
        hand_in(student, f"Essay {number}: peer review teaches students to judge work as their teachers do.", link)
    move_phase(ada, "review", link)
    for student in students:
        tool = student.launch(link)
        review_peers(student, 3, ["2"], comment="A clear thesis; one more source would make it convincing.")
        assert "3 of 3 reviews done" in tool.locator("#reviewing").inner_text()

    move_phase(ada, "grading", link)
    run_grading(ada, students=len(STUDENTS))
    settle_doubtful_grades(ada, "Checked by hand: the reviews agree.")
    release_grades(ada, students=len(STUDENTS))

    scores = gradebook_scores(ada)
    assert sorted(scores) == STUDENTS
    assert all(progress == "FullyGraded" for _, progress in scores.values())
