"""Staff read each student's work, text and files, from the roster and the dashboard; nobody else can."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from assessment.models import Person, Submission
from tests.support.access import VISITORS, observed_and_expected, visitor_of_kind
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text


def _author(session, user: str) -> Person:
    return see_committed(session).scalars(select(Person).where(Person.subject == user)).one()


def test_every_roster_row_links_to_the_students_work_and_the_page_shows_its_text_and_file(instructor,
                                                                                       class_in_review, session):
    author = _author(session, "student-2")
    roster = instructor.get("/links/{link}/submissions")
    work_paths = set(re.findall(r'href="(/links/\d+/students/\d+/work)"', roster.text))

    work = instructor.get(f"/links/{{link}}/students/{author.id}/work")
    download = re.search(r'href="(/links/\d+/files/\d+)"', work.text)[1]
    file = instructor.browser.get(instructor.lms.tool.url + download, timeout=10)

    assert len(work_paths) == 4  # every student who opened the activity
    assert f"/links/{instructor.link_id}/students/{author.id}/work" in work_paths
    assert work.status_code == 200 and "Work of Ben Carter" in page_text(work)
    assert "An essay about peer review." in page_text(work)
    assert file.status_code == 200 and file.content.startswith(b"%PDF")
    assert "attachment" in file.headers["Content-Disposition"]


def test_every_dashboard_row_of_work_handed_in_links_to_it(instructor, class_in_review, session):
    dashboard = instructor.get("/links/{link}")

    linked = set(re.findall(r'href="/links/\d+/students/(\d+)/work"', dashboard.text))

    authors = see_committed(session).scalars(select(Submission.author_id)).all()
    assert linked == {str(author) for author in authors} and len(linked) == 4


def test_a_roster_row_without_work_links_to_a_page_saying_so(lms, instructor, class_in_review, session):
    Visitor(lms, "student-5").launch()  # a student who opened the activity but handed nothing in
    elena = _author(session, "student-5")

    roster = instructor.get("/links/{link}/submissions")
    work = instructor.get(f"/links/{{link}}/students/{elena.id}/work")

    assert f"/students/{elena.id}/work" in roster.text
    assert work.status_code == 200 and "Elena Rossi has not handed in any work yet" in page_text(work)


def test_only_students_of_the_course_have_a_work_page(instructor, class_in_review, session):
    teacher = _author(session, "instructor-1")

    for person_id in (teacher.id, 999999):
        assert instructor.get(f"/links/{{link}}/students/{person_id}/work").status_code == 404


ROUTES = [("GET", "/links/{link}/students/{author}/work", None, 200, 403)]


@pytest.mark.parametrize("kind", VISITORS)
def test_a_students_work_page_opens_for_course_staff_only(lms, instructor, class_in_review, session, kind):
    other = _author(session, "student-2")
    visitor = class_in_review["student-1"] if kind == "student" else visitor_of_kind(lms, kind, instructor.link_id)

    observed, expected = observed_and_expected(visitor, VISITORS[kind], ROUTES, {"author": other.id}, instructor)

    assert observed == expected
    if kind == "student":  # not even their own work through the staff page: theirs is on their home
        own = _author(session, "student-1")
        assert visitor.get(f"/links/{{link}}/students/{own.id}/work").status_code == 403
