"""Balanced static allocation of reviewers to submissions, and the rules of the review queue."""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Generic, TypeVar

import numpy as np

from assessment.messages import N_

PersonId = TypeVar("PersonId", bound=Hashable)
SubmissionId = TypeVar("SubmissionId", bound=Hashable)
_Id = TypeVar("_Id", bound=Hashable)

# How many extra eligibility checks the load repair may spend, beyond two per allocated pair. Repair only ever
# matters for a few reviewers; the cap keeps a hopeless case (forbidden pairs that make balance impossible on a
# large class) from turning one allocation into minutes of search.
REPAIR_BASE_BUDGET = 200_000

# The algorithm.
#
# Everyone reviews each other (the usual case: no forbidden pairs, the reviewers are exactly the authors, one
# submission each): a random circulant design. The authors are put in a random cyclic order and k distinct
# offsets are drawn from 1..n-1; the submission at position i is reviewed by the authors at positions i + d.
# Every author then reviews exactly k submissions, never their own (no offset is 0), each submission gets k
# distinct reviewers, and it is all array arithmetic: O(n k). Random offsets, rather than 1..k, put any two
# students a few reviews apart instead of n/k, and two reviewers rarely share more than one submission: the
# aggregation needs that mixing to tell a reviewer's bias from a submission's quality.
#
# Otherwise (non-author reviewers, authors of several submissions, forbidden pairs), in two stages:
# 1. Stream. Reviewers are put in a random order and form a queue. Submissions are taken in a random order;
#    each takes reviewers from the front of the queue until it has k, setting aside any reviewer who may not
#    review it (its author, a forbidden pair). Chosen reviewers wait in `upcoming` until the queue is empty,
#    then `upcoming` is reshuffled into the next pass of the queue; set-aside reviewers go back to the front,
#    so they are served first. Each pass gives everyone one more review, which keeps the loads level; a
#    reviewer meets a submission at most once, so its reviewers are distinct; and a submission that ran
#    through every reviewer without finding k has exactly all of its eligible reviewers. O(n k) plus one
#    check per set-aside reviewer; reshuffling each pass varies who reviews alongside whom.
# 2. Repair. Set-aside reviewers can end a pass a review behind, so loads may differ by two. While they do,
#    a breadth-first search looks for a chain of moves (reviewer u hands submission s to reviewer v, who may
#    review it, ...) from a most-loaded reviewer to one with at least two fewer reviews, and applies it; each
#    chain keeps every submission's count and narrows the loads. The possible load vectors form an M-convex
#    set, so when no chain exists no better balance does either (under the forbidden pairs; or it was too
#    costly to find, see REPAIR_BASE_BUDGET) and the loads stay as they are.


