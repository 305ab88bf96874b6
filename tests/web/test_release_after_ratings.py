"""Releasing grades while a teammate rating is newer than the grades is refused on the page, saying what to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from assessment.models import Assignment, GradePosting, TeammateRating
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, launched, page_text
from tests.web.test_team_grades import CSV, EVALUATION, STUDENTS, graded_with_ratings


@pytest.fixture
def students(lms, instructor, session) -> dict[str, Visitor]:
    """Red and Blue with teammate evaluation on, as the team grades pages' tests have them."""
    visitors = launched(lms, STUDENTS)
    session.execute(update(Assignment).values(team_assignment=True,
                                              teammate_evaluation_document=EVALUATION.to_document()))
    session.commit()
    instructor.post("/links/{link}/teams/import", files={"file": ("teams.csv", CSV.encode(), "text/csv")})
    return visitors


def test_a_release_after_a_newer_rating_is_refused_with_409_and_asks_to_run_grading_again(instructor, students,
                                                                                            session):
    people = graded_with_ratings(instructor, session)
    postings = see_committed(session).scalar(select(func.count()).select_from(GradePosting))
    session.execute(update(TeammateRating).where(TeammateRating.rater_id == people["Ben Carter"])
                    .values(updated_at=datetime.now(UTC) + timedelta(minutes=1)))
    session.commit()

    response = instructor.post("/links/{link}/grades/release", {})

    assert response.status_code == 409
    assert "Teammates saved ratings after grading last ran" in page_text(response)
    assert "Run grading again" in page_text(response)
    assert see_committed(session).scalar(select(func.count()).select_from(GradePosting)) == postings
