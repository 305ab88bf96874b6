"""LTI Dynamic Registration over HTTP: the sandbox LMS registers the tool, then launches it with the new client id."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, jsonify, request
from sqlalchemy import select

from lti_tool.advantage import NRPS_SCOPE
from lti_tool.installation.invites import RegistrationInvite, issue_invite
from lti_tool.key_vault import current_signing_key
from lti_tool.registry import Platform, PlatformSpec, lti_registration, register_platform
from tests.conftest import make_settings
from tests.support.live import LiveServer
from tests.support.lms import auto_post_form, start_lms
from tests.support.rows import row_counts, see_committed
from tests.support.tokens import FreshTokenConnector

FRAME = re.compile(r'<iframe id="tool-frame"[^>]*src="([^"]+)"')
HIDDEN = re.compile(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"|'
                    r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"|'
                    r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*type="hidden"')


def _hidden_fields(html: str) -> dict[str, str]:
    fields = {}
    for match in HIDDEN.finditer(html):
        groups = [group for group in match.groups() if group is not None]
        fields[unescape(groups[0])] = unescape(groups[1])
    return fields


def _invite(session) -> str:
    """An invitation, as `peerlti platform invite` makes one."""
    token = issue_invite(session, created_by="test")
    session.commit()
    return token


def _registration_frame(lms, browser: requests.Session, invite: str | None = None) -> str:
    """The administrator pastes the tool's registration URL (with an invitation) into the sandbox, which frames it."""
    url = f"{lms.tool.url}/lti/register" + (f"?invite={invite}" if invite else "")
    page = browser.get(f"{lms.sandbox.url}/admin/tools", params={"registration_url": url}, timeout=10)
    assert page.status_code == 200
    return unescape(FRAME.search(page.text).group(1))


@pytest.fixture
def frame(lms, session):
    """The framed registration page's URL, opened with a fresh invitation, for one browser."""
    return lambda browser: _registration_frame(lms, browser, _invite(session))


@pytest.fixture
def open_lms(session, tmp_path, database_url, sandbox_instance):
    """The tool with Dynamic Registration open to anyone (DYNAMIC_REGISTRATION=open), beside the sandbox."""
    running = start_lms(session, lambda url: make_settings(tmp_path, database_url, url, DYNAMIC_REGISTRATION="open"),
                        sandbox_instance)
    yield running
    running.stop()


