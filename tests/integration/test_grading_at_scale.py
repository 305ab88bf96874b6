"""Grading and release are set-based: as many statements for any class size, and every student's row right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, update

from assessment.calibration_training import accuracies, student_status
from assessment.grading_run import override_grade, release_grades, run_grading
from assessment.models import (
    Assignment,
    CalibrationAttempt,
    CalibrationExample,
    Grade,
    GradePosting,
    Review,
    Submission,
    SubmissionVersion,
)
from tests.support.graded_class import reviewed_cohort
from tests.support.statements import statements_sent

NOW = datetime.now(UTC)


def _work_statements(session, students: int) -> dict[str, int]:
    cohort = reviewed_cohort(session, students, NOW, calibration_examples=2)
    counts = {}

    def count(name, work) -> None:
        session.expunge_all()  # as a request starts: nothing of the class already in the session
        with statements_sent(session.get_bind()) as seen:
            work()
            session.commit()
        counts[name] = len(seen)

    count("grading", lambda: run_grading(session, cohort.assignment_id, NOW))
    count("release", lambda: release_grades(session, cohort.assignment_id, NOW))
    session.execute(update(Review).where(Review.assignment_id == cohort.assignment_id).values(score=Review.score / 2))
    session.commit()
    count("regrading", lambda: run_grading(session, cohort.assignment_id, NOW))
    count("second release", lambda: release_grades(session, cohort.assignment_id, NOW))
    count("unchanged release", lambda: release_grades(session, cohort.assignment_id, NOW))
    return counts


def test_grading_and_releasing_ten_times_the_class_sends_as_many_statements(session):
    small = _work_statements(session, 6)
    large = _work_statements(session, 60)

    assert large == small
    # 15, one for the students' own dates (their extensions) and one recording the run (what the beat reads)
    assert max(small.values()) <= 17


def _grades(session, assignment_id: int) -> dict[int, Grade]:
    return {grade.person_id: grade for grade in session.scalars(select(Grade).where(Grade.assignment_id == assignment_id))}


def test_a_student_without_work_gets_a_zero_only_when_the_assignment_says_so_and_everyone_else_a_grade(session):
    cohort = reviewed_cohort(session, 8, NOW)
    absent = cohort.student_ids[3]
    session.execute(Review.__table__.delete().where(Review.submission_id == cohort.submission_ids[3]))
    session.execute(Submission.__table__.delete().where(Submission.id == cohort.submission_ids[3]))
    assignment = session.get(Assignment, cohort.assignment_id)
    assignment.zero_for_missing_work = False
    session.commit()

    graded = run_grading(session, cohort.assignment_id, NOW)
    assert [grade.person_id for grade in graded] == [s for s in cohort.student_ids if s != absent]
    assert set(_grades(session, cohort.assignment_id)) == set(cohort.student_ids) - {absent}

    assignment.zero_for_missing_work = True
    graded = run_grading(session, cohort.assignment_id, NOW)
    assert [grade.person_id for grade in graded] == cohort.student_ids
    assert _grades(session, cohort.assignment_id)[absent].submission_points == 0.0


def test_regrading_updates_the_grades_the_session_holds_and_keeps_overrides_and_releases(session):
    cohort = reviewed_cohort(session, 6, NOW)
    first, second = cohort.student_ids[:2]
    run_grading(session, cohort.assignment_id, NOW, "mean")
    override_grade(session, cohort.assignment_id, second, 5.0, "Checked by hand.", first, NOW)
    release_grades(session, cohort.assignment_id, NOW)
    session.commit()
    held = _grades(session, cohort.assignment_id)
    before, released = held[first].submission_score, held[first].released_at

    session.execute(update(Review).where(Review.submission_id == cohort.submission_ids[0]).values(score=0.0))
    regraded = {grade.person_id: grade for grade in run_grading(session, cohort.assignment_id, NOW, "mean")}

    assert held[first].submission_score == 0.0 != before
    assert regraded[first].total == held[first].total
    assert held[first].released_at == released and held[first].changed_since_release
    assert held[second].override_total == 5.0 and held[second].override_reason == "Checked by hand."
    assert not regraded[second].held


def test_the_late_penalty_is_the_latest_versions_and_work_never_handed_in_is_graded_too(session):
    cohort = reviewed_cohort(session, 5, NOW)
    late, on_time = cohort.student_ids[1], cohort.student_ids[2]
    session.execute(insert(SubmissionVersion), [
        {"submission_id": cohort.submission_ids[1], "number": 2, "text_html": "<p>Again</p>", "submitted_at": NOW,
         "is_late": True, "late_penalty": 0.5},
        # A late first version handed in again on time: the second one counts.
        {"submission_id": cohort.submission_ids[2], "number": 2, "text_html": "<p>Again</p>", "submitted_at": NOW,
         "is_late": False, "late_penalty": 0.0},
    ])
    session.execute(update(SubmissionVersion).where(SubmissionVersion.submission_id == cohort.submission_ids[2],
                                                    SubmissionVersion.number == 1).values(late_penalty=0.5))
    # A submission begun and never handed in has no version at all; its author is still graded.
    session.execute(SubmissionVersion.__table__.delete().where(
        SubmissionVersion.submission_id == cohort.submission_ids[3]))

    graded = run_grading(session, cohort.assignment_id, NOW, "mean")

    assert [grade.person_id for grade in graded] == cohort.student_ids
    deductions = {person: grade.late_deduction for person, grade in _grades(session, cohort.assignment_id).items()}
    assert deductions[late] > 0 and deductions[on_time] == 0 and deductions[cohort.student_ids[3]] == 0
    assert _grades(session, cohort.assignment_id)[cohort.student_ids[3]].reviews_received == 3


def test_each_students_calibration_accuracy_read_for_the_class_matches_their_own_status(session):
    cohort = reviewed_cohort(session, 6, NOW, calibration_examples=2)
    assignment = session.get(Assignment, cohort.assignment_id)
    uncalibrated = cohort.student_ids[5]
    session.execute(update(Assignment).where(Assignment.id == assignment.id).values(calibration_attempts=3))
    session.refresh(assignment)
    example = session.scalars(select(CalibrationExample.id).where(CalibrationExample.assignment_id == assignment.id)
                              .order_by(CalibrationExample.position)).first()
    session.execute(CalibrationAttempt.__table__.delete().where(CalibrationAttempt.student_id == uncalibrated))
    session.execute(insert(CalibrationAttempt).values(example_id=example, student_id=cohort.student_ids[1], number=2,
                                                      selections={}, accuracy=1.0, created_at=NOW))

    found = accuracies(session, assignment, set(cohort.student_ids))

    expected = {student: student_status(session, assignment, student).accuracy for student in cohort.student_ids}
    assert found == {student: value for student, value in expected.items() if value is not None}
    assert uncalibrated not in found and 0 < found[cohort.student_ids[1]] < 1


def _postings(session, assignment_id: int) -> list[GradePosting]:
    return list(session.scalars(select(GradePosting).where(GradePosting.assignment_id == assignment_id)
                                .order_by(GradePosting.person_id, GradePosting.timestamp)))


def test_a_second_release_posts_each_changed_grade_once_with_a_later_timestamp_and_nothing_else(session):
    cohort = reviewed_cohort(session, 6, NOW)
    run_grading(session, cohort.assignment_id, NOW, "mean")
    first = release_grades(session, cohort.assignment_id, NOW)
    assert sorted(posting.person_id for posting in first) == cohort.student_ids
    changed = cohort.student_ids[2]

    override_grade(session, cohort.assignment_id, changed, 1.0, "Plagiarised.", cohort.student_ids[0], NOW)
    second = release_grades(session, cohort.assignment_id, NOW)  # the same instant: the timestamp still moves on
    third = release_grades(session, cohort.assignment_id, NOW + timedelta(minutes=1))

    assert [(posting.person_id, posting.score_given) for posting in second] == [(changed, 1.0)]
    assert third == []
    postings = _postings(session, cohort.assignment_id)
    assert len(postings) == len(cohort.student_ids) + 1
    mine = [posting.timestamp for posting in postings if posting.person_id == changed]
    assert mine == [NOW, NOW + timedelta(milliseconds=1)]
    grade = _grades(session, cohort.assignment_id)[changed]
    assert grade.released_snapshot == grade.snapshot() and not grade.changed_since_release


def test_the_latest_posting_decides_even_after_many_releases(session):
    cohort = reviewed_cohort(session, 3, NOW)
    run_grading(session, cohort.assignment_id, NOW, "mean")
    student = cohort.student_ids[1]
    for number, total in enumerate((2.0, 3.0, 2.0)):
        override_grade(session, cohort.assignment_id, student, total, "Again.", cohort.student_ids[0], NOW)
        release_grades(session, cohort.assignment_id, NOW + timedelta(minutes=number))

    # Back to 2.0 after 3.0: the latest posting holds 2.0, so nothing is sent; an older 3.0 would have sent it again.
    assert release_grades(session, cohort.assignment_id, NOW + timedelta(minutes=5)) == []
    override_grade(session, cohort.assignment_id, student, 3.0, "Again.", cohort.student_ids[0], NOW)
    (posting,) = release_grades(session, cohort.assignment_id, NOW + timedelta(minutes=6))
    assert posting.person_id == student and posting.score_given == 3.0
    assert session.scalar(select(func.count()).select_from(GradePosting).where(
        GradePosting.person_id == student)) == 4
