"""Grades reach a column that exists exactly once, and doubtful grades go to the gradebook as pending."""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from sqlalchemy import select

from assessment.assignment_settings import default_settings
from assessment.db import make_session_factory
from assessment.grading_run import release_grades
from assessment.models import Course, Grade, GradePosting, Person, PostingStatus, ResourceLink
from assessment.services import create_assignment
from lti_tool.advantage import AdvantageClient, ToolCredentials
from lti_tool.key_vault import current_signing_key
from lti_tool.registry import Platform
from tests.support.lms import launch_as
from tests.support.rows import see_committed
from workers.passback import post_one
from workers.token_cache import DatabaseTokenCache


def _client(session, engine) -> AdvantageClient:
    platform = session.scalars(select(Platform)).one()
    return AdvantageClient(ToolCredentials(platform, current_signing_key(session)),
                           DatabaseTokenCache(make_session_factory(engine)), timeout=5)


def _assignment_at_sandbox_link(lms, session, *, keep_line_item: bool):
    launch_as(lms, "student-1")
    see_committed(session)
    link = session.scalars(select(ResourceLink)).one()
    if not keep_line_item:  # as a link the LMS created with no column: the tool must find or create one
        link.ags_claim = {key: value for key, value in link.ags_claim.items() if key != "lineitem"}
    course = session.scalars(select(Course)).one()
    assignment = create_assignment(session, course.id, default_settings("Poster review", datetime.now(UTC), 20),
                                   resource_link_id=link.id)
    session.commit()
    return assignment


def test_a_column_is_found_or_created_once_and_the_grade_posted_into_it(lms, session, engine):
    assignment = _assignment_at_sandbox_link(lms, session, keep_line_item=False)
    student = session.scalars(select(Person).where(Person.subject == "student-1")).one()
    session.add(Grade(assignment_id=assignment.id, person_id=student.id, method="mean", total=17.5))
    session.commit()
    (posting,) = release_grades(session, assignment.id, datetime.now(UTC))
    session.commit()
    client = _client(session, engine)

    outcome = post_one(session, posting.id, client, datetime.now(UTC))
    again = client.find_or_create_line_item(
        session.scalars(select(ResourceLink)).one().ags_claim["lineitems"],
        {"label": "Poster review", "scoreMaximum": 20, "resourceId": assignment.public_id, "tag": "peerlti"})

    assert outcome.status is PostingStatus.POSTED
    gradebook = requests.get(f"{lms.sandbox.url}/gradebook", timeout=10).text
    assert gradebook.count("Poster review") == 1 and "17.5" in gradebook
    assert again["resourceId"] == assignment.public_id


def test_a_grade_held_for_staff_is_sent_as_pending_without_a_score(lms, session, engine):
    assignment = _assignment_at_sandbox_link(lms, session, keep_line_item=True)
    student = session.scalars(select(Person).where(Person.subject == "student-1")).one()
    session.add(Grade(assignment_id=assignment.id, person_id=student.id, method="reliability", total=12,
                      attention=["wide uncertainty"]))
    session.commit()

    (posting,) = release_grades(session, assignment.id, datetime.now(UTC))
    session.commit()
    outcome = post_one(session, posting.id, _client(session, engine), datetime.now(UTC))

    stored = see_committed(session).get(GradePosting, posting.id)
    assert (stored.grading_progress, stored.score_given) == ("PendingManual", None)
    assert outcome.status is PostingStatus.POSTED
    assert "PendingManual" in requests.get(f"{lms.sandbox.url}/gradebook", timeout=10).text
