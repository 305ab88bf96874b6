"""A release never sends individual grades older than a teammate rating saved since grading ran: staff are asked to
run grading again, and after it the release goes through with the new factors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from assessment.errors import Conflict
from assessment.grading_run import release_grades, run_grading
from assessment.models import Grade, GradePosting, TeammateRating
from assessment.services import SubmissionDeps
from assessment.storage import LocalDirectoryStorage
from assessment.team_grades import override_factor
from assessment.teammate_evaluation import TeammateEvaluation
from tests.integration.test_team_grades import ONE_CRITERION, _graded_teams, _rate

EVALUATION = TeammateEvaluation(criteria=ONE_CRITERION)


@pytest.fixture
def deps(tmp_path) -> SubmissionDeps:
    return SubmissionDeps(storage=LocalDirectoryStorage(tmp_path), pseudonym_secret="secret")


def _rated_and_graded(session, deps):
    cohort, teams = _graded_teams(session, deps, evaluation=EVALUATION)
    for members in teams:
        for rater in members:
            _rate(session, cohort, members, rater, {ratee: 3 for ratee in members if ratee != rater})
    graded_at = datetime.now(UTC)  # after the ratings were saved (at the clock's time)
    run_grading(session, cohort.assignment_id, graded_at)
    session.commit()
    return cohort, teams, graded_at


def test_a_rating_saved_after_grading_ran_stops_the_release_until_grading_runs_again(session, deps):
    cohort, teams, graded_at = _rated_and_graded(session, deps)
    first, second, third = teams[0]
    later = graded_at + timedelta(minutes=5)
    session.execute(update(TeammateRating).where(TeammateRating.rater_id == first, TeammateRating.ratee_id == third)
                    .values(scores={"contribution": 1}, updated_at=later))
    session.commit()

    with pytest.raises(Conflict, match="Run grading again"):
        release_grades(session, cohort.assignment_id, later)
    session.rollback()
    assert session.scalars(select(GradePosting)).all() == []

    run_grading(session, cohort.assignment_id, later + timedelta(seconds=1))
    posted = release_grades(session, cohort.assignment_id, later + timedelta(seconds=2))
    session.commit()
    assert len(posted) == 6
    grades = {g.person_id: g for g in session.scalars(select(Grade).where(Grade.assignment_id == cohort.assignment_id))}
    assert grades[third].total < grades[second].total  # the new rating counts


def test_a_rating_saved_before_grading_ran_and_a_factor_override_since_do_not_stop_the_release(session, deps):
    cohort, teams, graded_at = _rated_and_graded(session, deps)
    override_factor(session, cohort.assignment_id, teams[0][0], 1.1, "Led the work.", cohort.student_ids[0],
                    graded_at + timedelta(minutes=1))
    session.commit()

    posted = release_grades(session, cohort.assignment_id, graded_at + timedelta(minutes=2))
    session.commit()

    assert len(posted) == 6


def test_a_rating_saved_at_the_very_moment_grading_ran_is_counted_as_included(session, deps):
    cohort, teams, graded_at = _rated_and_graded(session, deps)
    session.execute(update(TeammateRating).where(TeammateRating.rater_id == teams[1][1]).values(updated_at=graded_at))
    session.commit()

    assert len(release_grades(session, cohort.assignment_id, graded_at + timedelta(minutes=1))) == 6
