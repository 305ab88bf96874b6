"""The coverage report on a real class: counts, projection and names, in two statements whatever the class's size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update

from assessment.models import Assignment, Person, Review, ReviewKind, ReviewStatus
from assessment.progress import reviews_owed, student_rows
from assessment.review_coverage import coverage_report
from tests.support.cohort import CRITERION, create_cohort
from tests.support.statements import statements_sent


def _review(cohort, submission: int, reviewer: int, now: datetime, *, status=ReviewStatus.SUBMITTED,
            kind=ReviewKind.PEER, lease: datetime | None = None) -> dict:
    return {"assignment_id": cohort.assignment_id, "submission_id": cohort.submission_ids[submission],
            "reviewer_id": reviewer, "kind": kind, "status": status, "assigned_at": now - timedelta(hours=2),
            "submitted_at": now if status is ReviewStatus.SUBMITTED else None, "lease_expires_at": lease,
            "selections": {CRITERION: 2.0}, "comments": {}, "score": 5.0, "beyond_quota": False}


def _class_ten_hours_into_reviewing(session, now: datetime, students: int = 4):
    """k = 2 and 2 reviews each; reviewing opened 10 hours ago and closes in 5."""
    cohort = create_cohort(session, students, reviews_per_submission=2, reviews_per_student=2, now=now)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        review_opens=now - timedelta(hours=10), review_due=now + timedelta(hours=5), phase_override=None))
    return cohort


def test_the_report_counts_what_each_submission_has_and_projects_the_deadline_at_the_class_pace(session):
    now = datetime.now(UTC)
    cohort = _class_ten_hours_into_reviewing(session, now)
    s0, s1, s2, s3 = cohort.student_ids
    staff = session.scalar(insert(Person).returning(Person.id).values(platform_id=session.get(Person, s0).platform_id,
                                                                      subject="teacher", name="Teacher"))
    session.execute(insert(Review), [
        _review(cohort, 0, s1, now), _review(cohort, 0, s2, now),  # work 0: its 2 reviews
        _review(cohort, 1, s0, now),  # work 1: one review, one under way
        _review(cohort, 1, s3, now, status=ReviewStatus.ASSIGNED, lease=now + timedelta(hours=1)),
        _review(cohort, 2, s0, now, status=ReviewStatus.ASSIGNED, lease=now - timedelta(hours=1)),  # ran out
        _review(cohort, 3, staff, now, kind=ReviewKind.STAFF),  # work 3: a known grade
    ])
    session.commit()

    report = coverage_report(session, session.get(Assignment, cohort.assignment_id), now)

    # 3 peer reviews in 10 hours, 5 hours left: 1.5, so 1 more; 5 are still owed (1 + 1 + 1 + 2).
    assert report.expected == 1
    assert [(work.name, work.received, work.coverage.held, work.projected) for work in report.works] == [
        ("Student 0", 2, 0, 2), ("Student 1", 1, 1, 2), ("Student 2", 0, 0, 0), ("Student 3", 0, 0, 0)]
    assert [work.name for work in report.short_now] == ["Student 1", "Student 2"]
    assert [work.name for work in report.short_at_deadline] == ["Student 2"]
    assert [work.name for work in report.unreviewed] == ["Student 2"]
    assert report.deadline_passed is False


def test_the_deadline_passing_ends_the_projection_at_what_each_submission_has(session):
    now = datetime.now(UTC)
    cohort = _class_ten_hours_into_reviewing(session, now)
    session.execute(insert(Review), [_review(cohort, 1, cohort.student_ids[0], now)])
    session.commit()
    assignment = session.get(Assignment, cohort.assignment_id)

    just_before = coverage_report(session, assignment, assignment.review_due - timedelta(seconds=1))
    at_deadline = coverage_report(session, assignment, assignment.review_due)

    assert just_before.deadline_passed is False and at_deadline.deadline_passed is True
    assert at_deadline.expected == 0
    assert [work.projected for work in at_deadline.works] == [0, 1, 0, 0]


def test_the_report_takes_two_statements_for_a_class_of_12_and_of_120(engine, session):
    now = datetime.now(UTC)
    counts = []
    for students in (12, 120):
        cohort = _class_ten_hours_into_reviewing(session, now, students)
        session.execute(insert(Review), [_review(cohort, (index + 1) % students, reviewer, now)
                                         for index, reviewer in enumerate(cohort.student_ids) if index % 3])
        session.commit()
        assignment = session.get(Assignment, cohort.assignment_id)
        with statements_sent(engine) as sent:
            report = coverage_report(session, assignment, now)
        assert len(report.works) == students
        counts.append(len(sent))

    assert counts == [2, 2]


def test_with_the_reviews_owed_from_the_student_rows_the_report_takes_one_statement_and_counts_the_same(engine, session):
    now = datetime.now(UTC)
    cohort = _class_ten_hours_into_reviewing(session, now)
    s0, s1, s2, s3 = cohort.student_ids
    session.execute(insert(Review), [
        _review(cohort, 0, s1, now), _review(cohort, 0, s2, now), _review(cohort, 1, s0, now),
        _review(cohort, 1, s3, now, status=ReviewStatus.ASSIGNED, lease=now + timedelta(hours=1))])
    session.commit()
    assignment = session.get(Assignment, cohort.assignment_id)
    full = coverage_report(session, assignment, now)
    rows = student_rows(session, assignment, now)

    with statements_sent(engine) as sent:
        counts = coverage_report(session, assignment, now, owed=reviews_owed(rows))

    assert len(sent) == 1
    # 3 peer reviews in 10 hours, 5 hours left: 1.5, so 1 more; 5 are still owed (0 + 1 + 2 + 2), as the full count.
    assert reviews_owed(rows) == 5
    assert counts.expected == full.expected == 1
    assert [(work.name, work.received, work.coverage.held, work.projected) for work in counts.works] == [
        (work.name, work.received, work.coverage.held, work.projected) for work in full.works]
    assert (len(counts.short_now), len(counts.short_at_deadline), len(counts.unreviewed)) == (3, 2, 2)