def allocate(
    authors: Mapping[SubmissionId, PersonId],
    reviewers: Sequence[PersonId],
    k: int,
    *,
    seed: int,
    forbidden: Callable[[PersonId, SubmissionId], bool] | None = None,
    teams: Mapping[PersonId, Hashable] | None = None,
) -> list[tuple[PersonId, SubmissionId]]:
    """(reviewer, submission) pairs: each submission gets min(k, its eligible reviewers) distinct reviewers.

    Nobody reviews their own submission, a submission whose author is in their team (`teams`: person -> team;
    people missing from it are teams of one), or a pair `forbidden` refuses; reviewers' loads differ by at most one
    whenever the forbidden pairs allow it. The same inputs and seed give the same pairs, whatever the order of
    `authors` and `reviewers` when their ids can be sorted. Pairs come grouped by submission.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a whole number of at least 1, not {k!r}")
    reviewer_set = set(reviewers)
    if len(reviewer_set) != len(reviewers):
        raise ValueError("reviewers must not repeat a person")
    if not authors or not reviewers:
        return []
    submissions = _canonical(list(authors))
    people = _canonical(list(reviewers))
    rng = np.random.default_rng(seed)
    if forbidden is None and not teams and _everyone_reviews_each_other(authors, reviewer_set):
        reviews = min(k, len(submissions) - 1)
        author_of = [authors[submission] for submission in submissions]
        return _pairs(author_of, _circulant(len(submissions), reviews, rng), submissions, repeat(reviews))
    reviewer_group, submission_group = _groups(people, [authors[submission] for submission in submissions], teams)
    if forbidden is None:
        stream = _passes(reviewer_group, submission_group, k, rng)
        if stream is not None:
            return _pairs(people, stream, submissions, repeat(k))

    def may_review(reviewer: int, submission: int) -> bool:
        if reviewer_group[reviewer] == submission_group[submission]:
            return False
        return forbidden is None or not forbidden(people[reviewer], submissions[submission])

    assigned = _stream(len(submissions), len(people), k, rng, may_review)
    _repair(assigned, len(people), may_review, budget=REPAIR_BASE_BUDGET + 2 * len(submissions) * k)
    reviewer_indices = np.fromiter(chain.from_iterable(assigned), dtype=np.int64, count=sum(map(len, assigned)))
    return _pairs(people, reviewer_indices, submissions, map(len, assigned))


@dataclass(frozen=True)
class Allocated(Generic[PersonId, SubmissionId]):
    """A static allocation as it stands, for `top_up`."""

    authors: Mapping[SubmissionId, PersonId]  # every handed-in submission
    reviewers: Sequence[PersonId]  # everyone who can still review now
    active: Collection[tuple[PersonId, SubmissionId]]  # reviews assigned or submitted: they count
    ever: Collection[tuple[PersonId, SubmissionId]]  # every pair there ever was: never handed out again


# Topping up a static allocation, for work handed in after it (a late arrival, an extension) and its authors:
# 1. Each submission under k, the least reviewed first (then in `authors`' order), gets reviewers until it has k:
#    among those who may review it (not its author, nor of its team, nor a forbidden pair, never paired with it),
#    first those who still owe reviews, then the least loaded (then in `reviewers`' order).
# 2. Then each reviewer the allocation left out (no active review: they arrived or handed in after it) gets work until
#    they reach the quota: among the submissions they may review, the least reviewed first; beyond k only when no
#    work under k is left for them, so that no student is left unable to do their reviews (the queue's rule 10).
#    Reviewers the allocation included keep the load it gave them.
# Nothing already allocated moves; a reviewer's load is their active reviews. Latecomers are few: each step looks
# through the class once per review it adds.
def top_up(allocated: Allocated[PersonId, SubmissionId], k: int, quota: int, *,
           may_review: Callable[[PersonId, SubmissionId], bool]) -> list[tuple[PersonId, SubmissionId]]:
    """The pairs to add so that every submission has k reviewers and every reviewer their quota, where the eligible
    allow it."""
    taken = set(allocated.ever) | set(allocated.active)
    reviews: dict[SubmissionId, int] = dict.fromkeys(allocated.authors, 0)
    load: dict[PersonId, int] = dict.fromkeys(allocated.reviewers, 0)
    for reviewer, submission in allocated.active:
        reviews[submission] = reviews.get(submission, 0) + 1
        load[reviewer] = load.get(reviewer, 0) + 1
    left_out = [reviewer for reviewer in allocated.reviewers if load[reviewer] == 0]
    order = {submission: position for position, submission in enumerate(allocated.authors)}
    rank = {reviewer: position for position, reviewer in enumerate(allocated.reviewers)}
    added: list[tuple[PersonId, SubmissionId]] = []

    def eligible(reviewer: PersonId, submission: SubmissionId) -> bool:
        return (reviewer, submission) not in taken and allocated.authors[submission] != reviewer \
            and may_review(reviewer, submission)

    def add(reviewer: PersonId, submission: SubmissionId) -> None:
        taken.add((reviewer, submission))
        added.append((reviewer, submission))
        reviews[submission] += 1
        load[reviewer] += 1

    for submission in sorted((s for s in allocated.authors if reviews[s] < k), key=lambda s: (reviews[s], order[s])):
        while reviews[submission] < k:
            candidates = [r for r in allocated.reviewers if eligible(r, submission)]
            if not candidates:
                break
            add(min(candidates, key=lambda r: (load[r] >= quota, load[r], rank[r])), submission)
    for reviewer in sorted(left_out, key=lambda r: (load[r], rank[r])):
        while load[reviewer] < quota:
            works = [s for s in allocated.authors if eligible(reviewer, s)]
            if not works:
                break
            add(reviewer, min(works, key=lambda s: (reviews[s], order[s])))
    return added


def _pairs(
    people: list[PersonId], reviewer_indices: np.ndarray, submissions: list[SubmissionId], counts: Iterable[int]
) -> list[tuple[PersonId, SubmissionId]]:
    # Gathering through an object array keeps the ids' own objects (no new ints) and runs in C; building the
    # half-million tuples of a large class is most of the time of the whole allocation, so the submissions
    # are repeated lazily rather than through another half-million-entry list.
    people_array = np.fromiter(people, dtype=object, count=len(people))
    # Tuples hold no cycles, yet allocating half a million of them sets off repeated full garbage collections
    # that scan the whole heap: pausing the collector keeps the cost linear in the number of pairs.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return list(zip(people_array[reviewer_indices].tolist(), chain.from_iterable(map(repeat, submissions, counts)),
                        strict=True))
    finally:
        if collecting:
            gc.enable()


def _everyone_reviews_each_other(authors: Mapping[SubmissionId, PersonId], reviewers: set[PersonId]) -> bool:
    distinct_authors = set(authors.values())
    return len(distinct_authors) == len(authors) and distinct_authors == reviewers


def _circulant(n: int, reviews: int, rng: np.random.Generator) -> np.ndarray:
    # Row j: the submissions whose authors review submission j, `reviews` of them, flattened row by row.
    order = rng.permutation(n)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    offsets = 1 + rng.choice(n - 1, size=reviews, replace=False)
    return order[(position[:, None] + offsets[None, :]) % n].ravel()


def _groups(
    people: list[PersonId], author_of: list[PersonId], teams: Mapping[PersonId, Hashable] | None
) -> tuple[np.ndarray, np.ndarray]:
    # A number per reviewer and per submission, equal exactly when the reviewer may not review the submission: the
    # team's number for people in a team, the reviewer's own number otherwise (so authors never get their own
    # work); -1, which no reviewer has, for an author who is neither in a team nor a reviewer.
    team_number: dict[Hashable, int] = {}
    numbered = {person: team_number.setdefault(team, len(team_number))
                for person, team in (teams or {}).items() if team is not None}
    group_of = {person: numbered.get(person, len(team_number) + index) for index, person in enumerate(people)}
    reviewer_group = np.fromiter(group_of.values(), dtype=np.int64, count=len(people))
    submission_group = np.fromiter(
        (group_of.get(author, numbered.get(author, -1)) for author in author_of), dtype=np.int64, count=len(author_of))
    return reviewer_group, submission_group


# How many random partners one misplaced review may try before `_passes` leaves the class to `_stream`. Misplaced
# reviews are a handful per pass and almost any partner will do in a class where this path is taken.
SWAP_ATTEMPTS = 64


def _passes(
    reviewer_group: np.ndarray, submission_group: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray | None:
    """Reviewer indices for k reviews of each submission, row by row, or None when the class is too tight for it.

    Array arithmetic for the large classes where every submission has k or more eligible reviewers:
    1. Reviewers are laid out in passes, each a fresh random order of all of them; submission j takes slots
       j*k .. j*k+k-1. Every pass gives everyone one more review, so loads differ by at most one.
    2. A slot is misplaced when its reviewer is in the author's group or already reviews that submission (a
       submission whose slots straddle two passes). Each misplaced slot swaps its reviewer with a random slot of
       another submission where both fit; a swap moves no review between reviewers, so the loads stay level.
    Misplaced slots are about k * (group size) per pass: the repair costs next to nothing, and the whole is O(n k).
    """
    n_reviewers, n_submissions = len(reviewer_group), len(submission_group)
    largest_group = int(np.bincount(reviewer_group).max()) if n_reviewers else 0
    # A submission of the largest group must still have k eligible reviewers, with room to swap.
    if n_submissions < 2 or n_reviewers - largest_group < k + 1:
        return None
    slots = n_submissions * k
    passes = -(-slots // n_reviewers)
    stream = np.concatenate([rng.permutation(n_reviewers) for _ in range(passes)])[:slots]
    table = stream.reshape(n_submissions, k)  # a view: swaps in `table` are swaps in `stream`
    misplaced = reviewer_group[table] == submission_group[:, None]
    for column in range(1, k):
        misplaced[:, column] |= (table[:, :column] == table[:, column:column + 1]).any(axis=1)
    candidates = rng.integers(0, slots, size=(int(misplaced.sum()), SWAP_ATTEMPTS))

    def fits(reviewer: int, submission: int, leaving: int) -> bool:
        # May `reviewer` take `leaving`'s slot in `submission`? Not their group's work, and not a second review.
        row = table[submission]
        return (reviewer_group[reviewer] != submission_group[submission]
                and not any(other == reviewer for position, other in enumerate(row.tolist()) if position != leaving))

    for tries, (submission, column) in zip(candidates, np.argwhere(misplaced).tolist(), strict=True):
        reviewer = int(table[submission, column])
        if fits(reviewer, submission, column):
            continue  # an earlier swap already settled it
        for slot in tries.tolist():
            partner_submission, partner_column = divmod(slot, k)
            partner = int(table[partner_submission, partner_column])
            if (partner_submission != submission and fits(partner, submission, column)
                    and fits(reviewer, partner_submission, partner_column)):
                table[submission, column], table[partner_submission, partner_column] = partner, reviewer
                break
        else:
            return None
    return stream


def _canonical(ids: list[_Id]) -> list[_Id]:
    # Services load ids from the database in no particular order; sorting makes the seed alone decide.
    try:
        return sorted(ids)  # type: ignore[type-var]
    except TypeError:
        return ids


def _stream(
    n_submissions: int, n_reviewers: int, k: int, rng: np.random.Generator, may_review: Callable[[int, int], bool]
) -> list[list[int]]:
    assigned: list[list[int]] = [[] for _ in range(n_submissions)]
    queue = deque(rng.permutation(n_reviewers).tolist())
    upcoming: list[int] = []
    for submission in rng.permutation(n_submissions).tolist():
        chosen = assigned[submission]
        set_aside: list[int] = []
        while len(chosen) < k:
            if not queue:
                if not upcoming:
                    break  # every reviewer has been considered: the submission has all its eligible ones
                queue.extend(np.asarray(upcoming)[rng.permutation(len(upcoming))].tolist())
                upcoming = []
            reviewer = queue.popleft()
            if may_review(reviewer, submission):
                chosen.append(reviewer)
            else:
                set_aside.append(reviewer)
        if set_aside:
            queue.extendleft(reversed(set_aside))
        upcoming.extend(chosen)
    return assigned


def _repair(
    assigned: list[list[int]], n_reviewers: int, may_review: Callable[[int, int], bool], *, budget: int
) -> None:
    loads = [0] * n_reviewers
    for chosen in assigned:
        for reviewer in chosen:
            loads[reviewer] += 1
    if max(loads) - min(loads) <= 1:
        return
    reviews_of: list[list[int]] = [[] for _ in range(n_reviewers)]
    for submission, chosen in enumerate(assigned):
        for reviewer in chosen:
            reviews_of[reviewer].append(submission)
    by_load: dict[int, set[int]] = {}
    for reviewer, load in enumerate(loads):
        by_load.setdefault(load, set()).add(reviewer)
    remaining = [budget]

    def can_take(reviewer: int, submission: int) -> bool:
        remaining[0] -= 1
        return reviewer not in assigned[submission] and may_review(reviewer, submission)

    def move(giver: int, submission: int, taker: int) -> None:
        reviews_of[giver].remove(submission)
        reviews_of[taker].append(submission)
        chosen = assigned[submission]
        chosen[chosen.index(giver)] = taker
        for reviewer, change in ((giver, -1), (taker, 1)):
            by_load[loads[reviewer]].discard(reviewer)
            if not by_load[loads[reviewer]]:
                del by_load[loads[reviewer]]
            loads[reviewer] += change
            by_load.setdefault(loads[reviewer], set()).add(reviewer)

    while remaining[0] > 0:
        high, low = max(by_load), min(by_load)
        if high - low <= 1:
            return
        sources = sorted(by_load[high])
        targets = sorted(reviewer for load, group in by_load.items() if load <= high - 2 for reviewer in group)
        moves = _find_chain(sources, targets, n_reviewers, reviews_of, can_take, remaining)
        if moves is None:
            return
        for giver, submission, taker in moves:
            move(giver, submission, taker)


def _find_chain(
    sources: list[int],
    targets: list[int],
    n_reviewers: int,
    reviews_of: list[list[int]],
    can_take: Callable[[int, int], bool],
    remaining: list[int],
) -> list[tuple[int, int, int]] | None:
    # Breadth-first from the most-loaded reviewers. Targets are tried before anyone else at each step, since a
    # direct hand-over is what almost every repair needs; intermediate reviewers only relay a review.
    came_from: dict[int, tuple[int, int] | None] = dict.fromkeys(sources)
    frontier = sources
    while frontier and remaining[0] > 0:
        for giver in frontier:
            for submission in reviews_of[giver]:
                for taker in targets:
                    if can_take(taker, submission):
                        came_from[taker] = (giver, submission)
                        return _unwind(came_from, taker)
                    if remaining[0] <= 0:
                        return None
        next_frontier: list[int] = []
        for giver in frontier:
            for submission in reviews_of[giver]:
                for relay in range(n_reviewers):
                    if relay not in came_from and can_take(relay, submission):
                        came_from[relay] = (giver, submission)
                        next_frontier.append(relay)
                    if remaining[0] <= 0:
                        return None
        frontier = next_frontier
    return None


def _unwind(came_from: dict[int, tuple[int, int] | None], end: int) -> list[tuple[int, int, int]]:
    # The hand-overs from the target back to a most-loaded reviewer; each was checked against the allocation
    # before any was made, and a reviewer appears once in the chain, so they can be made in any order.
    moves: list[tuple[int, int, int]] = []
    taker = end
    while (step := came_from[taker]) is not None:
        giver, submission = step
        moves.append((giver, submission, taker))
        taker = giver
    return moves


@dataclass(frozen=True)
class QueueState:
    """What the review queue knows about one reviewer when it could hand them nothing to review."""

    phase_open: bool  # the review phase is open for this assignment now
    needs_submission: bool  # the assignment makes reviewers submit before they review
    has_submission: bool
    calibration_done: bool  # true when the assignment has no calibration step
    required_reviews: int  # 0 when the assignment asks for no fixed number
    completed_reviews: int
    open_lease: bool  # the reviewer holds a review they started and have not finished
    eligible_submissions: int  # others' submissions they may review and have not reviewed, however many reviewers those have


# Why the queue hands out nothing, in the order a student should act on it:
# 1. reviewing is not open;
# 2. the assignment wants their own submission first;
# 3. calibration is not finished;
# 4. they already hold a review in progress;
# 5. they have done every review asked of them;
# 6. nothing is eligible now: every eligible submission has enough reviewers, or there is none yet.
def why_nothing_to_review(state: QueueState) -> str:
    """The one sentence a student reads when the queue has no submission for them."""
    if not state.phase_open:
        return N_("Reviewing is not open right now; the assignment's dates say when it opens.")
    if state.needs_submission and not state.has_submission:
        return N_("Submit your own work first; you can review others' work once yours is in.")
    if not state.calibration_done:
        return N_("Finish the calibration examples first; reviewing opens for you once they are done.")
    if state.open_lease:
        return N_("You already have a review in progress; finish it before starting another.")
    if state.required_reviews > 0 and state.completed_reviews >= state.required_reviews:
        if state.required_reviews == 1:
            return N_("You have done the review this assignment asks for; thank you.")
        return N_("You have done all %(count)s reviews this assignment asks for; thank you.", count=state.required_reviews)
    if state.eligible_submissions > 0:
        return N_(
            "Every submission has enough reviewers right now; late submissions join the pool as they arrive, "
            "so try again later."
        )
    return N_(
        "There is no submission you can review yet; late submissions join the pool as they arrive, "
        "so try again later."
    )
