"""The dashboard's figures from a real database: right for each student, and a fixed handful of queries for 1,000."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select, update

from assessment.calibration_training import student_status
from assessment.grading_run import release_grades
from assessment.models import (
    Assignment,
    CalibrationAttempt,
    CalibrationExample,
    FlagReason,
    Grade,
    Person,
    Review,
    ReviewFlag,
    ReviewKind,
    ReviewStatus,
    SubmissionVersion,
)
from assessment.progress import dashboard, review_records
from assessment.review_coverage import coverage_report
from tests.support.cohort import CRITERION
from tests.support.graded_class import graded_cohort

NOW = datetime.now(UTC)
LENIENT_BY = 2.0  # points the first student adds to every score they give


def _reviewed_cohort(session, students: int):
    return graded_cohort(session, students, NOW, lenient_by=LENIENT_BY)


@contextmanager
def _statements(session):
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_each_student_row_tells_their_work_reviews_grade_and_gradebook_state(session):
    cohort = _reviewed_cohort(session, 6)
    first, second, third = cohort.student_ids[:3]
    # The second student handed in again, a day and a bit late; the third holds an open lease on a fourth review.
    session.execute(insert(SubmissionVersion).values(
        submission_id=cohort.submission_ids[1], number=2, text_html="<p>Again</p>",
        submitted_at=NOW - timedelta(hours=1), is_late=True, late_penalty=0.1))
    session.get(Assignment, cohort.assignment_id).submission_due = NOW - timedelta(days=1, hours=2)
    session.execute(insert(Review).values(
        assignment_id=cohort.assignment_id, submission_id=cohort.submission_ids[0], reviewer_id=third,
        kind=ReviewKind.PEER, status=ReviewStatus.ASSIGNED, assigned_at=NOW, lease_expires_at=NOW + timedelta(hours=3),
        selections={}, comments={}, beyond_quota=True))
    flagged = session.scalars(select(Review.id).where(Review.submission_id == cohort.submission_ids[0])).first()
    session.add(ReviewFlag(review_id=flagged, reason=FlagReason.UNFAIR, explanation="Too harsh for no reason."))
    session.commit()
    assignment = session.get(Assignment, cohort.assignment_id)

    facts = dashboard(session, assignment, NOW)
    rows = {row.person_id: row for row in facts.rows}

    assert len(rows) == 6 and all(row.handed_in and row.reviews_done == 3 for row in rows.values())
    assert (rows[second].versions, rows[second].late, rows[second].days_late, rows[second].late_penalty) == (2, True, 2, 0.1)
    assert not rows[first].late and rows[first].days_late == 0
    assert rows[third].reviews_open == 1 and rows[first].reviews_open == 0
    assert rows[first].open_flags == 1 and facts.progress.open_flags == 1 and facts.flags[0].author_id == first
    assert all(row.grade is not None and row.grade.peer_score is not None for row in rows.values())
    assert all(row.passback is None for row in rows.values())
    assert (facts.progress.reviews_done, facts.progress.reviews_required, facts.progress.fully_reviewed) == (18, 18, 6)


def test_a_lenient_reviewer_shows_a_positive_bias_and_the_others_none_to_speak_of(session):
    cohort = _reviewed_cohort(session, 8)

    facts = dashboard(session, session.get(Assignment, cohort.assignment_id), NOW)
    by_person = {stats.person_id: stats for stats in facts.reviewers}

    lenient = by_person[cohort.student_ids[0]]
    assert lenient.reviews == 3 and lenient.bias > LENIENT_BY / 2
    others = [stats for person, stats in by_person.items() if person != cohort.student_ids[0]]
    assert all(abs(stats.bias) < LENIENT_BY / 2 for stats in others)
    assert all(stats.spread is not None and stats.spread >= 0 for stats in facts.reviewers)


def test_calibration_and_gradebook_states_come_from_their_own_rows(session):
    cohort = _reviewed_cohort(session, 4)
    assignment = session.get(Assignment, cohort.assignment_id)
    assignment.calibration_examples_required = 1
    example = CalibrationExample(assignment_id=assignment.id, title="Example", text_html="<p>x</p>",
                                 reference={CRITERION: 2.0})
    session.add(example)
    session.flush()
    session.add_all([CalibrationAttempt(example_id=example.id, student_id=cohort.student_ids[0], number=1,
                                        selections={CRITERION: 2.0}, accuracy=1.0),
                     CalibrationAttempt(example_id=example.id, student_id=cohort.student_ids[1], number=1,
                                        selections={CRITERION: 0.0}, accuracy=0.0)])
    release_grades(session, assignment.id, NOW)
    session.commit()

    facts = dashboard(session, assignment, NOW)
    rows = {row.person_id: row for row in facts.rows}

    assert rows[cohort.student_ids[0]].calibration.done and rows[cohort.student_ids[0]].calibration.accuracy == 1.0
    assert not rows[cohort.student_ids[1]].calibration.done  # a second attempt is left
    assert rows[cohort.student_ids[2]].calibration.accuracy is None
    assert facts.progress.calibrated == 1 and facts.progress.released == 4
    assert {row.passback.status.value for row in rows.values()} == {"pending"}


def test_a_retry_on_a_spare_example_counts_on_the_dashboard_as_on_the_students_page(session):
    cohort = _reviewed_cohort(session, 4)
    assignment = session.get(Assignment, cohort.assignment_id)
    assignment.calibration_examples_required, assignment.calibration_attempts = 1, 2
    first, spare = (CalibrationExample(assignment_id=assignment.id, title=title, text_html="<p>x</p>", position=n,
                                       reference={CRITERION: 2.0}) for n, title in enumerate(("First", "Spare")))
    session.add_all([first, spare])
    session.flush()
    student = cohort.student_ids[0]
    session.add_all([CalibrationAttempt(example_id=first.id, student_id=student, number=1,
                                        selections={CRITERION: 0.0}, accuracy=0.5),
                     CalibrationAttempt(example_id=spare.id, student_id=student, number=1,
                                        selections={CRITERION: 2.0}, accuracy=1.0)])
    session.commit()

    row = next(row for row in dashboard(session, assignment, NOW).rows if row.person_id == student)

    assert row.calibration == student_status(session, assignment, student)
    assert row.calibration.done and row.calibration.passed and row.calibration.accuracy == 0.75


@pytest.mark.slow
def test_a_class_of_a_thousand_takes_a_fixed_handful_of_queries_and_little_time(session):
    cohort = _reviewed_cohort(session, 1000)
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id)
                    .values(calibration_examples_required=1))
    session.commit()
    assignment = session.get(Assignment, cohort.assignment_id)

    with _statements(session) as statements:
        started = time.perf_counter()
        facts = dashboard(session, assignment, NOW)
        seconds = time.perf_counter() - started

    assert len(facts.rows) == 1000 and facts.progress.reviews_done == 3000 and len(facts.reviewers) == 1000
    assert len(statements) <= 8, statements
    assert seconds < 5, f"the dashboard's figures took {seconds:.2f} s for 1,000 students"


def test_the_review_export_lists_every_review_with_both_names(session):
    cohort = _reviewed_cohort(session, 5)

    records = list(review_records(session, cohort.assignment_id, batch=4))

    assert len(records) == 15
    assert all(record.reviewer != record.author and record.selections == {CRITERION: 2.0} for record in records)
    assert {record.pseudonym for record in records} == {f"S{index:06d}" for index in range(5)}


def test_a_released_grade_whose_explanation_alone_changed_shows_as_changed_since_release(session):
    cohort = _reviewed_cohort(session, 4)
    assignment = session.get(Assignment, cohort.assignment_id)
    release_grades(session, assignment.id, NOW)
    changed = cohort.student_ids[1]
    grade = session.scalars(select(Grade).where(Grade.assignment_id == assignment.id, Grade.person_id == changed)).one()
    # A new run weighed the same scores differently: the student's explanation changed, their total did not.
    grade.score_explanation = {**grade.score_explanation, "class_share": 0.5}
    session.commit()

    rows = {row.person_id: row for row in dashboard(session, assignment, NOW).rows}

    assert rows[changed].grade.changed_since_release and not rows[changed].grade.released
    assert not any(row.grade.changed_since_release for person, row in rows.items() if person != changed)
    assert all(row.grade.released for person, row in rows.items() if person != changed)


def test_the_dashboard_and_coverage_read_what_the_session_has_not_yet_flushed(session):
    # The large queries run on the session's connection, past the ORM: they must still see the session's own writes.
    cohort = _reviewed_cohort(session, 4)
    assignment = session.get(Assignment, cohort.assignment_id)
    done_before = {row.person_id: row.reviews_done for row in dashboard(session, assignment, NOW).rows}
    first = session.get(Person, cohort.student_ids[0])
    first.name = "Renamed Student"
    grade = session.scalars(select(Grade).where(Grade.person_id == cohort.student_ids[1])).one()
    grade.override_total = 7.5
    review = session.scalars(select(Review).where(Review.reviewer_id == cohort.student_ids[2])).first()
    review.status = ReviewStatus.ASSIGNED
    review.lease_expires_at = NOW + timedelta(hours=1)

    facts = dashboard(session, assignment, NOW)
    rows = {row.person_id: row for row in facts.rows}
    coverage = coverage_report(session, assignment, NOW)

    assert rows[cohort.student_ids[0]].name == "Renamed Student"
    assert rows[cohort.student_ids[1]].grade.final == 7.5 and rows[cohort.student_ids[1]].grade.overridden
    third = cohort.student_ids[2]
    assert (rows[third].reviews_done, rows[third].reviews_open) == (done_before[third] - 1, 1)
    assert {work.author_id: work.name for work in coverage.works}[cohort.student_ids[0]] == "Renamed Student"
    assert sum(work.coverage.held for work in coverage.works) == 1
