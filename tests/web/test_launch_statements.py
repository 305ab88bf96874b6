"""What a launch costs the database: a returning person's launch stays within a small, fixed number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from assessment.models import Enrollment, Person, ResourceLink
from lti_tool.database import EXTENSION
from lti_tool.launch.replay import ConsumedNonce
from tests.support.lms import RunningLMS, begin_launch
from tests.support.rows import see_committed

# Where the launch's statements go for a person the tool already knows: one read of everything the launch names,
# the nonce consumed, the enrollment's last launch noted, and room for the placement of an activity.
RETURNING_LAUNCH_STATEMENTS = 6


@contextmanager
def _statements_of_the_tool(lms: RunningLMS) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = lms.tool.app.extensions[EXTENSION].kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _launch_counting(lms: RunningLMS, user_id: str) -> list[str]:
    """The statements of the launch request alone (not the login before it, nor the page it leads to)."""
    pending = begin_launch(lms, user_id)
    with _statements_of_the_tool(lms) as seen:
        response = pending.browser.post(pending.launch_url, data=pending.fields, allow_redirects=False, timeout=10)
    assert response.status_code == 303, response.text[:500]
    return seen


def test_a_returning_students_launch_takes_at_most_six_statements(lms, session):
    _launch_counting(lms, "student-1")

    statements = _launch_counting(lms, "student-1")

    assert len(statements) <= RETURNING_LAUNCH_STATEMENTS, "\n".join(statements)
    assert see_committed(session).scalar(select(ConsumedNonce.id).order_by(ConsumedNonce.id.desc()).limit(1))


def test_a_returning_instructors_launch_takes_at_most_six_statements(lms):
    _launch_counting(lms, "instructor-1")

    statements = _launch_counting(lms, "instructor-1")

    assert len(statements) <= RETURNING_LAUNCH_STATEMENTS, "\n".join(statements)


def test_a_first_launch_creates_its_rows_in_few_statements(lms, session):
    statements = _launch_counting(lms, "student-2")

    # Reading, then one insert per new row (person, course, enrollment, resource link, nonce), and the placement.
    assert len(statements) <= RETURNING_LAUNCH_STATEMENTS + 4, "\n".join(statements)
    committed = see_committed(session)
    person = committed.scalars(select(Person).where(Person.subject == "student-2")).one()
    assert committed.scalars(select(Enrollment).where(Enrollment.person_id == person.id)).one()
    assert committed.scalars(select(ResourceLink)).one().ags_claim
