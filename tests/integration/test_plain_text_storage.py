"""Plain text staff write (grade override reasons, calibration explanations) is stored exactly as typed."""

from __future__ import annotations

from datetime import UTC, datetime

from assessment.calibration_training import ExampleInput, save_example
from assessment.grading_run import override_grade
from tests.support.cohort import CRITERION
from tests.support.graded_class import graded_cohort


def test_a_grade_override_reason_is_stored_as_typed(session):
    now = datetime.now(UTC)
    cohort = graded_cohort(session, 4, now)
    student, staff = cohort.student_ids[0], cohort.student_ids[1]

    grade = override_grade(session, cohort.assignment_id, student, 9.0, "Revised: a < b & x<y", staff, now)

    assert grade.override_reason == "Revised: a < b & x<y"


def test_a_calibration_explanation_is_stored_as_typed(session):
    cohort = graded_cohort(session, 4, datetime.now(UTC))

    example = save_example(session, cohort.assignment_id, ExampleInput(
        title="Example", text_html="<p>Work</p>", reference={CRITERION: 2.0},
        explanations={CRITERION: "Strong, since a < b & x<y."}))

    assert example.explanations == {CRITERION: "Strong, since a < b & x<y."}
