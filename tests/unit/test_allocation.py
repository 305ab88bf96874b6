"""Allocation: who reviews which submission, and what the review queue tells a student when it has nothing."""

import gc
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, replace
from itertools import chain

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment import allocation
from assessment.allocation import Allocated, QueueState, allocate, top_up, why_nothing_to_review

# Derandomized so a run is repeatable; small classes keep 200 examples per property well under a second each.
PROPERTY = settings(max_examples=200, derandomize=True, deadline=None)
FIRST_SUBMISSION = 100  # submission ids never collide with person ids, so a mix-up shows


@dataclass(frozen=True)
class Case:
    authors: dict[int, int]
    reviewers: list[int]
    k: int
    seed: int
    forbidden_pairs: frozenset[tuple[int, int]] | None  # None: no forbidden function at all
    teams: dict[int, int] | None = None  # person -> team; nobody reviews their team's work

    def allocate(self, seed: int | None = None) -> list[tuple[int, int]]:
        pairs = self.forbidden_pairs
        forbidden = None if pairs is None else lambda person, submission: (person, submission) in pairs
        return allocate(self.authors, self.reviewers, self.k, seed=self.seed if seed is None else seed,
                        forbidden=forbidden, teams=self.teams)

    def eligible(self, submission: int) -> list[int]:
        refused = self.forbidden_pairs or frozenset()
        author = self.authors[submission]
        team = (self.teams or {}).get(author)
        return [
            person for person in self.reviewers
            if person != author and (person, submission) not in refused
            and (team is None or (self.teams or {}).get(person) != team)
        ]


