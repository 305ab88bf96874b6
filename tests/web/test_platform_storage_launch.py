"""Launches whose cookies are refused: the state and nonce come back from the LMS's storage, the session rides a
signed per-tab token on links and forms, and every bad answer is refused without writing anything."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import update

from lti_tool.launch.state import STATE_COOKIE_SLOTS
from lti_tool.log_redaction import RedactSecrets
from lti_tool.tab_session import TabSessionRow
from tests.conftest import LMS_PROFILES
from tests.support.lms import RunningLMS, auto_post_form, begin_launch
from tests.support.rows import row_counts

STORAGE_PAGE = "/lti/launch/platform-storage"


def _data(html: str) -> dict[str, str]:
    """The data attributes of the page's #platform-storage element, as platform_storage.js reads them."""
    element = re.search(r'<section[^>]*id="platform-storage"[^>]*>', html, re.S)
    assert element, "the page has no platform storage element"
    return {name: unescape(value) for name, value in re.findall(r'data-([a-z-]+)="([^"]*)"', element.group(0))}


def _refusing_cookies() -> requests.Session:
    """A browser that refuses every cookie, as one that blocks third-party (even partitioned) cookies does."""
    browser = requests.Session()
    browser.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return browser


@dataclass
class StorageLogin:
    """A login through the sandbox that offered platform storage, followed until the platform posts back."""

    lms: RunningLMS
    browser: requests.Session
    page: dict[str, str]
    fields: dict[str, str]

    def launch(self) -> requests.Response:
        return self.browser.post(self.lms.tool.url + "/lti/launch", data=self.fields, allow_redirects=False, timeout=10)

    def complete(self, state: str | None = None, nonce: str | None = None, origin: str | None = None,
                 **fields: str) -> requests.Response:
        """What the launch page's script posts after reading the LMS's storage (`state`, `nonce` as read)."""
        data = self.fields | {
            "platform_state": self.page["state-value"] if state is None else state,
            "platform_nonce": self.page["nonce-value"] if nonce is None else nonce,
        } | fields
        return self.browser.post(self.lms.tool.url + STORAGE_PAGE, data=data, allow_redirects=False, timeout=10,
                                 headers={"Origin": self.lms.tool.url if origin is None else origin})


def storage_login(lms: RunningLMS, user_id: str = "student-1", *, next_key: str = "next") -> StorageLogin:
    browser = _refusing_cookies()
    browser.verify = lms.sandbox_config.verify_tls
    login = browser.get(f"{lms.sandbox.url}/launch/{user_id}?storage=on", timeout=10)
    assert login.status_code == 200 and login.url.startswith(lms.tool.url + "/lti/login")
    page = _data(login.text)
    answer = browser.get(page[next_key], timeout=10)
    answer.raise_for_status()
    _, fields = auto_post_form(answer.text)
    return StorageLogin(lms, browser, page, fields)


