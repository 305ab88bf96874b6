"""Saving one rating of a teammate from many tabs at once leaves one rating, the one of the last save."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from assessment.models import Assignment, Submission, SubmissionVersion, TeammateRating, TeamMembership
from assessment.phases import Phase
from assessment.team_work import make_teams
from assessment.teammate_evaluation import TeammateEvaluation
from assessment.teammate_ratings import RatingInput, save_rating, set_teammate_evaluation
from tests.support.cohort import create_cohort
from tests.support.concurrency import all_at_once_in_sessions, results_of, wide_postgres_fixture

postgres = wide_postgres_fixture(connections=12)
TABS = 10


def _rated_team(sessions) -> tuple[int, int, int]:
    """A team of three with teammate evaluation on, in reviewing (rating open): assignment, rater, ratee."""
    now = datetime.now(UTC)
    with sessions() as session:
        cohort = create_cohort(session, 3, reviews_per_submission=1, reviews_per_student=1, now=now)
        session.execute(delete(SubmissionVersion).where(SubmissionVersion.submission_id.in_(cohort.submission_ids)))
        session.execute(delete(Submission).where(Submission.assignment_id == cohort.assignment_id))
        session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
            team_assignment=True, phase_override=Phase.SUBMISSION, submission_due=now + timedelta(days=1)))
        session.commit()
        make_teams(session, cohort.assignment_id, (3, 3), cohort.student_ids[0], now, seed=1)
        set_teammate_evaluation(session, cohort.assignment_id, TeammateEvaluation())
        session.execute(update(Assignment).where(Assignment.id == cohort.assignment_id).values(
            phase_override=Phase.REVIEW))
        session.commit()
        members = session.scalars(select(TeamMembership.person_id).where(
            TeamMembership.assignment_id == cohort.assignment_id).order_by(TeamMembership.person_id)).all()
    return cohort.assignment_id, members[0], members[1]


def test_ten_tabs_saving_the_same_rating_at_once_leave_one_row_with_one_of_their_ratings(postgres):
    assignment_id, rater, ratee = _rated_team(postgres)
    tabs = [{"contribution": 2 + tab % 3, "reliability": 3, "communication": 3, "ideas": 3} for tab in range(TABS)]

    def save(session, tab):
        rating = save_rating(session, assignment_id, RatingInput(rater, ratee, tabs[tab], f"tab {tab}"),
                             datetime.now(UTC))
        session.commit()
        return rating.id

    ids = results_of(all_at_once_in_sessions(postgres, list(range(TABS)), save))

    with postgres() as session:
        rows = session.scalars(select(TeammateRating).where(TeammateRating.assignment_id == assignment_id)).all()
    assert len(rows) == 1 and set(ids) == {rows[0].id}
    assert rows[0].scores == tabs[int(rows[0].comment.removeprefix("tab "))]
