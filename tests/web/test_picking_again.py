"""Content picked again on a link that keeps its id (as Open edX does), through the sandbox LMS over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select

from assessment.assignment_settings import default_settings
from assessment.models import Assignment, Course, ResourceLink, Submission
from assessment.services import create_assignment
from tests.support.access import STAFF, VISITORS, observed_and_expected, visitor_of_kind
from tests.support.lms import auto_post_form
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text


def _pick(lms, title: str, link: str | None = None) -> str:
    """Pick a new peerlti activity in the sandbox (again for `link`, if given); the id of the link that opens it."""
    browser = requests.Session()
    login = browser.get(f"{lms.sandbox.url}/deep-link/instructor-1", params={"link": link} if link else None,
                        timeout=10)
    action, fields = auto_post_form(login.text)
    picker = browser.post(action, data=fields, timeout=10)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', picker.text)[1]
    answer = browser.post(picker.url, data={"csrf_token": csrf, "title": title, "points_possible": "10",
                                            "timezone": "UTC"}, timeout=10)
    return_url, fields = auto_post_form(answer.text)
    confirmation = browser.post(return_url, data=fields, timeout=10)
    assert confirmation.status_code == 200, confirmation.text[:300]
    return re.search(r"launch-as/student-1\?link=([\w-]+)", confirmation.text)[1]


def _launch(lms, user_id: str, link: str) -> Visitor:
    visitor = Visitor(lms, user_id)
    login = visitor.browser.get(f"{lms.sandbox.url}/launch/{user_id}?link={link}", timeout=10)
    action, fields = auto_post_form(login.text)
    landing = visitor.browser.post(action, data=fields, timeout=10)
    assert landing.status_code == 200, landing.text[:300]
    visitor.link_id = int(landing.url.split("?")[0].rsplit("/", 1)[1])
    visitor.landing = landing
    return visitor


def _placed(session) -> dict[str, int | None]:
    return {a.title: a.resource_link_id for a in see_committed(session).scalars(select(Assignment))}


def test_a_new_pick_on_the_same_link_opens_the_new_activity_and_tells_the_instructor(lms, session):
    link = _pick(lms, "Essay draft")
    _launch(lms, "instructor-1", link)

    assert _pick(lms, "Essay final", link) == link
    teacher = _launch(lms, "instructor-1", link)
    learner = _launch(lms, "student-1", link)

    assert "Essay final" in page_text(teacher.landing).split("Course")[0]
    assert "This link now opens “Essay final”" in page_text(teacher.landing)
    assert "“Essay draft”, which it opened before" in page_text(teacher.landing)
    assert "Essay final" in page_text(learner.landing) and "now opens" not in page_text(learner.landing)
    placed = _placed(session)
    assert placed["Essay final"] == teacher.link_id and placed["Essay draft"] is None


def test_a_new_pick_on_a_link_with_handed_in_work_is_asked_about_never_followed_silently(lms, session):
    link = _pick(lms, "Lab report")
    teacher = _launch(lms, "instructor-1", link)
    teacher.post("/links/{link}/phase", {"phase": "submission"})
    learner = _launch(lms, "student-1", link)
    assert learner.post("/links/{link}/submission", {"text": "My lab report."}).status_code == 200

    _pick(lms, "Lab report, second try", link)
    learner = _launch(lms, "student-1", link)
    teacher = _launch(lms, "instructor-1", link)

    assert "My lab report." in page_text(learner.landing)  # the student still sees the work they handed in
    question = page_text(teacher.landing)
    assert "The LMS asks this link to open “Lab report, second try”" in question
    assert _placed(session)["Lab report"] == teacher.link_id

    public_id = re.search(r'name="picked" value="([^"]+)"', teacher.landing.text)[1]
    refused = learner.post("/links/{link}/assignment/switch", {"picked": public_id})
    assert refused.status_code == 403
    assert _placed(session)["Lab report"] == teacher.link_id

    switched = teacher.post("/links/{link}/assignment/switch", {"picked": public_id})

    assert switched.status_code == 200 and "This link now opens “Lab report, second try”" in page_text(switched)
    placed = _placed(session)
    assert placed["Lab report, second try"] == teacher.link_id and placed["Lab report"] is None
    assert len(see_committed(session).scalars(select(Submission)).all()) == 1  # the earlier work is kept
    again = teacher.post("/links/{link}/assignment/switch", {"picked": public_id})
    assert again.status_code == 403 and "can no longer be opened here" in page_text(again)


def test_a_launch_naming_the_activity_the_link_already_opens_changes_nothing(lms, session):
    link = _pick(lms, "Poster")
    first = _launch(lms, "instructor-1", link)
    again = _launch(lms, "instructor-1", link)

    assert "now opens" not in page_text(again.landing) and "asks this link" not in page_text(again.landing)
    assert _placed(session) == {"Poster": first.link_id}


def test_the_sandbox_refuses_to_pick_again_for_a_link_it_never_added(lms):
    response = requests.get(f"{lms.sandbox.url}/deep-link/instructor-1", params={"link": "no-such-link"}, timeout=10)

    assert response.status_code == 404 and "no added resource link" in response.text


QUESTION = "The LMS asks this link to open “Lab report, second try”"


def _work_handed_in_then_picked_again(lms) -> tuple[str, Visitor, Visitor]:
    """A link whose activity has a student's work, and a newer pick for it in the LMS, not launched yet."""
    link = _pick(lms, "Lab report")
    teacher = _launch(lms, "instructor-1", link)
    teacher.post("/links/{link}/phase", {"phase": "submission"})
    learner = _launch(lms, "student-1", link)
    assert learner.post("/links/{link}/submission", {"text": "My lab report."}).status_code == 200
    _pick(lms, "Lab report, second try", link)
    return link, teacher, learner


