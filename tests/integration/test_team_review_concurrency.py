"""Two members of a team working on its one review at once: asked for together, they get one review; saved
together from forms loaded at the same version, one save wins and the other is told a teammate saved first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from assessment.models import Assignment, Review, ReviewSave, Submission, SubmissionVersion, TeamMembership
from assessment.peer_review import ReviewChanged, ReviewerContext, ReviewInput, request_review, save_review
from assessment.phases import Phase
from assessment.services import HandIn, SubmissionDeps, submit
from assessment.storage import LocalDirectoryStorage
from assessment.team_work import make_teams
from tests.support.cohort import CRITERION, create_cohort
from tests.support.concurrency import all_at_once_in_sessions, errors_among, results_of, wide_postgres_fixture

postgres = wide_postgres_fixture(connections=6)


def _teams_in_review(sessions, tmp_path) -> tuple[int, list[list[int]]]:
    """Three teams of two with their work handed in, one review per team, in the review phase."""
    now = datetime.now(UTC)
    deps = SubmissionDeps(storage=LocalDirectoryStorage(tmp_path), pseudonym_secret="secret")
    with sessions() as session:
        cohort = create_cohort(session, 6, reviews_per_submission=2, reviews_per_student=2, now=now)
        session.execute(delete(SubmissionVersion).where(SubmissionVersion.submission_id.in_(cohort.submission_ids)))
        session.execute(delete(Submission).where(Submission.assignment_id == cohort.assignment_id))
        session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
            team_assignment=True, reviews_by_team=True, phase_override=Phase.SUBMISSION,
            submission_due=now + timedelta(days=1)))
        session.commit()
        make_teams(session, cohort.assignment_id, (2, 2), cohort.student_ids[0], now, seed=1)
        session.commit()
        rows = session.execute(select(TeamMembership.team_id, TeamMembership.person_id)
                               .where(TeamMembership.assignment_id == cohort.assignment_id)
                               .order_by(TeamMembership.team_id, TeamMembership.person_id)).all()
        teams: dict[int, list[int]] = {}
        for team, person in rows:
            teams.setdefault(team, []).append(person)
        for members in teams.values():
            submit(session, HandIn(cohort.assignment_id, members[0], text_html="<p>Ours</p>"), now, deps)
            session.commit()
        session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id)
                        .values(phase_override=Phase.REVIEW))
        session.commit()
    return cohort.assignment_id, list(teams.values())


def test_two_members_asking_at_once_are_served_their_teams_one_review(postgres, tmp_path):
    assignment_id, teams = _teams_in_review(postgres, tmp_path)

    def ask(session, member):
        handed = request_review(session, ReviewerContext(assignment_id, member, True), datetime.now(UTC))
        session.commit()
        return handed.id

    ids = results_of(all_at_once_in_sessions(postgres, teams[0], ask))

    assert len(set(ids)) == 1
    with postgres() as session:
        assert session.scalar(select(func.count()).select_from(Review)
                              .where(Review.assignment_id == assignment_id)) == 1


def test_two_members_saving_at_once_leave_one_save_and_the_other_is_told_a_teammate_saved(postgres, tmp_path):
    assignment_id, teams = _teams_in_review(postgres, tmp_path)
    first, second = teams[0]
    with postgres() as session:
        handed = request_review(session, ReviewerContext(assignment_id, first, True), datetime.now(UTC))
        session.commit()
        loaded = session.get(Review, handed.id).version
    scores = {first: 0.0, second: 2.0}

    def save(session, member):
        save_review(session, handed.id, member, ReviewInput({CRITERION: scores[member]}, {}, submit=False,
                                                            version=loaded), datetime.now(UTC))
        session.commit()
        return member

    outcomes = all_at_once_in_sessions(postgres, [first, second], save)

    refused = errors_among(outcomes)
    assert len(refused) == 1 and isinstance(refused[0], ReviewChanged)
    winner = next(outcome for outcome in outcomes if not isinstance(outcome, Exception))
    with postgres() as session:
        review = session.get(Review, handed.id)
        saves = session.scalars(select(ReviewSave).where(ReviewSave.review_id == handed.id)).all()
    assert review.selections == {CRITERION: scores[winner]} and review.version == loaded + 1
    assert [(save.person_id, save.version) for save in saves] == [(winner, loaded + 1)]
