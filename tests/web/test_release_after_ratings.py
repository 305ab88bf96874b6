"""Releasing grades while a teammate rating is newer than the grades is refused on the page, saying what to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from assessment.models import GradePosting, TeammateRating
from tests.support.rows import see_committed
from tests.support.visitor import page_text
from tests.web.test_team_grades import graded_with_ratings, students  # noqa: F401  (the fixture)


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
