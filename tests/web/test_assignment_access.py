"""Every page and action of an assignment, for each kind of visitor: who may use it and who is refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from assessment.models import Assignment, SubmissionVersion
from tests.support.documents import pdf_naming_its_author
from tests.support.rows import see_committed
from tests.support.tokens import CLAIM, genuine_launch, sign_token
from tests.support.visitor import Visitor

CRITERION = {"title": "Argument", "weight": "1", "scoring": "levels", "levels": "0 | Weak\n2 | Strong"}
STAFF, STUDENT, OUTSIDER = "staff", "student", "outsider"

# (method, path, data, expected status for staff, for the submitting student); outsiders are refused.
ROUTES = [
    ("GET", "/links/{link}", None, 200, 200),
    ("GET", "/links/{link}/me", None, 200, 200),
    ("GET", "/links/{link}/people", None, 200, 403),
    ("GET", "/links/{link}/settings", None, 200, 403),
    ("POST", "/links/{link}/settings", {"title": ""}, 400, 403),
    ("POST", "/links/{link}/phase", {"phase": "submission"}, 200, 403),
    ("POST", "/links/{link}/assignment", {"title": "x", "points_possible": "1", "timezone": "UTC"}, 403, 403),
    ("GET", "/links/{link}/rubric", None, 200, 403),
    ("POST", "/links/{link}/rubric/criteria", CRITERION, 200, 403),
    ("GET", "/links/{link}/rubric/criteria/{key}", None, 200, 403),
    ("POST", "/links/{link}/rubric/criteria/{key}", CRITERION, 200, 403),
    ("POST", "/links/{link}/rubric/criteria/{key}/move/down", {}, 200, 403),
    ("POST", "/links/{link}/rubric/copy", {"source": "999999"}, 400, 403),
    ("GET", "/links/{link}/submissions", None, 200, 403),
    ("POST", "/links/{link}/submission", {"text": "My work"}, 400, 200),
    ("GET", "/links/{link}/files/{version}", None, 200, 200),
    ("POST", "/links/{link}/rubric/criteria/{key}/delete", {}, 200, 403),
]
VISITORS = {
    "anonymous": OUTSIDER,
    "student": STUDENT,
    "student of another course": OUTSIDER,
    "teaching assistant": STAFF,
    "instructor": STAFF,
    "instructor of another course": OUTSIDER,
}


def _visitor(lms, kind: str, link_id: int) -> Visitor:
    if kind == "anonymous":
        return Visitor(lms, link_id=link_id)
    if kind.endswith("of another course"):
        user = "student-5" if kind.startswith("student") else "instructor-1"
        pending, claims, header = genuine_launch(lms, user)
        claims[CLAIM + "context"]["id"] = claims[CLAIM + "resource_link"]["id"] = "elsewhere"
        landing = pending.post(id_token=sign_token(lms, claims, header))
        assert landing.status_code == 200
        visitor = Visitor(lms, user, browser=pending.browser)
        visitor._remember_csrf(landing.text)  # the other instructor's page has a form: a valid token of their own
    else:
        visitor = Visitor(lms, {"student": "student-1", "teaching assistant": "ta-1", "instructor": "instructor-1"}[kind])
        visitor.launch()
    visitor.link_id = link_id  # everyone aims at the first course's link
    return visitor


@pytest.fixture
def prepared(lms, instructor, student, session) -> dict[str, str]:
    """An assignment with a criterion and a submitted file, and the ids the routes need."""
    instructor.post("/links/{link}/rubric/criteria", CRITERION)
    student.post("/links/{link}/submission", files={"file": ("essay.pdf", pdf_naming_its_author())})
    see_committed(session)
    key = session.scalars(select(Assignment)).one().rubric.criteria[0].key
    version = session.scalars(select(SubmissionVersion)).one().id
    return {"key": key, "version": str(version)}


@pytest.mark.parametrize("kind", VISITORS)
def test_each_route_admits_exactly_the_visitors_it_should(lms, instructor, prepared, kind):
    visitor = _visitor(lms, kind, instructor.link_id)
    role = VISITORS[kind]
    # Outsiders post with their own session's CSRF token when a page gave them one (then authorisation refuses:
    # 403), else with the instructor's token, which CSRF protection refuses first (400).
    token = visitor._csrf or instructor.csrf_token()
    observed, expected = [], []
    for method, path, data, staff_status, student_status in ROUTES:
        path = path.format(link="{link}", key=prepared["key"], version=prepared["version"])
        if method == "GET":
            response = visitor.get(path)
        else:
            response = visitor.post(path, dict(data) | {"csrf_token": visitor._csrf or token}, csrf=False)
        observed.append((method, path, response.status_code))
        outsider_status = 403 if method == "GET" or token != instructor.csrf_token() else 400
        status = {STAFF: staff_status, STUDENT: student_status, OUTSIDER: outsider_status}[role]
        expected.append((method, path, status))

    assert observed == expected


def test_outsiders_posting_change_nothing(lms, instructor, prepared, session):
    before = see_committed(session).scalars(select(Assignment)).one().settings
    outsider = _visitor(lms, "student of another course", instructor.link_id)

    outsider.post("/links/{link}/phase", {"phase": "released", "csrf_token": instructor.csrf_token()}, csrf=False)

    assert see_committed(session).scalars(select(Assignment)).one().settings == before


def test_a_students_download_link_does_not_reveal_other_students_files(lms, instructor, prepared):
    other = Visitor(lms, "student-2")
    other.launch()

    response = other.get(f"/links/{{link}}/files/{prepared['version']}")

    assert response.status_code == 404
    assert not re.search(r"submission-\w+\.pdf", response.text)
