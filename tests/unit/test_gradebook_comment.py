"""The comment sent with a grade to the LMS gradebook: short, rounded numbers, the same in every language."""

from __future__ import annotations

import pytest

from assessment.grading_run import gradebook_comment, gradebook_number
from assessment.models import Grade


@pytest.mark.parametrize(("value", "written"), [
    (72.9942, "72.99"), (72.995001, "73"), (17.5, "17.5"), (40.0, "40"), (0.0, "0"), (-0.001, "0"),
    (1234.5678, "1234.57"), (0.004, "0"), (0.006, "0.01"), (3.10, "3.1"),
])
def test_gradebook_numbers_have_at_most_two_decimals_a_dot_and_no_grouping(value, written):
    assert gradebook_number(value) == written


def test_the_comment_shows_rounded_points_for_work_reviewing_and_lateness():
    grade = Grade(submission_points=72.99421, reviewing_points=17.49999, late_deduction=3.333333,
                  attention=[], override_total=None)

    comment = gradebook_comment(grade)

    assert comment == "Peer assessment: 72.99 for your work, 17.5 for reviewing, 3.33 off for lateness."


def test_the_comment_leaves_lateness_out_when_nothing_was_taken_off():
    grade = Grade(submission_points=40.0, reviewing_points=9.8765, late_deduction=0.0, attention=[], override_total=None)

    assert gradebook_comment(grade) == "Peer assessment: 40 for your work, 9.88 for reviewing."
