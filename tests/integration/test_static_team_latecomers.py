"""Static allocation where each team writes one review serves late teams as teams: late team work gets k reviewing
teams, a team the allocation left out gets its reviews as a team, and no team is ever given a work twice."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from assessment.assignment_settings import AllocationMode
from assessment.db import make_session_factory
from assessment.models import Assignment, Enrollment, Review, ReviewKind, ReviewStatus, Submission, SubmissionVersion
from assessment.peer_review import ReviewerContext, allocate_statically, my_peer_reviews, request_review, serve_latecomers
from assessment.phases import Phase
from assessment.services import HandIn, SubmissionDeps, submit
from assessment.storage import LocalDirectoryStorage
from assessment.team_work import make_teams, teams_overview
from tests.support.cohort import create_cohort
from tests.support.concurrency import all_at_once_in_sessions, errors_among
from tests.support.rows import see_committed

NOW = datetime.now(UTC)


@pytest.fixture
def deps(tmp_path) -> SubmissionDeps:
    return SubmissionDeps(storage=LocalDirectoryStorage(tmp_path), pseudonym_secret="secret")


def _set_phase(session, assignment_id: int, phase: Phase) -> None:
    session.execute(update(Assignment).where(Assignment.id == assignment_id).values(phase_override=phase))
    session.commit()


def _allocated_without_the_last_team(session, deps):
    """Four teams of two, one review per team, k = 2 and 2 reviews per team, static: the first three teams handed
    in and were allocated when reviewing opened; the last handed in nothing. Returns the cohort, the teams (member
    ids) and each team's id."""
    cohort = create_cohort(session, 8, reviews_per_submission=2, reviews_per_student=2, now=NOW)
    session.execute(delete(SubmissionVersion).where(SubmissionVersion.submission_id.in_(cohort.submission_ids)))
    session.execute(delete(Submission).where(Submission.assignment_id == cohort.assignment_id))
    session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
        team_assignment=True, reviews_by_team=True, allocation_mode=AllocationMode.STATIC,
        phase_override=Phase.SUBMISSION, submission_opens=NOW - timedelta(days=1),
        submission_due=NOW + timedelta(days=1), review_opens=NOW + timedelta(days=2)))
    session.commit()
    make_teams(session, cohort.assignment_id, (2, 2), cohort.student_ids[0], NOW, seed=1)
    session.commit()
    rows = teams_overview(session, cohort.assignment_id).teams
    teams = [[person.id for person in row.members] for row in rows]
    team_ids = [row.team.id for row in rows]
    for members in teams[:-1]:
        submit(session, HandIn(cohort.assignment_id, members[0], text_html="<p>Our work</p>"), NOW, deps)
        session.commit()
    _set_phase(session, cohort.assignment_id, Phase.REVIEW)
    assert allocate_statically(session, cohort.assignment_id, NOW, seed=3) == 6
    session.commit()
    return cohort, teams, team_ids


def _hand_in_late(session, cohort, members, deps) -> int:
    """The team's work, handed in after the allocation (the phase moved back for it, as an extension would)."""
    _set_phase(session, cohort.assignment_id, Phase.SUBMISSION)
    version = submit(session, HandIn(cohort.assignment_id, members[0], text_html="<p>Late work</p>"), NOW, deps)
    session.commit()
    _set_phase(session, cohort.assignment_id, Phase.REVIEW)
    return version.submission_id


def _reviews(session, assignment_id: int) -> list[tuple[int | None, int, int, int | None]]:
    """(reviewing team, reviewer, submission, submission's team) of every active peer review."""
    return [tuple(row) for row in session.execute(
        select(Review.reviewing_team_id, Review.reviewer_id, Review.submission_id, Submission.team_id)
        .join(Submission, Submission.id == Review.submission_id)
        .where(Review.assignment_id == assignment_id, Review.kind == ReviewKind.PEER,
               Review.status.in_((ReviewStatus.ASSIGNED, ReviewStatus.SUBMITTED))))]


def _check_one_review_per_team(session, assignment_id: int, teams, team_ids) -> None:
    """Every review is a team's, recorded under one of its members, never of its own work nor twice of one work;
    each submission's load is its reviews."""
    rows = _reviews(session, assignment_id)
    members = dict(zip(team_ids, teams, strict=True))
    assert all(reviewing is not None and reviewer in members[reviewing] and reviewing != team
               for reviewing, reviewer, _, team in rows)
    assert len({(reviewing, submission) for reviewing, _, submission, _ in rows}) == len(rows)
    loads = dict(session.execute(select(Submission.id, Submission.review_load)
                                 .where(Submission.assignment_id == assignment_id)).all())
    assert loads == dict(Counter(submission for _, _, submission, _ in rows))


def test_late_team_work_gets_k_reviewing_teams_and_the_late_team_its_reviews(session, deps):
    cohort, teams, team_ids = _allocated_without_the_last_team(session, deps)
    late = _hand_in_late(session, cohort, teams[-1], deps)

    added = serve_latecomers(session, cohort.assignment_id, NOW)
    session.commit()

    assert added == 4  # 2 reviewing teams of the late work, 2 reviews for the late team
    rows = _reviews(session, cohort.assignment_id)
    assert len(rows) == 6 + 4
    reviewing_late = [reviewing for reviewing, _, submission, _ in rows if submission == late]
    assert len(reviewing_late) == 2 == len(set(reviewing_late)) and team_ids[-1] not in reviewing_late
    done_by_late = [submission for reviewing, _, submission, _ in rows if reviewing == team_ids[-1]]
    assert len(done_by_late) == 2 == len(set(done_by_late)) and late not in done_by_late
    assert Counter(reviewing for reviewing, *_ in rows)[team_ids[-1]] == 2
    _check_one_review_per_team(session, cohort.assignment_id, teams, team_ids)


