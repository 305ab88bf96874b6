"""The staff table of students: filters, sorting both ways with empty values last, the triage order and the counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from assessment.calibration import CalibrationStatus
from assessment.models import Assignment, PostingStatus
from assessment.progress import (
    FILTERS,
    SORTS,
    GradeState,
    Passback,
    StudentRow,
    arrange,
    summarise,
    triage,
)

WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _row(person_id: int, name: str, **changes) -> StudentRow:
    row = StudentRow(
        person_id=person_id, name=name, family_name=name.split()[-1].casefold(), email=f"{name.split()[0]}@example.edu",
        pseudonym=f"P{person_id}", handed_in_at=WHEN, versions=1, late=False, days_late=0, late_penalty=0.0,
        calibration=None, reviews_done=3, reviews_open=0, reviews_required=3, reviews_received=3, reviews_wanted=3,
        open_flags=0, grade=None, passback=None)
    return replace(row, **changes)


def _grade(final: float, std: float = 1.0, attention: tuple[str, ...] = (), released: bool = False) -> GradeState:
    return GradeState(final=final, peer_score=final, uncertainty=std, submission_points=final, reviewing_points=0,
                      late_deduction=0, overridden=False, attention=attention, held=bool(attention), released=released)


ADA = _row(1, "Ada Lovelace", grade=_grade(40))
BOB = _row(2, "Bob Babbage", grade=_grade(30, 6.0, ("wide uncertainty",)), reviews_done=1)
CY = _row(3, "Cy Young", handed_in_at=None, versions=0, reviews_required=0, reviews_received=0, reviews_wanted=0,
          pseudonym=None, grade=_grade(0))
DEE = _row(4, "Dee Adams", late=True, days_late=2, late_penalty=0.2, open_flags=1, reviews_received=2,
           grade=_grade(35, 2.0, ("too few reviews", "open flag"), released=True),
           passback=Passback(PostingStatus.FAILED, "422 not a student"))
ROWS = [ADA, BOB, CY, DEE]


def _names(rows: list[StudentRow]) -> list[str]:
    return [row.name.split()[0] for row in rows]


def test_rows_sort_by_family_name_by_default_and_by_grade_both_ways():
    assert _names(arrange(ROWS, "name", False, "all")) == ["Dee", "Bob", "Ada", "Cy"]
    assert _names(arrange(ROWS, "grade", True, "all")) == ["Ada", "Dee", "Bob", "Cy"]
    assert _names(arrange(ROWS, "grade", False, "all")) == ["Cy", "Bob", "Dee", "Ada"]


def test_rows_without_a_value_come_last_in_either_direction():
    assert _names(arrange(ROWS, "received", False, "all"))[-1] == "Cy"
    assert _names(arrange(ROWS, "received", True, "all"))[-1] == "Cy"
    assert _names(arrange(ROWS, "passback", True, "all")) == ["Dee", "Bob", "Ada", "Cy"]


def test_equal_values_keep_the_class_list_order_in_both_directions():
    assert _names(arrange(ROWS, "reviews_done", True, "all")) == ["Dee", "Ada", "Cy", "Bob"]
    assert _names(arrange(ROWS, "reviews_done", False, "all")) == ["Bob", "Dee", "Ada", "Cy"]


def test_each_filter_keeps_the_students_it_names():
    kept = {name: _names(arrange(ROWS, "name", False, name)) for name in FILTERS}

    assert kept["all"] == ["Dee", "Bob", "Ada", "Cy"]
    assert kept["not_handed_in"] == ["Cy"]
    assert kept["late"] == kept["flagged"] == kept["under_reviewed"] == kept["passback_failed"] == ["Dee"]
    assert kept["owes_reviews"] == ["Bob"]
    assert kept["attention"] == ["Dee", "Bob"]
    assert kept["not_released"] == ["Bob", "Ada", "Cy"]
    assert kept["calibrating"] == []


def test_the_search_matches_every_word_in_the_name_email_or_pseudonym():
    assert _names(arrange(ROWS, "name", False, "all", "ada")) == ["Dee", "Ada"]
    assert _names(arrange(ROWS, "name", False, "all", "ada love")) == ["Ada"]
    assert _names(arrange(ROWS, "name", False, "all", "P2")) == ["Bob"]


def test_every_sort_key_orders_the_whole_class_without_error():
    for key in SORTS:
        for descending in (False, True):
            assert sorted(_names(arrange(ROWS, key, descending, "all"))) == ["Ada", "Bob", "Cy", "Dee"]


def test_triage_puts_open_flags_first_then_the_widest_doubt():
    assert _names(triage(ROWS)) == ["Dee", "Bob"]
    wider = replace(DEE, open_flags=0, grade=_grade(35, 2.0, ("too few reviews",)))
    assert _names(triage([ADA, BOB, wider])) == ["Bob", "Dee"]


def test_the_counts_cap_each_student_at_what_is_required():
    keen = replace(ADA, reviews_done=7, reviews_received=5)
    calibrating = CalibrationStatus(done=False, passed=False, accuracy=0.5, next_example=1, attempts_left=1)
    assignment = Assignment(reviews_per_submission=3, calibration_examples_required=2)

    progress = summarise([keen, BOB, CY, replace(DEE, calibration=calibrating)], assignment, open_flag_count=1)

    assert (progress.students, progress.handed_in, progress.late) == (4, 3, 1)
    assert (progress.reviewers, progress.reviews_required, progress.reviews_done) == (3, 9, 7)
    assert progress.reviewers_finished == 2
    assert (progress.reviews_received, progress.reviews_received_required, progress.fully_reviewed) == (8, 9, 2)
    assert progress.calibration_step and progress.calibrated == 0
    assert (progress.graded, progress.held, progress.released, progress.passback_failed) == (4, 2, 1, 1)


def test_triage_lists_an_open_flag_raised_after_grading_ran():
    flagged_later = replace(ADA, open_flags=1)  # graded with no doubt; the flag came with the feedback
    assert _names(triage([flagged_later, CY])) == ["Ada"]
    assert flagged_later.doubts == ["open flag"]
    ungraded = replace(CY, open_flags=2, grade=None)
    assert _names(triage([ungraded])) == ["Cy"]


def test_an_answered_flag_leaves_the_triage_though_the_grading_run_counted_it():
    answered = replace(DEE, open_flags=0)
    assert answered.doubts == ["too few reviews"]


def test_an_override_settles_the_grades_doubts_but_not_an_open_flag():
    overridden = replace(BOB, grade=replace(BOB.grade, overridden=True, held=False))
    assert triage([overridden]) == [] and not overridden.needs_attention
    waiting = replace(DEE, grade=replace(DEE.grade, overridden=True, held=False))
    assert _names(triage([waiting])) == ["Dee"] and waiting.doubts == ["open flag"]


def test_the_triage_count_covers_every_row_in_doubt():
    progress = summarise([ADA, BOB, replace(CY, open_flags=1), DEE], Assignment(reviews_per_submission=3,
                                                                              calibration_examples_required=0), 2)
    assert progress.in_doubt == 3
