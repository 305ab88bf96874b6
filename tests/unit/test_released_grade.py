"""A released grade keeps what students and the gradebook were given, and says when the grade moved on since."""

from __future__ import annotations

from datetime import UTC, datetime

from assessment.models import Grade

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def released_grade(**changes) -> Grade:
    grade = Grade(assignment_id=1, person_id=1, method="mean", submission_score=40.0, submission_std=1.0,
                  reviews_received=3, submission_points=32.0, reviewing_points=9.0, late_deduction=0.0, total=41.0,
                  attention=[], override_total=None, override_reason="")
    for name, value in changes.items():
        setattr(grade, name, value)
    grade.released_snapshot, grade.released_total, grade.released_at = grade.snapshot(), grade.final, NOW
    return grade


def test_a_grade_unchanged_since_its_release_is_not_marked():
    grade = released_grade()

    assert not grade.changed_since_release
    assert grade.released_final == 41.0


def test_a_recomputed_total_is_marked_and_the_released_value_kept():
    grade = released_grade()

    grade.submission_points, grade.total = 30.0, 39.0

    assert grade.changed_since_release
    assert (grade.released_final, grade.final) == (41.0, 39.0)


def test_an_override_after_release_is_a_change_and_clearing_it_again_is_not():
    grade = released_grade()

    grade.override_total, grade.override_reason = 45.0, "Excellent revision"
    assert grade.changed_since_release and grade.released_final == 41.0

    grade.override_total, grade.override_reason = None, ""
    assert not grade.changed_since_release


def test_a_held_grade_settled_since_release_is_a_change_students_get_at_the_next_release():
    grade = released_grade(attention=["open flag"])
    assert grade.released_snapshot["held"]

    grade.attention = []

    assert grade.changed_since_release


def test_a_grade_released_before_snapshots_were_kept_compares_its_released_total():
    grade = released_grade()
    grade.released_snapshot = None

    assert not grade.changed_since_release
    grade.total = 40.5
    assert grade.changed_since_release and grade.released_final == 41.0


def test_a_grade_never_released_is_not_changed_since_release():
    grade = Grade(assignment_id=1, person_id=1, method="mean", total=10.0, attention=[], override_total=None)

    assert not grade.changed_since_release and grade.released_final is None