def _open_and_confirm(browser: requests.Session, frame_url: str, **overrides: str) -> requests.Response:
    page = browser.get(frame_url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    tool_url = "{0.scheme}://{0.netloc}".format(urlsplit(frame_url))
    return browser.post(f"{tool_url}/lti/register", data=_hidden_fields(page.text) | overrides, timeout=10)


def test_the_sandbox_registers_the_tool_and_then_launches_it_with_the_new_client_id(lms, session, frame):
    browser = requests.Session()
    frame_url = frame(browser)
    query = parse_qs(urlsplit(frame_url).query)
    assert query["openid_configuration"] == [f"{lms.sandbox.url}/lti/openid-configuration"]

    confirmation = browser.get(frame_url, timeout=10)
    assert "Register" in confirmation.text and lms.sandbox.url in confirmation.text
    assert not see_committed(session).scalars(select(Platform).where(Platform.client_id.like("dynamic-%"))).all()
    registered = _open_and_confirm(browser, frame_url)

    assert registered.status_code == 200, registered.text[:500]
    assert re.search(r'<button[^>]*data-lti-close', registered.text)
    platform = see_committed(session).scalars(select(Platform).where(Platform.client_id.like("dynamic-%"))).one()
    assert platform.issuer == lms.sandbox.url
    assert platform.auth_login_url == f"{lms.sandbox.url}/auth"
    assert [d.deployment_id for d in platform.deployments] == [platform.client_id.replace("dynamic-", "dynamic-deployment-")]
    assert not platform.accept_new_deployments
    assert platform.client_id in registered.text
    tools_page = browser.get(f"{lms.sandbox.url}/admin/tools", timeout=10).text
    assert platform.client_id in tools_page

    login = browser.get(f"{lms.sandbox.url}/admin/tools/{platform.client_id}/launch/instructor-1", timeout=10)
    launch_url, fields = auto_post_form(login.text)
    landing = browser.post(launch_url, data=fields, timeout=10)

    assert landing.status_code == 200, landing.text[:500]
    assert re.search(r"/links/\d+$", landing.url)


def test_a_dynamically_registered_tool_gets_access_tokens_with_its_own_client_id(lms, session, frame):
    browser = requests.Session()
    assert _open_and_confirm(browser, frame(browser)).status_code == 200
    platform = see_committed(session).scalars(select(Platform).where(Platform.client_id.like("dynamic-%"))).one()

    connector = FreshTokenConnector(lti_registration(platform, current_signing_key(session)))
    token = connector.get_access_token([NRPS_SCOPE])

    assert token


def test_the_registration_page_changes_nothing_until_the_administrator_confirms(lms, session, frame):
    frame_url = frame(requests.Session())
    before = row_counts(session)

    page = requests.get(frame_url, timeout=10)

    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert row_counts(session) == before


def test_a_registration_token_works_once(open_lms, session):
    browser = requests.Session()
    frame_url = _registration_frame(open_lms, browser)
    assert _open_and_confirm(browser, frame_url).status_code == 200
    after_first = row_counts(session)

    again = _open_and_confirm(browser, frame_url)

    assert again.status_code == 400
    assert "refused the registration" in again.text and "401" in again.text
    assert row_counts(session) == after_first


def test_an_invitation_works_once(lms, session):
    token = _invite(session)
    browser = requests.Session()
    assert _open_and_confirm(browser, _registration_frame(lms, browser, token)).status_code == 200
    after_first = row_counts(session)

    again = browser.get(_registration_frame(lms, browser, token), timeout=10)

    assert again.status_code == 403
    assert "peerlti platform invite" in unescape(again.text)
    assert row_counts(session) == after_first
    invite = see_committed(session).scalars(select(RegistrationInvite)).one()
    assert invite.used_at is not None and invite.platform_id is not None


def test_an_expired_invitation_opens_nothing(lms, session, fake_platform):
    token = issue_invite(session, created_by="test", hours=1, now=datetime.now(UTC) - timedelta(hours=2))
    session.commit()

    response = _refused(lms, f"{fake_platform}/register-ok/openid-configuration", token)

    assert response.status_code == 403
    assert fake_platform_hits(fake_platform) == 0


@pytest.mark.parametrize("invite", [None, "", "made-up-token"])
def test_without_a_valid_invitation_the_registration_page_fetches_nothing(lms, session, fake_platform, invite):
    before = row_counts(session)

    response = _refused(lms, f"{fake_platform}/register-ok/openid-configuration", invite)

    assert response.status_code == 403
    assert "peerlti platform invite" in unescape(response.text)
    assert fake_platform_hits(fake_platform) == 0
    assert row_counts(session) == before


def test_a_confirmation_without_a_valid_invitation_registers_nothing(lms, session, frame):
    browser = requests.Session()
    frame_url = frame(browser)
    before = row_counts(session)

    response = _open_and_confirm(browser, frame_url, invite="made-up-token")

    assert response.status_code == 403
    assert row_counts(session) == before


def test_an_invitation_is_kept_when_the_platform_refuses_the_registration(lms, session, fake_platform):
    token = _invite(session)
    browser = requests.Session()
    page = browser.get(f"{lms.tool.url}/lti/register", params={
        "invite": token, "openid_configuration": f"{fake_platform}/register-500/openid-configuration",
        "registration_token": "t"}, timeout=10)

    assert browser.post(f"{lms.tool.url}/lti/register", data=_hidden_fields(page.text), timeout=10).status_code == 400
    assert see_committed(session).scalars(select(RegistrationInvite)).one().used_at is None


def test_an_open_registration_needs_no_invitation(open_lms, session):
    browser = requests.Session()

    registered = _open_and_confirm(browser, _registration_frame(open_lms, browser))

    assert registered.status_code == 200
    assert see_committed(session).scalars(select(Platform).where(Platform.client_id.like("dynamic-%"))).one()


def test_a_registration_without_the_token_the_platform_requires_is_refused(lms, session, frame):
    browser = requests.Session()
    frame_url = frame(browser)
    before = row_counts(session)

    response = _open_and_confirm(browser, frame_url, registration_token="")

    assert response.status_code == 400
    assert "refused the registration" in response.text
    assert row_counts(session) == before


def test_a_confirmation_without_the_csrf_token_is_refused(lms, session, frame):
    browser = requests.Session()
    frame_url = frame(browser)
    before = row_counts(session)

    response = _open_and_confirm(browser, frame_url, csrf_token="forged")

    assert response.status_code == 400
    assert row_counts(session) == before


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


FAKE_PLATFORM_HITS: dict[str, int] = {}


def fake_platform_hits(base: str) -> int:
    return FAKE_PLATFORM_HITS.get(base, 0)


@pytest.fixture
def fake_platform() -> Iterator[str]:
    """A platform whose configuration and registration endpoint misbehave in the ways a test names."""
    server = LiveServer("localhost")
    app = Flask(__name__)
    base = server.url
    FAKE_PLATFORM_HITS[base] = 0

    @app.before_request
    def count():
        FAKE_PLATFORM_HITS[base] += 1

    def configuration(issuer: str, registration: str) -> dict:
        return {
            "issuer": issuer, "authorization_endpoint": f"{base}/auth", "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks", "registration_endpoint": f"{base}/{registration}",
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {"product_family_code": "fake"},
        }

    @app.get("/other-issuer/openid-configuration")
    def other_issuer():
        return jsonify(configuration("https://lms.elsewhere.example", "register-ok"))

    @app.get("/private-login/openid-configuration")
    def private_login():
        return jsonify(configuration(base, "register-ok") | {"authorization_endpoint": "http://127.0.0.1:9/auth"})

    @app.get("/moodle-sandbox/openid-configuration")
    def sibling_path():
        return jsonify(configuration(f"{base}/moodle", "register-ok"))

    @app.get("/<registration>/openid-configuration")
    def platform_configuration(registration: str):
        return jsonify(configuration(base, registration))

    @app.get("/no-endpoints/openid-configuration")
    def without_endpoints():
        return jsonify({"issuer": base})

    @app.get("/not-json/openid-configuration")
    def not_json():
        return "<html><body>Moodle</body></html>"

    @app.get("/a-list/openid-configuration")
    def a_list():
        return jsonify([base])

    @app.post("/register-500")
    def failing():
        return "Internal Server Error at db-7.internal:5432 (password=hunter2)", 500

    @app.post("/register-400")
    def refusing():
        return jsonify({"error": "invalid_client_metadata", "error_description": "scope is not allowed"}), 400

    @app.post("/register-fixed")
    def fixed_client():
        return jsonify(request.get_json() | {"client_id": "existing-client"})

    @app.post("/register-no-client")
    def without_client_id():
        return jsonify(request.get_json() | {"client_id": ""})

    server.start(app)
    yield base
    server.stop()


def _refused(lms, configuration_url: str, invite: str | None) -> requests.Response:
    browser = requests.Session()
    params = {"openid_configuration": configuration_url, "registration_token": "t"}
    return browser.get(f"{lms.tool.url}/lti/register", params=params | ({"invite": invite} if invite else {}),
                       timeout=15)


@pytest.mark.parametrize(("path", "reason"), [
    ("other-issuer/openid-configuration", "does not match the address it came from"),
    ("moodle-sandbox/openid-configuration", "does not match the address it came from"),
    ("no-endpoints/openid-configuration", "lacks"),
    ("not-json/openid-configuration", "is not JSON"),
    ("a-list/openid-configuration", "not a JSON object"),
    ("nowhere/at-all", "HTTP 404"),
])
def test_a_configuration_that_cannot_be_trusted_stops_the_registration(lms, session, fake_platform, path, reason):
    invite = _invite(session)
    before = row_counts(session)

    response = _refused(lms, f"{fake_platform}/{path}", invite)

    assert response.status_code == 400
    assert reason in unescape(response.text)
    assert row_counts(session) == before


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://localhost/openid-configuration", "gopher://localhost:70/", "javascript:alert(1)",
    "/etc/passwd", "http://", "http://[::1/openid-configuration", "https://" + "a" * 2000 + ".example/",
])
def test_only_http_addresses_are_fetched(lms, session, url):
    invite = _invite(session)
    before = row_counts(session)

    response = _refused(lms, url, invite)

    assert response.status_code == 400
    assert "is not an http or https address" in response.text
    assert row_counts(session) == before


