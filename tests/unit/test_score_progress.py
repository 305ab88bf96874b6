"""The progress a score reports to the gradebook follows what the student really did."""

from __future__ import annotations

import pytest

from assessment.score_progress import (
    ActivityProgress,
    GradingProgress,
    StudentWork,
    activity_progress,
    grading_progress,
)

NOTHING = StudentWork(handed_in=False, reviews_done=0, reviews_required=3, self_assessment_owed=False,
                      other_work=False)


def work(**changes) -> StudentWork:
    return StudentWork(**{**NOTHING.__dict__, **changes})


def test_a_roster_only_student_who_never_opened_the_activity_is_initialized():
    assert activity_progress(NOTHING) is ActivityProgress.INITIALIZED


@pytest.mark.parametrize("changes", [{"other_work": True}, {"reviews_done": 1}])
def test_a_student_who_used_the_activity_without_handing_in_has_started(changes):
    assert activity_progress(work(**changes)) is ActivityProgress.STARTED


@pytest.mark.parametrize("changes", [
    {"reviews_done": 2},
    {"reviews_done": 0, "other_work": True},
    {"reviews_done": 3, "self_assessment_owed": True},
])
def test_work_handed_in_with_reviewing_still_owed_is_submitted(changes):
    assert activity_progress(work(handed_in=True, **changes)) is ActivityProgress.SUBMITTED


@pytest.mark.parametrize("changes", [
    {"reviews_done": 3},
    {"reviews_done": 4},
    {"reviews_done": 0, "reviews_required": 0},
])
def test_work_handed_in_with_every_review_owed_done_is_completed(changes):
    assert activity_progress(work(handed_in=True, **changes)) is ActivityProgress.COMPLETED


def test_the_values_are_the_ags_spec_words():
    assert [progress.value for progress in ActivityProgress] == ["Initialized", "Started", "Submitted", "Completed"]
    assert (grading_progress(held=True).value, grading_progress(held=False).value) == ("PendingManual", "FullyGraded")


def test_a_held_grade_waits_for_staff_and_any_other_is_final():
    assert grading_progress(held=True) is GradingProgress.PENDING_MANUAL
    assert grading_progress(held=False) is GradingProgress.FULLY_GRADED
