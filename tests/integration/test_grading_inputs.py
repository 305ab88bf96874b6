"""What a grading run hands the model besides the reviews: each reviewer's signed error in calibration."""

from __future__ import annotations

from datetime import UTC, datetime

from assessment.aggregation import CalibrationError
from assessment.grading_run import calibration_errors
from assessment.models import Assignment, CalibrationAttempt, CalibrationExample
from tests.support.cohort import CRITERION
from tests.support.graded_class import graded_cohort

NOW = datetime.now(UTC)


def _examples(session, assignment, *references):
    examples = [CalibrationExample(assignment_id=assignment.id, title=f"Example {n}", text_html="<p>x</p>", position=n,
                                   reference={CRITERION: reference}) for n, reference in enumerate(references)]
    session.add_all(examples)
    session.flush()
    return examples


def _attempt(example, student, number, score):
    return CalibrationAttempt(example_id=example.id, student_id=student, number=number,
                              selections={CRITERION: score}, accuracy=0.5)


def test_a_reviewers_calibration_error_is_the_mean_signed_gap_of_their_first_attempts_in_points(session):
    cohort = graded_cohort(session, 4, NOW)
    assignment = session.get(Assignment, cohort.assignment_id)
    assignment.calibration_examples_required = 2
    first, second = _examples(session, assignment, 0.0, 0.0)
    lenient, exact, harsh = cohort.student_ids[:3]
    session.add_all([
        _attempt(first, lenient, 1, 2.0), _attempt(first, lenient, 2, 0.0),  # the retry is not blind: not counted
        _attempt(second, lenient, 1, 0.0),
        _attempt(first, exact, 1, 0.0),
    ])
    harsh_example, = _examples(session, assignment, 2.0)
    session.add(_attempt(harsh_example, harsh, 1, 0.0))
    session.flush()

    points = assignment.points_possible
    assert calibration_errors(session, assignment) == {
        lenient: CalibrationError(points / 2, 2), exact: CalibrationError(0.0, 1), harsh: CalibrationError(-points, 1)}


def test_an_assignment_without_calibration_gives_no_calibration_errors(session):
    cohort = graded_cohort(session, 3, NOW)
    assignment = session.get(Assignment, cohort.assignment_id)
    example, = _examples(session, assignment, 0.0)
    session.add(_attempt(example, cohort.student_ids[0], 1, 2.0))
    session.flush()

    assignment.calibration_examples_required = 0
    assert calibration_errors(session, assignment) == {}
    assignment.calibration_examples_required = 1
    assert calibration_errors(session, assignment) == {
        cohort.student_ids[0]: CalibrationError(assignment.points_possible, 1)}
