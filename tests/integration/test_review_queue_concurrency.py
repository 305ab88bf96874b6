"""The review queue under real concurrency: many reviewers at once never push a submission beyond k reviews."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from assessment.db import make_engine, make_session_factory
from assessment.errors import Conflict, InvalidInput, NothingToReview, PhaseClosed
from assessment.models import Assignment, FlagReason, Person, Review, ReviewFlag, ReviewKind, ReviewStatus, Submission
from assessment.peer_review import (
    ReviewerContext,
    ReviewInput,
    assign_reviewer,
    flag_review,
    rate_review,
    reclaim_expired_leases,
    remove_review,
    request_review,
    resolve_flag,
    review_for,
    save_review,
    staff_assessment,
)
from assessment.phases import Phase
from lti_tool import migrate
from lti_tool import models as _models  # noqa: F401  (every table on the metadata)
from tests.support.cohort import CRITERION, NO_VIOLATIONS, VALID_SELECTIONS, Cohort, create_cohort, queue_violations
from tests.support.concurrency import all_at_once_in_sessions, results_of, wide_postgres_fixture
from tests.support.services import sqlite_url

Result = TypeVar("Result")


postgres = wide_postgres_fixture(connections=45)
# Dozens of reviewers in threads, pass after pass.
pytestmark = pytest.mark.slow


def _now() -> datetime:
    return datetime.now(UTC)


def _all_at_once(sessions: sessionmaker, reviewers: list[int], work: Callable[[Session, int], Result]) -> list[Result]:
    """Run `work` for every reviewer in its own thread and session, released together; any exception fails the test."""
    return results_of(all_at_once_in_sessions(sessions, reviewers, work))


def _ask(cohort: Cohort) -> Callable[[Session, int], tuple[int, int]]:
    def ask(session: Session, reviewer: int) -> tuple[int, int]:
        review = request_review(session, ReviewerContext(cohort.assignment_id, reviewer, calibration_done=True), _now())
        session.commit()
        return review.id, review.submission_id

    return ask


def _review_until_nothing_left(cohort: Cohort) -> Callable[[Session, int], int]:
    """One reviewer asking, submitting and asking again until told there is nothing to review; returns how many."""
    def review(session: Session, reviewer: int) -> int:
        done = 0
        while True:
            try:
                held = request_review(session, ReviewerContext(cohort.assignment_id, reviewer, True), _now())
                session.commit()
            except NothingToReview:
                session.rollback()
                return done
            save_review(session, held.id, reviewer, ReviewInput(VALID_SELECTIONS, {}, submit=True), _now())
            session.commit()
            done += 1

    return review


def _exhaust_queue(sessions: sessionmaker, cohort: Cohort, threads: int) -> None:
    """Passes of every reviewer working concurrently, until a whole pass hands out nothing.

    A reviewer may be told "nothing" while the only work left is a row another reviewer holds locked for a moment
    (SKIP LOCKED), so they ask again in the next pass; a pass in which nobody got work has no such locks.
    """
    work = _review_until_nothing_left(cohort)

    def run(reviewer: int) -> int:
        with sessions() as session:
            return work(session, reviewer)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        while sum(pool.map(run, cohort.student_ids)):
            pass


def _peer_reviews(session: Session, cohort: Cohort) -> list[Review]:
    session.expire_all()
    return list(session.scalars(select(Review).where(Review.assignment_id == cohort.assignment_id,
                                                     Review.kind == ReviewKind.PEER)))


def _loads(session: Session, cohort: Cohort) -> dict[int, int]:
    return dict(session.execute(select(Submission.id, Submission.review_load)
                                .where(Submission.assignment_id == cohort.assignment_id)).all())


def _assert_every_reviewer_finished(session: Session, cohort: Cohort) -> list[Review]:
    """Everything handed out was submitted, each reviewer did what they owe, and the queue's invariants hold."""
    reviews = _peer_reviews(session, cohort)
    assert all(review.status is ReviewStatus.SUBMITTED for review in reviews)
    assert Counter(review.reviewer_id for review in reviews) == dict.fromkeys(cohort.student_ids,
                                                                              cohort.reviews_per_student)
    assert queue_violations(session, cohort.assignment_id, cohort.reviews_per_submission) == NO_VIOLATIONS
    return reviews