def test_staff_coming_back_without_a_new_launch_are_asked_about_the_newer_pick_on_their_pages_until_they_answer(
        lms, session):
    link, teacher, learner = _work_handed_in_then_picked_again(lms)
    _launch(lms, "student-1", link)  # the first launch carrying the newer pick is a student's

    home = teacher.get("/links/{link}")  # the instructor's tab from before the pick: no new launch
    grades = teacher.get("/links/{link}/grades")
    again = teacher.get("/links/{link}")

    assert QUESTION in page_text(home) and QUESTION in page_text(again)
    assert "“Lab report, second try” was picked for this link in the LMS" in page_text(grades)
    assert f'href="/links/{teacher.link_id}#waiting-pick"' in grades.text
    assert "was picked for this link" not in page_text(learner.get("/links/{link}"))
    assert _placed(session)["Lab report"] == teacher.link_id


def test_staff_who_keep_the_current_activity_are_not_asked_again_until_content_is_picked_anew(lms, session):
    link, teacher, learner = _work_handed_in_then_picked_again(lms)
    teacher = _launch(lms, "instructor-1", link)
    public_id = re.search(r'name="picked" value="([^"]+)"', teacher.landing.text)[1]

    refused = learner.post("/links/{link}/assignment/keep", {"picked": public_id})
    assert refused.status_code == 403 and QUESTION in page_text(teacher.get("/links/{link}"))
    kept = teacher.post("/links/{link}/assignment/keep", {"picked": public_id})

    assert kept.status_code == 200 and "“Lab report” stays open at this link" in page_text(kept)
    assert QUESTION not in page_text(kept) and QUESTION not in page_text(teacher.get("/links/{link}/grades"))
    assert QUESTION not in page_text(_launch(lms, "instructor-1", link).landing)  # the LMS still sends that pick
    assert _placed(session)["Lab report"] == teacher.link_id
    again = teacher.post("/links/{link}/assignment/keep", {"picked": public_id})
    assert again.status_code == 403 and "There is no newer pick waiting" in page_text(again)
    _pick(lms, "Lab report, third try", link)
    _launch(lms, "student-1", link)
    assert "The LMS asks this link to open “Lab report, third try”" in page_text(teacher.get("/links/{link}"))


@pytest.mark.parametrize("kind", VISITORS)
def test_only_the_courses_staff_may_keep_the_current_activity_over_a_waiting_pick(lms, instructor, session, kind):
    link = see_committed(session).scalars(select(ResourceLink)).one()
    course = session.get(Course, link.course_id)
    newer = create_assignment(session, course.id, default_settings("Essay 2", datetime.now(UTC), 10))
    link.waiting_pick = newer.public_id
    session.commit()
    visitor = visitor_of_kind(lms, kind, instructor.link_id)
    routes = [("POST", "/links/{link}/assignment/keep", {"picked": newer.public_id}, 200, 403)]

    observed, expected = observed_and_expected(visitor, VISITORS[kind], routes, {}, instructor)

    assert observed == expected
    kept = VISITORS[kind] == STAFF
    assert see_committed(session).get(ResourceLink, link.id).waiting_pick == (None if kept else newer.public_id)
