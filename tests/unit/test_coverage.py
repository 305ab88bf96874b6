"""The coverage projection: the reviews to come at the class's pace, handed out as the review queue hands them."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from assessment.coverage import HOUR, LaterReviewers, Pace, WorkCoverage, pace_at, project

OPENS = datetime(2026, 3, 1, 9, tzinfo=UTC)
DUE = OPENS + timedelta(hours=100)


def _pace(hours_in: float, done: int, owed: int = 1000, static: bool = False) -> Pace:
    return pace_at(OPENS + timedelta(hours=hours_in), OPENS, DUE, done=done, owed=owed, static=static)


def test_the_pace_so_far_over_the_time_left_gives_the_reviews_to_come():
    # 30 reviews in 25 hours, 75 hours left: 90 more.
    assert _pace(25, done=30).expected() == 90
    # 10 in 30 hours, 70 left: 23.33, so 23 whole reviews.
    assert _pace(30, done=10).expected() == 23


def test_reviewers_stop_at_their_quota_so_the_owed_reviews_cap_the_pace():
    assert _pace(25, done=30, owed=89).expected() == 89
    assert _pace(25, done=30, owed=90).expected() == 90
    assert _pace(25, done=30, owed=91).expected() == 90


def test_no_pace_is_known_before_reviewing_opens_or_before_the_first_review():
    assert _pace(0, done=0).expected() is None
    assert _pace(-5, done=0).expected() is None
    assert _pace(10, done=0).expected() is None
    # One review in the first minutes is a pace: the owed reviews then bound it.
    assert _pace(0.5, done=1, owed=5).expected() == 5


def test_nothing_more_is_expected_once_the_deadline_passed():
    assert _pace(100, done=0).expected() == 0
    assert _pace(130, done=40).expected() == 0
    assert Pace(done=40, elapsed=timedelta(hours=100), remaining=timedelta(0), owed=9).expected() == 0


def test_reviews_under_way_finish_first_then_the_least_reviewed_oldest_work_gets_the_rest():
    works = [WorkCoverage("a", 0, 0, False), WorkCoverage("b", 2, 1, False), WorkCoverage("c", 1, 0, False),
             WorkCoverage("d", 0, 0, False)]
    # 5 done in 25 hours, 75 left: 15 at this pace, capped at the 4 owed.
    projection = project(works, 3, _pace(25, done=5, owed=4))

    # b's held review finishes (3); then a (0 -> 1), d (0 -> 1), then a, c and d tie at 1: a, the oldest, gets 2.
    assert projection.expected == 4
    assert projection.reviews == {"a": 2, "b": 3, "c": 1, "d": 1}
    assert projection.short(works, 3) == ["a", "c", "d"]


def test_enough_reviews_to_come_leave_no_work_short():
    works = [WorkCoverage("a", 0, 0, False), WorkCoverage("b", 1, 0, False)]
    projection = project(works, 2, _pace(50, done=10, owed=3))

    assert projection.reviews == {"a": 2, "b": 2}
    assert projection.short(works, 2) == []


def test_one_review_short_of_covering_everything_leaves_exactly_one_submission_short():
    works = [WorkCoverage("a", 0, 0, False), WorkCoverage("b", 1, 0, False)]
    projection = project(works, 2, _pace(50, done=10, owed=2))

    assert projection.reviews == {"a": 2, "b": 1}
    assert projection.short(works, 2) == ["b"]


def test_work_at_k_takes_no_projected_review_while_other_work_is_short():
    works = [WorkCoverage("full", 3, 0, False), WorkCoverage("empty", 0, 0, False)]
    projection = project(works, 3, _pace(50, done=10, owed=2))

    assert projection.reviews == {"full": 3, "empty": 2}


def test_a_staff_assessment_covers_work_whatever_its_peer_reviews():
    works = [WorkCoverage("staff", 0, 0, True), WorkCoverage("peer", 0, 0, False)]

    assert works[0].short_of(3) is False and works[1].short_of(3) is True
    assert project(works, 3, _pace(100, done=0)).short(works, 3) == ["peer"]


def test_static_allocation_finishes_only_the_reviews_it_handed_out():
    works = [WorkCoverage("a", 1, 2, False), WorkCoverage("b", 0, 1, False), WorkCoverage("c", 0, 0, False)]
    projection = project(works, 3, _pace(50, done=4, owed=10, static=True))

    assert projection.reviews == {"a": 3, "b": 1, "c": 0}


def test_without_a_pace_there_is_no_projection():
    works = [WorkCoverage("a", 0, 0, False)]
    projection = project(works, 3, _pace(10, done=0))

    assert projection.expected is None and projection.reviews is None and projection.short(works, 3) is None


def _work(submission: str, received: int) -> WorkCoverage[str]:
    return WorkCoverage(submission, received, 0, False)


def _extended(hours_left: float, members: set[str], owed: int) -> LaterReviewers:
    return LaterReviewers(timedelta(hours=hours_left), frozenset(members), owed)


def test_extended_reviewers_go_on_after_the_class_deadline_at_the_class_pace_up_to_what_they_owe():
    # 2 reviews in 50 hours by 10 reviewers: 0.004 an hour each; a group of 5 does 0.02 an hour.
    group = _extended(150, {"a", "b", "c", "d", "e"}, owed=4)
    pace = pace_at(OPENS + timedelta(hours=50), OPENS, DUE, done=2, owed=1000, reviewers=10, later=(group,))

    # 1 review before the class deadline (50 hours left), 2 in the 100 hours after it.
    assert pace.expected_later(group, timedelta(hours=150)) == 2
    assert pace.expected_later(group, timedelta(hours=50)) == 0
    assert pace.expected_later(group, timedelta(hours=400)) == 2  # not past their own deadline
    assert pace.expected_later(replace(group, owed=2), timedelta(hours=150)) == 1  # owed 2, 1 done before
    assert pace.expected_later(replace(group, owed=1), timedelta(hours=150)) == 0


def test_work_of_an_extended_author_is_counted_at_their_own_deadline_with_the_extended_reviewers_reviews():
    group = _extended(150, {"a", "b", "c", "d", "e"}, owed=4)
    pace = pace_at(OPENS + timedelta(hours=50), OPENS, DUE, done=2, owed=1000, reviewers=10, later=(group,))
    works = [_work("class", 0), WorkCoverage("extended", 0, 0, False, later=timedelta(hours=150), author="y")]

    projection = project(works, 3, pace)

    # The class's 2 reviews go one to each; the group's 2 later ones to the extended work only.
    assert projection.reviews == {"class": 1, "extended": 3}
    assert projection.short(works, 3) == ["class"]


def test_an_extended_reviewer_never_counts_as_reviewing_their_own_work():
    group = _extended(150, {"a", "b", "c", "d", "y"}, owed=4)
    pace = pace_at(OPENS + timedelta(hours=50), OPENS, DUE, done=2, owed=1000, reviewers=10, later=(group,))
    works = [_work("class", 0), WorkCoverage("extended", 0, 0, False, later=timedelta(hours=150), author="y")]

    assert project(works, 3, pace).reviews == {"class": 1, "extended": 1}


def test_later_deadlines_are_taken_in_order_each_counting_what_came_before_it():
    # 10 reviews in 50 hours by 10 reviewers; a group of 5 does 0.1 an hour: 5 before the class deadline, 2 more by
    # 75 hours from now, 10 more by 150 hours, no more than the 4 left of the 9 they owe.
    group = _extended(150, {"a", "b", "c", "d", "e"}, owed=9)
    pace = pace_at(OPENS + timedelta(hours=50), OPENS, DUE, done=10, owed=2, reviewers=10, later=(group,))
    works = [_work("class", 0), WorkCoverage("sooner", 0, 0, False, later=timedelta(hours=75), author="y"),
             WorkCoverage("later", 0, 0, False, later=timedelta(hours=150), author="z")]

    assert project(works, 3, pace).reviews == {"class": 1, "sooner": 2, "later": 3}


def test_without_extensions_the_projection_is_the_class_one():
    pace = pace_at(OPENS + timedelta(hours=50), OPENS, DUE, done=2, owed=1000, reviewers=10)
    works = [_work("one", 0), _work("two", 0)]

    assert project(works, 3, pace).reviews == {"one": 1, "two": 1}


def test_reviews_beyond_what_brings_all_work_to_k_are_not_followed():
    works = [WorkCoverage("full", 3, 0, False), WorkCoverage("empty", 0, 0, False), WorkCoverage("two", 2, 0, False)]
    # 10 reviews to come; 3 + 1 bring everything to k, the other 6 go to work already at k and change no shortfall.
    projection = project(works, 3, _pace(50, done=10, owed=10))

    assert projection.expected == 10
    assert projection.reviews == {"full": 3, "empty": 3, "two": 3}
    assert projection.short(works, 3) == []


def test_static_allocation_still_reports_the_reviews_to_come():
    works = [WorkCoverage("a", 1, 2, False)]

    assert project(works, 3, _pace(50, done=4, owed=10, static=True)).expected == 4


def test_the_pace_counts_until_the_last_moment_before_the_deadline():
    # 10 reviews in 10 hours, 5 hours left: 5 more; reviewing is not over until the deadline itself.
    assert Pace(done=10, elapsed=timedelta(hours=10), remaining=timedelta(hours=5), owed=99).expected() == 5
    assert Pace(done=10, elapsed=timedelta(hours=10), remaining=timedelta(hours=23), owed=99).expected() == 23


def test_reviews_submitted_at_the_very_opening_give_no_pace_yet():
    assert Pace(done=3, elapsed=timedelta(0), remaining=timedelta(hours=5), owed=9).expected() is None
    assert Pace(done=3, elapsed=timedelta(seconds=1), remaining=timedelta(hours=5), owed=9).expected() == 9


def test_the_pace_is_dynamic_unless_said_otherwise():
    assert pace_at(OPENS, OPENS, DUE, done=0, owed=0).static is False


def test_extended_reviewers_have_no_pace_to_go_by_without_reviewers_a_first_review_or_time_since_opening():
    group = _extended(150, {"a", "b", "c", "d", "e"}, owed=100)
    # 10 reviews in 50 hours, but no count of who may review: the pace per reviewer is unknown.
    assert pace_at(OPENS + timedelta(hours=50), OPENS, DUE, done=10, owed=1000, later=(group,)).reviewers == 0
    assert pace_at(OPENS + timedelta(hours=50), OPENS, DUE, done=10, owed=1000,
                   later=(group,)).expected_later(group, timedelta(hours=150)) == 0
    # 3 reviews at the very opening, or none in 50 hours.
    at_opening = Pace(done=3, elapsed=timedelta(0), remaining=timedelta(hours=100), owed=9, reviewers=10)
    assert at_opening.expected_later(group, timedelta(hours=150)) == 0
    assert replace(at_opening, done=0, elapsed=timedelta(hours=50)).expected_later(group, timedelta(hours=150)) == 0


def test_one_reviewer_with_one_review_in_the_first_hour_sets_the_later_pace():
    # 1 review an hour: 10 before the class deadline, then 10 in the 10 hours to the group's own deadline.
    pace = Pace(done=1, elapsed=HOUR, remaining=10 * HOUR, owed=99, reviewers=1)
    group = _extended(20, {"a"}, owed=100)

    assert pace.expected_later(group, 20 * HOUR) == 10
    assert pace.expected_later(group, 15 * HOUR) == 5
    assert pace.expected_later(replace(group, owed=14), 20 * HOUR) == 4


def test_extended_reviewers_give_nothing_after_the_class_deadline_until_it_has_passed():
    # 10 reviews in 10 hours by 10 reviewers: a group of 5 does 0.5 an hour; 10 hours to the class deadline.
    pace = Pace(done=10, elapsed=10 * HOUR, remaining=10 * HOUR, owed=99, reviewers=10)
    group = _extended(30, {"a", "b", "c", "d", "e"}, owed=100)

    assert pace.expected_later(group, 5 * HOUR) == 0
    assert pace.expected_later(group, 10 * HOUR) == 0
    assert pace.expected_later(group, 12 * HOUR) == 1


def _pace_with_a_group_of_five(owed: int) -> Pace:
    # 10 reviews in 50 hours by 10 reviewers: the group of 5 does 0.1 an hour, 5 before the class deadline (50 hours
    # from now), then 2 by 70 hours from now, 3 by 80, 4 by 90, 10 by its own deadline at 150.
    group = _extended(150, {"a", "b", "c", "d", "e"}, owed=owed)
    return pace_at(OPENS + timedelta(hours=50), OPENS, DUE, done=10, owed=1, reviewers=10, later=(group,))


def test_reviews_under_way_on_extended_work_are_finished_in_part_by_the_class_and_the_rest_by_the_extended():
    # The group owes 8, 5 given before the class deadline: 3 after it. The class's 1 review finishes one of the 3 under
    # way on "held"; the group's 3 finish the other 2, and the last goes to "open".
    pace = _pace_with_a_group_of_five(owed=8)
    works = [WorkCoverage("held", 0, 3, False, later=150 * HOUR, author="y"),
             WorkCoverage("open", 0, 0, False, later=150 * HOUR, author="z")]

    assert project(works, 3, pace).reviews == {"held": 3, "open": 1}


def test_static_allocation_has_extended_reviewers_finish_only_the_reviews_under_way():
    pace = _pace_with_a_group_of_five(owed=8)
    works = [WorkCoverage("held", 0, 3, False, later=150 * HOUR, author="y"),
             WorkCoverage("open", 0, 0, False, later=150 * HOUR, author="z")]

    assert project(works, 3, replace(pace, static=True)).reviews == {"held": 3, "open": 0}


def test_each_later_deadline_gets_only_the_reviews_given_since_the_one_before():
    # The class owes nothing more. The group gives 2 by 70 hours (to w70 and w90), 2 more by 90 (w150, then w90, the
    # older of the two at 1), then the 6 more by 150 to w150 alone.
    pace = _pace_with_a_group_of_five(owed=100)
    works = [WorkCoverage(name, 0, 0, False, later=hours * HOUR, author="y")
             for name, hours in (("w70", 70), ("w90", 90), ("w150", 150))]

    assert project(works, 20, replace(pace, owed=0)).reviews == {"w70": 1, "w90": 2, "w150": 7}


def test_extended_reviewers_finding_all_open_work_at_k_leave_every_count_as_it_is():
    # 2 reviews by 70 hours and 1 more by 80 find nothing under k: none is counted, and none taken back.
    pace = _pace_with_a_group_of_five(owed=100)
    works = [WorkCoverage("w70", 3, 0, False, later=70 * HOUR, author="y"),
             WorkCoverage("w80", 3, 0, False, later=80 * HOUR, author="y")]

    projection = project(works, 3, replace(pace, owed=0))

    assert projection.reviews == {"w70": 3, "w80": 3}
    assert projection.short(works, 3) == []