def test_a_team_left_out_is_served_as_a_team_and_a_second_member_is_given_the_same_review(session, deps):
    cohort, teams, team_ids = _allocated_without_the_last_team(session, deps)
    late = _hand_in_late(session, cohort, teams[-1], deps)  # not served at hand-in (a file still being checked)
    first, second = teams[-1]

    handed = request_review(session, ReviewerContext(cohort.assignment_id, first, True), NOW)
    session.commit()
    again = request_review(session, ReviewerContext(cohort.assignment_id, second, True), NOW)
    session.commit()

    assert again == handed
    review = session.get(Review, handed.id)
    assert review.reviewing_team_id == team_ids[-1] and review.submission_id != late
    ours = [(reviewing, submission) for reviewing, _, submission, _ in _reviews(session, cohort.assignment_id)
            if reviewing == team_ids[-1]]
    assert len(ours) == 2 == len(set(ours))  # one review per reviewed work, for the team
    assert ({r.id for r in my_peer_reviews(session, cohort.assignment_id, first)}
            == {r.id for r in my_peer_reviews(session, cohort.assignment_id, second)})
    assert len([1 for _, _, submission, _ in _reviews(session, cohort.assignment_id) if submission == late]) == 2
    _check_one_review_per_team(session, cohort.assignment_id, teams, team_ids)


def test_serving_late_teams_twice_adds_nothing_the_second_time(session, deps):
    cohort, teams, team_ids = _allocated_without_the_last_team(session, deps)
    _hand_in_late(session, cohort, teams[-1], deps)

    first = serve_latecomers(session, cohort.assignment_id, NOW)
    session.commit()
    second = serve_latecomers(session, cohort.assignment_id, NOW)
    session.commit()
    request_review(session, ReviewerContext(cohort.assignment_id, teams[-1][1], True), NOW)
    session.commit()

    assert (first, second) == (4, 0)
    assert len(_reviews(session, cohort.assignment_id)) == 10
    _check_one_review_per_team(session, cohort.assignment_id, teams, team_ids)


def test_serving_late_teams_from_several_requests_at_once_adds_each_review_once(session, engine, deps):
    cohort, teams, team_ids = _allocated_without_the_last_team(session, deps)
    _hand_in_late(session, cohort, teams[-1], deps)
    factory = make_session_factory(engine)

    def serve(own: Session, _: int) -> int:
        added = serve_latecomers(own, cohort.assignment_id, NOW)
        own.commit()
        return added

    outcomes = all_at_once_in_sessions(factory, [1, 2, 3], serve)

    assert errors_among(outcomes) == [] and sorted(outcomes) == [0, 0, 4]
    committed = see_committed(session)
    assert len(_reviews(committed, cohort.assignment_id)) == 10
    _check_one_review_per_team(committed, cohort.assignment_id, teams, team_ids)


def test_members_of_a_team_left_out_asking_at_once_share_one_review(session, engine, deps):
    cohort, teams, team_ids = _allocated_without_the_last_team(session, deps)
    _hand_in_late(session, cohort, teams[-1], deps)
    factory = make_session_factory(engine)

    def ask(own: Session, member: int):
        handed = request_review(own, ReviewerContext(cohort.assignment_id, member, True), NOW)
        own.commit()
        return handed

    outcomes = all_at_once_in_sessions(factory, teams[-1], ask)

    assert errors_among(outcomes) == [] and outcomes[0] == outcomes[1]
    committed = see_committed(session)
    assert len(_reviews(committed, cohort.assignment_id)) == 10
    _check_one_review_per_team(committed, cohort.assignment_id, teams, team_ids)


def test_a_late_team_whose_first_member_left_the_course_is_served_under_the_member_still_there(session, deps):
    cohort, teams, team_ids = _allocated_without_the_last_team(session, deps)
    gone, stays = sorted(teams[-1])
    _hand_in_late(session, cohort, [stays, gone], deps)
    session.execute(delete(Enrollment).where(Enrollment.person_id == gone))
    session.commit()

    assert serve_latecomers(session, cohort.assignment_id, NOW) == 4
    session.commit()

    ours = [reviewer for reviewing, reviewer, _, _ in _reviews(session, cohort.assignment_id) if reviewing == team_ids[-1]]
    assert ours == [stays, stays]
    assert len(my_peer_reviews(session, cohort.assignment_id, stays)) == 2


def test_a_late_team_whose_members_all_left_the_course_is_given_no_reviews(session, deps):
    cohort, teams, team_ids = _allocated_without_the_last_team(session, deps)
    late = _hand_in_late(session, cohort, teams[-1], deps)
    session.execute(delete(Enrollment).where(Enrollment.person_id.in_(teams[-1])))
    session.commit()

    assert serve_latecomers(session, cohort.assignment_id, NOW) == 2  # its work still gets its 2 reviewing teams
    session.commit()

    rows = _reviews(session, cohort.assignment_id)
    assert [reviewing for reviewing, *_ in rows].count(team_ids[-1]) == 0
    assert len([1 for _, _, submission, _ in rows if submission == late]) == 2
