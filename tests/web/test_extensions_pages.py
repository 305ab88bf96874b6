"""The Extensions page: who may use it, an extension given from a student's row with its reason kept, a CSV checked
against the roster line by line with nothing saved until it is clean, and refusals a person can act on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from assessment.models import Assignment, Extension, Person
from tests.support.access import VISITORS, observed_and_expected, visitor_of_kind
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text

STUDENTS = ("student-1", "student-2")


@pytest.fixture
def students(lms, instructor) -> dict[str, Visitor]:
    visitors = {}
    for user in STUDENTS:
        visitors[user] = Visitor(lms, user)
        visitors[user].launch()
    return visitors


def _person(session, subject: str) -> int:
    return see_committed(session).scalar(select(Person.id).where(Person.subject == subject))


def _upload(visitor: Visitor, text: str):
    return visitor.post("/links/{link}/extensions/import", files={"file": ("extensions.csv", text.encode(), "text/csv")})


# (method, path, data, status for staff, status for a student); outsiders are refused.
ROUTES = [
    ("GET", "/links/{link}/extensions", None, 200, 403),
    ("POST", "/links/{link}/extensions", {"who": "person:{person}", "step": "submission", "extra_hours": "24",
                                          "reason": "Illness"}, 200, 403),
    ("POST", "/links/{link}/extensions/import", {}, 400, 403),
    ("POST", "/links/{link}/extensions/999999/withdraw", {}, 404, 403),
]


@pytest.mark.parametrize("kind", VISITORS)
def test_each_extensions_route_admits_exactly_the_visitors_it_should(lms, instructor, students, session, kind):
    person = _person(session, "student-2")
    visitor = students["student-1"] if kind == "student" else visitor_of_kind(lms, kind, instructor.link_id)
    routes = [(method, path, {key: value.format(person=person) for key, value in (data or {}).items()}, staff, student)
              for method, path, data, staff, student in ROUTES]

    observed, expected = observed_and_expected(visitor, VISITORS[kind], routes, {}, instructor)

    assert observed == expected


def test_staff_give_an_extension_from_the_students_row_and_see_it_with_its_reason(instructor, students, session):
    person = _person(session, "student-1")
    page = instructor.get(f"/links/{{link}}/extensions?person={person}")
    chosen = re.search(r"<option[^>]*\bselected\b[^>]*>", page.text)
    assert chosen is not None and f'value="person:{person}"' in chosen.group(0)

    response = instructor.post("/links/{link}/extensions", {"who": f"person:{person}", "step": "submission",
                                                            "extra_hours": "48", "reason": "Hospital stay"})

    assert response.status_code == 200 and "Extension given." in page_text(response)
    assert "Hospital stay" in page_text(response) and "48 hours after the class deadline" in page_text(response)
    extension = see_committed(session).scalars(select(Extension)).one()
    assert (extension.person_id, extension.extra_minutes, extension.reason) == (person, 48 * 60, "Hospital stay")


def test_an_extension_past_the_results_date_is_refused_saying_why(instructor, students, session):
    person = _person(session, "student-1")
    release = see_committed(session).scalar(select(Assignment.results_release))
    hours = (release - see_committed(session).scalar(select(Assignment.submission_due))).total_seconds() / 3600

    refused = instructor.post("/links/{link}/extensions", {"who": f"person:{person}", "step": "submission",
                                                           "extra_hours": str(hours + 1), "reason": "Illness"})
    given = instructor.post("/links/{link}/extensions", {"who": f"person:{person}", "step": "submission",
                                                         "extra_hours": str(hours), "reason": "Illness"})

    assert refused.status_code == 400 and "cannot end after results are released" in page_text(refused)
    assert given.status_code == 200 and "Extension given." in page_text(given)


def test_a_csv_naming_unknown_students_saves_nothing_and_names_each_line(instructor, students, session):
    response = _upload(instructor, "student,step,extra_hours,reason\namara.okafor@example.edu,review,24,Travel\n"
                                   "nobody@example.edu,review,24,Travel\nstudent-2,reviewing,24,Travel\n")

    text = page_text(response)
    assert response.status_code == 400
    assert "Nothing was saved" in text
    assert "Line 3: “nobody@example.edu” is not a student of this course." in text
    assert "Line 4: The step must be one of" in text
    assert see_committed(session).scalars(select(Extension)).all() == []


def test_a_clean_csv_gives_every_extension_and_staff_can_withdraw_one(instructor, students, session):
    response = _upload(instructor, "student,step,extra_hours,reason\namara.okafor@example.edu,review,24,Travel\n"
                                   "student-2,submission,12,Illness\n")
    assert response.status_code == 200 and "2 extensions given." in page_text(response)
    first = see_committed(session).scalars(select(Extension).order_by(Extension.id)).first()

    withdrawn = instructor.post(f"/links/{{link}}/extensions/{first.id}/withdraw", {})

    assert withdrawn.status_code == 200 and "Extension withdrawn." in page_text(withdrawn)
    assert len(see_committed(session).scalars(select(Extension)).all()) == 1


def test_the_grades_page_says_whose_grade_waits_for_an_extension(instructor, students, session):
    person = _person(session, "student-1")
    instructor.post("/links/{link}/extensions", {"who": f"person:{person}", "step": "review", "extra_hours": "24",
                                                 "reason": "Illness"})
    instructor.post("/links/{link}/grades/run", {})

    page = instructor.get("/links/{link}/grades")

    assert "1 student with an extension still running is left out" in page_text(page)
    rest = page_text(page).split("left out", 1)[1]
    assert "Ben Carter" in rest and "Amara Okafor" not in rest  # graded without her


def test_the_dashboard_row_of_an_extended_student_shows_their_last_own_date(instructor, students, session):
    person = _person(session, "student-1")
    review_due = see_committed(session).scalar(select(Assignment.review_due))
    instructor.post("/links/{link}/extensions", {"who": f"person:{person}", "step": "review", "extra_hours": "24",
                                                 "reason": "Illness"})

    dashboard = instructor.get("/links/{link}")

    row = re.search(rf'<tr id="student-{person}">(.*?)</tr>', dashboard.text, re.S)
    assert row is not None and "own dates until" in row.group(1)
    assert (review_due + timedelta(hours=24)).isoformat() in row.group(1)
    assert f"/extensions?person={person}" in row.group(1)
