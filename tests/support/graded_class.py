"""A class that has reviewed and been graded, bulk-inserted, for the dashboard's tests and benchmark."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from assessment.grading_run import run_grading
from assessment.models import Assignment, CalibrationAttempt, CalibrationExample, Review, ReviewKind, ReviewStatus
from tests.support.cohort import CRITERION, Cohort, create_cohort


def reviewed_cohort(session: Session, students: int, now: datetime, *, lenient_by: float = 2.0,
                    calibration_examples: int = 0) -> Cohort:
    """Each student reviewed the next three submissions; the first reviewer scores `lenient_by` points high; with
    `calibration_examples`, calibration is required and every student assessed each example once; committed."""
    cohort = create_cohort(session, students, reviews_per_submission=3, reviews_per_student=3, now=now)
    rows = []
    for index, reviewer in enumerate(cohort.student_ids):
        for step in (1, 2, 3):
            submission = cohort.submission_ids[(index + step) % students]
            base = 4.0 + (submission % 5)
            rows.append({"assignment_id": cohort.assignment_id, "submission_id": submission, "reviewer_id": reviewer,
                         "kind": ReviewKind.PEER, "status": ReviewStatus.SUBMITTED, "assigned_at": now,
                         "submitted_at": now, "selections": {CRITERION: 2.0}, "comments": {CRITERION: "Clear."},
                         "score": min(10.0, base + (lenient_by if index == 0 else 0.0)), "beyond_quota": False})
    session.execute(insert(Review), rows)
    if calibration_examples:
        session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id)
                        .values(calibration_examples_required=calibration_examples))
        examples = list(session.scalars(insert(CalibrationExample).returning(CalibrationExample.id), [
            {"assignment_id": cohort.assignment_id, "position": position, "title": f"Example {position}",
             "text_html": "<p>An example.</p>", "reference": {CRITERION: 2.0}, "explanations": {}}
            for position in range(calibration_examples)]))
        # Every other student strays to the weak level on the first example: accuracies and errors differ.
        session.execute(insert(CalibrationAttempt), [
            {"example_id": example, "student_id": student, "number": 1, "created_at": now,
             "selections": {CRITERION: 0.0 if index % 2 and position == 0 else 2.0},
             "accuracy": 0.0 if index % 2 and position == 0 else 1.0}
            for index, student in enumerate(cohort.student_ids) for position, example in enumerate(examples)])
    session.commit()
    return cohort


def graded_cohort(session: Session, students: int, now: datetime, *, lenient_by: float = 2.0) -> Cohort:
    """A `reviewed_cohort` graded by the mean and committed."""
    cohort = reviewed_cohort(session, students, now, lenient_by=lenient_by)
    run_grading(session, cohort.assignment_id, now, "mean")
    session.commit()
    return cohort
