"""What a grading run hands the model besides the reviews (calibration's signed errors), and what it keeps of the fit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from assessment import aggregation
from assessment.aggregation import CalibrationError
from assessment.grading_run import calibration_errors, run_grading
from assessment.models import Assignment, CalibrationAttempt, CalibrationExample, Grade
from assessment.score_explanation import from_stored
from tests.support.cohort import CRITERION
from tests.support.graded_class import graded_cohort, reviewed_cohort

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


def test_a_reliability_run_fits_the_model_once_and_keeps_the_explanation_of_the_very_scores_it_stored(
        session, monkeypatch):
    cohort = reviewed_cohort(session, 6, NOW, calibration_examples=2)
    fits = []
    real = aggregation._reliability_fit

    def counted(inputs):
        fits.append(1)
        return real(inputs)

    monkeypatch.setattr(aggregation, "_reliability_fit", counted)
    run_grading(session, cohort.assignment_id, NOW, "reliability")
    session.flush()

    assert len(fits) == 1
    grades = session.scalars(select(Grade).where(Grade.assignment_id == cohort.assignment_id)).all()
    assert len(grades) == 6
    for grade in grades:
        explanation = from_stored(grade.score_explanation)
        assert explanation is not None
        # The stored score is the explained one, rebuilt from its parts: a second fit or a stale one would differ.
        assert explanation.score == grade.submission_score
        assert explanation.clipped or explanation.unclipped == pytest.approx(grade.submission_score, abs=1e-6)
