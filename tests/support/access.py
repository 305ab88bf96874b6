"""Route-by-role checks: the kinds of visitor, and what each route answers each of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tests.support.lms import RunningLMS
from tests.support.tokens import CLAIM, genuine_launch, sign_token
from tests.support.visitor import Visitor

STAFF, STUDENT, OUTSIDER = "staff", "student", "outsider"
VISITORS = {
    "anonymous": OUTSIDER,
    "student": STUDENT,
    "student of another course": OUTSIDER,
    "teaching assistant": STAFF,
    "instructor": STAFF,
    "instructor of another course": OUTSIDER,
}
# (method, path with {link} and other ids, form data, status for staff, status for the student)
Route = tuple[str, str, Mapping[str, str] | None, int, int]


def visitor_of_kind(lms: RunningLMS, kind: str, link_id: int) -> Visitor:
    """A browser of the given kind, aiming at `link_id` (the first course's link) whatever it launched into."""
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
    visitor.link_id = link_id
    return visitor


def observed_and_expected(visitor: Visitor, role: str, routes: Sequence[Route], ids: Mapping[str, object],
                          instructor: Visitor) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """Every route's answer to the visitor, beside what its role should get.

    Outsiders post with their own session's CSRF token when a page gave them one (authorisation then refuses:
    403), else with the instructor's token, which CSRF protection refuses first (400)."""
    token = visitor._csrf or instructor.csrf_token()
    observed, expected = [], []
    for method, template, data, staff_status, student_status in routes:
        path = template.format(link="{link}", **ids)
        if method == "GET":
            response = visitor.get(path)
        else:
            response = visitor.post(path, dict(data or {}) | {"csrf_token": visitor._csrf or token}, csrf=False)
        observed.append((method, path, response.status_code))
        outsider_status = 403 if method == "GET" or token != instructor.csrf_token() else 400
        expected.append((method, path, {STAFF: staff_status, STUDENT: student_status, OUTSIDER: outsider_status}[role]))
    return observed, expected