def test_an_unreachable_configuration_is_reported(lms, session):
    invite = _invite(session)
    before = row_counts(session)

    response = _refused(lms, f"http://127.0.0.1:{_closed_port()}/openid-configuration", invite)

    assert response.status_code == 400
    assert "could not be reached" in response.text
    assert row_counts(session) == before


@pytest.fixture
def guarded_lms(session, tmp_path, database_url, sandbox_instance):
    """The tool allowed to reach the sandbox's host name only, as production allows a listed intranet LMS."""
    running = start_lms(session, lambda url: make_settings(tmp_path, database_url, url, DYNAMIC_REGISTRATION="open",
                                                           OUTBOUND_ALLOWED_HOSTS="localhost"), sandbox_instance)
    yield running
    running.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "127.1"])
def test_a_configuration_at_a_loopback_address_is_refused_before_connecting(guarded_lms, session, host):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(0.3)
        before = row_counts(session)

        response = _refused(guarded_lms, f"http://{host}:{listener.getsockname()[1]}/openid-configuration", None)

        assert response.status_code == 400
        assert "OUTBOUND_ALLOWED_HOSTS" in unescape(response.text)
        with pytest.raises(TimeoutError):
            listener.accept()
    assert row_counts(session) == before


def test_a_configuration_sending_logins_to_a_loopback_address_is_refused(guarded_lms, session, fake_platform):
    before = row_counts(session)

    response = _refused(guarded_lms, f"{fake_platform}/private-login/openid-configuration", None)

    assert response.status_code == 400
    assert "http://127.0.0.1:9/auth" in unescape(response.text) and "OUTBOUND_ALLOWED_HOSTS" in unescape(response.text)
    assert row_counts(session) == before


