"""Each released score reports what its student really did: nothing, started, handed in, or everything owed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from assessment.grading_run import release_grades
from assessment.models import (
    Assignment,
    CalibrationAttempt,
    CalibrationExample,
    Grade,
    GradePosting,
    Review,
    ReviewKind,
    ReviewStatus,
    Submission,
)
from assessment.phases import Phase
from tests.support.cohort import VALID_SELECTIONS, create_cohort

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_each_posting_carries_the_activity_progress_of_its_student_and_release_opens_the_results(session):
    cohort = create_cohort(session, 5, reviews_per_submission=1, reviews_per_student=1, now=NOW)
    completed, submitted, started, initialized, self_owed = cohort.student_ids
    # Two students never handed in: one practised on a calibration example, the other is only on the roster.
    session.execute(delete(Submission).where(Submission.author_id.in_([started, initialized])))
    assignment = session.get(Assignment, cohort.assignment_id)
    example = CalibrationExample(assignment_id=assignment.id, title="Example", text_html="<p>x</p>",
                                 reference=VALID_SELECTIONS)
    session.add(example)
    session.flush()
    session.add(CalibrationAttempt(example_id=example.id, student_id=started, number=1,
                                   selections=VALID_SELECTIONS, accuracy=1.0))
    work = dict(zip(cohort.student_ids, cohort.submission_ids, strict=True))

    def submitted_review(reviewer: int, author: int, kind: ReviewKind) -> Review:
        return Review(assignment_id=assignment.id, submission_id=work[author], reviewer_id=reviewer, kind=kind,
                      status=ReviewStatus.SUBMITTED, selections=VALID_SELECTIONS, score=10.0, submitted_at=NOW)

    # One review is owed each; a self-assessment too, which `self_owed` alone has not submitted.
    assignment.self_assessment = True
    session.add_all([submitted_review(completed, submitted, ReviewKind.PEER),
                     submitted_review(self_owed, completed, ReviewKind.PEER),
                     submitted_review(completed, completed, ReviewKind.SELF),
                     submitted_review(submitted, submitted, ReviewKind.SELF)])
    # A review taken but not submitted is not a review done.
    unfinished = submitted_review(submitted, self_owed, ReviewKind.PEER)
    unfinished.status, unfinished.submitted_at = ReviewStatus.ASSIGNED, None
    session.add(unfinished)
    session.add_all(Grade(assignment_id=assignment.id, person_id=person, method="mean", total=5.0, attention=[])
                    for person in cohort.student_ids)
    session.commit()

    release_grades(session, assignment.id, NOW)
    session.commit()

    postings = {posting.person_id: posting.activity_progress for posting in session.scalars(
        select(GradePosting).where(GradePosting.assignment_id == assignment.id))}
    assert postings == {completed: "Completed", submitted: "Submitted", self_owed: "Submitted",
                        started: "Started", initialized: "Initialized"}
    assert session.get(Assignment, assignment.id).phase_at(NOW) is Phase.RELEASED
