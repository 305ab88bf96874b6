"""The roster comes from the LMS (NRPS): students who never launched appear, with their roles."""

from __future__ import annotations

from sqlalchemy import select

from assessment.models import Course, CourseRole, Enrollment, Person
from lti_tool.roster import apply_roster
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text


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