def test_the_registration_url_opened_without_a_platform_explains_itself(lms, session):
    response = requests.get(f"{lms.tool.url}/lti/register", params={"invite": _invite(session)}, timeout=10)

    assert response.status_code == 400
    assert "Dynamic Registration URL" in response.text


def _confirm_at(lms, session, configuration_url: str) -> requests.Response:
    browser = requests.Session()
    page = browser.get(f"{lms.tool.url}/lti/register", params={
        "openid_configuration": configuration_url, "registration_token": "t", "invite": _invite(session)}, timeout=10)
    assert page.status_code == 200, page.text[:300]
    return browser.post(f"{lms.tool.url}/lti/register", data=_hidden_fields(page.text), timeout=10)


@pytest.mark.parametrize(("registration", "reason"), [
    ("register-500", "HTTP 500"),
    ("register-400", "HTTP 400"),
    ("register-no-client", "has no client_id"),
])
def test_a_platform_that_refuses_the_registration_leaves_nothing_stored(lms, session, fake_platform, registration, reason):
    invite = _invite(session)
    before = row_counts(session)
    browser = requests.Session()
    page = browser.get(f"{lms.tool.url}/lti/register", params={
        "openid_configuration": f"{fake_platform}/{registration}/openid-configuration", "registration_token": "t",
        "invite": invite}, timeout=10)

    response = browser.post(f"{lms.tool.url}/lti/register", data=_hidden_fields(page.text), timeout=10)

    assert response.status_code == 400
    assert reason in unescape(response.text)
    assert row_counts(session) == before


