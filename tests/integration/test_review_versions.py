"""A self-assessment, like every review, records the version it assesses."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from assessment.models import Assignment
from assessment.peer_review import start_self_assessment
from tests.support.cohort import create_cohort


def test_a_self_assessment_records_the_version_it_assesses(session):
    cohort = create_cohort(session, 2, reviews_per_submission=1, reviews_per_student=1)
    # No peer review is owed here, so the self-assessment opens at once.
    session.execute(update(Assignment).values(self_assessment=True, reviews_per_student=0))
    session.commit()

    review = start_self_assessment(session, cohort.assignment_id, cohort.student_ids[0], datetime.now(UTC))

    assert review.submission_version_id == review.submission.latest.id
