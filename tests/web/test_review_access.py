"""Every reviewing, calibration, feedback and staff-tool route, for each kind of visitor."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assessment.models import Review, Submission
from tests.support.access import VISITORS, observed_and_expected, visitor_of_kind
from tests.support.rows import see_committed

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
    visitor = class_in_review["student-1"] if kind == "student" else visitor_of_kind(lms, kind, instructor.link_id)

    observed, expected = observed_and_expected(visitor, VISITORS[kind], ROUTES,
                                               {"review": review.id, "submission": other_submission}, instructor)

    assert observed == expected
