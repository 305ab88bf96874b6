"""Review coverage: which work is short of its k reviews now, and which will be at the review deadline at this pace."""

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

    def short_of(self, k: int, reviews: int | None = None) -> bool:
        return not self.staff_assessed and (self.received if reviews is None else reviews) < k


@dataclass(frozen=True, slots=True)
class Pace:
    """How fast the class reviews, and how much reviewing it still owes."""

    done: int  # peer reviews submitted since reviewing opened
    elapsed: timedelta  # since reviewing opened
    remaining: timedelta  # until the review deadline (zero once it passed)
    owed: int  # reviews students still owe: each reviewer's quota less what they submitted
    static: bool = False  # static allocation: the queue hands out nothing new, only what was allocated gets done

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


def pace_at(now: datetime, review_opens: datetime, review_due: datetime, *, done: int, owed: int,
            static: bool = False) -> Pace:
    return Pace(done=done, elapsed=now - review_opens, remaining=max(review_due - now, timedelta(0)), owed=owed,
                static=static)


@dataclass(frozen=True)
class Projection(Generic[SubmissionId]):
    """Each submission's reviews at the deadline, or None where no pace is known yet."""

    expected: int | None  # reviews the class is expected to submit before the deadline
    reviews: dict[SubmissionId, int] | None

    def short(self, works: Sequence[WorkCoverage[SubmissionId]], k: int) -> list[SubmissionId] | None:
        """The work projected short of k at the deadline, in the queue's order; None without a pace."""
        if self.reviews is None:
            return None
        return [work.submission for work in works if work.short_of(k, self.reviews[work.submission])]


def project(works: Sequence[WorkCoverage[SubmissionId]], k: int, pace: Pace) -> Projection[SubmissionId]:
    """Where each submission's review count will stand at the deadline if the class keeps its pace.

    The rules, those of the review queue (assessment/peer_review.py, request_review):
    1. The reviews to come are `pace.expected()`: the pace so far over the time left, no more than students owe.
    2. Reviews under way are finished first, in the queue's order: each was handed out for its submission.
    3. The rest go one at a time to the least reviewed work under k, oldest first (the queue's rule 8); work at k gets
       more only when nothing under k is left, which changes no shortfall, so those reviews are not followed.
    4. In static mode nothing new is handed out: only the allocated reviews under way are done.
    A reviewer never reviews their own work; with enough reviewers that changes none of these counts, so it is not
    followed.
    """
    expected = pace.expected()
    if expected is None:
        return Projection(None, None)
    reviews = {work.submission: work.received for work in works}
    left = expected
    for work in works:
        finished = min(work.held, left)
        reviews[work.submission] += finished
        left -= finished
    if pace.static:
        return Projection(expected, reviews)
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
    return Projection(expected, reviews)
