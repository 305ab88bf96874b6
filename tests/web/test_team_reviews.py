"""One review per team in the browser: a member takes the team's review and a teammate continues it, other teams
cannot open it, staff see who saved each version, and the choice locks once reviewing has started."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select, update

from assessment.models import Assignment, Enrollment, Person, Review, ReviewStatus, Team
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text
from tests.web.conftest import LEVELS
from tests.web.test_assignment_settings import _settings_form

STUDENTS = ("student-1", "student-2", "student-3", "student-4")
# student-1 (Amara Okafor) and student-2 (Ben Carter) in Red, student-3 and student-4 in Blue.
CSV = "team,student\nRed,amara.okafor@example.edu\nRed,student-2\nBlue,chloe.dubois@example.edu\nBlue,student-4\n"


@pytest.fixture
def teams_in_review(lms, instructor, session) -> dict[str, Visitor]:
    """Red and Blue have handed in their work; each team writes one review; reviewing is open."""
    instructor.post("/links/{link}/rubric/criteria", LEVELS)
    visitors = {}
    for user in STUDENTS:
        visitors[user] = Visitor(lms, user)
        visitors[user].launch()
    session.execute(update(Assignment).values(team_assignment=True, reviews_by_team=True, reviews_per_student=1))
    session.commit()
    instructor.post("/links/{link}/teams/import", files={"file": ("teams.csv", CSV.encode(), "text/csv")})
    assert visitors["student-1"].post("/links/{link}/submission", {"text": "Red essay."}).status_code == 200
    assert visitors["student-3"].post("/links/{link}/submission", {"text": "Blue essay."}).status_code == 200
    instructor.post("/links/{link}/phase", {"phase": "review"})
    return visitors


def _review_id(response) -> int:
    match = re.search(r"/reviews/(\d+)$", response.url)
    assert match, f"not on a review page: {response.url}"
    return int(match[1])


def _key(session) -> str:
    return see_committed(session).scalars(select(Assignment)).one().rubric.criteria[0].key


def _draft(visitor: Visitor, review_id: int, key: str, score: str, version: int | None = None, submit=False):
    data = {f"score-{key}": score, "action": "submit" if submit else "draft"}
    if version is not None:
        data["version"] = str(version)
    return visitor.post(f"/links/{{link}}/reviews/{review_id}", data)


def test_a_member_takes_the_teams_review_and_a_teammate_continues_the_same_one(teams_in_review, session):
    amara, ben = teams_in_review["student-1"], teams_in_review["student-2"]
    key = _key(session)

    taken = amara.post("/links/{link}/reviews/next", {})
    review_id = _review_id(taken)
    _draft(amara, review_id, key, "2")
    continued = ben.post("/links/{link}/reviews/next", {})

    assert _review_id(continued) == review_id
    assert "Your team writes this review together" in page_text(continued)
    assert "Blue essay." in page_text(continued) and "Red essay." not in page_text(continued)
    assert re.search(rf'name="score-{key}"[^>]*value="2"[^>]*checked|value="2"[^>]*name="score-{key}"[^>]*checked',
                     continued.text)
    submitted = _draft(ben, review_id, key, "4", submit=True)
    assert submitted.status_code == 200
    review = see_committed(session).get(Review, review_id)
    assert review.status is ReviewStatus.SUBMITTED and review.selections == {key: 4.0}


def test_a_teammate_who_did_not_write_it_sees_the_teams_review_done_on_their_page(teams_in_review, session):
    amara, ben = teams_in_review["student-1"], teams_in_review["student-2"]
    before = page_text(ben.get("/links/{link}"))
    review_id = _review_id(amara.post("/links/{link}/reviews/next", {}))
    _draft(amara, review_id, _key(session), "4", submit=True)

    after = page_text(ben.get("/links/{link}"))

    assert "0 of 1 review done" in before
    assert "1 of 1 review done" in after and "Review a submission" not in after
    assert "Optional: one more review" not in after  # a team takes no extra reviews


def test_a_student_of_another_team_and_staff_cannot_open_or_save_a_teams_review(teams_in_review, instructor, session):
    review_id = _review_id(teams_in_review["student-1"].post("/links/{link}/reviews/next", {}))
    key = _key(session)

    for visitor in (teams_in_review["student-3"], instructor):
        assert visitor.get(f"/links/{{link}}/reviews/{review_id}").status_code == 404
        assert _draft(visitor, review_id, key, "4", submit=True).status_code == 404
    assert see_committed(session).get(Review, review_id).status is ReviewStatus.ASSIGNED


def test_staff_see_which_member_saved_each_version_of_a_teams_review(teams_in_review, instructor, session):
    amara, ben = teams_in_review["student-1"], teams_in_review["student-2"]
    key = _key(session)
    review_id = _review_id(amara.post("/links/{link}/reviews/next", {}))
    _draft(amara, review_id, key, "2")
    _draft(ben, review_id, key, "4", submit=True)
    version = see_committed(session).get(Review, review_id).version

    table = page_text(instructor.get("/links/{link}/allocation"))

    assert "Red, taken by Amara Okafor" in table
    assert f"Version {version - 1} saved by Amara Okafor" in table
    assert f"Version {version} saved by Ben Carter · submitted" in table


def test_a_form_loaded_before_a_teammates_save_is_refused_with_409_and_shows_the_saved_review(teams_in_review, session):
    amara, ben = teams_in_review["student-1"], teams_in_review["student-2"]
    key = _key(session)
    review_id = _review_id(amara.post("/links/{link}/reviews/next", {}))
    loaded = see_committed(session).get(Review, review_id).version
    _draft(amara, review_id, key, "2", version=loaded)

    stale = _draft(ben, review_id, key, "4", version=loaded)

    assert stale.status_code == 409 and "saved by a teammate" in page_text(stale)
    assert see_committed(session).get(Review, review_id).selections == {key: 2.0}


def test_writing_the_teams_review_is_refused_once_reviewing_closed(teams_in_review, instructor, session):
    review_id = _review_id(teams_in_review["student-1"].post("/links/{link}/reviews/next", {}))
    instructor.post("/links/{link}/phase", {"phase": "grading"})

    response = _draft(teams_in_review["student-2"], review_id, _key(session), "4", submit=True)

    assert response.status_code == 409 and "reviewing is closed" in page_text(response).lower()


def test_the_authors_never_learn_which_team_reviewed_them(teams_in_review, instructor, session):
    amara = teams_in_review["student-1"]
    review_id = _review_id(amara.post("/links/{link}/reviews/next", {}))
    _draft(amara, review_id, _key(session), "4", submit=True)
    instructor.post("/links/{link}/phase", {"phase": "released"})

    received = page_text(teams_in_review["student-4"].get("/links/{link}"))

    red = see_committed(session).scalars(select(Team).where(Team.name == "Red")).one()
    assert "Reviewer 1" in received or "Review 1" in received
    assert not re.search(rf"Amara|Okafor|Ben Carter|\bRed\b|{red.code}", received.replace("Red essay", ""))


def test_in_open_mode_the_authors_read_the_reviewing_teams_name_not_the_member_who_took_it(teams_in_review,
                                                                                            instructor, session):
    session.execute(update(Assignment).values(anonymity="open"))
    session.commit()
    ben = teams_in_review["student-2"]
    review_id = _review_id(ben.post("/links/{link}/reviews/next", {}))
    _draft(ben, review_id, _key(session), "4", submit=True)
    instructor.post("/links/{link}/phase", {"phase": "released"})

    received = page_text(teams_in_review["student-4"].get("/links/{link}/feedback"))

    assert re.search(r"\bRed\b", received) and "Ben Carter" not in received


def test_the_choice_is_refused_with_its_reason_once_reviewing_has_started(teams_in_review, instructor, session):
    teams_in_review["student-1"].post("/links/{link}/reviews/next", {})
    form = _settings_form(instructor)
    assert form.get("reviews_by_team") == "y"
    form.pop("reviews_by_team")

    response = instructor.post("/links/{link}/settings", form)

    assert response.status_code == 409
    assert "who writes the reviews (each member, or one review per team) can no longer change" in page_text(response)
    assert see_committed(session).scalars(select(Assignment)).one().reviews_by_team is True


def test_the_choice_is_saved_from_the_settings_page_before_reviewing(lms, instructor, session):
    session.execute(update(Assignment).values(team_assignment=True))
    session.commit()
    form = _settings_form(instructor)
    form["reviews_by_team"] = "y"

    response = instructor.post("/links/{link}/settings", form)

    assert response.status_code == 200 and "Settings saved." in page_text(response)
    assert see_committed(session).scalars(select(Assignment)).one().reviews_by_team is True


def test_a_static_allocation_gives_the_teams_review_to_the_member_still_in_the_course(teams_in_review, instructor,
                                                                                      session):
    # Amara, who handed in Red's work, has left the course; Ben stays.
    amara = see_committed(session).scalar(select(Person.id).where(Person.email == "amara.okafor@example.edu"))
    session.execute(delete(Enrollment).where(Enrollment.person_id == amara))
    session.execute(update(Assignment).values(allocation_mode="static"))
    session.commit()

    assert instructor.post("/links/{link}/allocation/static", {}).status_code == 200

    table = page_text(instructor.get("/links/{link}/allocation"))
    assert "Red, taken by Ben Carter" in table and "taken by Amara Okafor" not in table
    home = page_text(teams_in_review["student-2"].get("/links/{link}"))
    assert "0 of 1 review done" in home
    review_id = _review_id(teams_in_review["student-2"].post("/links/{link}/reviews/next", {}))
    assert "Blue essay." in page_text(teams_in_review["student-2"].get(f"/links/{{link}}/reviews/{review_id}"))
