"""The coverage report on a real class: counts, projection and names, in two statements whatever the class's size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, update

from assessment.models import Assignment, Extension, Person, Review, ReviewKind, ReviewStatus
from assessment.personal_dates import Step
from assessment.reminder_outbox import unreviewed_names
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

    assert counts == [3, 3]  # the works, what the class owes, and the extensions


def _class_an_hour_past_its_deadline_with_two_extended_students(session, now: datetime):
    """5 students, k = 2 and 2 reviews each; reviewing opened 10 hours ago and closed an hour ago for the class.
    Student 2 reviews until 24 hours from now, Student 3 until 48 hours from now, and their work, handed in, is due
    then too. Reviews submitted: Student 1 and 2 of work 0, Student 0 of work 1; the others have none."""
    cohort = _class_ten_hours_into_reviewing(session, now, students=5)
    s0, s1, s2, s3, _ = cohort.student_ids
    due = now - timedelta(hours=1)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(review_due=due))
    session.execute(insert(Extension), [
        {"assignment_id": cohort.assignment_id, "person_id": person, "step": Step.REVIEW, "extra_minutes": minutes,
         "from_lms": False, "reason": "Illness", "granted_at": now}
        for person, minutes in ((s2, 25 * 60), (s3, 49 * 60))])
    session.execute(insert(Review), [_review(cohort, 0, s1, now), _review(cohort, 0, s2, now),
                                     _review(cohort, 1, s0, now)])
    session.commit()
    return cohort, due


def test_work_of_an_extended_author_is_not_due_at_the_class_deadline_nor_sent_to_the_backup_queue(session):
    now = datetime.now(UTC)
    cohort, due = _class_an_hour_past_its_deadline_with_two_extended_students(session, now)
    assignment = session.get(Assignment, cohort.assignment_id)

    report = coverage_report(session, assignment, now)

    assert report.deadline_passed is True
    assert [work.name for work in report.short_now] == ["Student 1", "Student 2", "Student 3", "Student 4"]
    assert [work.name for work in report.backup] == ["Student 1", "Student 4"]
    assert [(work.name, work.own_due) for work in report.still_open] == [
        ("Student 2", due + timedelta(hours=25)), ("Student 3", due + timedelta(hours=49))]
    assert [work.name for work in report.unreviewed] == ["Student 4"]  # staff are told of work that is due
    assert unreviewed_names(session, assignment, now) == ["Student 4"]


def test_extended_reviewers_reviews_after_the_class_deadline_count_for_work_still_open(session):
    now = datetime.now(UTC)
    cohort, _ = _class_an_hour_past_its_deadline_with_two_extended_students(session, now)

    report = coverage_report(session, session.get(Assignment, cohort.assignment_id), now)

    # 3 reviews in 10 hours by 5 reviewers: 0.06 an hour each. By 24 hours from now Student 2 (owing 1) gives 1, to
    # work 3, and Student 3 gives 1, to work 2 (never their own); by 48 hours Student 3's second finds no work of
    # theirs to do: work 2 is due by then. Due work gets nothing more.
    assert [work.projected for work in report.works] == [2, 1, 1, 1, 0]
    assert [work.name for work in report.short_at_deadline] == ["Student 1", "Student 2", "Student 3", "Student 4"]
    assert report.expected == 0


def test_without_extensions_the_backup_queue_is_every_work_short_once_reviewing_closed(session):
    now = datetime.now(UTC)
    cohort, _ = _class_an_hour_past_its_deadline_with_two_extended_students(session, now)
    session.execute(delete(Extension))
    session.commit()

    report = coverage_report(session, session.get(Assignment, cohort.assignment_id), now)

    assert [work.name for work in report.backup] == [work.name for work in report.short_now] == [
        "Student 1", "Student 2", "Student 3", "Student 4"]
    assert report.still_open == [] and [work.projected for work in report.works] == [2, 1, 0, 0, 0]
