"""The student home's facts, read by one statement built once: each student and assignment gets their own."""

from __future__ import annotations

from datetime import UTC, datetime

from assessment.models import Assignment
from assessment.peer_review import ReviewerContext, request_review
from assessment.student_overview import _standing, student_overview
from tests.support.cohort import create_cohort


def test_each_student_of_each_assignment_reads_their_own_work_and_what_the_queue_holds_for_them(session):
    now = datetime.now(UTC)
    small = create_cohort(session, 3, reviews_per_submission=2, reviews_per_student=2)
    large = create_cohort(session, 7, reviews_per_submission=2, reviews_per_student=2)
    # The first student of the large class holds a review: one piece of work fewer waits for them.
    request_review(session, ReviewerContext(large.assignment_id, large.student_ids[0], True), now)
    session.commit()

    seen = []
    for cohort, index in ((small, 0), (large, 0), (small, 2), (large, 6), (large, 0)):
        assignment = session.get(Assignment, cohort.assignment_id)
        overview = student_overview(session, assignment, cohort.student_ids[index], now)
        waiting = _standing(session, assignment, cohort.student_ids[index], False, None)[2]
        seen.append((overview.submission.id, waiting))
        assert overview.submission.author_id == cohort.student_ids[index]

    assert seen == [(small.submission_ids[0], 2), (large.submission_ids[0], 5), (small.submission_ids[2], 2),
                    (large.submission_ids[6], 6), (large.submission_ids[0], 5)]