@pytest.mark.parametrize("registration", ["register-500", "register-400"])
def test_a_refusal_shows_the_status_never_the_platforms_body(lms, session, fake_platform, registration):
    response = _confirm_at(lms, session, f"{fake_platform}/{registration}/openid-configuration")

    text = unescape(response.text)
    assert "HTTP" in text
    assert "hunter2" not in text and "db-7.internal" not in text and "scope is not allowed" not in text


def _existing_registration(session, base: str, **changes: str) -> Platform:
    spec = PlatformSpec(name="fake", issuer=base, client_id="existing-client", auth_login_url=f"{base}/auth",
                        auth_token_url=f"{base}/token", key_set_url=f"{base}/jwks", accept_new_deployments=True)
    platform = register_platform(session, PlatformSpec(**(spec.__dict__ | changes)))
    session.commit()
    return platform


def test_a_registration_never_replaces_the_keys_of_an_existing_issuer_and_client(lms, session, fake_platform):
    _existing_registration(session, fake_platform, key_set_url=f"{fake_platform}/the-real-jwks")
    before = row_counts(session) | {"registration_invites": 1}

    response = _confirm_at(lms, session, f"{fake_platform}/register-fixed/openid-configuration")

    assert response.status_code == 409
    assert "peerlti platform update" in unescape(response.text)
    platform = see_committed(session).scalars(select(Platform).where(Platform.client_id == "existing-client")).one()
    assert platform.key_set_url == f"{fake_platform}/the-real-jwks"
    assert row_counts(session) == before


def test_registering_the_same_platform_again_changes_nothing_and_succeeds(lms, session, fake_platform):
    _existing_registration(session, fake_platform)

    response = _confirm_at(lms, session, f"{fake_platform}/register-fixed/openid-configuration")

    assert response.status_code == 200, response.text[:500]
    platform = see_committed(session).scalars(select(Platform).where(Platform.client_id == "existing-client")).one()
    assert platform.key_set_url == f"{fake_platform}/jwks" and platform.accept_new_deployments


def test_the_registration_pages_run_no_inline_script(lms, frame):
    page = requests.get(frame(requests.Session()), timeout=10)

    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert '<script src="/static/installation.js">' in scripts
    assert all(re.fullmatch(r'<script src="/static/[a-z_]+\.js"( defer)?>', tag) for tag in scripts), scripts


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://[::1/register"])
def test_the_sandbox_refuses_to_frame_what_is_not_a_web_address(lms, url):
    response = requests.get(f"{lms.sandbox.url}/admin/tools", params={"registration_url": url}, timeout=10)

    assert response.status_code == 400
    assert "<iframe" not in response.text


def test_the_sandbox_refuses_a_registration_with_malformed_metadata(lms):
    token = lms.sandbox.app.extensions["sandbox"].tools.issue_token()
    body = {"initiate_login_uri": "http://[::1", "redirect_uris": ["x"], "jwks_uri": "file:///k",
            "https://purl.imsglobal.org/spec/lti-tool-configuration": {"target_link_uri": "http://t/"}}

    response = requests.post(f"{lms.sandbox.url}/lti/registrations", json=body,
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


@pytest.mark.parametrize("token", ["line\nbreak", "spaced token", "é" * 3])
def test_a_malformed_registration_token_is_refused_before_anything_is_sent(lms, session, frame, token):
    browser = requests.Session()
    frame_url = frame(browser)
    before = row_counts(session)

    response = _open_and_confirm(browser, frame_url, registration_token=token)

    assert response.status_code == 400
    assert "malformed" in response.text
    assert row_counts(session) == before


def test_the_readme_says_the_administrator_closes_the_registration_frame_with_the_pages_button():
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    page = (root / "lti_tool" / "templates" / "installation" / "registered.html").read_text(encoding="utf-8")
    button = re.search(r'data-lti-close[^>]*>\{\{ _\("([^"]+)"\) \}\}', page)[1]

    assert "closes itself" not in readme
    assert f"**{button}**" in readme
