"""The rules an instructor's assignment settings must keep (each limit from both sides, with its exact message), what
reviewing under way locks, and the defaults a new assignment starts from."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from assessment.assignment_settings import (
    ANONYMITY_LOCKED,
    DOWNLOAD_LOCKED,
    REVIEW_RULES_LOCKED,
    AllocationMode,
    Anonymity,
    AssignmentSettings,
    SubmissionKinds,
    default_settings,
    locked_changes,
    review_locks,
)
from assessment.calibration import CalibrationPolicy
from assessment.errors import InvalidInput
from assessment.grading import LatePolicy
from assessment.phases import Timeline
from assessment.reminders import REMINDER_HOURS_PROBLEM

NOW = datetime(2026, 11, 22, 12, 34, 56, 789, tzinfo=UTC)
SETTINGS = default_settings("Essay", NOW)

POINTS = "Points possible must be more than 0 and at most 10,000."
BONUS = "A bonus review adds between 0 and the points possible."
PER_SUBMISSION = "Each submission needs between 1 and 20 reviews."
PER_STUDENT = "Each student must do between 1 and 20 reviews."
WEIGHT = "The weight of the submission grade is a percentage from 0 to 100."
SIZE = "The size limit is between 1 and 100 MB."
STRICTNESS = "Strictness is 1 (lax), 3, 5, 7 or 9 (strict)."
LEASE = "A reviewer keeps a review for between 1 hour and 14 days."
FLEXIBLE = "Grade short work between 0 and 60 days after the review deadline, or leave it empty."


def test_a_new_assignment_gets_a_week_to_hand_in_a_week_to_review_and_results_the_day_after():
    start = datetime(2026, 11, 22, 12, 34, tzinfo=UTC)
    due = datetime(2026, 11, 29, 23, 59, tzinfo=UTC)

    expected = AssignmentSettings(
        title="Essay", timezone="UTC", late_policy=LatePolicy(accept_late=False), points_possible=100.0,
        timeline=Timeline(submission_opens=start, submission_due=due, calibration_opens=None, calibration_due=None,
                          review_opens=due, review_due=due + timedelta(days=7), results_release=due + timedelta(days=8)))

    assert default_settings("Essay", NOW) == expected
    assert SETTINGS.problems() == {}


def test_a_new_assignment_takes_the_points_and_time_zone_given():
    settings = default_settings("Essay", NOW, points_possible=40, timezone="Europe/Paris")

    assert (settings.points_possible, settings.timezone) == (40, "Europe/Paris")


@pytest.mark.parametrize(("changes", "problems"), [
    ({"title": ""}, {"title": "Give the assignment a title."}),
    ({"title": "   "}, {"title": "Give the assignment a title."}),
    ({"title": "x"}, {}),
    ({"title": "x" * 200}, {}),
    ({"title": "x" * 201}, {"title": "Keep the title under 200 characters."}),
    ({"timezone": "Europe/Paris"}, {}),
    ({"timezone": "Mars/Olympus_Mons"},
     {"timezone": "Choose a time zone from the list, such as Europe/Paris or America/Chicago."}),
    ({"points_possible": 0}, {"points_possible": POINTS}),
    ({"points_possible": 0.01}, {}),
    ({"points_possible": 10_000}, {}),
    ({"points_possible": 10_000.01}, {"points_possible": POINTS}),
    ({"points_possible": math.inf}, {"points_possible": POINTS}),
    ({"points_possible": math.nan}, {"points_possible": POINTS}),
    ({"reviews_per_submission": 0}, {"reviews_per_submission": PER_SUBMISSION}),
    ({"reviews_per_submission": 1}, {}),
    ({"reviews_per_submission": 20}, {}),
    ({"reviews_per_submission": 21}, {"reviews_per_submission": PER_SUBMISSION}),
    ({"reviews_per_student": 0}, {"reviews_per_student": PER_STUDENT}),
    ({"reviews_per_student": 1}, {}),
    ({"reviews_per_student": 20}, {}),
    ({"reviews_per_student": 21}, {"reviews_per_student": PER_STUDENT}),
    ({"submission_weight": -0.01}, {"submission_weight": WEIGHT}),
    ({"submission_weight": 0}, {}),
    ({"submission_weight": 100}, {}),
    ({"submission_weight": 100.01}, {"submission_weight": WEIGHT}),
    ({"submission_weight": math.nan}, {"submission_weight": WEIGHT}),
    ({"aggregation": "median"}, {}),
    ({"aggregation": "mode"}, {"aggregation": "Choose one of the listed ways to combine peer scores."}),
    ({"file_types": ()}, {"file_types": "Choose at least one file type, or accept text only."}),
    ({"file_types": ("pdf", "exe", "bat")}, {"file_types": "Unknown file types: exe, bat."}),
    ({"file_types": ("txt",)}, {}),
    ({"submission_kinds": SubmissionKinds.FILES, "file_types": ()},
     {"file_types": "Choose at least one file type, or accept text only."}),
    ({"submission_kinds": SubmissionKinds.TEXT, "file_types": (), "max_file_mb": 0}, {}),  # no files: not checked
    ({"max_file_mb": 0}, {"max_file_mb": SIZE}),
    ({"max_file_mb": 1}, {}),
    ({"max_file_mb": 100}, {}),
    ({"max_file_mb": 101}, {"max_file_mb": SIZE}),
    ({"file_types": (), "max_file_mb": 101}, {"file_types": "Choose at least one file type, or accept text only.",
                                             "max_file_mb": SIZE}),
    ({"review_strictness": 1}, {}),
    ({"review_strictness": 9}, {}),
    ({"review_strictness": 0}, {"review_strictness": STRICTNESS}),
    ({"review_strictness": 4}, {"review_strictness": STRICTNESS}),
    ({"review_strictness": 10}, {"review_strictness": STRICTNESS}),
    ({"lease_hours": 0}, {"lease_hours": LEASE}),
    ({"lease_hours": 1}, {}),
    ({"lease_hours": 336}, {}),
    ({"lease_hours": 337}, {"lease_hours": LEASE}),
    ({"reminder_hours": ()}, {}),
    ({"reminder_hours": (336, 1)}, {}),
    ({"reminder_hours": (0,)}, {"reminder_hours": REMINDER_HOURS_PROBLEM}),
    ({"reminder_hours": (337,)}, {"reminder_hours": REMINDER_HOURS_PROBLEM}),
])
def test_each_setting_is_refused_outside_its_limits_and_accepted_on_them(changes, problems):
    assert replace(SETTINGS, **changes).problems() == problems


@pytest.mark.parametrize(("changes", "problems"), [
    ({"bonus_review_points": 0}, {}),
    ({"bonus_review_points": 0.01}, {}),
    ({"bonus_review_points": -0.01}, {"bonus_review_points": BONUS}),
    ({"bonus_review_points": 100}, {}),  # the points possible themselves
    ({"bonus_review_points": 100.01}, {"bonus_review_points": BONUS}),
    ({"points_possible": 40, "bonus_review_points": 40}, {}),
    ({"points_possible": 40, "bonus_review_points": 40.01}, {"bonus_review_points": BONUS}),
    ({"bonus_review_points": math.nan}, {"bonus_review_points": BONUS}),
    ({"bonus_review_points": math.inf}, {"bonus_review_points": BONUS}),
    ({"bonus_review_points": -math.inf}, {"bonus_review_points": BONUS}),
    # A bad total is its own problem: the bonus is not also refused for exceeding it.
    ({"points_possible": 0, "bonus_review_points": 5}, {"points_possible": POINTS}),
    ({"points_possible": math.nan, "bonus_review_points": 5}, {"points_possible": POINTS}),
    ({"points_possible": 10_000.01, "bonus_review_points": 10_000.01}, {"points_possible": POINTS}),
    # ...but a bonus bad on its own is still named beside it.
    ({"points_possible": 0, "bonus_review_points": -1}, {"points_possible": POINTS, "bonus_review_points": BONUS}),
    ({"points_possible": math.inf, "bonus_review_points": math.nan},
     {"points_possible": POINTS, "bonus_review_points": BONUS}),
    # After another problem, the bonus's is added, not put in its place.
    ({"title": "", "bonus_review_points": 100.01},
     {"title": "Give the assignment a title.", "bonus_review_points": BONUS}),
    ({"lease_hours": 0, "bonus_review_points": -1}, {"lease_hours": LEASE, "bonus_review_points": BONUS}),
])
def test_a_bonus_review_adds_between_nothing_and_the_points_possible(changes, problems):
    assert replace(SETTINGS, **changes).problems() == problems


@pytest.mark.parametrize(("days", "problems"), [
    (None, {}),
    (-1, {"flexible_grading_days": FLEXIBLE}),
    (0, {}),
    (60, {}),
    (61, {"flexible_grading_days": FLEXIBLE}),
])
def test_short_work_is_graded_anyway_between_0_and_60_days_after_the_review_deadline_or_never(days, problems):
    assert replace(SETTINGS, flexible_grading_days=days).problems() == problems


def test_the_bonus_problem_comes_with_the_others_and_is_refused_by_validate():
    with pytest.raises(InvalidInput) as refused:
        replace(SETTINGS, title="", bonus_review_points=-1, flexible_grading_days=61).validate()

    assert refused.value.problems == {"title": "Give the assignment a title.", "bonus_review_points": BONUS,
                                      "flexible_grading_days": FLEXIBLE}


def test_every_problem_is_named_at_once_with_those_of_the_dates_late_policy_and_calibration():
    timeline = replace(SETTINGS.timeline, review_due=SETTINGS.timeline.review_opens - timedelta(days=1))
    late = LatePolicy(accept_late=True)
    calibration = CalibrationPolicy(examples_required=-1, pass_accuracy=0.8, attempts=2)
    settings = replace(SETTINGS, title="", lease_hours=0, timeline=timeline, late_policy=late, calibration=calibration)

    problems = settings.problems()

    assert problems == {
        **timeline.problems(),
        **{f"late_{key}": text for key, text in late.problems(timeline.submission_due).items()},
        "title": "Give the assignment a title.",
        "lease_hours": LEASE,
        **{f"calibration_{key}": text for key, text in calibration.problems().items()},
    }
    assert {"review_due", "late_until", "calibration_examples_required"} <= set(problems)


@pytest.mark.parametrize(("after_due", "problems"), [
    (timedelta(0), {"late_until": "Late work must be accepted until some time after the submission deadline."}),
    (timedelta(minutes=1), {}),
])
def test_late_work_is_accepted_only_until_a_moment_after_this_assignments_own_deadline(after_due, problems):
    late = LatePolicy(accept_late=True, late_until=SETTINGS.timeline.submission_due + after_due)

    assert replace(SETTINGS, late_policy=late).problems() == problems


def test_validate_refuses_settings_with_problems_naming_each_and_accepts_the_rest():
    SETTINGS.validate()

    with pytest.raises(InvalidInput) as refused:
        replace(SETTINGS, title="", lease_hours=0).validate()

    assert refused.value.problems == {"title": "Give the assignment a title.", "lease_hours": LEASE}


def test_each_review_rule_anonymity_and_downloading_are_locked_with_why():
    assert review_locks(SETTINGS) == {
        "reviews_per_submission": REVIEW_RULES_LOCKED, "reviews_per_student": REVIEW_RULES_LOCKED,
        "allocation_mode": REVIEW_RULES_LOCKED, "points_possible": REVIEW_RULES_LOCKED,
        "calibration_examples_required": REVIEW_RULES_LOCKED, "calibration_pass_accuracy": REVIEW_RULES_LOCKED,
        "calibration_attempts": REVIEW_RULES_LOCKED, "anonymity": ANONYMITY_LOCKED,
        "reviewers_may_download": DOWNLOAD_LOCKED,
    }
    assert REVIEW_RULES_LOCKED.startswith("Locked because reviewing has started")
    assert ANONYMITY_LOCKED.startswith("Reviewing has started, so anonymity can only be made stricter")
    assert DOWNLOAD_LOCKED.startswith("Reviewing has started, so reviewers' downloading can only be turned off")


@pytest.mark.parametrize(("name", "changes"), [
    ("reviews_per_submission", {"reviews_per_submission": 4}),
    ("reviews_per_student", {"reviews_per_student": 2}),
    ("allocation_mode", {"allocation_mode": AllocationMode.STATIC}),
    ("points_possible", {"points_possible": 99.5}),
    ("calibration_examples_required", {"calibration": replace(SETTINGS.calibration, examples_required=1)}),
    ("calibration_pass_accuracy", {"calibration": replace(SETTINGS.calibration, pass_accuracy=0.7)}),
    ("calibration_attempts", {"calibration": replace(SETTINGS.calibration, attempts=3)}),
])
def test_changing_a_review_rule_under_way_is_refused_naming_that_rule_alone(name, changes):
    assert locked_changes(SETTINGS, replace(SETTINGS, **changes)) == {name: REVIEW_RULES_LOCKED}


@pytest.mark.parametrize(("before", "after", "refused"), [
    (Anonymity.DOUBLE_BLIND, Anonymity.DOUBLE_BLIND, False),
    (Anonymity.DOUBLE_BLIND, Anonymity.REVIEWERS_ANONYMOUS, True),
    (Anonymity.REVIEWERS_ANONYMOUS, Anonymity.OPEN, True),
    (Anonymity.DOUBLE_BLIND, Anonymity.OPEN, True),
    (Anonymity.OPEN, Anonymity.REVIEWERS_ANONYMOUS, False),
    (Anonymity.REVIEWERS_ANONYMOUS, Anonymity.DOUBLE_BLIND, False),
])
def test_anonymity_under_way_may_only_become_stricter(before, after, refused):
    changes = locked_changes(replace(SETTINGS, anonymity=before), replace(SETTINGS, anonymity=after))

    assert changes == ({"anonymity": ANONYMITY_LOCKED} if refused else {})


@pytest.mark.parametrize(("before", "after", "refused"), [
    (True, True, False), (True, False, False), (False, False, False), (False, True, True),
])
def test_downloading_under_way_may_only_be_turned_off(before, after, refused):
    changes = locked_changes(replace(SETTINGS, reviewers_may_download=before),
                             replace(SETTINGS, reviewers_may_download=after))

    assert changes == ({"reviewers_may_download": DOWNLOAD_LOCKED} if refused else {})


def test_changes_reviews_do_not_depend_on_are_free_and_several_locked_ones_are_all_named():
    free = replace(SETTINGS, title="Essay 2", lease_hours=12, self_assessment=True, review_strictness=7)
    several = replace(SETTINGS, reviews_per_student=4, anonymity=Anonymity.OPEN)

    assert locked_changes(SETTINGS, free) == {}
    assert locked_changes(SETTINGS, several) == {"reviews_per_student": REVIEW_RULES_LOCKED,
                                                 "anonymity": ANONYMITY_LOCKED}


# A tick box is not a number (True == 1 to Python), and a count of reviews, megabytes, hours or days is whole.
@pytest.mark.parametrize(("changes", "problems"), [
    ({"points_possible": True}, {"points_possible": POINTS}),
    ({"points_possible": 1}, {}),
    ({"submission_weight": True}, {"submission_weight": WEIGHT}),
    ({"submission_weight": False}, {"submission_weight": WEIGHT}),
    ({"submission_weight": 1}, {}),
    ({"submission_weight": math.inf}, {"submission_weight": WEIGHT}),
    ({"bonus_review_points": True}, {"bonus_review_points": BONUS}),
    ({"bonus_review_points": False}, {"bonus_review_points": BONUS}),
    ({"bonus_review_points": 1}, {}),
    ({"reviews_per_submission": True}, {"reviews_per_submission": PER_SUBMISSION}),
    ({"reviews_per_submission": 2.5}, {"reviews_per_submission": PER_SUBMISSION}),
    ({"reviews_per_submission": 3.0}, {"reviews_per_submission": PER_SUBMISSION}),
    ({"reviews_per_submission": math.nan}, {"reviews_per_submission": PER_SUBMISSION}),
    ({"reviews_per_submission": 3}, {}),
    ({"reviews_per_student": True}, {"reviews_per_student": PER_STUDENT}),
    ({"reviews_per_student": 2.5}, {"reviews_per_student": PER_STUDENT}),
    ({"reviews_per_student": math.inf}, {"reviews_per_student": PER_STUDENT}),
    ({"reviews_per_student": 2}, {}),
    ({"max_file_mb": True}, {"max_file_mb": SIZE}),
    ({"max_file_mb": 20.5}, {"max_file_mb": SIZE}),
    ({"max_file_mb": 21}, {}),
    ({"review_strictness": True}, {"review_strictness": STRICTNESS}),
    ({"review_strictness": 5.0}, {"review_strictness": STRICTNESS}),
    ({"review_strictness": 3}, {}),
    ({"lease_hours": True}, {"lease_hours": LEASE}),
    ({"lease_hours": 23.5}, {"lease_hours": LEASE}),
    ({"lease_hours": 23}, {}),
    ({"flexible_grading_days": True}, {"flexible_grading_days": FLEXIBLE}),
    ({"flexible_grading_days": False}, {"flexible_grading_days": FLEXIBLE}),
    ({"flexible_grading_days": 1.5}, {"flexible_grading_days": FLEXIBLE}),
    ({"flexible_grading_days": 1}, {}),
    ({"reminder_hours": (True,)}, {"reminder_hours": REMINDER_HOURS_PROBLEM}),
    ({"reminder_hours": (6.5,)}, {"reminder_hours": REMINDER_HOURS_PROBLEM}),
    ({"reminder_hours": (math.nan,)}, {"reminder_hours": REMINDER_HOURS_PROBLEM}),
    ({"reminder_hours": (7,)}, {}),
])
def test_booleans_and_broken_numbers_are_refused_where_a_number_or_a_whole_number_is_set(changes, problems):
    assert replace(SETTINGS, **changes).problems() == problems
