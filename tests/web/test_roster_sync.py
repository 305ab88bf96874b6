"""The roster comes from the LMS (NRPS): students who never launched appear, with their roles."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.db import make_session_factory
from assessment.models import Course, CourseRole, Enrollment, Person, ResourceLink
from lti_tool.roster import apply_roster
from tests.conftest import LMS_PROFILES, make_settings
from tests.support.concurrency import all_at_once_in_sessions, errors_among
from tests.support.faults import refuse_roster
from tests.support.lms import start_lms
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text


@pytest.mark.parametrize("lms", LMS_PROFILES, indirect=True)
def test_syncing_the_roster_brings_every_student_and_the_ta_even_those_who_never_launched(lms, instructor, session):
    response = instructor.post("/links/{link}/people/sync", {})

    assert "Roster synced" in page_text(response)
    rows = see_committed(session).execute(select(Person.subject, Enrollment.role)
                                          .join(Enrollment, Enrollment.person_id == Person.id)).all()
    roles = dict(rows)
    assert {f"student-{n}" for n in range(1, 7)} <= set(roles)
    assert roles["student-4"] is CourseRole.STUDENT and roles["ta-1"] is CourseRole.STAFF
    assert "Chloé Dubois" in page_text(response)


def test_syncing_twice_adds_nobody_twice(lms, instructor, session):
    instructor.post("/links/{link}/people/sync", {})
    first = len(see_committed(session).scalars(select(Enrollment)).all())

    instructor.post("/links/{link}/people/sync", {})

    assert len(see_committed(session).scalars(select(Enrollment)).all()) == first


def test_students_cannot_sync_the_roster(lms, instructor):
    student = Visitor(lms, "student-1")
    student.launch()

    assert student.post("/links/{link}/people/sync", {}).status_code == 403


def test_mentors_observers_and_roleless_members_of_the_roster_are_not_enrolled(lms, instructor, session):
    course = see_committed(session).scalars(select(Course)).one()
    lis = "http://purl.imsglobal.org/vocab/lis/v2/"
    members = [{"user_id": "parent-1", "roles": [lis + "membership#Mentor"]},
               {"user_id": "observer-1", "roles": [lis + "membership/Manager#Observer"]},
               {"user_id": "nobody-1", "roles": []},
               {"user_id": "learner-9", "roles": [lis + "membership#Learner"]}]

    apply_roster(session, course, members)
    session.commit()

    enrolled = set(see_committed(session).scalars(
        select(Person.subject).join(Enrollment, Enrollment.person_id == Person.id)))
    assert "learner-9" in enrolled and not enrolled & {"parent-1", "observer-1", "nobody-1"}



def test_members_whose_user_id_cannot_be_kept_are_left_out_and_the_rest_enrolled(lms, instructor, session):
    course = see_committed(session).scalars(select(Course)).one()
    learner = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    members = [{"user_id": "learner\x00-1", "roles": learner}, {"user_id": "l" * 256, "roles": learner},
               {"user_id": 12345, "roles": learner}, {"user_id": "learner-2", "roles": learner}]

    apply_roster(session, course, members)
    session.commit()

    enrolled = set(see_committed(session).scalars(
        select(Person.subject).join(Enrollment, Enrollment.person_id == Person.id)))
    assert {"learner-2", "12345"} <= enrolled and not enrolled & {"learner\x00-1", "l" * 256}

@pytest.fixture
def lms(session, tmp_path, database_url, sandbox_instance):
    """As the suite's, with a 2-second timeout for calls to the LMS, so that a platform that hangs is quick to test."""
    running = start_lms(session, lambda url: make_settings(tmp_path, database_url, url, HTTP_TIMEOUT_SECONDS="2"),
                        sandbox_instance)
    yield running
    running.stop()


# The body a refusing LMS sent: neither its internals nor its words reach the instructor's page.
REMOTE_BODY = json.dumps({"error": "forbidden", "error_description": "Course 4711 on db-7.internal exceeds limit",
                          "trace": "at moodle/lib/nrps.php:812"})


@pytest.mark.parametrize(("status", "meaning"), [
    (401, "did not accept peerlti's credentials"),
    (403, "refused to give peerlti this course's roster"),
    (404, "no longer knows this course's roster address"),
    (409, "could not answer"),
    (422, "could not answer"),
    (429, "limiting how often"),
    (500, "had an error"),
    (503, "had an error"),
])
def test_a_refused_roster_says_what_the_lms_answered_and_stores_nothing(lms, instructor, session, status, meaning):
    before = len(see_committed(session).scalars(select(Enrollment)).all())
    refuse_roster(lms, status, REMOTE_BODY)

    response = instructor.post("/links/{link}/people/sync", {})

    assert response.status_code == 502
    text = page_text(response)
    assert f"HTTP {status}" in text and meaning in text and "Nothing was changed" in text
    assert "4711" not in text and "db-7.internal" not in text and "nrps.php" not in text
    assert len(see_committed(session).scalars(select(Enrollment)).all()) == before


