"""No page a student can reach while reviewing or reading feedback betrays who wrote or reviewed the work."""

from __future__ import annotations

import re
from collections import deque

from sqlalchemy import select

from assessment.models import Person
from tests.support.rows import see_committed
from tests.support.visitor import Visitor
from tests.web.conftest import STUDENTS, review_everything

LINK = re.compile(r'href="(/links/\d+/[^"#?]*)"')


def _crawl(visitor: Visitor) -> dict[str, bytes]:
    """Every page and download reachable from the activity's home by following the tool's own links."""
    start = visitor.url("/links/{link}").removeprefix(visitor.lms.tool.url)
    seen: dict[str, bytes] = {}
    queue = deque([start])
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        response = visitor.browser.get(visitor.lms.tool.url + path, timeout=10)
        assert response.status_code == 200, (path, response.status_code)
        seen[path] = response.content + response.headers.get("Content-Disposition", "").encode()
        if response.headers.get("Content-Type", "").startswith("text/html"):
            queue.extend(link for link in LINK.findall(response.text) if link not in seen)
    return seen


def _identities(session, except_subject: str) -> list[str]:
    """What would name another student: name, email, LMS sub, the uploaded file's name and its PDF author."""
    people = see_committed(session).scalars(select(Person).where(Person.subject.in_(STUDENTS))).all()
    secrets = []
    for person in people:
        if person.subject != except_subject:
            secrets += [person.name, person.email, person.subject, f"{person.subject}_essay.pdf",
                        f"Author {person.subject}"]
    return [secret for secret in secrets if secret]




def test_no_page_reachable_while_reviewing_names_another_student(class_in_review, session):
    review_everything(class_in_review, session)
    reader = class_in_review["student-1"]

    pages = _crawl(reader)

    assert any("/reviews/" in path for path in pages) and any(path.endswith("/file") for path in pages)
    for secret in _identities(session, "student-1"):
        leaks = [path for path, body in pages.items() if secret.encode() in body]
        assert not leaks, f"{secret!r} appears on {leaks}"


def test_no_page_reachable_while_reading_feedback_names_a_reviewer(instructor, class_in_review, session):
    review_everything(class_in_review, session)
    instructor.post("/links/{link}/phase", {"phase": "released"})
    reader = class_in_review["student-2"]

    pages = _crawl(reader)

    assert any(path.endswith("/feedback") for path in pages)
    assert b"Reviewer 1" in pages[next(path for path in pages if path.endswith("/feedback"))]
    for secret in _identities(session, "student-2"):
        leaks = [path for path, body in pages.items() if secret.encode() in body]
        assert not leaks, f"{secret!r} appears on {leaks}"