def _assert_every_submission_got_k(session: Session, cohort: Cohort) -> None:
    # With one review of slack per student and N > k*k + k, a reviewer who skipped a submission short of k would
    # have made more claims within quota than the k*N slots allow: so every submission reaches k within quota and
    # the slack goes to reviews marked beyond quota (rule 10); a reviewer who finds work under k only locked by
    # others looks again rather than going beyond k, so both databases are held to exactly k within quota.
    k = cohort.reviews_per_submission
    reviews = _assert_every_reviewer_finished(session, cohort)
    every = Counter(review.submission_id for review in reviews)
    assert min(every[submission] for submission in cohort.submission_ids) >= k
    within_quota = Counter(review.submission_id for review in reviews if not review.beyond_quota)
    assert {submission: within_quota[submission] for submission in cohort.submission_ids} == dict.fromkeys(
        cohort.submission_ids, k)
    assert _loads(session, cohort) == {submission: every[submission] for submission in cohort.submission_ids}


def test_forty_reviewers_asking_at_the_same_moment_all_get_others_work_and_no_submission_exceeds_k(postgres):
    with postgres() as session:
        cohort = create_cohort(session, 40, reviews_per_submission=3, reviews_per_student=3)
    author = dict(zip(cohort.submission_ids, cohort.student_ids, strict=True))

    handed_out = _all_at_once(postgres, cohort.student_ids, _ask(cohort))

    assert len({review for review, _ in handed_out}) == 40
    assert all(author[submission] != reviewer
               for reviewer, (_, submission) in zip(cohort.student_ids, handed_out, strict=True))
    per_submission = Counter(submission for _, submission in handed_out)
    assert max(per_submission.values()) <= 3
    with postgres() as session:
        assert _loads(session, cohort) == {submission: per_submission[submission] for submission in cohort.submission_ids}
        assert queue_violations(session, cohort.assignment_id, 3) == NO_VIOLATIONS


def test_reviewers_asking_and_submitting_concurrently_until_the_queue_is_empty_give_every_submission_k(postgres):
    with postgres() as session:
        cohort = create_cohort(session, 30, reviews_per_submission=3, reviews_per_student=4)

    _exhaust_queue(postgres, cohort, threads=30)

    with postgres() as session:
        _assert_every_submission_got_k(session, cohort)


def test_when_each_student_owes_exactly_k_every_reviewer_finishes_and_only_reviews_beyond_quota_leave_work_short(
        postgres):
    with postgres() as session:
        cohort = create_cohort(session, 40, reviews_per_submission=3, reviews_per_student=3)

    _exhaust_queue(postgres, cohort, threads=40)

    with postgres() as session:
        reviews = _assert_every_reviewer_finished(session, cohort)
        every = Counter(review.submission_id for review in reviews)
        short = sum(max(0, 3 - every[submission]) for submission in cohort.submission_ids)
        assert short <= sum(review.beyond_quota for review in reviews)  # a slot is lost only to a reviewer with no other
        assert _loads(session, cohort) == {submission: every[submission] for submission in cohort.submission_ids}


def _leases_run_out(sessions: sessionmaker, cohort: Cohort) -> set[int]:
    """Every student takes a review; then all their leases run out. Returns the run-out reviews."""
    leased = {review for review, _ in _all_at_once(sessions, cohort.student_ids, _ask(cohort))}
    with sessions() as session:
        session.execute(update(Review).where(Review.id.in_(leased)).values(lease_expires_at=_now() - timedelta(minutes=1)))
        session.commit()
    return leased


def test_run_out_leases_go_back_to_the_pool_once_when_their_reviewers_ask_again_at_the_same_moment(postgres):
    with postgres() as session:
        cohort = create_cohort(session, 20, reviews_per_submission=2, reviews_per_student=2)
    run_out = _leases_run_out(postgres, cohort)

    handed_out = _all_at_once(postgres, cohort.student_ids, _ask(cohort))

    with postgres() as session:
        reviews = {review.id: review for review in _peer_reviews(session, cohort)}
        assert {reviews[review].status for review in run_out} == {ReviewStatus.EXPIRED}
        fresh = [reviews[review] for review, _ in handed_out]
        assert all(review.id not in run_out and review.status is ReviewStatus.ASSIGNED for review in fresh)
        before = {reviews[review].reviewer_id: reviews[review].submission_id for review in run_out}
        assert all(review.submission_id != before[review.reviewer_id] for review in fresh)  # never held twice
        loads = _loads(session, cohort)
        assert all(0 <= load <= 2 for load in loads.values()) and sum(loads.values()) == 20
        assert queue_violations(session, cohort.assignment_id, 2) == NO_VIOLATIONS