def test_a_roster_the_lms_does_not_answer_in_time_is_reported_and_stores_nothing(lms, instructor, session):
    before = len(see_committed(session).scalars(select(Enrollment)).all())
    refuse_roster(lms, 200, "{}", delay=3)

    response = instructor.post("/links/{link}/people/sync", {})

    assert response.status_code == 502
    assert "did not answer" in page_text(response) and "Try again" in page_text(response)
    assert len(see_committed(session).scalars(select(Enrollment)).all()) == before


def test_after_a_refusal_the_people_page_still_works_and_a_later_sync_succeeds(lms, instructor, session):
    faulty = refuse_roster(lms, 403, REMOTE_BODY)
    instructor.post("/links/{link}/people/sync", {})
    faulty.roster_fault = None

    response = instructor.post("/links/{link}/people/sync", {})

    assert "Roster synced" in page_text(response)


def test_a_roster_refused_on_its_second_page_stores_nothing_of_the_first(lms, instructor, session):
    link = session.scalars(select(ResourceLink)).one()
    link.nrps_claim = link.nrps_claim | {"context_memberships_url": link.nrps_claim["context_memberships_url"] + "?limit=2"}
    session.commit()
    before = see_committed(session).execute(select(Person.subject)).scalars().all()
    assert "ta-1" not in before, "the first page (instructor-1, ta-1) brings someone new"
    refuse_roster(lms, 500, REMOTE_BODY, page=2)

    response = instructor.post("/links/{link}/people/sync", {})

    assert response.status_code == 502 and "HTTP 500" in page_text(response)
    assert see_committed(session).execute(select(Person.subject)).scalars().all() == before


def test_a_roster_address_the_tool_may_not_reach_is_refused_without_a_request(lms, instructor, session):
    link = session.scalars(select(ResourceLink)).one()
    link.nrps_claim = link.nrps_claim | {"context_memberships_url": "http://169.254.169.254/latest/meta-data/"}
    session.commit()

    response = instructor.post("/links/{link}/people/sync", {})

    assert response.status_code == 502
    assert "does not connect to" in page_text(response) and "Nothing was changed" in page_text(response)


def _sync_in_a_worker(lms, session) -> None:
    """As a worker does with a broker: after the instructor's page has already answered "started"."""
    link_id = see_committed(session).scalars(select(ResourceLink.id)).one()
    lms.tool.app.extensions["peerlti.celery"].tasks["peerlti.sync_roster"].apply(args=[link_id])


def test_a_roster_the_lms_refused_to_a_worker_is_shown_on_the_people_page(lms, instructor, session):
    refuse_roster(lms, 403, REMOTE_BODY)

    _sync_in_a_worker(lms, session)

    text = page_text(instructor.get("/links/{link}/people"))
    assert "HTTP 403" in text and "refused to give peerlti this course's roster" in text
    assert "4711" not in text and "db-7.internal" not in text


def test_a_roster_a_worker_synced_is_shown_with_how_many_people_it_brought(lms, instructor, session):
    _sync_in_a_worker(lms, session)

    text = page_text(instructor.get("/links/{link}/people"))
    assert "Last roster sync" in text and "people added" in text and "refused" not in text


def test_two_syncs_of_the_same_course_at_once_raise_nothing_and_enrol_everyone_once(lms, instructor, session, engine):
    course_id = see_committed(session).scalars(select(Course.id)).one()
    lis = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    members = [{"user_id": f"learner-{n}", "roles": [lis], "name": f"Learner {n}"} for n in range(40)]
    factory = make_session_factory(engine)

    def sync(own: Session, course_id: int) -> None:
        apply_roster(own, own.get(Course, course_id), members)
        own.commit()

    outcomes = all_at_once_in_sessions(factory, [course_id] * 2, sync)

    assert errors_among(outcomes) == []
    subjects = see_committed(session).scalars(select(Person.subject).join(Enrollment, Enrollment.person_id == Person.id)
                                              .where(Person.subject.like("learner-%"))).all()
    assert sorted(subjects) == sorted(m["user_id"] for m in members)


def test_last_opened_is_a_real_launch_never_the_roster_sync(lms, instructor, session):
    Visitor(lms, "student-1").launch()

    page = instructor.post("/links/{link}/people/sync", {})

    opened = dict(see_committed(session).execute(select(Person.subject, Enrollment.last_launch_at)
                                                 .join(Enrollment, Enrollment.person_id == Person.id)).all())
    assert opened["student-4"] is None and opened["ta-1"] is None
    assert opened["student-1"] is not None and opened["instructor-1"] is not None
    rows = {cells[0]: cells[-1] for cells in (re.findall(r"<td>([^<]*)</td>", row)
                                              for row in re.findall(r"<tr>(.*?)</tr>", page.text, re.DOTALL)) if cells}
    assert sum(last == "never" for last in rows.values()) >= 4
    # In the assignment's time zone (Europe/Paris), as every other date of the course.
    assert all(last == "never" or last.endswith(("CET", "CEST")) for last in rows.values()), rows
