"""Individual grades in team work in the browser: a member's page explains their factor without naming who gave what."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from assessment.grading_run import release_grades
from assessment.models import Assignment, ContributionOverride, Grade, Person, Team, TeammateRating, TeamMembership
from assessment.team_grades import TeamGrading
from assessment.teammate_evaluation import RatingCriterion, TeammateEvaluation
from tests.support.access import STAFF, VISITORS, observed_and_expected, visitor_of_kind
from tests.support.rows import see_committed
from tests.support.services import uses_postgres
from tests.support.visitor import Visitor, launched, page_text
from workers.locks import try_lock

STUDENTS = ("student-1", "student-2", "student-3", "student-4")
CSV = "team,student\nRed,amara.okafor@example.edu\nRed,student-2\nBlue,chloe.dubois@example.edu\nBlue,student-4\n"
EVALUATION = TeammateEvaluation(criteria=(RatingCriterion("contribution", "Contribution"),), include_self=True)


@pytest.fixture
def students(lms, instructor, session) -> dict[str, Visitor]:
    visitors = launched(lms, STUDENTS)
    session.execute(update(Assignment).values(team_assignment=True,
                                              teammate_evaluation_document=EVALUATION.to_document()))
    session.commit()
    instructor.post("/links/{link}/teams/import", files={"file": ("teams.csv", CSV.encode(), "text/csv")})
    return visitors


def _people(session) -> dict[str, int]:
    return {name: person for name, person in see_committed(session).execute(select(Person.name, Person.id))}


def graded_with_ratings(instructor, session, *, outsider_rated: bool = False) -> dict[str, int]:
    """Red's Amara rates herself 5 and Ben 2 ("Ben barely showed up"); Ben rates both 4. Grades are computed from
    those ratings on a team grade of 6 work points plus 2 for reviewing, and released. `outsider_rated`: Amara also
    rated Chloé, of the other team."""
    people = _people(session)
    amara, ben = people["Amara Okafor"], people["Ben Carter"]
    red = session.scalar(select(Team.id).where(Team.name == "Red"))
    assignment = session.scalar(select(Assignment))
    for rater, ratee, score, comment in ((amara, amara, 5, ""), (amara, ben, 2, "Ben barely showed up"),
                                         (ben, amara, 4, "Solid work"), (ben, ben, 4, "")):
        session.add(TeammateRating(assignment_id=assignment.id, team_id=red, rater_id=rater, ratee_id=ratee,
                                   scores={"contribution": score}, comment=comment))
    if outsider_rated:
        session.add(TeammateRating(assignment_id=assignment.id, team_id=red, rater_id=amara,
                                   ratee_id=people["Chloé Dubois"], scores={"contribution": 1}, comment="Who?"))
    session.commit()
    instructor.post("/links/{link}/phase", {"phase": "grading"})
    session = see_committed(session)
    assignment = session.scalar(select(Assignment))
    members = list(session.scalars(select(TeamMembership.person_id)))
    team_grading = TeamGrading.load(session, assignment)
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
    assert "\u22121.29" in grade
    whole = page_text(page)
    assert "Ben barely showed up" not in whole and "Solid work" not in whole
    assert "Amara" not in grade and "0.57" not in grade and "1.43" not in grade


def test_a_member_who_rated_themselves_far_above_the_rest_waits_for_staff(instructor, students, session):
    graded_with_ratings(instructor, session)

    grade = " ".join(_grade_section(students["student-1"].get("/links/{link}")).split())

    # Amara rated herself 5 and her only teammate 2: possible manipulation, so her grade is held.
    assert "Your grade is being checked by course staff" in grade and "factor" not in grade


# (method, path, data, status for staff, status for a student); outsiders are refused.
ROUTES = [
    ("GET", "/links/{link}/teams/grades", None, 200, 403),
    ("POST", "/links/{link}/teams/grades/{person}/factor", {"factor": "0.8", "reason": "Checked the log"}, 200, 403),
    ("GET", "/links/{link}/export/teams.csv", None, 200, 403),
    ("GET", "/links/{link}/export/teammate-ratings.csv", None, 200, 403),
]


@pytest.mark.parametrize("kind", VISITORS)
def test_each_team_grades_route_admits_exactly_the_visitors_it_should(lms, instructor, students, session, kind):
    people = graded_with_ratings(instructor, session)
    visitor = students["student-1"] if kind == "student" else visitor_of_kind(lms, kind, instructor.link_id)

    observed, expected = observed_and_expected(visitor, VISITORS[kind], ROUTES, {"person": people["Ben Carter"]},
                                               instructor)

    assert observed == expected
    overrides = see_committed(session).scalars(select(ContributionOverride)).all()
    assert [(o.factor, o.reason) for o in overrides] == ([(0.8, "Checked the log")] if VISITORS[kind] == STAFF else [])


def test_staff_see_each_team_with_its_members_factors_grades_warnings_and_left_out_ratings(instructor, students,
                                                                                         session):
    people = graded_with_ratings(instructor, session, outsider_rated=True)

    page = page_text(instructor.get("/links/{link}/teams/grades"))

    assert "Red" in page and "Blue" in page
    assert "Team\u2019s work points: 6" in page
    assert "Amara Okafor" in page and "Ben Carter" in page and "Chloé Dubois" in page
    assert "1.21" in page and "0.79" in page  # the factors from the ratings
    assert "possible manipulation rated themselves 5 and no teammate above 2" in page
    assert "1 rating left out" in page
    assert "Amara Okafor\u2019s rating of Chloé Dubois: set aside: the two are not both members of this team now" in page
    assert people["Chloé Dubois"]


def test_the_grades_triage_shows_the_teammate_warnings_with_their_evidence(instructor, students, session):
    graded_with_ratings(instructor, session)

    page = page_text(instructor.get("/links/{link}/grades"))
    overview = page_text(instructor.get("/links/{link}"))

    assert "possible manipulation: rated themselves 5 and no teammate above 2" in page
    assert "possible manipulation" in overview


def test_a_factor_set_while_grades_are_being_computed_is_refused_and_nothing_is_kept(instructor, students,
                                                                                     session, engine):
    if not uses_postgres():
        pytest.skip("SQLite runs one writer at a time: a grading run and an override cannot overlap there")
    people = graded_with_ratings(instructor, session)
    assignment_id = see_committed(session).scalar(select(Assignment.id))
    with engine.connect() as running:  # a grading run in progress holds its lock until its transaction ends
        assert try_lock(Session(running), "run_grading", assignment_id)
        refused = instructor.post(f"/links/{{link}}/teams/grades/{people['Amara Okafor']}/factor",
                                  {"factor": "1.1", "reason": "Led the work"})

    assert "Grades are already being computed for this activity" in page_text(refused)
    assert see_committed(session).scalars(select(ContributionOverride)).all() == []


def test_staff_set_a_factor_with_a_reason_and_the_member_reads_it_after_release(instructor, students, session):
    people = graded_with_ratings(instructor, session)
    amara = people["Amara Okafor"]

    saved = instructor.post(f"/links/{{link}}/teams/grades/{amara}/factor", {"factor": "1,1", "reason": "Led the work"})
    instructor.post("/links/{link}/grades/release")

    assert saved.status_code == 200 and "Contribution factor set" in page_text(saved)
    grade = see_committed(session).scalar(select(Grade).where(Grade.person_id == amara))
    assert grade.total == 8.6 and grade.attention == []  # 6 * 1.1 + 2
    section = " ".join(_grade_section(students["student-1"].get("/links/{link}")).split())
    assert "Staff set your factor to 1.1: Led the work" in section and "8.6 out of 50 points" in section

    cleared = instructor.post(f"/links/{{link}}/teams/grades/{amara}/factor", {"factor": "", "reason": ""})

    assert cleared.status_code == 200 and "Contribution factor cleared" in page_text(cleared)
    grade = see_committed(session).scalar(select(Grade).where(Grade.person_id == amara))
    assert grade.total == 9.29 and grade.attention == ["possible manipulation"]


@pytest.mark.parametrize("factor, reason, message", [
    ("0.8", "", "Say why the factor is set"),
    ("3.5", "why", "A contribution factor is a number from 0 to 3"),
    ("-1", "why", "A contribution factor is a number from 0 to 3"),
    ("lots", "why", "A contribution factor is a number from 0 to 3"),
    ("0.8", "x" * 2001, "Keep the reason to at most 2,000 characters; nothing was saved."),
])
def test_a_bad_factor_is_refused_with_what_to_do(instructor, students, session, factor, reason, message):
    people = graded_with_ratings(instructor, session)

    refused = instructor.post(f"/links/{{link}}/teams/grades/{people['Ben Carter']}/factor",
                              {"factor": factor, "reason": reason})

    assert refused.status_code == 400 and message in page_text(refused)
    assert see_committed(session).scalars(select(ContributionOverride)).all() == []


def test_the_exports_list_every_member_and_every_rating_with_formulas_kept_as_text(instructor, students, session):
    people = graded_with_ratings(instructor, session, outsider_rated=True)
    session.execute(update(TeammateRating).where(TeammateRating.rater_id == people["Amara Okafor"],
                                                 TeammateRating.ratee_id == people["Ben Carter"])
                    .values(comment='=HYPERLINK("http://x")'))
    session.commit()

    teams = instructor.get("/links/{link}/export/teams.csv")
    ratings = instructor.get("/links/{link}/export/teammate-ratings.csv")

    assert teams.headers["Content-Type"].startswith("text/csv")
    team_rows = list(csv.reader(io.StringIO(teams.content.decode("utf-8-sig"))))
    assert team_rows[0][:3] == ["Team", "Team code", "Student"]
    by_name = {row[2]: row for row in team_rows[1:]}
    assert set(by_name) == {"Amara Okafor", "Ben Carter", "Chloé Dubois", "Daniel Kim"}
    assert by_name["Ben Carter"][5:8] == ["6.0", "0.79", "no"] and by_name["Ben Carter"][11] == "6.71"
    assert "possible manipulation" in by_name["Amara Okafor"][13]
    rating_rows = list(csv.reader(io.StringIO(ratings.content.decode("utf-8-sig"))))
    assert rating_rows[0] == ["Team", "Rater", "Rater email", "Rated", "Rated email", "Contribution", "Total",
                              "Comment", "Submitted at", "Counted"]
    comments = {(row[1], row[3]): (row[7], row[9]) for row in rating_rows[1:]}
    assert comments[("Amara Okafor", "Ben Carter")] == ("'=HYPERLINK(\"http://x\")", "yes")
    assert comments[("Amara Okafor", "Chloé Dubois")][1].startswith("set aside")
    assert len(rating_rows) == 1 + 5


def test_without_teammate_evaluation_the_team_view_says_every_member_gets_the_teams_grade(instructor, students,
                                                                                         session):
    session.execute(update(Assignment).values(teammate_evaluation_document=None))
    session.commit()

    page = page_text(instructor.get("/links/{link}/teams/grades"))
    ratings = instructor.get("/links/{link}/export/teammate-ratings.csv")

    assert "Teammates do not rate each other in this activity" in page and "Set the factor" not in page
    assert "Amara Okafor" in page and "Not graded yet" in page
    assert ratings.status_code == 200 and len(ratings.content.decode("utf-8-sig").splitlines()) == 1


def test_an_individual_assignment_has_no_team_view_and_no_factor_to_set(instructor, students, session):
    session.execute(update(Assignment).values(team_assignment=False))
    session.commit()
    person = _people(session)["Ben Carter"]

    page = instructor.get("/links/{link}/teams/grades")
    refused = instructor.post(f"/links/{{link}}/teams/grades/{person}/factor", {"factor": "1", "reason": "why"})

    assert page.status_code == 200 and "This is not a team assignment." in page_text(page)
    assert refused.status_code == 400 and "no teammate evaluation" in page_text(refused)
