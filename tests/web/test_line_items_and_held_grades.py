"""Grades reach a column that exists exactly once, and doubtful grades go to the gradebook as pending."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select, update

from assessment.assignment_settings import default_settings
from assessment.db import make_session_factory
from assessment.grading_run import release_grades
from assessment.models import Course, Grade, GradePosting, Person, PostingStatus, ResourceLink
from assessment.services import create_assignment
from lti_tool.advantage import AdvantageClient, ToolCredentials
from lti_tool.key_vault import current_signing_key
from lti_tool.outbound import OutboundClient, OutboundPolicy
from lti_tool.registry import Platform
from tests.conftest import LMS_PROFILES
from tests.support.catalogues import add_translations
from tests.support.faults import Fault, install_faults, sandbox_scores
from tests.support.lms import launch_as
from tests.support.rows import see_committed
from tests.support.visitor import Visitor, page_text
from workers.passback import post_one
from workers.token_cache import DatabaseTokenCache


def _client(session, engine) -> AdvantageClient:
    platform = session.scalars(select(Platform)).one()
    return AdvantageClient(ToolCredentials(platform, current_signing_key(session)),
                           DatabaseTokenCache(make_session_factory(engine)),
                           http=OutboundClient(OutboundPolicy(allowed_hosts=frozenset({"localhost"}), https_only=False)))


def _assignment_at_sandbox_link(lms, session, *, keep_line_item: bool):
    launch_as(lms, "student-1")
    see_committed(session)
    link = session.scalars(select(ResourceLink)).one()
    if not keep_line_item:  # as a link the LMS created with no column: the tool must find or create one
        link.ags_claim = {key: value for key, value in link.ags_claim.items() if key != "lineitem"}
    course = session.scalars(select(Course)).one()
    assignment = create_assignment(session, course.id, default_settings("Poster review", datetime.now(UTC), 20),
                                   resource_link_id=link.id)
    assignment.phase_override = None  # opened by staff: it follows its dates
    session.commit()
    return assignment


@pytest.mark.parametrize("lms", LMS_PROFILES, indirect=True)
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
    columns = [item for item in lms.sandbox.app.extensions["sandbox"].store.line_items()
               if item.get("resourceId") == assignment.public_id]
    assert len(columns) == 1 and "Poster review" in gradebook and "17.5" in gradebook
    assert again["resourceId"] == assignment.public_id


@pytest.mark.parametrize("lms", LMS_PROFILES, indirect=True)
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


def _refused_posting(lms, session, engine, fault: Fault) -> GradePosting:
    assignment = _assignment_at_sandbox_link(lms, session, keep_line_item=True)
    student = session.scalars(select(Person).where(Person.subject == "student-1")).one()
    session.add(Grade(assignment_id=assignment.id, person_id=student.id, method="mean", total=15))
    session.commit()
    (posting,) = release_grades(session, assignment.id, datetime.now(UTC))
    session.commit()
    install_faults(lms, [fault])
    post_one(session, posting.id, _client(session, engine), datetime.now(UTC))
    return see_committed(session).get(GradePosting, posting.id)


def test_a_refused_score_keeps_the_status_on_its_row_never_the_platforms_page(lms, session, engine):
    page = "<html><body>Fatal error at /var/www/moodle/lib/db.php line 12 (db-7.internal)</body></html>"

    stored = _refused_posting(lms, session, engine, Fault(status=403, body=page))

    assert stored.status is PostingStatus.FAILED and stored.last_status == 403
    assert "HTTP 403" in stored.last_error
    assert "db.php" not in stored.last_error and "db-7.internal" not in stored.last_error


def test_a_refused_score_keeps_the_platforms_short_reason_sanitised_and_cut(lms, session, engine):
    reason = "userId is not a student in this course <script>alert(1)</script>\n" + "x" * 500
    body = json.dumps({"error": "invalid_request", "error_description": reason})

    stored = _refused_posting(lms, session, engine, Fault(status=422, body=body))

    assert "userId is not a student in this course" in stored.last_error
    assert "<script>" not in stored.last_error and "\n" not in stored.last_error
    assert "x" * 200 not in stored.last_error


def test_a_student_who_never_opened_the_activity_is_reported_initialized_not_completed(lms, session, engine):
    assignment = _assignment_at_sandbox_link(lms, session, keep_line_item=True)
    student = session.scalars(select(Person).where(Person.subject == "student-1")).one()
    session.add(Grade(assignment_id=assignment.id, person_id=student.id, method="mean", total=0.0))
    session.commit()

    (posting,) = release_grades(session, assignment.id, datetime.now(UTC))
    session.commit()
    outcome = post_one(session, posting.id, _client(session, engine), datetime.now(UTC))

    assert outcome.status is PostingStatus.POSTED
    link = see_committed(session).scalars(select(ResourceLink)).one()
    recorded = sandbox_scores(lms, link.ags_claim["lineitem"])["student-1"][-1]
    assert (recorded["activityProgress"], recorded["gradingProgress"], recorded["scoreGiven"]) == (
        "Initialized", "FullyGraded", 0.0)


# Hindi for the outbox's reason, given here so that the test does not wait for the catalogue to have it.
REFUSAL_IN_HINDI = {
    'The platform refused %(what)s (%(status)s): the LMS says "%(reason)s".':
        'प्लेटफ़ॉर्म ने %(what)s लेने से मना किया (%(status)s): LMS का कहना है "%(reason)s"।',
    "a score": "अंक",
}


def test_staff_reading_in_hindi_see_a_refused_score_in_hindi_with_the_platforms_status_and_words(
        lms, session, engine, tmp_path):
    body = json.dumps({"error": "invalid_request", "error_description": "userId is not a student in this course"})
    _refused_posting(lms, session, engine, Fault(status=422, body=body))
    add_translations(lms.tool.app, tmp_path / "translations", "hi", REFUSAL_IN_HINDI)
    hindi, english = Visitor(lms, "instructor-1"), Visitor(lms, "instructor-1")
    hindi.launch(locale="hi-IN")
    english.launch(locale="en-US")

    shown = 'प्लेटफ़ॉर्म ने अंक लेने से मना किया (HTTP 422): LMS का कहना है "userId is not a student in this course"।'
    assert shown in page_text(hindi.get("/links/{link}/grades"))
    assert shown.split(":")[0] in page_text(hindi.get("/links/{link}"))  # the dashboard shortens it
    assert shown in _csv_cells(hindi.get("/links/{link}/export/grades.csv"))
    assert ('The platform refused a score (HTTP 422): the LMS says "userId is not a student in this course".'
            in page_text(english.get("/links/{link}/grades")))


def test_a_reason_stored_as_english_text_before_reasons_were_kept_as_messages_is_still_shown(
        lms, session, engine):
    stored = _refused_posting(lms, session, engine, Fault(status=403, body=""))
    session.execute(update(GradePosting).where(GradePosting.id == stored.id).values(
        last_error="The platform refused a score (HTTP 403).", last_error_message=None))
    session.commit()
    staff = Visitor(lms, "instructor-1")
    staff.launch(locale="en-US")

    assert "The platform refused a score (HTTP 403)." in page_text(staff.get("/links/{link}/grades"))


def _csv_cells(response) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for cell in row]