def test_reclaiming_run_out_leases_from_many_threads_at_once_returns_each_exactly_once(postgres):
    with postgres() as session:
        cohort = create_cohort(session, 20, reviews_per_submission=2, reviews_per_student=2)
    run_out = _leases_run_out(postgres, cohort)

    def reclaim(session: Session, _reviewer: int) -> int:
        reclaimed = reclaim_expired_leases(session, _now(), cohort.assignment_id)
        session.commit()
        return reclaimed

    reclaimed = _all_at_once(postgres, cohort.student_ids[:10], reclaim)

    assert sum(reclaimed) == len(run_out) == 20
    with postgres() as session:
        assert {review.status for review in _peer_reviews(session, cohort)} == {ReviewStatus.EXPIRED}
        assert _loads(session, cohort) == dict.fromkeys(cohort.submission_ids, 0)
        assert queue_violations(session, cohort.assignment_id, 2) == NO_VIOLATIONS


def test_on_sqlite_without_skip_locked_concurrent_reviewers_still_give_every_submission_exactly_k(tmp_path):
    engine: Engine = make_engine(sqlite_url(tmp_path))
    try:
        migrate.upgrade(str(engine.url))
        sessions = make_session_factory(engine)
        with sessions() as session:
            cohort = create_cohort(session, 12, reviews_per_submission=2, reviews_per_student=3)  # 12 > 2*2 + 2

        _exhaust_queue(sessions, cohort, threads=4)

        with sessions() as session:
            _assert_every_submission_got_k(session, cohort)
    finally:
        engine.dispose()


def test_reviews_submitted_while_other_reviewers_reclaim_their_run_out_leases_leave_every_load_right(postgres):
    """50 submits race 50 queue requests that reclaim the leases, in two rounds of 25 + 25 (one connection each)."""
    with postgres() as session:
        cohort = create_cohort(session, 100, reviews_per_submission=2, reviews_per_student=2)
        leased = {reviewer: _ask(cohort)(session, reviewer)[0] for reviewer in cohort.student_ids}
    rounds = [cohort.student_ids[:50], cohort.student_ids[50:]]
    submitters = {reviewer for group in rounds for reviewer in group[:25]}
    run_out_at = [_now() + timedelta(minutes=5), _now() + timedelta(minutes=10)]
    with postgres() as session:
        for group, moment in zip(rounds, run_out_at, strict=True):
            session.execute(update(Review).where(Review.id.in_([leased[reviewer] for reviewer in group]))
                            .values(lease_expires_at=moment))
        session.commit()

    def submit_or_ask(moment: datetime) -> Callable[[Session, int], str]:
        def act(session: Session, reviewer: int) -> str:
            try:
                if reviewer in submitters:
                    # The submitter's clock says the lease is still open; the askers' says it ran out.
                    save_review(session, leased[reviewer], reviewer, ReviewInput(VALID_SELECTIONS, {}, submit=True),
                                moment - timedelta(seconds=1))
                else:
                    request_review(session, ReviewerContext(cohort.assignment_id, reviewer, True),
                                   moment + timedelta(seconds=1))
                session.commit()
                return "done"
            except (PhaseClosed, NothingToReview):
                session.rollback()
                return "refused"
        return act

    for group, moment in zip(rounds, run_out_at, strict=True):
        _all_at_once(postgres, group, submit_or_ask(moment))

    with postgres() as session:
        assert queue_violations(session, cohort.assignment_id, 2) == NO_VIOLATIONS
        submitted = [review for review in _peer_reviews(session, cohort) if review.status is ReviewStatus.SUBMITTED]
        assert all(review.id == leased[review.reviewer_id] and review.reviewer_id in submitters for review in submitted)


