"""The Teams page and team work in the browser: who may use it in which phase, the CSV's errors line by line, every
member seeing the team's work, and reviewers knowing a team only by its code."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from assessment.models import Assignment, Person, Review, Team, TeamMembership
from tests.support.access import VISITORS, observed_and_expected, visitor_of_kind
from tests.support.documents import pdf_naming_its_author
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, launched, page_text

STUDENTS = ("student-1", "student-2", "student-3", "student-4")
# student-1 and student-2 in Red, student-3 and student-4 in Blue, by email and by LMS user id.
CSV = "team,student\nRed,amara.okafor@example.edu\nRed,student-2\nBlue,chloe.dubois@example.edu\nBlue,student-4\n"


def _make_team_assignment(session) -> None:
    session.execute(update(Assignment).values(team_assignment=True))
    session.commit()


@pytest.fixture
def students(lms, instructor, session) -> dict[str, Visitor]:
    visitors = launched(lms, STUDENTS)
    _make_team_assignment(session)
    return visitors


def _upload(visitor: Visitor, text: str):
    return visitor.post("/links/{link}/teams/import", files={"file": ("teams.csv", text.encode(), "text/csv")})


# (method, path, data, status for staff, status for a student); outsiders are refused.
ROUTES = [
    ("GET", "/links/{link}/teams", None, 200, 403),
    ("POST", "/links/{link}/teams/make", {"smallest": "2", "largest": "2"}, 200, 403),
    ("POST", "/links/{link}/teams/import", {}, 400, 403),
    ("POST", "/links/{link}/teams/move", {"person": "{person}", "team": "999999"}, 404, 403),
]


@pytest.mark.parametrize("kind", VISITORS)
def test_each_teams_route_admits_exactly_the_visitors_it_should(lms, instructor, students, session, kind):
    person = see_committed(session).scalar(select(TeamMembership.person_id).limit(1))
    visitor = students["student-1"] if kind == "student" else visitor_of_kind(lms, kind, instructor.link_id)
    routes = [(method, path, {key: value.format(person=person) for key, value in (data or {}).items()}, staff, student)
              for method, path, data, staff, student in ROUTES]

    observed, expected = observed_and_expected(visitor, VISITORS[kind], routes, {}, instructor)

    assert observed == expected


def test_staff_make_teams_from_the_roster_and_see_them(instructor, students, session):
    response = instructor.post("/links/{link}/teams/make", {"smallest": "2", "largest": "2"})

    assert response.status_code == 200 and "2 teams made." in page_text(response)
    teams = see_committed(session).scalars(select(Team)).all()
    assert len(teams) == 2
    text = page_text(response)
    assert all(name in text for name in ("Amara Okafor", "Ben Carter", "Chloé Dubois", "Daniel Kim"))
    assert all(team.code in text for team in teams)


def _make_balanced(visitor: Visitor, text: str | bytes, smallest: str = "2", largest: str = "2"):
    data = text.encode() if isinstance(text, str) else text
    return visitor.post("/links/{link}/teams/make", {"smallest": smallest, "largest": largest},
                        files={"attribute_file": ("programmes.csv", data, "text/csv")})


def test_staff_make_teams_balanced_by_the_values_of_an_uploaded_file(instructor, students, session):
    text = "student,programme\namara.okafor@example.edu,Law\nstudent-2,Law\nstudent-3,Biology\nstudent-4,Biology\n"

    response = _make_balanced(instructor, text)

    assert response.status_code == 200 and "2 teams made, balanced by the values in the file." in page_text(response)
    programme = {"student-1": "Law", "student-2": "Law", "student-3": "Biology", "student-4": "Biology"}
    rows = see_committed(session).execute(select(TeamMembership.team_id, Person.subject)
                                          .join(Person, Person.id == TeamMembership.person_id)).all()
    teams: dict[int, list[str]] = {}
    for team, subject in rows:
        teams.setdefault(team, []).append(programme[subject])
    assert sorted(sorted(values) for values in teams.values()) == [["Biology", "Law"], ["Biology", "Law"]]


def test_a_balancing_file_with_bad_lines_is_refused_naming_each_line_and_makes_no_teams(instructor, students,
                                                                                         session):
    text = ("student,band\nnobody@example.edu,A\nstudent-2,A\nstudent-2,B\nstudent-3,\n"
            f"student-4,{'x' * 101}\n")

    response = _make_balanced(instructor, text)

    page = page_text(response)
    assert response.status_code == 400 and "No teams were made: correct the lines below" in page
    assert "Line 2: no student nobody@example.edu in this course." in page
    assert "Line 4: student-2 is already listed on line 3; list each student once." in page
    assert "Line 5: the value for student-3 is missing." in page
    assert "Line 6: keep the value to at most 100 characters." in page
    assert see_committed(session).scalars(select(Team)).all() == []


def test_a_balancing_file_not_utf8_or_listing_nobody_is_refused_and_values_at_the_limit_are_accepted(
        instructor, students, session):
    assert _make_balanced(instructor, b"\xff\xfe\x00t").status_code == 400
    empty = _make_balanced(instructor, "student,band\n")
    assert empty.status_code == 400 and "The file lists no students" in page_text(empty)
    assert see_committed(session).scalars(select(Team)).all() == []

    accepted = _make_balanced(instructor, f"student-1,{'x' * 100}\nstudent-2,y\n")
    assert accepted.status_code == 200 and len(see_committed(session).scalars(select(Team)).all()) == 2


def test_balanced_teams_are_refused_once_a_team_handed_in(instructor, students, session):
    _upload(instructor, CSV)
    students["student-1"].post("/links/{link}/submission", {"text": "Red essay."})

    response = _make_balanced(instructor, "student-1,Law\nstudent-3,Biology\n")

    assert response.status_code == 409 and "already handed in work" in page_text(response)
    assert sorted(team.name for team in see_committed(session).scalars(select(Team))) == ["Blue", "Red"]


def test_sizes_the_class_cannot_fill_are_refused_on_the_page(instructor, students, session):
    response = instructor.post("/links/{link}/teams/make", {"smallest": "3", "largest": "3"})

    assert response.status_code == 400
    assert "4 students cannot be split into teams of 3 to 3 members" in page_text(response)
    assert see_committed(session).scalars(select(Team)).all() == []


def test_a_csv_with_bad_lines_is_refused_naming_each_line(instructor, students, session):
    response = _upload(instructor, "team,student\nRed,amara.okafor@example.edu\nRed,nobody@example.edu\n"
                                   "Blue,amara.okafor@example.edu\nBlue,student-3\nGreen,\n")

    text = page_text(response)
    assert response.status_code == 400
    assert "Line 3: no student nobody@example.edu in this course." in text
    assert "Line 4: amara.okafor@example.edu is already in team Red (line 2)" in text
    assert "Team Green (line 6) has no members." in text
    assert see_committed(session).scalars(select(Team)).all() == []


def test_a_file_that_is_not_utf8_text_is_refused_with_what_to_do(instructor, students):
    response = instructor.post("/links/{link}/teams/import", files={"file": ("teams.csv", b"\xff\xfe\x00t", "text/csv")})

    assert response.status_code == 400 and "CSV UTF-8" in page_text(response)


def test_a_valid_csv_makes_the_teams_and_staff_move_a_student_with_the_change_kept(instructor, students, session):
    assert _upload(instructor, CSV).status_code == 200
    teams = {team.name: team.id for team in see_committed(session).scalars(select(Team))}
    amara = see_committed(session).scalar(select(TeamMembership.person_id).where(TeamMembership.team_id == teams["Red"])
                                          .order_by(TeamMembership.id).limit(1))

    moved = instructor.post("/links/{link}/teams/move", {"person": str(amara), "team": str(teams["Blue"])})

    assert moved.status_code == 200 and "Student moved." in page_text(moved)
    history = see_committed(session).scalars(select(TeamMembership).where(TeamMembership.person_id == amara)
                                             .order_by(TeamMembership.id)).all()
    assert [(m.team_id, m.until is None) for m in history] == [(teams["Red"], False), (teams["Blue"], True)]


def test_teams_are_fixed_once_submissions_close_and_staff_are_told_why(instructor, students, session):
    _upload(instructor, CSV)
    blue = see_committed(session).scalar(select(Team.id).where(Team.name == "Blue"))
    instructor.post("/links/{link}/phase", {"phase": "review"})
    person = see_committed(session).scalar(select(TeamMembership.person_id).limit(1))

    moved = instructor.post("/links/{link}/teams/move", {"person": str(person), "team": str(blue)})
    remade = instructor.post("/links/{link}/teams/make", {"smallest": "2", "largest": "2"})

    assert moved.status_code == 409 and "Submissions are closed, so teams are fixed" in page_text(moved)
    assert remade.status_code == 409 and "Submissions are closed, so teams are fixed" in page_text(remade)


def test_staff_are_told_an_individual_assignment_has_no_teams(instructor, students, session):
    session.execute(update(Assignment).values(team_assignment=False))
    session.commit()

    page = instructor.get("/links/{link}/teams")
    made = instructor.post("/links/{link}/teams/make", {"smallest": "2", "largest": "2"})

    assert page.status_code == 200 and "This is not a team assignment" in page_text(page)
    assert made.status_code == 409 and "This is not a team assignment" in page_text(made)


def test_one_member_hands_in_and_a_teammate_sees_the_teams_work_but_the_other_team_does_not(instructor, students):
    _upload(instructor, CSV)

    handed = students["student-1"].post("/links/{link}/submission", {"text": "Our team essay."})
    teammate, other = students["student-2"].get("/links/{link}"), students["student-3"].get("/links/{link}")

    assert handed.status_code == 200
    assert "Your team: Red" in page_text(teammate) and "Members: Ben Carter, Amara Okafor" in page_text(teammate)
    assert "Your team's submission" in page_text(teammate) and "Our team essay." in page_text(teammate)
    assert "Our team essay." not in page_text(other) and "Your team: Blue" in page_text(other)


def test_staff_see_who_handed_in_each_version_of_a_teams_work(instructor, students, session):
    _upload(instructor, CSV)
    students["student-1"].post("/links/{link}/submission", {"text": "First."})
    students["student-2"].post("/links/{link}/submission", {"text": "Second."})
    ben = see_committed(session).scalar(select(TeamMembership.person_id).order_by(TeamMembership.id).offset(1).limit(1))

    work = page_text(instructor.get(f"/links/{{link}}/students/{ben}/work"))

    assert "Version 2 (the one that counts)" in work and "by Ben Carter" in work and "by Amara Okafor" in work


def test_reviewers_know_a_team_only_by_its_code_in_the_page_and_the_file_name(lms, instructor, students, session):
    _upload(instructor, CSV)
    students["student-1"].post("/links/{link}/submission", {"text": "Red essay."},
                               files={"file": ("amara_okafor_red.pdf", pdf_naming_its_author("Amara Okafor"))})
    students["student-3"].post("/links/{link}/submission", {"text": "Blue essay."})
    instructor.post("/links/{link}/phase", {"phase": "review"})

    served = students["student-4"].post("/links/{link}/reviews/next", {})

    red = see_committed(session).scalars(select(Team).where(Team.name == "Red")).one()
    review = see_committed(session).scalars(select(Review)).one()
    text = page_text(served)
    assert served.status_code == 200 and f"Team {red.code}" in text
    assert not re.search(r"Amara|Okafor|Ben Carter|\bRed\b", text.replace("Red essay", ""))
    download = students["student-4"].get(f"/links/{{link}}/reviews/{review.id}/file")
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert red.code in disposition and "amara" not in disposition.lower() and "red" not in disposition.lower()
    home = page_text(students["student-4"].get("/links/{link}"))
    assert f"Team {red.code}" in home and "Red essay" not in home.replace(f"Team {red.code}", "")


def test_a_teammate_is_never_served_their_own_teams_work(instructor, students, session):
    _upload(instructor, CSV)
    students["student-1"].post("/links/{link}/submission", {"text": "Red essay."})
    students["student-3"].post("/links/{link}/submission", {"text": "Blue essay."})
    instructor.post("/links/{link}/phase", {"phase": "review"})

    first = students["student-2"].post("/links/{link}/reviews/next", {})

    assert "Blue essay." in page_text(first) and "Red essay." not in page_text(first)
