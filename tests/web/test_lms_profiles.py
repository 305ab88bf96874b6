"""peerlti with the sandbox behaving like Canvas and like Moodle: their refusals, throttling and large rosters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from assessment.grading_run import release_grades
from assessment.models import CourseRole, Enrollment, Grade, GradePosting, Person, PostingStatus, ResourceLink
from sandbox.registration import registration_record
from sandbox.throttle import ThrottleSettings
from tests.support.faults import sandbox_scores
from tests.support.lms import auto_post_form, launch_as
from tests.support.rows import row_counts, see_committed
from tests.support.visitor import page_text
from tests.web.test_line_items_and_held_grades import _assignment_at_sandbox_link, _client
from workers.passback import RetryPolicy, post_one

CANVAS_NOT_A_STUDENT = "User not found in course or is not a student"


def _released_posting(lms, session, total: float = 15) -> GradePosting:
    assignment = _assignment_at_sandbox_link(lms, session, keep_line_item=True)
    student = session.scalars(select(Person).where(Person.subject == "student-1")).one()
    session.add(Grade(assignment_id=assignment.id, person_id=student.id, method="mean", total=total))
    session.commit()
    (posted,) = release_grades(session, assignment.id, datetime.now(UTC))
    session.commit()
    return session.get(GradePosting, posted.id)


def _record_newer_score_in_the_gradebook(lms, session, posting: GradePosting) -> None:
    """Someone else (a teacher in the gradebook) gave the student a score just after peerlti's timestamp; only just,
    since the sandbox's gradebook lives on through the run and later tests post newer scores."""
    lineitem = session.scalars(select(ResourceLink)).one().ags_claim["lineitem"]
    store = lms.sandbox.app.extensions["sandbox"].store
    item_id = lineitem.partition("?")[0].removesuffix("/lineitem").rsplit("/", 1)[1]
    moment = posting.timestamp if posting.timestamp.tzinfo else posting.timestamp.replace(tzinfo=UTC)
    store.record_score(item_id, {"userId": "student-1", "scoreGiven": 3, "scoreMaximum": 20,
                                 "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                                 "timestamp": (moment + timedelta(milliseconds=1)).isoformat()})


# Refusals reach the instructor in the LMS's own words


@pytest.mark.parametrize("lms", [{"lms": "canvas", "course_concluded": True}], indirect=True)
def test_a_score_canvas_refuses_in_a_concluded_course_fails_with_canvas_own_reason(lms, session, engine):
    posting = _released_posting(lms, session)

    post_one(session, posting.id, _client(session, engine), datetime.now(UTC))

    stored = see_committed(session).get(GradePosting, posting.id)
    assert stored.status is PostingStatus.FAILED and stored.last_status == 422
    assert CANVAS_NOT_A_STUDENT in stored.last_error


@pytest.mark.parametrize(("lms", "status", "words"), [
    ("canvas", 400, "before last updated timestamp"),
    ("moodle", 409, "Refusing score with an earlier timestamp"),
], indirect=["lms"])
def test_a_score_older_than_the_gradebooks_fails_with_the_lms_reason(lms, session, engine, status, words):
    posting = _released_posting(lms, session)
    _record_newer_score_in_the_gradebook(lms, session, posting)

    post_one(session, posting.id, _client(session, engine), datetime.now(UTC))

    stored = see_committed(session).get(GradePosting, posting.id)
    assert stored.status is PostingStatus.FAILED and stored.last_status == status
    assert words in stored.last_error


@pytest.mark.parametrize("lms", ["moodle"], indirect=True)
def test_moodle_scores_go_to_the_line_item_with_its_type_id(lms, session, engine):
    posting = _released_posting(lms, session, total=17.5)

    outcome = post_one(session, posting.id, _client(session, engine), datetime.now(UTC))

    lineitem = session.scalars(select(ResourceLink)).one().ags_claim["lineitem"]
    assert outcome.status is PostingStatus.POSTED and lineitem.endswith("/lineitem?type_id=1")
    assert sandbox_scores(lms, lineitem.partition("?")[0].removesuffix("/lineitem"))["student-1"][-1]["scoreGiven"] == 17.5


# Throttling


@pytest.mark.parametrize("lms", [{"lms": "canvas", "throttle": ThrottleSettings(status=403)},
                                 {"lms": "canvas", "throttle": ThrottleSettings(status=429)}], indirect=True)
def test_a_score_canvas_throttles_waits_in_the_outbox_and_is_posted_once_the_bucket_drains(lms, session, engine):
    # A total no other test posts: the sandbox's gradebook lives on through the run, and a retry first looks there.
    total = 11 + lms.sandbox_config.throttle.status / 1000
    posting = _released_posting(lms, session, total=total)
    bucket = lms.sandbox.app.extensions["sandbox"].throttle.bucket(lms.sandbox_config.client_id)
    bucket.fill()
    now = datetime.now(UTC)
    client = _client(session, engine)

    throttled = post_one(session, posting.id, client, now, RetryPolicy(backoff_seconds=5))
    waiting = see_committed(session).get(GradePosting, posting.id)
    waited_status, waits_until = waiting.last_status, waiting.next_attempt_at
    bucket.drain()
    posted = post_one(session, posting.id, client, now + timedelta(seconds=throttled.retry_in or 0))

    assert throttled.status is PostingStatus.PENDING and throttled.retry_in == 5
    assert waited_status == lms.sandbox_config.throttle.status
    assert waits_until.replace(tzinfo=UTC) == now + timedelta(seconds=5)
    assert posted.status is PostingStatus.POSTED
    lineitem = session.scalars(select(ResourceLink)).one().ags_claim["lineitem"]
    assert sandbox_scores(lms, lineitem)["student-1"][-1]["scoreGiven"] == total


# Rosters


@pytest.mark.slow
@pytest.mark.parametrize(("lms", "limit"), [({"lms": "canvas", "extra_learners": 994}, None),
                                            ({"lms": "moodle", "extra_learners": 994}, 100)], indirect=["lms"])
def test_a_roster_of_a_thousand_students_is_read_through_every_page(lms, instructor, session, limit):
    if limit:  # Moodle sends a whole course in one answer unless the URL asks for pages
        link = session.scalars(select(ResourceLink)).one()
        url = link.nrps_claim["context_memberships_url"]
        link.nrps_claim = link.nrps_claim | {"context_memberships_url": f"{url}?limit={limit}"}
        session.commit()

    response = instructor.post("/links/{link}/people/sync", {})

    assert "Roster synced" in page_text(response)
    students = see_committed(session).scalar(select(func.count()).select_from(Enrollment).join(Person).where(
        Person.subject.like("student-%")))
    assert students == 1000


@pytest.mark.parametrize(("lms", "status", "meaning"), [
    ({"lms": "canvas", "roster_refused": True}, 401, "developer key does not include the Names and Role "
                                                     "Provisioning scope"),
    ({"lms": "moodle", "roster_refused": True}, 403, "refused to give peerlti this course's roster"),
], indirect=["lms"])
def test_a_roster_the_lms_withholds_is_reported_and_stores_nothing(lms, instructor, session, status, meaning):
    link = session.scalars(select(ResourceLink)).one()
    assert not link.nrps_claim, "an LMS that withholds the roster offers no roster service at launch"
    sandbox = lms.sandbox.app.extensions["sandbox"]
    # A link launched while the service was on keeps its address: the LMS refuses it now.
    link.nrps_claim = {"context_memberships_url": sandbox.endpoints.memberships(sandbox.service_course_id),
                       "service_versions": ["2.0"]}
    session.commit()
    before = see_committed(session).scalar(select(func.count()).select_from(Enrollment))

    response = instructor.post("/links/{link}/people/sync", {})

    assert response.status_code == 502
    assert f"HTTP {status}" in page_text(response) and meaning in page_text(response)
    assert "did not accept peerlti's credentials" not in page_text(response)
    assert see_committed(session).scalar(select(func.count()).select_from(Enrollment)) == before
    # The People page says the same of the recorded sync.
    assert meaning in page_text(instructor.get("/links/{link}/people"))


# Logins the LMS refuses


@pytest.mark.parametrize("lms", ["moodle"], indirect=True)
def test_a_login_moodle_refuses_ends_on_a_page_saying_the_lms_refused_it(lms, session):
    browser = requests.Session()
    record = registration_record(lms.sandbox_config)
    # Moodle refuses (access_denied) a login hint that is not the person signed in to it, e.g. after signing in as
    # someone else in another tab; it posts the refusal back to the tool instead of an id_token.
    answer = browser.get(f"{lms.tool.url}/lti/login", params={
        "iss": record["issuer"], "client_id": record["client_id"], "login_hint": "someone-else",
        "target_link_uri": f"{lms.tool.url}/lti/launch", "lti_message_hint": "sandbox-link-1:iframe"}, timeout=10)
    action, fields = auto_post_form(answer.text)
    before = row_counts(session)

    response = browser.post(action, data=fields, timeout=10)

    assert fields["error"] == "access_denied"
    assert response.status_code == 403
    assert "refused to sign you in" in page_text(response) and "access_denied" in page_text(response)
    assert row_counts(session) == before


@pytest.mark.parametrize("lms", ["moodle"], indirect=True)
def test_a_moodle_site_administrator_launches_as_course_staff(lms, session):
    response = launch_as(lms, "admin-1")

    assert response.status_code == 200 and "Set up this peer assessment" in response.text
    role = see_committed(session).scalars(select(Enrollment.role).join(Person).where(Person.subject == "admin-1")).one()
    assert role is CourseRole.STAFF


@pytest.mark.parametrize("lms", ["moodle"], indirect=True)
def test_peerlti_sends_the_browser_to_moodles_auth_php_by_get_which_keeps_its_lax_session_cookie(lms):
    record = registration_record(lms.sandbox_config)

    answer = requests.get(f"{lms.tool.url}/lti/login", allow_redirects=False, timeout=10, params={
        "iss": record["issuer"], "client_id": record["client_id"], "login_hint": "student-1",
        "target_link_uri": f"{lms.tool.url}/lti/launch", "lti_message_hint": "sandbox-link-1:iframe"})
    # The browser follows a redirect with a GET even across sites, and sends Moodle's SameSite=Lax cookie with it.
    authorised = requests.get(answer.headers["Location"], headers={"Sec-Fetch-Site": "cross-site"}, timeout=10)

    assert answer.status_code == 302 and answer.headers["Location"].startswith(f"{lms.sandbox.url}/mod/lti/auth.php?")
    assert 'name="id_token"' in authorised.text