def test_two_tabs_saving_one_review_at_once_leave_the_scores_and_comment_of_one_save_never_a_mix(postgres):
    with postgres() as session:
        cohort = create_cohort(session, 40, reviews_per_submission=2, reviews_per_student=2)
        held = {reviewer: _ask(cohort)(session, reviewer)[0] for reviewer in cohort.student_ids[:20]}
        # Each draft starts with the first tab's scores and the second tab's comment, so a save that writes only what
        # it changed mixes the two.
        session.execute(update(Review).where(Review.id.in_(held.values()))
                        .values(selections={CRITERION: 2.0}, comments={CRITERION: "second tab"}))
        session.commit()
    tabs = {"first tab": {CRITERION: 2.0}, "second tab": {CRITERION: 0.0}}
    pairs = [(reviewer, tab) for reviewer in held for tab in tabs]

    def save(session: Session, index: int) -> str:
        reviewer, tab = pairs[index]
        loaded_at = review_for(session, held[reviewer], reviewer).version  # the version the tab's form shows
        try:
            save_review(session, held[reviewer], reviewer,
                        ReviewInput(tabs[tab], {CRITERION: tab}, submit=False, version=loaded_at), _now())
            session.commit()
            return "saved"
        except Conflict:
            session.rollback()
            return "changed in another tab"

    outcomes = _all_at_once(postgres, list(range(40)), save)

    with postgres() as session:
        for review_id in held.values():
            review = session.get(Review, review_id)
            assert review is not None
            assert review.selections == tabs[review.comments[CRITERION]], review.comments
        assert outcomes.count("saved") >= 20


def _submitted_reviews(postgres: sessionmaker, cohort: Cohort, reviewers: list[int]) -> dict[int, int]:
    """Each of `reviewers` asks for work and submits it; their review ids."""
    held: dict[int, int] = {}
    with postgres() as session:
        for reviewer in reviewers:
            review_id = _ask(cohort)(session, reviewer)[0]
            save_review(session, review_id, reviewer, ReviewInput(VALID_SELECTIONS, {}, submit=True), _now())
            session.commit()
            held[reviewer] = review_id
    return held


def _released_reviews(postgres: sessionmaker) -> tuple[list[int], dict[int, int]]:
    """Ten submitted reviews of a class whose results are out, and each one's author."""
    with postgres() as session:
        cohort = create_cohort(session, 20, reviews_per_submission=2, reviews_per_student=2)
    reviews = list(_submitted_reviews(postgres, cohort, cohort.student_ids[:10]).values())
    with postgres() as session:
        session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id)
                        .values(phase_override=Phase.RELEASED))
        session.commit()
        authors = {review_id: session.scalar(select(Submission.author_id).join(Review).where(Review.id == review_id))
                   for review_id in reviews}
    return reviews, authors


def test_two_staff_removing_one_review_at_once_both_succeed_and_lower_its_load_once(postgres):
    with postgres() as session:
        cohort = create_cohort(session, 20, reviews_per_submission=2, reviews_per_student=2)
    removed = list(_submitted_reviews(postgres, cohort, cohort.student_ids[:10]).values())
    with postgres() as session:
        loads_before = dict(session.execute(select(Submission.id, Submission.review_load)).all())
    tabs = [review_id for review_id in removed for _ in range(2)]

    def remove(session: Session, index: int) -> str:
        remove_review(session, cohort.assignment_id, tabs[index])
        session.commit()
        return "removed"

    assert _all_at_once(postgres, list(range(len(tabs))), remove) == ["removed"] * len(tabs)
    with postgres() as session:
        for review_id in removed:
            review = session.get(Review, review_id)
            assert review is not None and review.status is ReviewStatus.REMOVED
            submission = session.get(Submission, review.submission_id)
            assert submission is not None
            assert submission.review_load == loads_before[submission.id] - 1
        assert queue_violations(session, cohort.assignment_id, cohort.reviews_per_submission) == NO_VIOLATIONS


def test_two_staff_resolving_one_flag_at_once_settle_it_once_and_the_other_is_told(postgres):
    with postgres() as session:
        cohort = create_cohort(session, 20, reviews_per_submission=2, reviews_per_student=2)
    reviews = list(_submitted_reviews(postgres, cohort, cohort.student_ids[:10]).values())
    with postgres() as session:
        staff = session.scalar(insert(Person).returning(Person.id).values(
            platform_id=session.scalars(select(Person.platform_id)).first(), subject="staff", name="Staff"))
        flags = [session.scalar(insert(ReviewFlag).returning(ReviewFlag.id).values(
            review_id=review_id, reason=FlagReason.UNFAIR, explanation="The scores ignore my second part.",
            created_at=_now())) for review_id in reviews]
        session.commit()
    tabs = [(flag, answer) for flag in flags for answer in ("kept: the scores are fair", "removed: unfair")]

    def resolve(session: Session, index: int) -> str:
        flag, answer = tabs[index]
        try:
            resolve_flag(session, cohort.assignment_id, flag, staff, answer, answer.startswith("removed"), _now())
            session.commit()
            return answer
        except InvalidInput:
            session.rollback()
            return "already resolved"

    outcomes = _all_at_once(postgres, list(range(len(tabs))), resolve)
    assert outcomes.count("already resolved") == len(flags)
    with postgres() as session:
        for index, flag_id in enumerate(flags):
            flag = session.get(ReviewFlag, flag_id)
            assert flag is not None
            winner = outcomes[2 * index] if outcomes[2 * index] != "already resolved" else outcomes[2 * index + 1]
            assert flag.resolution == winner
            removed = flag.review.status is ReviewStatus.REMOVED
            assert removed == winner.startswith("removed")


