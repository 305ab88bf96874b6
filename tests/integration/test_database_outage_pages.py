"""Pages while PostgreSQL is unreachable: a 503 that says to try again in a moment, never a 500."""

from __future__ import annotations

import pytest

from assessment.models import CourseRole
from lti_tool.identity import SESSION_KEY
from tests.integration.test_health import _unreachable_postgres
from tests.integration.test_health import serve_with as serve_with  # the fixture


@pytest.mark.parametrize(("role", "method", "path"), [
    (CourseRole.STUDENT, "GET", "/links/1"), (CourseRole.STUDENT, "GET", "/links/1/teammates"),
    (CourseRole.STAFF, "GET", "/links/1"), (CourseRole.STAFF, "GET", "/links/1/teams"),
    (CourseRole.STAFF, "POST", "/links/1/teams/move")])
def test_a_page_asked_for_while_the_database_is_unreachable_is_a_503_saying_to_try_again(tmp_path, serve_with,
                                                                                        role, method, path):
    client = serve_with(tmp_path, _unreachable_postgres())
    with client.session_transaction() as session:  # a launch made while the database was up
        session[SESSION_KEY] = {"1": {"person_id": 1, "course_id": 1, "resource_link_id": 1, "role": role.value,
                                      "deployment_id": 1}}
    client.application.config["WTF_CSRF_ENABLED"] = False

    response = client.open(path, method=method, data={"person": "1", "team": "1"})

    assert response.status_code == 503, response.status_code
    page = response.get_data(as_text=True)
    assert "cannot reach its database just now, so nothing was saved. Try again in a moment" in page
    assert response.headers["Retry-After"] == "30"
