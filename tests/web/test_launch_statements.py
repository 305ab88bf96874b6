"""What a launch costs the database: a returning person's launch stays within a small, fixed number of statements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta

import requests
from sqlalchemy import event, func, select

from assessment.models import Assignment, Enrollment, Extension, Person, ResourceLink
from lti_tool.database import EXTENSION
from lti_tool.launch.replay import ConsumedNonce
from tests.support.lms import RunningLMS, auto_post_form
from tests.support.rows import see_committed
from tests.support.tokens import CLAIM, genuine_launch, sign_token

# Where the launch's statements go for a person the tool already knows: one read of the registration, deployment,
# nonce, person, course, enrollment and link, then the nonce consumed and the enrollment's last launch noted (one
# statement on PostgreSQL, two on SQLite); a link that names its activity adds the reads of its placement.
RETURNING_LAUNCH_STATEMENTS = 6


def _returning_launch(lms: RunningLMS) -> int:
    """The statements of a returning person's launch of a plain link."""
    return 2 if _engine(lms).dialect.name == "postgresql" else 3


def _engine(lms: RunningLMS):
    return lms.tool.app.extensions[EXTENSION].kw["bind"]
# A first launch: the same read, then one insert per new row (person, course, enrollment, resource link, nonce).
FIRST_LAUNCH_STATEMENTS = 6


@contextmanager
def _statements_of_the_tool(lms: RunningLMS) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = _engine(lms)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _launch_counting(lms: RunningLMS, user_id: str, link: str | None = None) -> list[str]:
    """The statements of the launch request alone (not the login before it, nor the page it leads to)."""
    browser = requests.Session()
    login = browser.get(f"{lms.sandbox.url}/launch/{user_id}", params={"link": link} if link else None, timeout=10)
    launch_url, fields = auto_post_form(login.text)
    with _statements_of_the_tool(lms) as seen:
        response = browser.post(launch_url, data=fields, allow_redirects=False, timeout=10)
    assert response.status_code == 303, response.text[:500]
    return seen


def _link_added_by_the_content_picker(lms: RunningLMS) -> str:
    """An instructor adds an activity through deep linking; the sandbox's id of the link it added."""
    browser = requests.Session()
    action, fields = auto_post_form(browser.get(f"{lms.sandbox.url}/deep-link/instructor-1", timeout=10).text)
    picker = browser.post(action, data=fields, timeout=10)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', picker.text)[1]
    answer = browser.post(picker.url, data={"csrf_token": csrf, "title": "Poster critique", "points_possible": "10",
                                            "timezone": "UTC"}, timeout=10)
    return_url, fields = auto_post_form(answer.text)
    confirmation = browser.post(return_url, data=fields, timeout=10)
    return re.search(r"launch-as/student-1\?link=([\w-]+)", confirmation.text)[1]


def test_a_returning_students_launch_consumes_its_nonce_and_notes_the_launch_in_one_statement_after_the_read(lms, session):
    _launch_counting(lms, "student-1")

    before = see_committed(session).scalar(select(Enrollment.last_launch_at).join(Person)
                                           .where(Person.subject == "student-1"))

    statements = _launch_counting(lms, "student-1")

    assert len(statements) == _returning_launch(lms), "\n".join(statements)
    committed = see_committed(session)
    assert committed.scalar(select(func.count()).select_from(ConsumedNonce)) == 2  # one per launch
    noted = committed.scalar(select(Enrollment.last_launch_at).join(Person).where(Person.subject == "student-1"))
    assert before is not None and noted is not None and noted > before


def test_a_returning_instructors_launch_takes_as_few_statements_as_a_students(lms):
    _launch_counting(lms, "instructor-1")

    statements = _launch_counting(lms, "instructor-1")

    assert len(statements) == _returning_launch(lms), "\n".join(statements)


def test_a_first_launch_creates_its_rows_in_few_statements(lms, session):
    statements = _launch_counting(lms, "student-2")

    assert len(statements) <= FIRST_LAUNCH_STATEMENTS, "\n".join(statements)
    committed = see_committed(session)
    person = committed.scalars(select(Person).where(Person.subject == "student-2")).one()
    assert committed.scalars(select(Enrollment).where(Enrollment.person_id == person.id)).one()
    assert committed.scalars(select(ResourceLink)).one().ags_claim


def test_a_returning_launch_of_a_link_that_names_its_activity_takes_at_most_six_statements(lms):
    link = _link_added_by_the_content_picker(lms)
    _launch_counting(lms, "student-1", link)

    statements = _launch_counting(lms, "student-1", link)

    assert len(statements) <= RETURNING_LAUNCH_STATEMENTS, "\n".join(statements)


def _launch_carrying_due_at(lms: RunningLMS, due_at: str) -> list[str]:
    """A returning student's launch whose custom claims carry Canvas's due date for them: its statements alone."""
    pending, claims, header = genuine_launch(lms, "student-1")
    claims[CLAIM + "custom"] = {**(claims.get(CLAIM + "custom") or {}), "due_at": due_at}
    with _statements_of_the_tool(lms) as seen:
        response = pending.browser.post(pending.launch_url, data=pending.fields | {
            "id_token": sign_token(lms, claims, header)}, allow_redirects=False, timeout=10)
    assert response.status_code == 303, response.text[:500]
    return seen


def test_a_returning_launch_carrying_the_lms_due_date_takes_as_many_statements_as_one_without(lms, instructor,
                                                                                               session):
    own = (see_committed(session).scalar(select(Assignment.submission_due)) + timedelta(days=2)).astimezone(UTC)
    _launch_carrying_due_at(lms, own.isoformat())  # the first: the student's date is kept

    statements = _launch_carrying_due_at(lms, own.isoformat())

    assert len(statements) == _returning_launch(lms), "\n".join(statements)
    assert see_committed(session).scalar(select(Extension.until).where(Extension.from_lms.is_(True))) == own


def test_a_returning_launch_carrying_a_new_lms_due_date_moves_the_kept_one_within_six_statements(lms, instructor,
                                                                                                  session):
    due = see_committed(session).scalar(select(Assignment.submission_due))
    _launch_carrying_due_at(lms, (due + timedelta(days=2)).isoformat())

    statements = _launch_carrying_due_at(lms, (due + timedelta(days=3)).isoformat())

    assert len(statements) <= RETURNING_LAUNCH_STATEMENTS, "\n".join(statements)
    assert see_committed(session).scalars(select(Extension.until)).all() == [due + timedelta(days=3)]
