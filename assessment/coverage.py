"""Review coverage: which work is short of its k reviews now, and which will be at its review deadline at this pace."""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

SubmissionId = TypeVar("SubmissionId", bound=Hashable)

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class WorkCoverage(Generic[SubmissionId]):
    """One handed-in submission as the queue sees it; a sequence of them is given in the queue's order (oldest first)."""

    submission: SubmissionId
    received: int  # peer reviews submitted
    held: int  # peer reviews handed out and under way (lease still running)
    staff_assessed: bool  # a submitted staff assessment: a known grade, so the work is covered whatever k says
    # Work whose author's own review deadline is later than the class's (an extension): the time left until it, and
    # the author, who does not review it. None: the work is due at the class deadline.
    later: timedelta | None = None
    author: Hashable | None = None

    def short_of(self, k: int, reviews: int | None = None) -> bool:
        return not self.staff_assessed and (self.received if reviews is None else reviews) < k


@dataclass(frozen=True, slots=True)
class LaterReviewers:
    """Reviewers whose own review deadline (an extension) is later than the class's and still ahead, sharing it."""

    remaining: timedelta  # until their own deadline
    members: frozenset[Hashable]
    owed: int  # reviews they still owe


@dataclass(frozen=True, slots=True)
class Pace:
    """How fast the class reviews, and how much reviewing it still owes."""

    done: int  # peer reviews submitted since reviewing opened
    elapsed: timedelta  # since reviewing opened
    remaining: timedelta  # until the review deadline (zero once it passed)
    owed: int  # reviews students still owe: each reviewer's quota less what they submitted
    static: bool = False  # static allocation: the queue hands out nothing new, only what was allocated gets done
    reviewers: int = 0  # students who may review: the class's pace is shared among them
    later: tuple[LaterReviewers, ...] = ()  # extended reviewers, who go on after the class deadline

    def expected(self) -> int | None:
        """Reviews still to be submitted before the deadline at the pace so far; None while there is no pace to go by
        (reviewing has not opened, or nothing was submitted yet while the deadline is ahead)."""
        if self.remaining <= timedelta(0):
            return 0
        if self.elapsed <= timedelta(0) or self.done == 0:
            return None
        # Reviewers stop at their quota (bonus reviews are offered, never counted on), so the owed reviews cap it.
        at_pace = math.floor(self.done * (self.remaining / HOUR) / (self.elapsed / HOUR) + 1e-9)
        return min(self.owed, at_pace)

    def expected_later(self, group: LaterReviewers, until: timedelta) -> int:
        """Reviews an extended group submits after the class deadline and before `until` from now: each member at the
        class's pace per reviewer, up to their own deadline, no more than they owe after the class deadline."""
        if self.elapsed <= timedelta(0) or self.done == 0 or self.reviewers == 0:
            return 0  # no pace to go by: later work counts only its reviews under way
        per_hour = self.done / (self.elapsed / HOUR) / self.reviewers * len(group.members)
        before = math.floor(per_hour * (self.remaining / HOUR) + 1e-9)
        after = math.floor(per_hour * (max(min(until, group.remaining) - self.remaining, timedelta(0)) / HOUR) + 1e-9)
        return min(max(group.owed - before, 0), after)


def pace_at(now: datetime, review_opens: datetime, review_due: datetime, *, done: int, owed: int,
            static: bool = False, reviewers: int = 0, later: tuple[LaterReviewers, ...] = ()) -> Pace:
    return Pace(done=done, elapsed=now - review_opens, remaining=max(review_due - now, timedelta(0)), owed=owed,
                static=static, reviewers=reviewers, later=later)


@dataclass(frozen=True)
class Projection(Generic[SubmissionId]):
    """Each submission's reviews at its deadline (the class's, or its author's own), or None where no pace is known yet."""

    expected: int | None  # reviews the class is expected to submit before the class deadline
    reviews: dict[SubmissionId, int] | None

    def short(self, works: Sequence[WorkCoverage[SubmissionId]], k: int) -> list[SubmissionId] | None:
        """The work projected short of k at the deadline, in the queue's order; None without a pace."""
        if self.reviews is None:
            return None
        return [work.submission for work in works if work.short_of(k, self.reviews[work.submission])]


def project(works: Sequence[WorkCoverage[SubmissionId]], k: int, pace: Pace) -> Projection[SubmissionId]:
    """Where each submission's review count will stand at its deadline if the class keeps its pace.

    The rules, those of the review queue (assessment/peer_review.py, request_review):
    1. The reviews to come by the class deadline are `pace.expected()`: the pace so far over the time left, no more
       than students owe.
    2. Reviews under way are finished first, in the queue's order: each was handed out for its submission.
    3. The rest go one at a time to the least reviewed work under k, oldest first (the queue's rule 8); work at k gets
       more only when nothing under k is left, which changes no shortfall, so those reviews are not followed.
    4. In static mode nothing new is handed out: only the allocated reviews under way are done.
    5. Work whose author has a later review deadline (an extension) is counted at that deadline. After the class
       deadline only extended reviewers go on, each group at the class's pace per reviewer until its own deadline
       (`pace.expected_later`); their reviews go, by rules 2 and 3, to the later work still open, never to a
       member's own. Deadlines are taken in order: the reviews a group gives before one are counted there.
    A reviewer never reviews their own work; in the class's count, with enough reviewers, that changes none of these
    counts, so it is not followed there.
    """
    expected = pace.expected()
    if expected is None:
        return Projection(None, None)
    reviews = {work.submission: work.received for work in works}
    held = {work.submission: work.held for work in works}
    _hand_out(works, k, reviews, held, expected, static=pace.static)
    later = sorted({work.later for work in works if work.later is not None})
    given = {group: 0 for group in pace.later}
    for deadline in later:
        still_open = [work for work in works if work.later is not None and work.later >= deadline]
        for group in pace.later:
            eligible = [work for work in still_open if work.author not in group.members]
            new = pace.expected_later(group, deadline) - given[group]
            given[group] += new - _hand_out(eligible, k, reviews, held, new, static=pace.static)
    return Projection(expected, reviews)


def _hand_out(works: Sequence[WorkCoverage[SubmissionId]], k: int, reviews: dict[SubmissionId, int],
              held: dict[SubmissionId, int], left: int, *, static: bool) -> int:
    """Rules 2 to 4: hand `left` reviews to `works`, counting them in `reviews`; how many found no work."""
    for work in works:
        finished = min(held[work.submission], left)
        reviews[work.submission] += finished
        held[work.submission] -= finished
        left -= finished
    if static:
        return left
    # Heap items: (reviews so far, position in the queue's order); the position breaks ties oldest first.
    heap = [(reviews[work.submission], position) for position, work in enumerate(works)
            if reviews[work.submission] < k]
    heapq.heapify(heap)
    while left > 0 and heap:
        count, position = heapq.heappop(heap)
        reviews[works[position].submission] = count + 1
        left -= 1
        if count + 1 < k:
            heapq.heappush(heap, (count + 1, position))
    return left
