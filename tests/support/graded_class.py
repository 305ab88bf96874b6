"""A class that has reviewed and been graded, bulk-inserted, for the dashboard's tests and benchmark."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from assessment.grading_run import run_grading
from assessment.models import Review, ReviewKind, ReviewStatus
from tests.support.cohort import CRITERION, Cohort, create_cohort


def graded_cohort(session: Session, students: int, now: datetime, *, lenient_by: float = 2.0) -> Cohort:
    """Each student reviewed the next three submissions; the first reviewer scores `lenient_by` points high; graded by
    the mean and committed."""
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
    session.commit()
    run_grading(session, cohort.assignment_id, now, "mean")
    session.commit()
    return cohort
