"""OIDC login initiation, and the cookies the tool sets over HTTP and HTTPS."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from freezegun import freeze_time

from lti_tool.app import create_app
from lti_tool.database import dispose_database
from lti_tool.keys import ensure_tool_key
from lti_tool.launch.state import STATE_COOKIE_PREFIX, STATE_COOKIE_SLOTS
from lti_tool.registry import PlatformSpec, register_platform
from tests.conftest import make_settings
from tests.support.lms import begin_launch, launch_as
from tests.support.rows import row_counts

ISSUER = "https://lms.example.edu"


@pytest.fixture
def platform(session):
    ensure_tool_key(session)
    registered = register_platform(session, PlatformSpec(
        name="Example LMS", issuer=ISSUER, client_id="client-1",
        auth_login_url=ISSUER + "/auth", auth_token_url=ISSUER + "/token", key_set_url=ISSUER + "/jwks",
        deployment_ids=("dep-1",),
    ))
    session.commit()
    return registered


def _login_params(**extra):
    return {"iss": ISSUER, "login_hint": "user-7", "target_link_uri": "http://localhost:5000/lti/launch",
            "lti_message_hint": "link-3", "client_id": "client-1", "lti_deployment_id": "dep-1"} | extra


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_login_redirects_to_the_platform_with_state_nonce_and_hints(client, platform, method):
    params = _login_params()
    response = client.get("/lti/login", query_string=params) if method == "GET" else client.post(
        "/lti/login", data=params)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    query = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert f"{location.scheme}://{location.netloc}{location.path}" == ISSUER + "/auth"
    assert query["client_id"] == "client-1"
    assert query["redirect_uri"] == "http://localhost:5000/lti/launch"
    assert query["login_hint"] == "user-7" and query["lti_message_hint"] == "link-3"
    assert (query["response_type"], query["response_mode"], query["scope"], query["prompt"]) == (
        "id_token", "form_post", "openid", "none")
    assert query["state"] and query["nonce"]
    assert any(cookie.startswith("lti1p3-state-") for cookie in response.headers.getlist("Set-Cookie"))


def test_login_accepts_canvas_deployment_id_parameter(client, platform):
    params = _login_params()
    params["deployment_id"] = params.pop("lti_deployment_id")

    assert client.get("/lti/login", query_string=params).status_code == 302


def test_login_without_client_id_finds_the_issuers_only_registration(client, platform):
    params = _login_params()
    del params["client_id"]

    assert client.get("/lti/login", query_string=params).status_code == 302


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"iss": "https://unknown.example.edu"}, 403, "no registration for issuer"),
    ({"client_id": "someone-else"}, 403, "no registration for issuer"),
    ({"iss": ""}, 400, "no issuer"),
    ({"login_hint": ""}, 400, "no login_hint"),
    ({"lti_deployment_id": "dep-unknown"}, 403, "not registered for this platform"),
])
def test_a_bad_login_gets_a_page_naming_the_problem_and_writes_nothing(client, platform, session, change, status, words):
    before = row_counts(session)

    response = client.get("/lti/login", query_string=_login_params(**change))

    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    assert row_counts(session) == before


def test_launch_and_login_accept_no_other_methods(client, platform):
    assert client.get("/lti/launch").status_code == 405
    assert client.put("/lti/login").status_code == 405


def test_over_https_every_cookie_is_partitioned_samesite_none_and_secure(tmp_path, database_url, platform):
    app = create_app(make_settings(tmp_path, database_url, "https://peerlti.example.edu"))
    client = app.test_client()

    login = client.get("/lti/login", query_string=_login_params(), base_url="https://peerlti.example.edu")
    state_cookie = next(c for c in login.headers.getlist("Set-Cookie") if c.startswith("lti1p3-state-"))
    with app.test_request_context(base_url="https://peerlti.example.edu"):
        from flask import session as flask_session

        flask_session["probe"] = "1"
        response = app.make_response("ok")
        app.session_interface.save_session(app, flask_session, response)
    session_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("peerlti_session="))
    dispose_database(app)

    for cookie in (state_cookie, session_cookie):
        assert "Secure" in cookie and "SameSite=None" in cookie and "Partitioned" in cookie and "HttpOnly" in cookie


def test_over_plain_http_cookies_are_lax_because_browsers_refuse_insecure_samesite_none(client, platform):
    login = client.get("/lti/login", query_string=_login_params())
    cookie = next(c for c in login.headers.getlist("Set-Cookie") if c.startswith("lti1p3-state-"))

    assert "SameSite=Lax" in cookie and "Secure" not in cookie and "Partitioned" not in cookie


def _frame_ancestors(response) -> str:
    directives = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    return directives["frame-ancestors"]


def test_pages_may_be_framed_by_the_tool_and_the_registered_lms_only_and_not_sniffed(client, platform):
    response = client.get("/lti/jwks")

    assert _frame_ancestors(response) == "'self' https://lms.example.edu"
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_canvas_hosts_and_a_platforms_extra_origins_may_frame_the_tool(tmp_path, database_url, session):
    register_platform(session, PlatformSpec(
        name="Canvas", issuer="https://canvas.instructure.com", client_id="10000000000001",
        auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
        auth_token_url="https://sso.canvaslms.com/login/oauth2/token",
        key_set_url="https://sso.canvaslms.com/api/lti/security/jwks",
    )).framing_origins = ["https://canvas.uni.example", "https://evil.example; script-src *", "*"]
    register_platform(session, PlatformSpec(
        name="Moodle", issuer="https://moodle.uni.example:8443/moodle", client_id="m1",
        auth_login_url="https://login.uni.example/auth", auth_token_url="https://moodle.uni.example/token",
        key_set_url="https://moodle.uni.example/jwks",
    ))
    session.commit()
    app = create_app(make_settings(tmp_path, database_url))

    sources = _frame_ancestors(app.test_client().get("/lti/jwks")).split(" ")
    dispose_database(app)

    assert sorted(sources) == sorted([
        "'self'", "https://*.instructure.com", "https://canvas.instructure.com", "https://sso.canvaslms.com",
        "https://canvas.uni.example", "https://moodle.uni.example:8443", "https://login.uni.example"])


def test_the_framing_origins_are_read_from_the_database_at_most_once_a_minute(client, platform, session):
    assert _frame_ancestors(client.get("/lti/jwks")) == "'self' https://lms.example.edu"
    platform.framing_origins = ["https://portal.example.edu"]
    session.commit()

    cached = _frame_ancestors(client.get("/lti/jwks"))
    with freeze_time(datetime.now(UTC) + timedelta(seconds=61)):
        refreshed = _frame_ancestors(client.get("/lti/jwks"))

    assert cached == "'self' https://lms.example.edu"
    assert refreshed == "'self' https://lms.example.edu https://portal.example.edu"


def _state_cookies(browser: requests.Session) -> dict[str, str]:
    return {cookie.name: cookie.value for cookie in browser.cookies if cookie.name.startswith(STATE_COOKIE_PREFIX)}


def _tab_of(browser: requests.Session) -> requests.Session:
    """Another tab of the same browser: the cookies it had when the tab posted."""
    tab = requests.Session()
    tab.cookies.update(browser.cookies)
    return tab


def test_many_logins_from_one_browser_leave_a_few_state_cookies_and_its_latest_tabs_still_launch(lms):
    browser = requests.Session()
    assert launch_as(lms, "student-1", browser).status_code == 200  # the course and person exist from here on
    oldest = begin_launch(lms, "student-1", browser)
    # A page that starts login after login (a cookie bomb) has the browser open the tool's login URL again and
    # again; each sets a state cookie, and the platform's answer to it matters not here.
    login_url = browser.get(f"{lms.sandbox.url}/launch/student-1", allow_redirects=False, timeout=10).headers["Location"]
    for _ in range(160):
        assert browser.get(login_url, allow_redirects=False, timeout=10).status_code == 302
    latest = [begin_launch(lms, "student-1", browser) for _ in range(STATE_COOKIE_SLOTS + 1)]

    cookies = _state_cookies(browser)
    header = "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)
    assert len(cookies) <= STATE_COOKIE_SLOTS and len(header) < 4096
    with ThreadPoolExecutor(max_workers=STATE_COOKIE_SLOTS) as tabs:
        launched = list(tabs.map(lambda login: _tab_of(browser).post(login.launch_url, data=login.fields, timeout=30),
                                 latest[1:]))
    assert [response.status_code for response in launched] == [200] * STATE_COOKIE_SLOTS
    # Both sides of the limit: the login just before the last few made room for them, as did every older one.
    assert "state mismatch" in latest[0].post().text
    assert "state mismatch" in oldest.post().text


def test_a_login_clears_state_cookies_beyond_its_few(lms):
    browser = requests.Session()
    host = urlsplit(lms.tool.url).hostname
    for n in range(30):
        browser.cookies.set(f"{STATE_COOKIE_PREFIX}bomb{n}", "x" * 100, domain=host + ".local", path="/")

    login = begin_launch(lms, "student-1", browser)

    assert len(_state_cookies(browser)) == 1
    assert login.post().status_code == 200


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("field", ["iss", "login_hint", "client_id"])
def test_a_nul_or_control_character_in_a_login_parameter_gets_a_400_page_and_writes_nothing(
        client, platform, session, method, field):
    before = row_counts(session)
    params = _login_params(**{field: ISSUER + "\x00" if field == "iss" else "user\x1b7"})

    response = client.get("/lti/login", query_string=params) if method == "GET" else client.post(
        "/lti/login", data=params)

    assert response.status_code == 400 and "control characters" in response.get_data(as_text=True)
    assert row_counts(session) == before
