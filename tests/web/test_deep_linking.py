"""Creating the activity from the LMS's content picker (Deep Linking 2.0), through the sandbox over HTTP."""

from __future__ import annotations

import re

import jwt
import pytest
import requests
from sqlalchemy import select

from assessment.models import Assignment
from lti_tool.key_vault import KeyVault
from lti_tool.registry import ToolKey
from tests.conftest import LMS_PROFILES
from tests.support.lms import auto_post_form
from tests.support.rows import row_counts, see_committed
from tests.support.tokens import CLAIM, sign_token
from tests.support.visitor import Visitor, page_text

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def _open_picker(lms, user_id: str = "instructor-1") -> tuple[requests.Session, requests.Response]:
    """Press 'Add an activity with peerlti' in the sandbox and follow the launch into the tool."""
    browser = requests.Session()
    login = browser.get(f"{lms.sandbox.url}/deep-link/{user_id}", timeout=10)
    action, fields = auto_post_form(login.text)
    return browser, browser.post(action, data=fields, timeout=10)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]


@pytest.mark.parametrize("lms", LMS_PROFILES, indirect=True)
def test_an_instructor_creates_an_assignment_through_the_content_picker_and_the_lms_adds_it(lms, session):
    browser, picker = _open_picker(lms)
    assert picker.status_code == 200 and "Add a peer assessment" in picker.text

    answer = browser.post(picker.url, data={"csrf_token": _csrf(picker.text), "title": "Lab report review",
                                            "points_possible": "20", "timezone": "America/Chicago"}, timeout=10)
    return_url, fields = auto_post_form(answer.text)
    message = jwt.decode(fields["JWT"], options={"verify_signature": False})
    (item,) = message[DL + "content_items"]
    confirmation = browser.post(return_url, data=fields, timeout=10)

    assignment = see_committed(session).scalars(select(Assignment)).one()
    assert (assignment.title, assignment.points_possible, assignment.timezone) == ("Lab report review", 20,
                                                                                    "America/Chicago")
    assert item["lineItem"] == {"scoreMaximum": 20.0, "label": "Lab report review",
                                "resourceId": assignment.public_id, "tag": "peerlti"}
    assert item["custom"] == {"peerlti_assignment": assignment.public_id}
    assert message[DL + "data"] is not None
    assert confirmation.status_code == 200 and "Lab report review" in page_text(confirmation)
    gradebook = page_text(requests.get(f"{lms.sandbox.url}/gradebook", timeout=10))
    assert "Lab report review" in gradebook


@pytest.mark.parametrize("lms", LMS_PROFILES, indirect=True)
def test_the_first_launch_of_the_new_link_opens_the_assignment_it_created(lms, session):
    browser, picker = _open_picker(lms)
    answer = browser.post(picker.url, data={"csrf_token": _csrf(picker.text), "title": "Poster critique",
                                            "points_possible": "10", "timezone": "UTC"}, timeout=10)
    return_url, fields = auto_post_form(answer.text)
    confirmation = browser.post(return_url, data=fields, timeout=10)
    new_link = re.search(r"launch-as/student-1\?link=([\w-]+)", confirmation.text)[1]

    teacher = Visitor(lms, "instructor-1")
    landing = _follow_launch(teacher, new_link)
    learner = requests.Session()
    before_opening = _launch_link(lms, learner, "student-1", new_link)
    teacher.link_id = int(landing.url.rsplit("/", 1)[1])
    teacher.post("/links/{link}/phase", {"phase": ""})
    student_page = _launch_link(lms, learner, "student-1", new_link)

    assert "Poster critique" in page_text(landing) and "Settings and dates" in landing.text
    assert "Opens when your instructor opens it" in page_text(before_opening)
    assert "Hand in your work" in page_text(student_page)
    assignment = see_committed(session).scalars(select(Assignment)).one()
    assert assignment.resource_link_id is not None