def test_an_author_rating_one_review_from_two_tabs_at_once_keeps_one_tabs_rating_whole(postgres):
    reviews, authors = _released_reviews(postgres)
    tabs = [(review_id, rating) for review_id in reviews for rating in (1, 5)]

    def rate(session: Session, index: int) -> str:
        review_id, rating = tabs[index]
        rate_review(session, review_id, authors[review_id], rating, f"rated {rating}", _now())
        session.commit()
        return "rated"

    assert _all_at_once(postgres, list(range(len(tabs))), rate) == ["rated"] * len(tabs)
    with postgres() as session:
        for review_id in reviews:
            review = session.get(Review, review_id)
            assert review is not None and review.helpfulness in (1, 5)
            assert review.helpfulness_comment == f"rated {review.helpfulness}"


def test_an_author_flagging_one_review_from_two_tabs_at_once_gets_one_flag_and_is_told_of_it(postgres):
    reviews, authors = _released_reviews(postgres)
    tabs = [review_id for review_id in reviews for _ in range(2)]

    def flag(session: Session, index: int) -> str:
        try:
            flag_review(session, tabs[index], authors[tabs[index]], FlagReason.UNFAIR, "It ignores my second part.", _now())
            session.commit()
            return "flagged"
        except InvalidInput as refusal:
            session.rollback()
            return str(refusal.problems["explanation"])

    outcomes = _all_at_once(postgres, list(range(len(tabs))), flag)
    assert outcomes.count("flagged") == len(reviews)
    assert outcomes.count("You already flagged this review; staff will look at it.") == len(reviews)
    with postgres() as session:
        assert session.scalar(select(func.count()).where(ReviewFlag.review_id.in_(reviews))) == len(reviews)


def test_two_staff_adding_one_reviewer_to_one_submission_at_once_add_it_once_and_the_other_is_told(postgres):
    with postgres() as session:
        cohort = create_cohort(session, 20, reviews_per_submission=2, reviews_per_student=2)
    pairs = [(cohort.submission_ids[index], cohort.student_ids[index + 1]) for index in range(10) for _ in range(2)]

    def add(session: Session, index: int) -> str:
        submission, reviewer = pairs[index]
        try:
            assign_reviewer(session, cohort.assignment_id, submission, reviewer, _now())
            session.commit()
            return "added"
        except InvalidInput as refusal:
            session.rollback()
            return str(refusal.problems["reviewer"])

    outcomes = _all_at_once(postgres, list(range(len(pairs))), add)
    assert outcomes.count("added") == 10
    assert outcomes.count("That student already reviews this submission.") == 10
    with postgres() as session:
        assert queue_violations(session, cohort.assignment_id, cohort.reviews_per_submission)["duplicates"] == 0
        loads = session.scalars(select(Submission.review_load)
                                .where(Submission.id.in_(cohort.submission_ids[:10]))).all()
        assert loads == [1] * 10


def test_staff_opening_their_assessment_of_one_submission_in_two_tabs_at_once_get_the_same_one(postgres):
    with postgres() as session:
        cohort = create_cohort(session, 20, reviews_per_submission=2, reviews_per_student=2)
        staff = session.scalar(insert(Person).returning(Person.id).values(
            platform_id=session.scalars(select(Person.platform_id)).first(), subject="assessor", name="Assessor"))
        session.commit()
    tabs = [submission for submission in cohort.submission_ids[:10] for _ in range(2)]

    def open_assessment(session: Session, index: int) -> int:
        review = staff_assessment(session, cohort.assignment_id, tabs[index], staff, _now())
        session.commit()
        return review.id

    opened = _all_at_once(postgres, list(range(len(tabs))), open_assessment)
    assert [opened[index] == opened[index + 1] for index in range(0, len(tabs), 2)] == [True] * 10