def test_a_login_offered_storage_keeps_state_and_nonce_there_for_the_platforms_origin_and_still_sets_the_cookie(lms):
    response = requests.get(f"{lms.sandbox.url}/launch/student-1?storage=on", timeout=10)

    page = _data(response.text)
    assert page["target"] == "_parent"
    assert page["platform-origin"] == lms.sandbox.url  # the origin of the platform's auth URL, never "*"
    assert page["state-key"].startswith("peerlti_state_") and page["nonce-key"].startswith("peerlti_nonce_")
    assert parse_qs(urlsplit(page["next"]).query)["nonce"] == [page["nonce-value"]]
    assert page["next"] != page["cookie-only-next"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script>" not in response.text  # data only in attributes; the script is a static file
    assert "lti1p3-state-" in response.headers["Set-Cookie"]  # where the browser keeps it, the cookie is enough


@pytest.mark.parametrize("target", ["<script>", "a b", "x" * 65])
def test_a_login_naming_an_unusable_storage_target_is_a_plain_cookie_login(lms, target):
    response = requests.get(f"{lms.sandbox.url}/launch/student-1", allow_redirects=False, timeout=10)
    login_url = response.headers["Location"]

    login = requests.get(login_url, params={"lti_storage_target": target}, allow_redirects=False, timeout=10)

    assert login.status_code == 302


def test_a_launch_that_lost_its_cookie_asks_the_platforms_storage_and_writes_nothing_yet(lms, session):
    login = storage_login(lms)
    before = row_counts(session)

    response = login.launch()

    assert response.status_code == 200
    page = _data(response.text)
    assert (page["step"], page["platform-origin"], page["target"]) == ("launch", lms.sandbox.url, "_parent")
    assert page["state-key"] == login.page["state-key"] and page["nonce-key"] == login.page["nonce-key"]
    assert f'action="{STORAGE_PAGE}"' in response.text
    assert row_counts(session) == before


@pytest.mark.parametrize("lms", LMS_PROFILES, indirect=True)
def test_the_state_and_nonce_from_storage_complete_the_launch_and_the_tab_keeps_its_session(lms, session):
    login = storage_login(lms)

    landing = login.complete()

    assert landing.status_code == 303
    assert "peerlti_session" not in landing.headers.get("Set-Cookie", "")
    destination = landing.headers["Location"]
    assert "_t=" in destination
    home = login.browser.get(lms.tool.url + destination if destination.startswith("/") else destination, timeout=10)
    assert home.status_code == 200
    my_data = re.search(r'href="(/links/\d+/me\?_t=[^"]+)"', home.text)
    assert my_data, "links of the tab carry its token"
    page = login.browser.get(lms.tool.url + unescape(my_data.group(1)), timeout=10)
    assert page.status_code == 200 and 'id="my-role"' in page.text
    assert "_t=" not in re.search(r'href="(/static/[^"]+)"', page.text).group(1)  # static files stay shareable


def test_forms_of_a_tab_post_with_its_csrf_token(lms, session):
    login = storage_login(lms, "instructor-1")
    destination = login.complete().headers["Location"]
    home = login.browser.get(lms.tool.url + destination, timeout=10)
    action = unescape(re.search(r'<form method="post" action="([^"]*_t=[^"]+)"', home.text).group(1))
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', home.text).group(1)

    accepted = login.browser.post(lms.tool.url + action, data={"csrf_token": csrf}, timeout=10)
    refused = login.browser.post(lms.tool.url + action, data={"csrf_token": "forged"}, timeout=10)

    # The empty form gets its own field errors: the CSRF check, which reads the tab's session, let it through.
    assert "Create the peer assessment" in accepted.text and "This form expired" not in accepted.text
    assert refused.status_code == 400 and "This form expired" in refused.text


@pytest.mark.parametrize("token", ["forged", "eyJ0YWIiOiJ4In0.Zz9x.aaaa"])
def test_a_forged_tab_token_opens_no_session(lms, session, token):
    login = storage_login(lms)
    destination = login.complete().headers["Location"]
    path = destination.split("?")[0]

    response = login.browser.get(f"{lms.tool.url}{path}?_t={token}", timeout=10)

    assert response.status_code == 403


@pytest.mark.parametrize("came_from", ["cross-site", "same-site", "none"])
def test_a_tab_token_followed_from_anywhere_but_the_tools_own_pages_opens_no_session(lms, session, came_from):
    login = storage_login(lms)
    destination = login.complete().headers["Location"]

    response = login.browser.get(lms.tool.url + destination, headers={"Sec-Fetch-Site": came_from}, timeout=10)

    assert response.status_code == 403


def test_a_tab_left_idle_past_its_lifetime_has_no_session(lms, session):
    login = storage_login(lms)
    destination = login.complete().headers["Location"]
    assert login.browser.get(lms.tool.url + destination, timeout=10).status_code == 200

    session.execute(update(TabSessionRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    session.commit()

    assert login.browser.get(lms.tool.url + destination, timeout=10).status_code == 403


@pytest.mark.parametrize(("answer", "words"), [
    ({"state": "someone-elses-state"}, "different state"),
    ({"state": ""}, "different state"),
    ({"nonce": "someone-elses-nonce"}, "different nonce"),
    ({"origin": "https://evil.example"}, "peerlti&#39;s own page"),
    ({"origin": ""}, "peerlti&#39;s own page"),
])
def test_a_wrong_storage_answer_is_refused_and_writes_nothing(lms, session, answer, words):
    login = storage_login(lms)
    before = row_counts(session)

    response = login.complete(**answer)

    assert response.status_code in (400, 403)
    assert words in response.text
    assert row_counts(session) == before


def test_a_cookie_only_state_cannot_be_completed_from_storage(lms, session):
    login = storage_login(lms, next_key="cookie-only-next")
    before = row_counts(session)

    response = login.complete()

    assert response.status_code == 400
    assert "did not start with the LMS" in response.text
    assert row_counts(session) == before


def test_a_completed_storage_launch_cannot_be_replayed(lms, session):
    login = storage_login(lms)
    assert login.complete().status_code == 303

    replay = login.complete()

    assert replay.status_code == 400
    assert "already used" in replay.text


def test_tab_tokens_never_reach_the_access_log():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s',
                               ("127.0.0.1", "GET /links/3/me?_t=eyJhIjoxfQ.secret.sig&x=1 HTTP/1.1", "200"), None)

    RedactSecrets().filter(record)

    assert "secret" not in record.getMessage() and "_t=[redacted]&x=1" in record.getMessage()


def test_the_sandbox_offers_its_storage_only_from_the_course_page_and_only_when_switched_on(lms):
    plain = requests.get(f"{lms.sandbox.url}/launch/student-1", allow_redirects=False, timeout=10)
    offered = requests.get(f"{lms.sandbox.url}/launch/student-1?storage=on", allow_redirects=False, timeout=10)
    switched_off = requests.get(f"{lms.sandbox.url}/course/launch-as/student-1?storage=off", timeout=10)

    assert "lti_storage_target" not in plain.headers["Location"]
    assert "lti_storage_target=_parent" in offered.headers["Location"]
    assert "platform_storage.js" not in switched_off.text and "storage=" not in switched_off.text


def test_a_storage_login_whose_cookie_slot_newer_logins_took_is_checked_through_the_storage(lms, session):
    browser = requests.Session()
    login = browser.get(f"{lms.sandbox.url}/launch/student-1?storage=on", timeout=10)
    answer = browser.get(_data(login.text)["next"], timeout=10)
    _, fields = auto_post_form(answer.text)
    for _ in range(STATE_COOKIE_SLOTS):
        begin_launch(lms, "student-2", browser)

    response = browser.post(lms.tool.url + "/lti/launch", data=fields, allow_redirects=False, timeout=10)

    assert response.status_code == 200 and _data(response.text)["step"] == "launch"
