"""Every reviewing, calibration, feedback and staff-tool route, for each kind of visitor."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assessment.models import Review, Submission
from tests.support.rows import see_committed
from tests.web.test_assignment_access import OUTSIDER, STAFF, STUDENT, VISITORS, _visitor

# (method, path, data, status for staff, status for the reviewing student); outsiders are refused.
ROUTES = [
    ("GET", "/links/{link}/allocation", None, 200, 403),
    ("GET", "/links/{link}/flags", None, 200, 403),
    ("GET", "/links/{link}/calibration/examples", None, 200, 403),
    ("GET", "/links/{link}/calibration/examples/new", None, 200, 403),
    ("POST", "/links/{link}/calibration/examples/new", {"title": ""}, 400, 403),
    ("POST", "/links/{link}/calibration/examples/999999/delete", {}, 404, 403),
    ("POST", "/links/{link}/allocation/assign", {"submission": "999999", "reviewer": "0"}, 404, 403),
    ("POST", "/links/{link}/allocation/reviews/999999/remove", {}, 404, 403),
    ("POST", "/links/{link}/flags/999999/resolve", {"resolution": "x"}, 404, 403),
    ("POST", "/links/{link}/submissions/{submission}/staff-review", {}, 200, 403),
    ("POST", "/links/{link}/reviews/next", {}, 403, 200),
    ("GET", "/links/{link}/reviews/{review}", None, 404, 200),
    ("GET", "/links/{link}/reviews/{review}/file", None, 404, 200),
    ("POST", "/links/{link}/reviews/{review}", {"action": "draft"}, 404, 200),
    ("GET", "/links/{link}/calibration", None, 200, 200),
    ("GET", "/links/{link}/feedback", None, 409, 409),
    ("POST", "/links/{link}/feedback/{review}/rating", {"helpfulness": "5"}, 404, 404),
    ("POST", "/links/{link}/feedback/{review}/flag", {"reason": "unfair", "explanation": "x" * 20}, 404, 404),
]


@pytest.mark.parametrize("kind", VISITORS)
def test_each_reviewing_route_admits_exactly_the_visitors_it_should(lms, instructor, class_in_review, session, kind):
    class_in_review["student-1"].post("/links/{link}/reviews/next", {})
    review = see_committed(session).scalars(select(Review)).one()
    other_submission = session.scalars(select(Submission.id).order_by(Submission.id)).first()
    visitor = class_in_review["student-1"] if kind == "student" else _visitor(lms, kind, instructor.link_id)
    role = VISITORS[kind]
    token = visitor._csrf or instructor.csrf_token()
    observed, expected = [], []
    for method, path, data, staff_status, student_status in ROUTES:
        path = path.format(link="{link}", review=review.id, submission=other_submission)
        if method == "GET":
            response = visitor.get(path)
        else:
            response = visitor.post(path, dict(data) | {"csrf_token": visitor._csrf or token}, csrf=False)
        observed.append((method, path, response.status_code))
        outsider_status = 403 if method == "GET" or token != instructor.csrf_token() else 400
        expected.append((method, path, {STAFF: staff_status, STUDENT: student_status, OUTSIDER: outsider_status}[role]))

    assert observed == expected
