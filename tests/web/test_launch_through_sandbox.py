"""Full launches from the sandbox LMS into the tool over real HTTP."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import requests
from sqlalchemy import select

from assessment.models import Course, CourseRole, Enrollment, Person, ResourceLink
from lti_tool.launch import hardening
from lti_tool.launch.registration import find_launch_registration
from lti_tool.launch.replay import ConsumedNonce
from tests.conftest import LMS_PROFILES
from tests.support.lms import begin_launch, launch_as
from tests.support.rows import row_counts, see_committed

# Every launch test runs against the sandbox behaving as the specifications, as Canvas and as Moodle.
pytestmark = pytest.mark.parametrize("lms", LMS_PROFILES, indirect=True)

LINK_PATH = re.compile(r"/links/(\d+)$")


def _link_id(response: requests.Response) -> int:
    match = LINK_PATH.search(response.url)
    assert match, f"launch did not land on a resource link page: {response.url}"
    return int(match.group(1))


def test_instructor_launch_lands_on_the_instructor_home_with_person_course_and_roles_stored(lms, session):
    response = launch_as(lms, "instructor-1")

    assert response.status_code == 200
    assert "Set up this peer assessment" in response.text
    assert "Demo course: Academic Writing" in response.text
    person = session.scalars(select(Person).where(Person.subject == "instructor-1")).one()
    assert person.name == "Ada Instructor" and person.email == "ada@example.edu"
    course = session.scalars(select(Course)).one()
    assert (course.context_id, course.label) == (lms.context_id, "DEMO101")
    enrollment = session.scalars(select(Enrollment)).one()
    assert enrollment.role is CourseRole.STAFF
    assert "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor" in enrollment.lti_roles


def test_student_launch_lands_on_the_student_home(lms, session):
    response = launch_as(lms, "student-1")

    assert response.status_code == 200
    assert "Not set up yet" in response.text
    assert "Set up this peer assessment" not in response.text
    enrollment = session.scalars(select(Enrollment)).one()
    assert enrollment.role is CourseRole.STUDENT


def test_the_resource_link_keeps_the_ags_and_nrps_claims_for_the_workers(lms, session):
    launch_as(lms, "student-2")

    link = session.scalars(select(ResourceLink)).one()
    assert link.resource_link_id == "sandbox-link-1"
    assert link.ags_claim["lineitem"].startswith(lms.sandbox.url)
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in link.ags_claim["scope"]
    assert link.nrps_claim["context_memberships_url"].startswith(lms.sandbox.url)


def test_a_second_page_opened_from_the_tool_still_knows_who_the_user_is(lms):
    browser = requests.Session()
    landing = launch_as(lms, "student-3", browser)

    page = browser.get(f"{lms.tool.url}/links/{_link_id(landing)}/me", timeout=10)

    assert page.status_code == 200
    student_name = re.search(r'id="my-name">([^<]+)<', page.text).group(1)
    assert student_name != "Unnamed participant"
    assert "Student" in page.text


def test_launching_again_updates_the_records_without_duplicating_them(lms, session):
    launch_as(lms, "student-1")
    before = row_counts(session)

    launch_as(lms, "student-1")

    after = row_counts(session)
    assert after | {"consumed_nonces": 0} == before | {"consumed_nonces": 0}
    assert after["consumed_nonces"] == before["consumed_nonces"] + 1


def test_staff_see_the_people_page_and_students_are_refused(lms):
    teacher, student = requests.Session(), requests.Session()
    link_id = _link_id(launch_as(lms, "instructor-1", teacher))
    launch_as(lms, "student-1", student)

    roster = teacher.get(f"{lms.tool.url}/links/{link_id}/people", timeout=10)
    refused = student.get(f"{lms.tool.url}/links/{link_id}/people", timeout=10)

    assert roster.status_code == 200 and "Ada Instructor" in roster.text and "Student" in roster.text
    assert refused.status_code == 403
    assert "instructors and teaching assistants" in refused.text


def test_a_browser_that_never_launched_cannot_open_a_resource_link(lms):
    link_id = _link_id(launch_as(lms, "instructor-1"))

    stranger = requests.get(f"{lms.tool.url}/links/{link_id}", timeout=10)

    assert stranger.status_code == 403
    assert "no launch for this activity" in stranger.text


def test_a_student_cannot_reach_another_link_by_changing_the_url(lms):
    browser = requests.Session()
    link_id = _link_id(launch_as(lms, "student-1", browser))

    response = browser.get(f"{lms.tool.url}/links/{link_id + 1}/me", timeout=10)

    assert response.status_code == 403


def test_a_replayed_id_token_is_refused_and_writes_nothing(lms, session):
    pending = begin_launch(lms, "student-4")
    # The replayer holds the state cookie too (the same browser, or a stolen one).
    state_cookie = {c.name: c.value for c in pending.browser.cookies if c.name.startswith("lti1p3-state-")}
    assert pending.post().status_code == 200
    before = row_counts(session)

    replay = requests.post(pending.launch_url, data=pending.fields, cookies=state_cookie, timeout=10)

    assert replay.status_code == 400
    assert "already used (replayed id_token)" in replay.text
    assert row_counts(session) == before
    assert session.scalars(select(ConsumedNonce)).one()


def test_the_tool_jwks_is_public_json(lms):
    response = requests.get(f"{lms.tool.url}/lti/jwks", timeout=10)

    assert response.status_code == 200
    key = response.json()["keys"][0]
    assert key["alg"] == "RS256" and key["kid"] and "d" not in key


def test_a_replay_racing_its_first_launch_past_the_read_is_refused_and_notes_no_launch_time(lms, session, monkeypatch):
    pending = begin_launch(lms, "student-4")
    state_cookie = {c.name: c.value for c in pending.browser.cookies if c.name.startswith("lti1p3-state-")}
    assert pending.post().status_code == 200
    launched_at = see_committed(session).scalar(select(Enrollment.last_launch_at).join(Person)
                                                .where(Person.subject == "student-4"))
    before = row_counts(session)
    # The replay's read ran before the first launch committed: it finds the nonce unused, and only the write that
    # consumes it (the one that also notes the launch time) meets the first launch's nonce.
    monkeypatch.setattr(hardening, "find_launch_registration",
                        lambda *args: replace(find_launch_registration(*args), nonce_used=False))

    replay = requests.post(pending.launch_url, data=pending.fields, cookies=state_cookie, timeout=10)

    assert replay.status_code == 400
    assert "already used (replayed id_token)" in replay.text
    assert row_counts(session) == before
    assert see_committed(session).scalar(select(Enrollment.last_launch_at).join(Person)
                                         .where(Person.subject == "student-4")) == launched_at
