"""Individual grades in team work in the browser: a member's page explains their factor without naming who gave what."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, update

from assessment.grading_run import release_grades
from assessment.models import Assignment, Grade, Person, Team, TeammateRating, TeamMembership
from assessment.team_grades import TeamGrading
from assessment.teammate_evaluation import RatingCriterion, TeammateEvaluation
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text

STUDENTS = ("student-1", "student-2", "student-3", "student-4")
CSV = "team,student\nRed,amara.okafor@example.edu\nRed,student-2\nBlue,chloe.dubois@example.edu\nBlue,student-4\n"
EVALUATION = TeammateEvaluation(criteria=(RatingCriterion("contribution", "Contribution"),), include_self=True)


@pytest.fixture
def students(lms, instructor, session) -> dict[str, Visitor]:
    visitors = {}
    for user in STUDENTS:
        visitors[user] = Visitor(lms, user)
        visitors[user].launch()
    session.execute(update(Assignment).values(team_assignment=True,
                                              teammate_evaluation_document=EVALUATION.to_document()))
    session.commit()
    instructor.post("/links/{link}/teams/import", files={"file": ("teams.csv", CSV.encode(), "text/csv")})
    return visitors


def _people(session) -> dict[str, int]:
    return {name: person for name, person in see_committed(session).execute(select(Person.name, Person.id))}


def graded_with_ratings(instructor, session) -> dict[str, int]:
    """Red's Amara rates herself 5 and Ben 2 ("Ben barely showed up"); Ben rates both 4. Grades are computed from
    those ratings on a team grade of 6 work points plus 2 for reviewing, and released."""
    people = _people(session)
    amara, ben = people["Amara Okafor"], people["Ben Carter"]
    red = session.scalar(select(Team.id).where(Team.name == "Red"))
    assignment = session.scalar(select(Assignment))
    for rater, ratee, score, comment in ((amara, amara, 5, ""), (amara, ben, 2, "Ben barely showed up"),
                                         (ben, amara, 4, "Solid work"), (ben, ben, 4, "")):
        session.add(TeammateRating(assignment_id=assignment.id, team_id=red, rater_id=rater, ratee_id=ratee,
                                   scores={"contribution": score}, comment=comment))
    session.commit()
    instructor.post("/links/{link}/phase", {"phase": "grading"})
    session = see_committed(session)
    assignment = session.scalar(select(Assignment))
    members = list(session.scalars(select(TeamMembership.person_id)))
    team_grading = TeamGrading.load(session, assignment, members)
    for person in members:
        total, document, doubts = team_grading.grade(person, 6.0, 2.0)
        session.execute(insert(Grade).values(assignment_id=assignment.id, person_id=person, method="mean",
                                             submission_points=8.0, late_deduction=2.0, reviewing_points=2.0,
                                             total=total, attention=doubts, contribution=document))
    release_grades(session, assignment.id, datetime.now(UTC))
    session.commit()
    return people


def _grade_section(response) -> str:
    found = re.search(r'<section class="card" id="grade".*?</section>', response.text, re.S)
    assert found, "the page has no grade"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(0)))


def test_a_members_grade_page_explains_their_factor_without_naming_who_gave_what(instructor, students, session):
    graded_with_ratings(instructor, session)

    page = students["student-2"].get("/links/{link}")

    grade = " ".join(_grade_section(page).split())
    # Ben: a share of 4/7 from Amara's ratings and 1 from his own, 11/14 on average: 6 * 0.786 = 4.71, plus 2.
    assert "Your teammates' ratings give you a contribution factor of 0.79" in grade
    assert "Your grade is 4.71; the team's grade is 6." in grade
    assert "6.71 out of 50 points" in grade
    assert "−1.29" in grade
    whole = page_text(page)
    assert "Ben barely showed up" not in whole and "Solid work" not in whole
    assert "Amara" not in grade and "0.57" not in grade and "1.43" not in grade


def test_a_member_who_rated_themselves_far_above_the_rest_waits_for_staff(instructor, students, session):
    graded_with_ratings(instructor, session)

    grade = " ".join(_grade_section(students["student-1"].get("/links/{link}")).split())

    # Amara rated herself 5 and her only teammate 2: possible manipulation, so her grade is held.
    assert "Your grade is being checked by course staff" in grade and "factor" not in grade
