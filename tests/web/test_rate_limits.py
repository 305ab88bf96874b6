"""Rate limits: login and launch per address, generously; the review queue and uploads per person; a 429 page
that says when to try again."""

from __future__ import annotations

import threading
import time

import pytest

from config.settings import Settings
from lti_tool.app import create_app
from lti_tool.database import dispose_database
from lti_tool.keys import ensure_tool_key
from lti_tool.rate_limits import EXTENSION
from lti_tool.registry import PlatformSpec, register_platform
from tests.conftest import TEST_SECRET
from tests.support.lms import start_lms
from tests.support.visitor import Visitor

ISSUER = "https://lms.example.edu"
LOGIN = {"iss": ISSUER, "login_hint": "user-7", "client_id": "client-1"}


def _settings(tmp_path, database_url, url="http://localhost:5000", **environ: str) -> Settings:
    return Settings.from_env({"PEERLTI_ENV": "test", "PEERLTI_INSTANCE_PATH": str(tmp_path / "instance"),
                              "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, "TOOL_BASE_URL": url}
                             | environ)


@pytest.fixture
def limited(tmp_path, database_url, session):
    """A tool whose limits are tiny, so tests reach them; call it with the settings to change."""
    ensure_tool_key(session)
    register_platform(session, PlatformSpec(name="LMS", issuer=ISSUER, client_id="client-1",
                                            auth_login_url=ISSUER + "/auth", auth_token_url=ISSUER + "/token",
                                            key_set_url=ISSUER + "/jwks"))
    session.commit()
    apps = []

    def make(**environ: str):
        app = create_app(_settings(tmp_path, database_url, **environ))
        apps.append(app)
        return app.test_client()
    yield make
    for app in apps:
        dispose_database(app)


def _from(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_logins_beyond_the_limit_get_a_429_page_saying_when_to_try_again(limited):
    client = limited(RATE_LIMIT_LOGIN="2 per minute")

    allowed = [client.get("/lti/login", query_string=LOGIN, **_from("10.0.0.1")) for _ in range(2)]
    refused = client.get("/lti/login", query_string=LOGIN, **_from("10.0.0.1"))

    assert [response.status_code for response in allowed] == [302, 302]
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    page = refused.get_data(as_text=True)
    assert "Too many requests" in page and "Try again in" in page


def test_another_address_is_counted_apart(limited):
    client = limited(RATE_LIMIT_LOGIN="1 per minute")
    client.get("/lti/login", query_string=LOGIN, **_from("10.0.0.1"))

    assert client.get("/lti/login", query_string=LOGIN, **_from("10.0.0.2")).status_code == 302


def test_launches_with_and_without_platform_storage_share_one_limit(limited):
    client = limited(RATE_LIMIT_LAUNCH="1 per minute")

    first = client.post("/lti/launch", data={"state": "x", "id_token": "y"})
    second = client.post("/lti/launch/platform-storage", data={"state": "x", "id_token": "y"})

    assert first.status_code == 400 and second.status_code == 429


def test_registration_beyond_its_limit_is_refused(limited):
    client = limited(RATE_LIMIT_REGISTER="1 per hour")

    assert client.get("/lti/register").status_code != 429
    assert client.get("/lti/register").status_code == 429


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_trusted(limited):
    untrusting = limited(RATE_LIMIT_LOGIN="1 per minute")
    trusting = limited(RATE_LIMIT_LOGIN="1 per minute", PROXY_FIX_X_FOR="1")

    untrusting.get("/lti/login", query_string=LOGIN, headers={"X-Forwarded-For": "192.0.2.1"})
    spoofed = untrusting.get("/lti/login", query_string=LOGIN, headers={"X-Forwarded-For": "192.0.2.2"})
    trusting.get("/lti/login", query_string=LOGIN, headers={"X-Forwarded-For": "192.0.2.1"})
    behind_the_proxy = trusting.get("/lti/login", query_string=LOGIN, headers={"X-Forwarded-For": "192.0.2.2"})

    assert spoofed.status_code == 429 and behind_the_proxy.status_code == 302


@pytest.fixture
def tight_lms(session, tmp_path, database_url, sandbox_instance):
    running = start_lms(session, lambda url: _settings(tmp_path, database_url, url, RATE_LIMIT_REVIEW_QUEUE="2 per minute",
                                                       RATE_LIMIT_UPLOAD="2 per hour"), sandbox_instance)
    yield running
    running.stop()


def _class(lms) -> tuple[Visitor, Visitor]:
    instructor = Visitor(lms, "instructor-1")
    instructor.launch()
    instructor.post("/links/{link}/assignment", {"title": "Essay", "points_possible": "10", "timezone": "UTC"})
    instructor.post("/links/{link}/phase", {"phase": ""})  # opened: a new activity waits in setup until then
    students = Visitor(lms, "student-1"), Visitor(lms, "student-2")
    for student in students:
        student.launch()
    return students


def test_the_review_queue_is_limited_per_person_not_per_address(tight_lms):
    first, second = _class(tight_lms)

    asked = [first.post("/links/{link}/reviews/next", {}, follow=False).status_code for _ in range(3)]
    neighbour = second.post("/links/{link}/reviews/next", {}, follow=False)

    assert asked[:2] != [429, 429] and asked[2] == 429
    assert neighbour.status_code != 429


def test_uploads_are_limited_per_person_not_per_address(tight_lms):
    first, second = _class(tight_lms)

    handed_in = [first.post("/links/{link}/submission", {"text": f"Version {n}"}).status_code for n in range(3)]
    neighbour = second.post("/links/{link}/submission", {"text": "Mine"})

    assert handed_in == [200, 200, 429]
    assert neighbour.status_code == 200



def test_counting_in_memory_starts_no_thread_per_request(limited, monkeypatch):
    client = limited(RATE_LIMIT_LOGIN="100 per minute")
    client.get("/lti/login", query_string=LOGIN, **_from("10.0.0.3"))  # the storage is made at the first request
    started: list[threading.Thread] = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: (started.append(thread), start(thread))[1])

    for _ in range(3):
        time.sleep(0.02)  # longer than the library's own expiry timer lives
        assert client.get("/lti/login", query_string=LOGIN, **_from("10.0.0.3")).status_code == 302

    assert started == []


def test_counters_in_memory_run_out_with_their_window_and_are_swept_away(limited, monkeypatch):
    client = limited(RATE_LIMIT_LOGIN="2 per second")
    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])

    assert [client.get("/lti/login", query_string=LOGIN, **_from("10.0.0.4")).status_code
            for _ in range(3)] == [302, 302, 429]
    clock[0] += 0.99  # still within the window: refused
    assert client.get("/lti/login", query_string=LOGIN, **_from("10.0.0.4")).status_code == 429
    clock[0] += 0.02  # the window has passed: allowed again
    assert client.get("/lti/login", query_string=LOGIN, **_from("10.0.0.4")).status_code == 302
    storage = client.application.extensions[EXTENSION].storage
    clock[0] += 5  # counters of addresses gone quiet do not pile up
    client.get("/lti/login", query_string=LOGIN, **_from("10.0.0.5"))
    assert not any("10.0.0.4" in key for key in storage.storage)