def _launch_link(lms, browser: requests.Session, user_id: str, link: str) -> requests.Response:
    login = browser.get(f"{lms.sandbox.url}/launch/{user_id}?link={link}", timeout=10)
    action, fields = auto_post_form(login.text)
    return browser.post(action, data=fields, timeout=10)


def _follow_launch(visitor: Visitor, link: str) -> requests.Response:
    return _launch_link(visitor.lms, visitor.browser, visitor.user_id, link)


def test_cancelling_the_picker_returns_no_item_and_creates_nothing(lms, session):
    browser, picker = _open_picker(lms)
    counts = row_counts(session)

    cancel_url = lms.tool.url + re.search(r'action="(/deep-linking/[^"]+/cancel)"', picker.text)[1]
    answer = browser.post(cancel_url, data={"csrf_token": _csrf(picker.text)}, timeout=10)
    _, fields = auto_post_form(answer.text)

    message = jwt.decode(fields["JWT"], options={"verify_signature": False})
    assert message[DL + "content_items"] == []
    after = row_counts(session)
    assert after.pop("assignments") == counts.pop("assignments") == 0


def test_a_student_cannot_open_the_content_picker(lms, session):
    # The sandbox refuses to start it for a student; a request that says Learner reaches the tool's own check.
    assert requests.get(f"{lms.sandbox.url}/deep-link/student-1", timeout=10).status_code == 403
    browser = requests.Session()
    login = browser.get(f"{lms.sandbox.url}/deep-link/instructor-1", timeout=10)
    action, fields = auto_post_form(login.text)
    claims = jwt.decode(fields["id_token"], options={"verify_signature": False})
    claims[CLAIM + "roles"] = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    counts = row_counts(session)

    response = browser.post(action, data=fields | {"id_token": sign_token(
        lms, claims, jwt.get_unverified_header(fields["id_token"]))}, timeout=10)

    assert response.status_code == 403 and "Only the course's instructors" in page_text(response)
    assert row_counts(session) == counts


def test_a_picker_request_cannot_be_answered_twice_or_by_another_browser(lms, session):
    browser, picker = _open_picker(lms)
    form = {"csrf_token": _csrf(picker.text), "title": "Once", "points_possible": "5", "timezone": "UTC"}
    assert browser.post(picker.url, data=form, timeout=10).status_code == 200

    again = browser.post(picker.url, data=form, timeout=10)
    stranger = requests.get(picker.url, timeout=10)

    assert again.status_code == 403 and "already answered" in page_text(again)
    assert stranger.status_code == 403
    assert len(see_committed(session).scalars(select(Assignment)).all()) == 1


def test_a_bad_title_in_the_picker_gets_a_message_and_creates_nothing(lms, session):
    browser, picker = _open_picker(lms)

    response = browser.post(picker.url, data={"csrf_token": _csrf(picker.text), "title": "",
                                              "points_possible": "-3", "timezone": "UTC"}, timeout=10)

    assert response.status_code == 400 and 'class="error"' in response.text
    assert see_committed(session).scalars(select(Assignment)).all() == []


def test_a_tool_key_the_secret_key_cannot_decrypt_gets_a_page_saying_what_an_administrator_must_do(lms, session):
    browser, picker = _open_picker(lms)  # logins and launches never need the tool's private key
    key = session.scalars(select(ToolKey)).one()
    key.encrypted_private_key = KeyVault("another-secret-key-than-the-running-tool-has-0123").encrypt("a key")
    session.commit()

    answer = browser.post(picker.url, data={"csrf_token": _csrf(picker.text), "title": "Lab report review",
                                            "points_possible": "20", "timezone": "UTC"}, timeout=10)

    assert answer.status_code == 503
    assert "SECRET_KEY_PREVIOUS" in page_text(answer) and "peerlti keys reencrypt" in page_text(answer)
    assert see_committed(session).scalars(select(Assignment)).all() == []