@st.composite
def cases(draw, *, one_submission_each=False, reviewers_are_authors=False, may_forbid=True, people=(0, 10),
          may_team=True):
    persons = list(range(draw(st.integers(*people))))
    if one_submission_each:
        writers = draw(st.permutations(persons))[: draw(st.integers(0, len(persons)))]
    else:
        writers = draw(st.lists(st.sampled_from(persons), max_size=10)) if persons else []
    authors = {FIRST_SUBMISSION + index: person for index, person in enumerate(writers)}
    if reviewers_are_authors:
        reviewers = sorted(set(writers))
    else:
        reviewers = draw(st.lists(st.sampled_from(persons), unique=True)) if persons else []
    every_pair = [(person, submission) for submission in authors for person in reviewers]
    forbidden_pairs = None
    if may_forbid and every_pair and draw(st.booleans()):
        forbidden_pairs = frozenset(draw(st.lists(st.sampled_from(every_pair))))
    teams = None
    if may_team and persons and draw(st.booleans()):
        # Some people in teams (a few teams of any size), the rest on their own.
        teams = {person: team for person in persons
                 if (team := draw(st.integers(-1, max(1, len(persons) // 3)))) >= 0}
    return Case(
        authors=authors,
        reviewers=draw(st.permutations(reviewers)),
        k=draw(st.integers(1, 6)),
        seed=draw(st.integers(0, 2**32)),
        forbidden_pairs=forbidden_pairs,
        teams=teams,
    )


def loads(pairs: list[tuple[int, int]], reviewers: list[int]) -> Counter[int]:
    counted = Counter(dict.fromkeys(reviewers, 0))
    counted.update(person for person, _ in pairs)
    return counted


def spread(pairs: list[tuple[int, int]], reviewers: list[int]) -> int:
    counted = loads(pairs, reviewers)
    return max(counted.values()) - min(counted.values()) if counted else 0


def balanced_allocation_exists(case: Case) -> bool:
    """Whether some allocation gives each submission its reviewers with loads at floor or ceiling of the mean.

    A feasible circulation with lower bounds: source -> submission exactly min(k, eligible), submission ->
    eligible reviewer at most 1, reviewer -> sink between the floor and the ceiling of the mean load.
    """
    if not case.reviewers:
        return True
    needs = {submission: min(case.k, len(case.eligible(submission))) for submission in case.authors}
    total = sum(needs.values())
    low, high = total // len(case.reviewers), -(-total // len(case.reviewers))
    edges = [("source", ("submission", submission), need, need) for submission, need in needs.items()]
    edges += [
        (("submission", submission), ("reviewer", person), 0, 1)
        for submission in case.authors
        for person in case.eligible(submission)
    ]
    edges += [(("reviewer", person), "sink", low, high) for person in case.reviewers]
    edges.append(("sink", "source", 0, total))
    capacity: defaultdict[object, defaultdict[object, int]] = defaultdict(lambda: defaultdict(int))
    excess: Counter[object] = Counter()
    for start, end, lower, upper in edges:
        capacity[start][end] += upper - lower
        excess[end] += lower
        excess[start] -= lower
    required = 0
    for node, amount in excess.items():
        if amount > 0:
            capacity["supply"][node] += amount
            required += amount
        elif amount < 0:
            capacity[node]["demand"] += -amount
    return max_flow(capacity, "supply", "demand") == required


def max_flow(capacity: defaultdict[object, defaultdict[object, int]], source: object, sink: object) -> int:
    flow = 0
    while True:
        came_from: dict[object, object] = {source: None}
        queue = deque([source])
        while queue and sink not in came_from:
            node = queue.popleft()
            for neighbour, room in list(capacity[node].items()):
                if room > 0 and neighbour not in came_from:
                    came_from[neighbour] = node
                    queue.append(neighbour)
        if sink not in came_from:
            return flow
        path, node = [], sink
        while came_from[node] is not None:
            path.append((came_from[node], node))
            node = came_from[node]
        push = min(capacity[start][end] for start, end in path)
        for start, end in path:
            capacity[start][end] -= push
            capacity[end][start] += push
        flow += push


# Properties, over small random classes.

@PROPERTY
@given(cases())
def test_nobody_reviews_their_own_work_a_forbidden_pair_or_the_same_submission_twice(case):
    pairs = case.allocate()
    assert len(set(pairs)) == len(pairs)
    assert all(person != case.authors[submission] for person, submission in pairs)
    assert all(person in case.reviewers for person, _ in pairs)
    assert not set(pairs) & (case.forbidden_pairs or frozenset())
    assert all(person in case.eligible(submission) for person, submission in pairs)  # never their team's work


@PROPERTY
@given(cases())
def test_every_submission_gets_k_reviewers_or_else_all_its_eligible_ones(case):
    per_submission = Counter(submission for _, submission in case.allocate())
    for submission in case.authors:
        assert per_submission[submission] == min(case.k, len(case.eligible(submission)))


@PROPERTY
@given(cases(one_submission_each=True, reviewers_are_authors=True, may_forbid=False, may_team=False))
def test_loads_differ_by_at_most_one_when_students_review_each_other(case):
    pairs = case.allocate()
    assert spread(pairs, case.reviewers) <= 1
    assert all(load == min(case.k, len(case.reviewers) - 1) for load in loads(pairs, case.reviewers).values())


@PROPERTY
@given(cases(one_submission_each=True, may_forbid=False, may_team=False))
def test_loads_differ_by_at_most_one_when_students_without_a_submission_review_too(case):
    assert spread(case.allocate(), case.reviewers) <= 1


@PROPERTY
@given(cases())
def test_loads_differ_by_at_most_one_whenever_some_allocation_achieves_it(case):
    if balanced_allocation_exists(case):
        assert spread(case.allocate(), case.reviewers) <= 1


@PROPERTY
@given(cases())
def test_the_same_seed_gives_the_same_allocation_whatever_the_input_order(case):
    shuffled = Case(
        authors=dict(reversed(case.authors.items())),
        reviewers=list(reversed(case.reviewers)),
        k=case.k,
        seed=case.seed,
        forbidden_pairs=case.forbidden_pairs,
        teams=None if case.teams is None else dict(reversed(case.teams.items())),
    )
    assert case.allocate() == case.allocate() == shuffled.allocate()


@PROPERTY
@given(
    cases(one_submission_each=True, reviewers_are_authors=True, may_forbid=False, people=(10, 30))
    .filter(lambda case: len(case.authors) >= 10)
)
def test_different_seeds_give_different_allocations(case):
    assert set(case.allocate(seed=case.seed)) != set(case.allocate(seed=case.seed + 1))


# Examples.

def test_k_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        allocate({1: "ann"}, ["ann", "bob"], 0, seed=1)


def test_a_reviewer_listed_twice_is_refused():
    with pytest.raises(ValueError) as raised:
        allocate({1: "ann"}, ["bob", "bob"], 1, seed=1)
    assert str(raised.value) == "reviewers must not repeat a person"


def test_no_submissions_or_no_reviewers_give_no_pairs():
    assert allocate({}, ["ann"], 3, seed=1) == []
    assert allocate({1: "ann"}, [], 3, seed=1) == []


def test_two_students_review_each_other_once_however_many_reviews_are_asked():
    assert sorted(allocate({1: "ann", 2: "bob"}, ["ann", "bob"], 3, seed=7)) == [("ann", 2), ("bob", 1)]


def test_a_lone_student_has_nobody_to_review_them():
    assert allocate({1: "ann"}, ["ann"], 3, seed=7) == []


def test_a_class_of_a_hundred_each_review_three_and_are_reviewed_three_times():
    authors = {f"s{index}": f"p{index}" for index in range(100)}
    pairs = allocate(authors, list(authors.values()), 3, seed=11)
    assert Counter(submission for _, submission in pairs) == dict.fromkeys(authors, 3)
    assert Counter(person for person, _ in pairs) == Counter({person: 3 for person in authors.values()})


def test_students_without_a_submission_take_a_share_of_the_reviews():
    authors = {index: index for index in range(40)}
    pairs = allocate(authors, list(range(44)), 4, seed=3)
    per_reviewer = loads(pairs, list(range(44)))
    assert len(pairs) == 160
    assert set(per_reviewer.values()) <= {3, 4}
    assert all(per_reviewer[late] >= 3 for late in range(40, 44))


def test_an_author_who_may_not_review_is_still_reviewed():
    authors = {index: index for index in range(10)}
    pairs = allocate(authors, list(range(1, 10)), 2, seed=5)
    assert Counter(submission for _, submission in pairs)[0] == 2
    assert all(person != 0 for person, _ in pairs)


def test_nobody_reviews_someone_from_their_own_group():
    authors = {index: index for index in range(2000)}

    def same_group(person: int, submission: int) -> bool:
        return person // 4 == authors[submission] // 4

    pairs = allocate(authors, list(authors), 3, seed=9, forbidden=same_group)
    assert not any(same_group(person, submission) for person, submission in pairs)
    assert Counter(submission for _, submission in pairs) == dict.fromkeys(authors, 3)
    assert spread(pairs, list(authors)) <= 1


def large_class_in_teams(people: int = 2000, team_size: int = 4) -> tuple[dict[int, int], list[int], dict[int, int]]:
    """A class in teams of `team_size` where every tenth student never submits, as a real team course does."""
    teams = {person: person // team_size for person in range(people)}
    authors = {1_000_000 + person: person for person in range(people) if person % 10 != 3}
    return authors, list(range(people)), teams


def test_in_a_large_class_in_teams_nobody_reviews_their_team_and_everyone_reviews_evenly():
    authors, reviewers, teams = large_class_in_teams()
    pairs = allocate(authors, reviewers, 5, seed=4, teams=teams)
    assert len(set(pairs)) == len(pairs)
    assert not any(teams[person] == teams[authors[submission]] for person, submission in pairs)
    assert Counter(submission for _, submission in pairs) == dict.fromkeys(authors, 5)
    assert spread(pairs, reviewers) <= 1


def test_teams_and_a_forbidden_rule_both_hold_together():
    authors, reviewers, teams = large_class_in_teams(400)
    pairs = allocate(authors, reviewers, 3, seed=2, teams=teams, forbidden=lambda person, _: person % 7 == 0)
    assert not any(teams[person] == teams[authors[submission]] or person % 7 == 0 for person, submission in pairs)
    assert Counter(submission for _, submission in pairs) == dict.fromkeys(authors, 3)


def test_a_team_that_takes_almost_the_whole_class_still_leaves_each_submission_its_eligible_reviewers():
    # Ten people, eight in one team: their work has only the two outsiders to review it, and k = 3 cannot be met.
    teams = {person: "big" for person in range(8)}
    authors = {100 + person: person for person in range(10)}
    pairs = allocate(authors, list(range(10)), 3, seed=1, teams=teams)
    per_submission = Counter(submission for _, submission in pairs)
    assert all(per_submission[100 + person] == 2 for person in range(8))
    assert all(per_submission[100 + person] == 3 for person in (8, 9))
    assert not any(person < 8 and authors[submission] < 8 for person, submission in pairs)


def test_the_same_seed_gives_the_same_large_team_allocation_and_another_seed_another():
    authors, reviewers, teams = large_class_in_teams(1000)
    first = allocate(authors, reviewers, 4, seed=11, teams=teams)
    assert first == allocate(dict(reversed(authors.items())), reviewers[::-1], 4, seed=11, teams=teams)
    assert first != allocate(authors, reviewers, 4, seed=12, teams=teams)


def test_two_reviewers_rarely_review_more_than_one_submission_together_in_a_large_class():
    # The aggregation tells a reviewer's bias from a submission's quality only when reviewers meet in many pairings.
    authors, reviewers, teams = large_class_in_teams()
    reviewers_of: defaultdict[int, list[int]] = defaultdict(list)
    for person, submission in allocate(authors, reviewers, 5, seed=3, teams=teams):
        reviewers_of[submission].append(person)
    meetings = Counter(
        (first, second) for group in reviewers_of.values() for first in group for second in group if first < second
    )
    assert sum(1 for count in meetings.values() if count > 1) < 0.01 * len(meetings)


def test_a_submission_with_fewer_eligible_reviewers_than_k_gets_every_one_of_them():
    authors = {1: "ann", 2: "bob", 3: "cy", 4: "dee"}

    def only_bob_may_review_the_first(person: str, submission: int) -> bool:
        return submission == 1 and person != "bob"

    pairs = allocate(authors, list(authors.values()), 3, seed=2, forbidden=only_bob_may_review_the_first)
    assert [person for person, submission in pairs if submission == 1] == ["bob"]
    assert Counter(submission for _, submission in pairs) == {1: 1, 2: 3, 3: 3, 4: 3}


def test_others_stay_balanced_when_one_reviewer_may_review_nothing():
    authors = {index: index for index in range(30)}
    pairs = allocate(authors, [*authors, "ta"], 2, seed=4, forbidden=lambda person, _: person == "ta")
    assert all(person != "ta" for person, _ in pairs)
    assert spread(pairs, list(authors)) <= 1


def test_reviews_pass_along_a_chain_when_no_direct_hand_over_can_level_the_loads():
    # Found by the balance property: person 0 wrote two of the four submissions, so the first pass leaves loads uneven
    # in a way only a reviewer in between can relay.
    authors = {100: 0, 101: 1, 102: 4, 103: 0}
    pairs = allocate(authors, [0, 1, 2, 4], 2, seed=0)
    assert loads(pairs, [0, 1, 2, 4]) == {0: 2, 1: 2, 2: 2, 4: 2}


def test_ids_that_cannot_be_sorted_still_allocate_the_same_way_for_a_seed():
    authors = {"essay": 1, 2: "bob", (3, "x"): "cy"}
    reviewers = [1, "bob", "cy"]
    first = allocate(authors, reviewers, 1, seed=8)
    assert first == allocate(authors, reviewers, 1, seed=8)
    assert Counter(submission for _, submission in first) == dict.fromkeys(authors, 1)


def test_an_author_of_several_submissions_is_never_given_any_of_them():
    authors = {1: "ann", 2: "ann", 3: "bob", 4: "cy"}
    pairs = allocate(authors, ["ann", "bob", "cy"], 2, seed=6)
    assert not {("ann", 1), ("ann", 2), ("bob", 3), ("cy", 4)} & set(pairs)
    assert Counter(submission for _, submission in pairs) == dict.fromkeys(authors, 2)


def test_pairs_come_grouped_by_submission():
    authors = {index: index for index in range(20)}
    submissions = [submission for _, submission in allocate(authors, list(authors), 3, seed=1)]
    assert submissions == sorted(submissions)


# The review queue's message when it has nothing to hand out.

OPEN = QueueState(
    phase_open=True, needs_submission=True, has_submission=True, calibration_done=True,
    required_reviews=3, completed_reviews=1, open_lease=False, eligible_submissions=0,
)


def state(**changes) -> QueueState:
    return replace(OPEN, **changes)


@pytest.mark.parametrize(
    ("queue_state", "words"),
    [
        (state(phase_open=False, has_submission=False, calibration_done=False), "Reviewing is not open"),
        (state(has_submission=False, calibration_done=False), "Submit your own work first"),
        (state(calibration_done=False, completed_reviews=3), "Finish the calibration examples first"),
        (state(open_lease=True, completed_reviews=3), "You already have a review in progress"),
        (state(completed_reviews=3, eligible_submissions=5), "You have done all 3 reviews"),
        (state(required_reviews=1, completed_reviews=1), "You have done the review this assignment asks for"),
        (state(eligible_submissions=4), "Every submission has enough reviewers right now"),
        (state(eligible_submissions=0), "There is no submission you can review yet"),
    ],
)
def test_the_queue_says_why_it_has_nothing_in_order_of_what_to_do_first(queue_state, words):
    assert why_nothing_to_review(queue_state).startswith(words)


def test_a_student_need_not_submit_first_when_the_assignment_lets_anyone_review():
    message = why_nothing_to_review(state(needs_submission=False, has_submission=False, eligible_submissions=2))
    assert message.startswith("Every submission has enough reviewers")


def test_with_no_required_number_of_reviews_the_queue_never_says_they_are_all_done():
    message = why_nothing_to_review(state(required_reviews=0, completed_reviews=0, eligible_submissions=3))
    assert message.startswith("Every submission has enough reviewers")


def test_late_submissions_are_promised_when_nothing_is_eligible():
    for eligible in (0, 3):
        assert "late submissions join the pool as they arrive" in why_nothing_to_review(state(eligible_submissions=eligible))


# Fixed cases for what random classes rarely reach.

def test_in_a_class_of_six_each_reviewing_three_no_submission_ever_gets_the_same_reviewer_twice():
    authors = {FIRST_SUBMISSION + person: person for person in range(6)}
    for seed in range(50):
        pairs = allocate(authors, list(range(6)), 3, seed=seed)
        assert len(set(pairs)) == len(pairs) == 18
        assert Counter(submission for _, submission in pairs) == dict.fromkeys(authors, 3)
        assert loads(pairs, list(range(6))) == dict.fromkeys(range(6), 3)
        assert not any(FIRST_SUBMISSION + person == submission for person, submission in pairs)


@pytest.mark.parametrize("k", [2.5, True, "2", 0, -1])
def test_k_must_be_a_whole_number_of_at_least_one(k):
    with pytest.raises(ValueError) as raised:
        allocate({1: "ann"}, ["ann", "bob"], k, seed=1)
    assert str(raised.value) == f"k must be a whole number of at least 1, not {k!r}"


def test_k_of_one_gives_each_submission_one_reviewer():
    authors = {FIRST_SUBMISSION + person: person for person in range(5)}
    pairs = allocate(authors, list(range(5)), 1, seed=3)
    assert Counter(submission for _, submission in pairs) == dict.fromkeys(authors, 1)
    assert loads(pairs, list(range(5))) == dict.fromkeys(range(5), 1)


def test_the_garbage_collector_is_running_again_after_an_allocation():
    authors = {FIRST_SUBMISSION + person: person for person in range(8)}
    assert gc.isenabled()
    allocate(authors, list(range(8)), 2, seed=1)
    assert gc.isenabled()
    allocate(authors, [*range(8), 99], 2, seed=1, forbidden=lambda person, submission: False)
    assert gc.isenabled()


def test_an_allocation_leaves_a_paused_garbage_collector_paused():
    gc.disable()
    try:
        allocate({FIRST_SUBMISSION + person: person for person in range(8)}, list(range(8)), 2, seed=1)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_garbage_collector_is_running_again_after_an_allocation_that_fails(monkeypatch):
    class Broken:
        @staticmethod
        def from_iterable(_):
            raise RuntimeError("broken")

    monkeypatch.setattr(allocation, "chain", Broken)
    with pytest.raises(RuntimeError, match="broken"):
        allocate({FIRST_SUBMISSION + person: person for person in range(8)}, list(range(8)), 2, seed=1)
    assert gc.isenabled()


def test_the_repair_hands_a_review_along_a_chain_only_to_reviewers_who_may_take_it():
    # Reviewer 0 has submissions 0 and 1, reviewer 1 has submission 2, reviewer 2 nothing. Reviewer 2 may review only
    # submission 2, reviewer 1 only submissions 0 and 2: the only levelling is 0 -> 1 (submission 0), 1 -> 2 (2).
    assigned = [[0], [0], [1]]
    allowed = {(0, 0), (0, 1), (1, 0), (1, 2), (2, 2)}
    checked: list[tuple[int, int]] = []

    def may_review(reviewer, submission):
        checked.append((reviewer, submission))
        return (reviewer, submission) in allowed

    allocation._repair(assigned, 3, may_review, budget=1000)
    assert assigned == [[1], [0], [2]]
    assert (2, 0) in checked and (2, 1) in checked  # a direct hand-over was tried and refused first


def test_the_repair_never_gives_a_reviewer_a_second_review_of_one_submission():
    # Reviewer 0 has both reviews of submission 0 and one of submission 1 ... reviewer 2 already reviews submission 0
    # and 1, so it may take neither; reviewer 1 reviews submission 0 and may take submission 1 from 0 only.
    assigned = [[0, 2], [0, 2], [1, 0]]
    allocation._repair(assigned, 4, lambda reviewer, submission: reviewer != 3 or submission == 2, budget=1000)
    counted = Counter(chain.from_iterable(assigned))
    assert all(len(set(chosen)) == len(chosen) for chosen in assigned)
    assert max(counted[reviewer] for reviewer in range(4)) - min(counted[reviewer] for reviewer in range(4)) <= 1


def test_the_repair_stops_when_its_budget_is_spent():
    assigned = [[0], [0], [0]]
    allocation._repair(assigned, 2, lambda reviewer, submission: True, budget=0)
    assert assigned == [[0], [0], [0]]
    allocation._repair(assigned, 2, lambda reviewer, submission: True, budget=1)
    assert sorted(chain.from_iterable(assigned)) == [0, 0, 1]


def test_the_repair_leaves_loads_that_differ_by_one_alone():
    assigned = [[0], [0], [1]]
    allocation._repair(assigned, 2, lambda reviewer, submission: True, budget=1000)
    assert assigned == [[0], [0], [1]]


def test_the_repair_evens_out_loads_several_apart_step_by_step():
    assigned = [[0], [0], [0], [0], [0], [0]]
    allocation._repair(assigned, 3, lambda reviewer, submission: True, budget=1000)
    assert sorted(Counter(chain.from_iterable(assigned)).values()) == [2, 2, 2]


@pytest.mark.parametrize(("queue_state", "message"), [
    (state(phase_open=False), "Reviewing is not open right now; the assignment's dates say when it opens."),
    (state(has_submission=False), "Submit your own work first; you can review others' work once yours is in."),
    (state(calibration_done=False),
     "Finish the calibration examples first; reviewing opens for you once they are done."),
    (state(open_lease=True), "You already have a review in progress; finish it before starting another."),
    (state(completed_reviews=3), "You have done all 3 reviews this assignment asks for; thank you."),
    (state(completed_reviews=4), "You have done all 3 reviews this assignment asks for; thank you."),
    (state(required_reviews=1, completed_reviews=1), "You have done the review this assignment asks for; thank you."),
    (state(completed_reviews=2, eligible_submissions=1),
     "Every submission has enough reviewers right now; late submissions join the pool as they arrive, "
     "so try again later."),
    (state(completed_reviews=2, eligible_submissions=0),
     "There is no submission you can review yet; late submissions join the pool as they arrive, "
     "so try again later."),
])
def test_the_queue_says_in_full_why_it_has_nothing(queue_state, message):
    assert why_nothing_to_review(queue_state) == message


def test_a_class_in_teams_with_students_who_handed_in_nothing_is_allocated_soundly_under_every_seed():
    # Not everyone reviews each other, and no rule is forbidden: the array passes allocate it. With 16 reviewers
    # and 3 reviews each, submissions straddle two passes, and teams of three put a reviewer in the author's team
    # often: every misplaced slot must be swapped away, whatever the seed.
    people = list(range(16))
    teams = {person: person // 3 for person in range(12)}  # four teams of three; 12 to 15 are on their own
    authors = {FIRST_SUBMISSION + person: person for person in range(13)}  # 13 to 15 handed in nothing
    for seed in range(200):
        pairs = allocate(authors, people, 3, seed=seed, teams=teams)
        assert len(set(pairs)) == len(pairs) == 39, seed
        assert Counter(submission for _, submission in pairs) == dict.fromkeys(authors, 3), seed
        assert not any(teams.get(person, person) == teams.get(authors[submission], authors[submission])
                       for person, submission in pairs), seed
        assert set(Counter(person for person, _ in pairs).values()) <= {2, 3}, seed


@pytest.mark.parametrize(("budget", "loads_after"), [(1, [3, 1]), (2, [2, 2])])
def test_each_eligibility_check_spends_one_of_the_repair_budget(budget, loads_after):
    # Each hand-over here costs exactly one check: a budget of one pays for one, of two for both that level the loads.
    assigned = [[0], [0], [0], [0]]
    allocation._repair(assigned, 2, lambda reviewer, submission: True, budget=budget)
    counted = Counter(chain.from_iterable(assigned))
    assert [counted[0], counted[1]] == loads_after


@pytest.mark.parametrize(("budget", "moved"), [(1, False), (2, True)])
def test_the_search_for_a_hand_over_stops_as_soon_as_a_refused_check_spends_the_last_of_the_budget(budget, moved):
    # Reviewer 1 may review nothing, reviewer 2 anything: the first check (1 takes submission 0) is refused.
    assigned = [[0], [0]]
    allocation._repair(assigned, 3, lambda reviewer, submission: reviewer != 1, budget=budget)
    assert (assigned == [[2], [0]]) is moved and (assigned == [[0], [0]]) is not moved


def _passes(reviewer_groups: list[int], submission_groups: list[int], k: int, seed: int):
    return allocation._passes(np.array(reviewer_groups), np.array(submission_groups), k, np.random.default_rng(seed))


def test_the_array_passes_allocate_a_class_in_teams_themselves_without_falling_back_under_every_seed():
    # The passes are what keeps a large class O(n k); the general stream they fall back to is sound but slower.
    reviewer_groups = [person // 3 for person in range(12)] + [4, 5, 6, 7]  # four teams of three, four on their own
    submission_groups = reviewer_groups[:13]
    for seed in range(200):
        stream = _passes(reviewer_groups, submission_groups, 3, seed)
        assert stream is not None, seed
        table = stream.reshape(13, 3)
        assert all(len(set(row)) == 3 for row in table.tolist()), seed
        assert not any(reviewer_groups[reviewer] == submission_groups[submission]
                       for submission, row in enumerate(table.tolist()) for reviewer in row), seed
        assert set(np.bincount(stream, minlength=16).tolist()) <= {2, 3}, seed


@pytest.mark.parametrize(("reviewer_groups", "submission_groups", "taken"), [
    ([0, 0, 0, 1, 2, 3], [0, 1, 2], True),  # 3 reviewers outside the largest group: k + 1
    ([0, 0, 0, 1, 2], [0, 1, 2], False),  # only k: no room to swap
    ([0, 1, 2, 3, 4], [0, 1], True),  # two submissions
    ([0, 1, 2, 3, 4], [0], False),  # one: nothing to swap with
])
def test_the_array_passes_are_tried_only_where_every_submission_has_room_to_swap(reviewer_groups, submission_groups,
                                                                                  taken):
    assert all((_passes(reviewer_groups, submission_groups, 2, seed) is not None) is taken for seed in range(20))


# The same seed gives the same allocation: these pin what one seed gives on each path, so a change to how the random
# draws are used (which an allocation's soundness alone would not show) is noticed.
def test_a_seed_gives_exactly_this_allocation_when_everyone_reviews_each_other():
    pairs = allocate({FIRST_SUBMISSION + person: person for person in range(7)}, list(range(7)), 2, seed=3)
    assert pairs == [(6, 100), (2, 100), (3, 101), (0, 101), (4, 102), (3, 102), (5, 103), (6, 103), (0, 104),
                     (5, 104), (2, 105), (1, 105), (1, 106), (4, 106)]


@pytest.mark.parametrize(("seed", "reviewers_of"), [
    (0, {100: [7, 11, 3], 101: [10, 9, 8], 102: [7, 5, 14], 103: [12, 6, 9], 104: [13, 8, 12], 105: [15, 2, 11],
         106: [14, 5, 12], 107: [4, 1, 0], 108: [4, 10, 13], 109: [6, 2, 0], 110: [3, 15, 13], 111: [2, 15, 8],
         112: [1, 4, 7]}),
    (1, {100: [6, 11, 7], 101: [10, 14, 4], 102: [5, 8, 11], 103: [9, 2, 13], 104: [0, 6, 10], 105: [8, 0, 13],
         106: [5, 1, 3], 107: [1, 11, 12], 108: [9, 15, 10], 109: [4, 7, 14], 110: [15, 2, 3], 111: [12, 8, 13],
         112: [14, 0, 9]}),
    # Here a submission straddling two passes draws one reviewer twice: the pin covers finding and swapping that slot.
    (2, {100: [7, 5, 6], 101: [4, 15, 7], 102: [13, 15, 12], 103: [9, 11, 7], 104: [9, 14, 8], 105: [1, 8, 10],
         106: [3, 14, 10], 107: [12, 0, 5], 108: [11, 13, 4], 109: [2, 6, 1], 110: [2, 3, 13], 111: [5, 1, 6],
         112: [2, 11, 0]}),
])
def test_a_seed_gives_exactly_this_allocation_to_a_class_in_teams(seed, reviewers_of):
    teams = {person: person // 3 for person in range(12)}
    pairs = allocate({FIRST_SUBMISSION + person: person for person in range(13)}, list(range(16)), 3, seed=seed,
                     teams=teams)
    assert pairs == [(person, submission) for submission, people in reviewers_of.items() for person in people]


def _refuse(*_args, **_kwargs):
    raise AssertionError("this path must not be taken")


def test_a_class_that_reviews_each_other_is_allocated_by_the_circulant_design_alone(monkeypatch):
    monkeypatch.setattr(allocation, "_passes", _refuse)
    monkeypatch.setattr(allocation, "_stream", _refuse)
    pairs = allocate({FIRST_SUBMISSION + person: person for person in range(40)}, list(range(40)), 3, seed=5)
    assert loads(pairs, list(range(40))) == dict.fromkeys(range(40), 3)


def test_a_class_in_teams_without_forbidden_pairs_is_allocated_by_the_array_passes_alone(monkeypatch):
    monkeypatch.setattr(allocation, "_stream", _refuse)
    teams = {person: person // 3 for person in range(12)}
    pairs = allocate({FIRST_SUBMISSION + person: person for person in range(13)}, list(range(16)), 3, seed=7,
                     teams=teams)
    assert Counter(submission for _, submission in pairs) == dict.fromkeys(range(100, 113), 3)


def test_the_repair_may_spend_two_checks_per_allocated_pair_beyond_its_base_budget(monkeypatch):
    budgets = []
    repair = allocation._repair
    monkeypatch.setattr(allocation, "_repair", lambda *args, budget: budgets.append(budget) or repair(*args, budget=budget))
    allocate({FIRST_SUBMISSION + person: person for person in range(5)}, list(range(5)), 3, seed=1,
             forbidden=lambda person, submission: False)
    assert budgets == [allocation.REPAIR_BASE_BUDGET + 2 * 5 * 3]


@pytest.mark.parametrize(("budget", "levelled"), [(6, True), (5, False)])
def test_a_chain_found_with_the_last_of_the_budget_is_made_whole(budget, levelled):
    # As in the chain above: two refused direct hand-overs, three relay checks (one accepted), then the hand-over from
    # the relay: six checks. The whole chain is made at once, so six are enough and five are not.
    assigned = [[0], [0], [1]]
    allowed = {(0, 0), (0, 1), (1, 0), (1, 2), (2, 2)}
    allocation._repair(assigned, 3, lambda reviewer, submission: (reviewer, submission) in allowed, budget=budget)
    assert assigned == ([[1], [0], [2]] if levelled else [[0], [0], [1]])


@pytest.mark.parametrize("budget", [3, 4, 5])
def test_a_search_for_a_relay_spends_exactly_its_budget(budget):
    # Reviewer 0 has two reviews, reviewer 1 none, and nobody else may take anything: two direct checks, then up to
    # four relay checks (reviewers 1 and 2 for each of 0's two submissions) before the search gives up.
    assigned = [[0], [0], [2]]
    checked = []
    allocation._repair(assigned, 3, lambda reviewer, submission: checked.append((reviewer, submission)) and False,
                       budget=budget)
    assert len(checked) == budget
    assert assigned == [[0], [0], [2]]


def test_once_the_loads_are_level_the_repair_checks_nothing_more():
    # Loads 3, 1, 1: one hand-over from reviewer 0 to reviewer 1 leaves 2, 2, 1, and that is the end of it.
    assigned = [[0], [0], [0], [1], [2]]
    checked = []
    allocation._repair(assigned, 3, lambda reviewer, submission: checked.append((reviewer, submission)) or True,
                       budget=1000)
    assert checked == [(1, 0)]
    assert assigned == [[1], [0], [0], [1], [2]]


def _allocated(authors, reviewers, active, ever=()):
    return Allocated(authors, reviewers, active, list(ever) + list(active))


def _anyone(reviewer, submission) -> bool:
    return True


# A, B and C reviewed each other (k = 2, quota 2); D handed in "d" after the allocation.
ON_TIME = [("a_", "b"), ("a_", "c"), ("b_", "a"), ("b_", "c"), ("c_", "a"), ("c_", "b")]
AUTHORS = {"a": "a_", "b": "b_", "c": "c_", "d": "d_"}


def test_work_handed_in_after_the_allocation_gets_k_reviewers_and_its_author_their_quota():
    added = top_up(_allocated(AUTHORS, ["a_", "b_", "c_", "d_"], ON_TIME), 2, 2, may_review=_anyone)

    # The least loaded first, in the reviewers' order: A and B review "d"; every work then has 2, so D reviews the
    # first two in the authors' order.
    assert added == [("a_", "d"), ("b_", "d"), ("d_", "a"), ("d_", "b")]


def test_latecomers_review_each_others_work_first_as_they_owe_reviews():
    authors = AUTHORS | {"e": "e_"}
    added = top_up(_allocated(authors, ["a_", "b_", "c_", "d_", "e_"], ON_TIME), 2, 2, may_review=_anyone)

    assert ("e_", "d") in added and ("d_", "e") in added
    received = {submission: sum(1 for _, s in added if s == submission) for submission in ("d", "e")}
    assert received == {"d": 2, "e": 2}
    assert sum(1 for reviewer, _ in added if reviewer == "d_") == 2 == sum(1 for reviewer, _ in added if reviewer == "e_")
    assert all(AUTHORS.get(s, "e_") != reviewer for reviewer, s in added)


def test_the_top_up_respects_forbidden_pairs_and_never_repeats_a_pair_there_was():
    def not_a_on_d(reviewer, submission) -> bool:
        return (reviewer, submission) != ("a_", "d")

    added = top_up(_allocated(AUTHORS, ["a_", "b_", "c_", "d_"], ON_TIME, ever=[("b_", "d")]), 2, 2,
                   may_review=not_a_on_d)

    # Only C may still review "d": it gets the one reviewer it can have, not two.
    assert [pair for pair in added if pair[1] == "d"] == [("c_", "d")]


def test_a_whole_allocation_gets_nothing_more_and_nobody_it_included_is_given_more():
    assert top_up(_allocated({k: v for k, v in AUTHORS.items() if k != "d"}, ["a_", "b_", "c_"], ON_TIME), 2, 2,
                  may_review=_anyone) == []
    # With a quota above what the allocation gave (3 > 2), those it included keep their load.
    assert top_up(_allocated({k: v for k, v in AUTHORS.items() if k != "d"}, ["a_", "b_", "c_"], ON_TIME), 2, 3,
                  may_review=_anyone) == []


def test_without_anyone_who_can_still_review_late_work_waits_for_staff():
    assert top_up(_allocated(AUTHORS, ["d_"], ON_TIME), 2, 2, may_review=_anyone) == [("d_", "a"), ("d_", "b")]


def test_work_that_lost_reviews_it_had_gets_only_the_reviewers_it_lacks():
    # D left the course: its reviews of "a" and "b" are gone (never handed out again), so each has 1 of its 2.
    active = [("a_", "b"), ("a_", "c"), ("b_", "c"), ("b_", "d"), ("c_", "d"), ("c_", "a")]
    added = top_up(_allocated(AUTHORS, ["a_", "b_", "c_"], active, ever=[("d_", "a"), ("d_", "b")]), 2, 2,
                   may_review=_anyone)

    assert added == [("b_", "a"), ("c_", "b")]


def test_the_least_reviewed_work_gets_the_least_loaded_reviewers_first():
    # "t" has no review and "s" one (from W, who no longer reviews): "t" takes X (load 0) and Y, the first of Y and Z
    # at 1, then "s" takes Z, now less loaded than X and Y.
    authors = {"u": "u_", "s": "s_", "t": "t_"}
    active = [("y_", "u"), ("z_", "u"), ("w_", "s")]
    added = top_up(_allocated(authors, ["y_", "z_", "x_"], active), 2, 1, may_review=_anyone)

    assert added == [("x_", "t"), ("y_", "t"), ("z_", "s")]


def test_a_reviewer_is_chosen_by_their_whole_load_of_reviews_each_counted_once():
    # A has 2 reviews, B 1: B reviews "s".
    authors = {"a": "a_", "b": "b_", "c": "c_", "s": "s_"}
    assert top_up(_allocated(authors, ["a_", "b_"], [("a_", "b"), ("a_", "c"), ("b_", "a")]), 1, 2,
                  may_review=_anyone) == [("b_", "s")]
    # A has 1 review; Y had none and is given "s": at 1 each, A, the first, reviews "t".
    authors = {"a": "a_", "b": "b_", "s": "s_", "t": "t_"}
    assert top_up(_allocated(authors, ["a_", "y_"], [("a_", "b"), ("b_", "a")]), 1, 1,
                  may_review=_anyone) == [("y_", "s"), ("a_", "t")]


def test_a_review_of_work_no_longer_handed_in_still_counts_in_its_reviewers_load():
    added = top_up(_allocated(AUTHORS, ["a_", "b_", "c_", "d_"], [*ON_TIME, ("d_", "gone")]), 2, 2,
                   may_review=_anyone)

    # D has a review, so the allocation included them: "d" gets its reviewers, D no work.
    assert added == [("a_", "d"), ("b_", "d")]


def test_reviewers_the_allocation_left_out_pick_in_order_of_their_load_so_far():
    # N (no work of their own) is given "p" first, so P, with none yet, picks first: "a" and "b"; then N takes "c",
    # the least reviewed left.
    authors = AUTHORS | {"p": "p_"}
    del authors["d"]
    added = top_up(_allocated(authors, ["a_", "b_", "c_", "n_", "p_"], ON_TIME), 2, 2, may_review=_anyone)

    assert added == [("n_", "p"), ("a_", "p"), ("p_", "a"), ("p_", "b"), ("n_", "c")]


def test_a_left_out_reviewer_takes_the_least_reviewed_work():
    # "a" has a third review (from N, who no longer reviews): X takes "b", the first of those at 2.
    added = top_up(_allocated({k: v for k, v in AUTHORS.items() if k != "d"}, ["a_", "b_", "c_", "x_"],
                              [*ON_TIME, ("n_", "a")]), 2, 1, may_review=_anyone)

    assert added == [("x_", "b")]


def test_a_left_out_reviewer_out_of_work_before_the_quota_leaves_the_next_one_served():
    authors = {k: v for k, v in AUTHORS.items() if k != "d"}
    added = top_up(_allocated(authors, ["a_", "b_", "c_", "x_", "y_"], ON_TIME), 2, 4, may_review=_anyone)

    assert added == [("x_", "a"), ("x_", "b"), ("x_", "c"), ("y_", "a"), ("y_", "b"), ("y_", "c")]
