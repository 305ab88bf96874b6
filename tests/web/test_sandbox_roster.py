"""The sandbox LMS's roster: someone enrols a student while the course runs, who then launches and is in the
membership the tool reads; a bad enrolment is refused and adds nobody."""

from __future__ import annotations

from html import unescape

import pytest

from sandbox.app import create_sandbox_app
from sandbox.runtime import EXTENSION_KEY
from tests.support.sandbox_setup import new_tool_key, sandbox_config


@pytest.fixture
def sandbox(tmp_path):
    return create_sandbox_app(sandbox_config(tmp_path, new_tool_key()))


def _enrol(client, given: str = "Grace", family: str = "Hopper", email: str = "grace.hopper@example.edu"):
    return client.post("/roster", data={"given_name": given, "family_name": family, "email": email})


def test_a_student_enrolled_on_the_roster_page_is_listed_can_launch_and_is_a_learner_of_the_course(sandbox):
    client = sandbox.test_client()

    enrolled = _enrol(client)

    assert enrolled.status_code == 303 and enrolled.headers["Location"].endswith("/roster")
    course = sandbox.extensions[EXTENSION_KEY].course
    grace = course.person("student-7")  # the demo course has six students
    assert grace is not None and grace.name == "Grace Hopper" and grace.email == "grace.hopper@example.edu"
    assert grace.is_learner and not grace.is_staff and len(course.learners) == 7
    roster = client.get("/roster").get_data(as_text=True)
    assert "Grace Hopper" in roster and "<code>student-7</code>" in roster and "7 students" in roster
    assert roster.count('id="enrol"') == 1 and "<title>Roster · " in roster
    assert client.get("/course/launch-as/student-7").status_code == 200
    assert "Grace Hopper" in client.get("/").get_data(as_text=True)


def test_students_enrolled_one_after_another_get_the_next_numbers(sandbox):
    client = sandbox.test_client()

    _enrol(client)
    _enrol(client, "Alan", "Turing", "alan.turing@example.edu")

    course = sandbox.extensions[EXTENSION_KEY].course
    assert [person.user_id for person in course.learners][-2:] == ["student-7", "student-8"]
    assert course.person("student-8").name == "Alan Turing"


@pytest.mark.parametrize(("given", "family", "email", "problem"), [
    ("", "Hopper", "grace.hopper@example.edu", "Give the student's given and family names."),
    ("Grace", "  ", "grace.hopper@example.edu", "Give the student's given and family names."),
    ("Grace", "Hopper", "grace.hopper", "Give an e-mail address such as name@example.edu."),
    ("Grace", "Hopper", "amara.okafor@example.edu", "Someone in the course already has this e-mail address."),
    ("Grace", "Hopper", "AMARA.OKAFOR@example.edu", "Someone in the course already has this e-mail address."),
    ("G" * 101, "Hopper", "grace.hopper@example.edu", "Names and the e-mail address are at most 100 characters."),
])
def test_an_enrolment_without_a_name_or_a_usable_new_address_is_refused_and_adds_nobody(sandbox, given, family, email,
                                                                                       problem):
    client = sandbox.test_client()

    refused = _enrol(client, given, family, email)

    assert refused.status_code == 400 and problem in unescape(refused.get_data(as_text=True))
    assert len(sandbox.extensions[EXTENSION_KEY].course.learners) == 6


@pytest.mark.parametrize(("given", "family", "email"), [
    ("Gr\x00ace", "Hopper", "grace.hopper@example.edu"),
    ("Grace", "Hop\x1bper", "grace.hopper@example.edu"),
    ("Grace", "Hopper", "grace.hopper@example.edu\x7f"),
])
def test_an_enrolment_with_control_characters_is_refused_and_adds_nobody(sandbox, given, family, email):
    client = sandbox.test_client()

    refused = _enrol(client, given, family, email)

    assert refused.status_code == 400
    assert "Names and the e-mail address cannot hold control characters" in unescape(refused.get_data(as_text=True))
    assert len(sandbox.extensions[EXTENSION_KEY].course.learners) == 6
