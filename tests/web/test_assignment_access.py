"""Every page and action of an assignment, for each kind of visitor: who may use it and who is refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from assessment.models import Assignment, SubmissionVersion
from tests.support.access import VISITORS, observed_and_expected, visitor_of_kind
from tests.support.documents import pdf_naming_its_author
from tests.support.rows import see_committed
from tests.support.visitor import Visitor

CRITERION = {"title": "Argument", "weight": "1", "scoring": "levels", "levels": "0 | Weak\n2 | Strong"}

# (method, path, data, expected status for staff, for the submitting student); outsiders are refused.
ROUTES = [
    ("GET", "/links/{link}", None, 200, 200),
    ("GET", "/links/{link}/me", None, 200, 200),
    ("GET", "/links/{link}/people", None, 200, 403),
    ("GET", "/links/{link}/settings", None, 200, 403),
    ("POST", "/links/{link}/settings", {"title": ""}, 400, 403),
    ("POST", "/links/{link}/settings", {"instructions": "**Due** Friday", "preview": "1"}, 200, 403),
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
    visitor = visitor_of_kind(lms, kind, instructor.link_id)

    observed, expected = observed_and_expected(visitor, VISITORS[kind], ROUTES, prepared, instructor)

    assert observed == expected


def test_outsiders_posting_change_nothing(lms, instructor, prepared, session):
    before = see_committed(session).scalars(select(Assignment)).one().settings
    outsider = visitor_of_kind(lms, "student of another course", instructor.link_id)

    outsider.post("/links/{link}/phase", {"phase": "released", "csrf_token": instructor.csrf_token()}, csrf=False)

    assert see_committed(session).scalars(select(Assignment)).one().settings == before


def test_a_students_download_link_does_not_reveal_other_students_files(lms, instructor, prepared):
    other = Visitor(lms, "student-2")
    other.launch()

    response = other.get(f"/links/{{link}}/files/{prepared['version']}")

    assert response.status_code == 404
    assert not re.search(r"submission-\w+\.pdf", response.text)
