"""Valid launches in every shape a certification suite sends, and what they provision."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assessment.models import Course, CourseRole, Enrollment, Person
from lti_tool.registry import Deployment, Platform
from tests.support.rows import see_committed
from tests.support.tokens import CLAIM, genuine_launch, sign_token
from tests.support.visitor import Visitor

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


def _launch_with(lms, change, user="student-1"):
    pending, claims, header = genuine_launch(lms, user)
    change(claims)
    return pending.post(id_token=sign_token(lms, claims, header))


@pytest.mark.parametrize(("roles", "expected"), [
    ([LIS + "membership#Instructor", LIS + "membership#Learner"], CourseRole.STAFF),
    (["Instructor"], CourseRole.STAFF),
    (["Learner"], CourseRole.STUDENT),
    ([LIS + "membership/Learner#NonCreditLearner"], CourseRole.STUDENT),
], ids=["several roles", "deprecated short role", "deprecated short learner", "learner sub-role"])
def test_roles_in_any_valid_form_give_the_right_rights(lms, session, roles, expected):
    response = _launch_with(lms, lambda c: c.update({CLAIM + "roles": roles}))

    assert response.status_code == 200
    assert session.scalars(select(Enrollment)).one().role is expected


NO_PART = {
    "mentor": [LIS + "membership#Mentor"],
    "observer": [LIS + "membership/Manager#Observer"],
    "guest": [LIS + "institution/person#Guest"],
    "prospective student": [LIS + "institution/person#ProspectiveStudent"],
    "empty roles": [],
    "unknown role": ["http://example.com/vocab#Wizard"],
}


@pytest.mark.parametrize("roles", NO_PART.values(), ids=NO_PART.keys())
def test_a_launch_without_a_learner_or_staff_role_gets_a_page_saying_it_has_no_part_and_enrolls_no_one(
        lms, session, roles):
    response = _launch_with(lms, lambda c: c.update({CLAIM + "roles": roles}))

    assert response.status_code == 403
    assert "no part in this activity" in response.text and "see no one" in response.text
    assert session.scalars(select(Enrollment)).all() == []


def test_a_mentor_refused_at_launch_opens_no_student_page(lms, session, class_in_review):
    pending, claims, header = genuine_launch(lms, "student-5")
    claims[CLAIM + "roles"] = [LIS + "membership#Mentor"]
    refused = pending.post(id_token=sign_token(lms, claims, header))
    mentor = Visitor(lms, "student-5", browser=pending.browser, link_id=class_in_review["student-1"].link_id)

    pages = [mentor.get("/links/{link}"), mentor.get("/links/{link}/me"),
             mentor.post("/links/{link}/reviews/next", {}, csrf=False)]

    assert refused.status_code == 403
    assert [page.status_code for page in pages] == [403, 403, 400]
    assert "An essay about peer review" not in "".join(page.text for page in pages)


def test_a_learner_refused_later_as_a_mentor_loses_the_student_access_of_every_earlier_launch_until_a_learner_launch(
        lms, session, class_in_review):
    learner = class_in_review["student-4"]  # launched as a learner and handed in work
    other_browser = Visitor(lms, "student-4")
    other_browser.launch()
    pending, claims, header = genuine_launch(lms, "student-4", learner.browser)
    claims[CLAIM + "roles"] = [LIS + "membership#Mentor"]

    refused = pending.post(id_token=sign_token(lms, claims, header))
    pages = [learner.get("/links/{link}"), other_browser.get("/links/{link}"), other_browser.get("/links/{link}/me"),
             other_browser.post("/links/{link}/reviews/next", {})]

    assert refused.status_code == 403
    assert [page.status_code for page in pages] == [403, 403, 403, 403]
    assert "You no longer take part in this course" in other_browser.get("/links/{link}").text
    assert "An essay about peer review" not in "".join(page.text for page in pages)
    person = see_committed(session).scalars(select(Person).where(Person.subject == "student-4")).one()
    assert session.scalars(select(Enrollment).where(Enrollment.person_id == person.id)).all() == []

    again = learner.launch()  # the LMS makes them a learner again: their work is theirs again
    assert "An essay about peer review" in again.text
    assert session.scalars(select(Enrollment.role).where(Enrollment.person_id == person.id)).all() == [
        CourseRole.STUDENT]


@pytest.mark.parametrize(("assistants_are_staff", "expected"), [(False, CourseRole.STUDENT), (True, CourseRole.STAFF)])
def test_a_learner_who_is_also_a_teaching_assistant_is_a_student_unless_the_platform_says_staff(
        lms, session, assistants_are_staff, expected):
    platform = session.scalars(select(Platform)).one()
    platform.learner_assistants_are_staff = assistants_are_staff
    session.commit()

    response = _launch_with(lms, lambda c: c.update({CLAIM + "roles": [
        LIS + "membership#Learner", LIS + "membership/Instructor#TeachingAssistant"]}))

    assert response.status_code == 200
    assert session.scalars(select(Enrollment)).one().role is expected


def test_a_launch_with_no_personal_data_still_works(lms, session):
    def anonymous(claims):
        for field in ("name", "given_name", "family_name", "email"):
            claims.pop(field, None)

    response = _launch_with(lms, anonymous)

    assert response.status_code == 200
    person = session.scalars(select(Person)).one()
    assert (person.name, person.email) == (None, None)


def test_a_launch_with_email_only_uses_the_email_as_the_name_shown(lms, session):
    def email_only(claims):
        for field in ("name", "given_name", "family_name"):
            claims.pop(field, None)

    _launch_with(lms, email_only)

    assert session.scalars(select(Person)).one().display_name.endswith("@example.edu")


def test_a_launch_without_a_context_gets_a_course_of_its_own_resource_link(lms, session):
    response = _launch_with(lms, lambda c: c.pop(CLAIM + "context"))

    assert response.status_code == 200
    course = session.scalars(select(Course)).one()
    assert course.context_id == "resource-link:sandbox-link-1"
    assert course.title == "Peer review: Essay 1"


def test_lms_supplied_text_is_escaped_on_the_page(lms, session):
    def hostile(claims):
        claims[CLAIM + "context"]["title"] = "<script>alert('course')</script>"
        claims["name"] = "<img src=x onerror=alert(1)>"

    response = _launch_with(lms, hostile, user="instructor-1")

    assert response.status_code == 200
    assert "<script>alert" not in response.text and "&lt;script&gt;alert" in response.text


def test_a_platform_that_accepts_new_deployments_records_them_on_launch(lms, session):
    platform = session.scalars(select(Platform)).one()
    platform.accept_new_deployments = True
    session.commit()

    response = _launch_with(lms, lambda c: c.update({CLAIM + "deployment_id": "canvas-install-42"}))

    assert response.status_code == 200
    assert "canvas-install-42" in session.scalars(select(Deployment.deployment_id)).all()


def test_a_platform_whose_keys_cannot_be_fetched_gets_a_page_asking_to_retry(lms, session):
    platform = session.scalars(select(Platform)).one()
    platform.key_set_url = "http://127.0.0.1:9/jwks"  # the discard port: nothing listens
    session.commit()
    pending, _, _ = genuine_launch(lms)

    response = pending.post()

    assert response.status_code == 502
    assert "could not be fetched" in response.text and "Try again shortly" in response.text
    assert session.scalars(select(Person)).all() == []
