"""The sandbox LMS as a deep linking platform: staff add peerlti activities through the tool's picker."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from sandbox.app import create_sandbox_app
from sandbox.config import SandboxConfig
from tests.support.sandbox_setup import SANDBOX_URL, TOOL_URL, ToolKey, new_tool_key, sandbox_config

CLIENT_ID = "peerlti-sandbox"
DEPLOYMENT_ID = "sandbox-deployment-1"
CONTEXT_ID = "sandbox-course-1"
LINEITEMS_URL = f"{SANDBOX_URL}/api/courses/{CONTEXT_ID}/lineitems"
MEMBERSHIPS_URL = f"{SANDBOX_URL}/api/courses/{CONTEXT_ID}/memberships"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

NEW_LINK = "sandbox-link-2"
ITEM_URL = f"{TOOL_URL}/lti/launch?activity=a1b2c3"
CUSTOM = {"peerlti_assignment": "a1b2c3", "peerlti_kind": "essay"}




@pytest.fixture(scope="module")
def tool_key() -> ToolKey:
    return new_tool_key()


@pytest.fixture
def config(tmp_path, tool_key: ToolKey) -> SandboxConfig:
    return sandbox_config(tmp_path, tool_key)


@pytest.fixture
def app(config: SandboxConfig) -> Flask:
    return create_sandbox_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# Helpers: the tool's side of the exchange, played by the test.


def login_params(response: Any) -> dict[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)
    query = urlsplit(response.headers["Location"]).query
    return {name: values[0] for name, values in parse_qs(query).items()}


def authorisation_params(login: dict[str, str]) -> dict[str, str]:
    """What a tool sends to /auth after the login initiation it was given."""
    return {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": login["client_id"],
        "redirect_uri": f"{TOOL_URL}/lti/launch",
        "login_hint": login["login_hint"],
        "lti_message_hint": login["lti_message_hint"],
        "nonce": "nonce-123",
        "state": "state-456",
    }


def verified_id_token(client: FlaskClient, html: str) -> dict[str, Any]:
    id_token = re.search(r'name="id_token" value="([^"]*)"', html)
    assert id_token is not None, html
    token = unescape(id_token.group(1))
    keys = client.get("/jwks").get_json()["keys"]
    key = next(k for k in keys if k["kid"] == jwt.get_unverified_header(token)["kid"])
    return jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=CLIENT_ID, issuer=SANDBOX_URL)


def deep_linking_claims(client: FlaskClient, user_id: str = "instructor-1") -> dict[str, Any]:
    login = login_params(client.get(f"/deep-link/{user_id}"))
    response = client.get("/auth", query_string=authorisation_params(login))
    assert response.status_code == 200, response.get_data(as_text=True)
    return verified_id_token(client, response.get_data(as_text=True))


def launch_claims(client: FlaskClient, user_id: str, link_id: str) -> dict[str, Any]:
    login = login_params(client.get(f"/launch/{user_id}", query_string={"link": link_id}))
    response = client.get("/auth", query_string=authorisation_params(login))
    assert response.status_code == 200, response.get_data(as_text=True)
    return verified_id_token(client, response.get_data(as_text=True))


def content_item(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "ltiResourceLink",
        "title": "Peer review: Essay 2",
        "url": ITEM_URL,
        "custom": CUSTOM,
        "lineItem": {"label": "Essay 2 (peer review)", "scoreMaximum": 20, "resourceId": "a1b2c3", "tag": "peerlti"},
    } | overrides


def response_claims(data: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": CLIENT_ID,
        "aud": SANDBOX_URL,
        "iat": now,
        "exp": now + 600,
        "nonce": uuid.uuid4().hex,
        CLAIM + "message_type": "LtiDeepLinkingResponse",
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": DEPLOYMENT_ID,
        DL_CLAIM + "data": data,
        DL_CLAIM + "content_items": [content_item()],
    } | overrides


def sign(claims: dict[str, Any], key: ToolKey) -> str:
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


def post_response(client: FlaskClient, token: str) -> tuple[int, str]:
    response = client.post("/deep-link/return", data={"JWT": token})
    return response.status_code, unescape(response.get_data(as_text=True))


def data_sent(client: FlaskClient) -> str:
    return deep_linking_claims(client)[DL_CLAIM + "deep_linking_settings"]["data"]


def bearer(client: FlaskClient, key: ToolKey) -> dict[str, str]:
    now = int(time.time())
    assertion = jwt.encode(
        {"iss": CLIENT_ID, "sub": CLIENT_ID, "aud": f"{SANDBOX_URL}/token", "iat": now, "exp": now + 60, "jti": "j"},
        key.private_pem,
        algorithm="RS256",
        headers={"kid": key.kid},
    )
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
        "scope": SCOPE_LINEITEM,
    }
    return {"Authorization": f"Bearer {client.post('/token', data=form).get_json()['access_token']}"}


def line_items(client: FlaskClient, key: ToolKey) -> list[dict[str, Any]]:
    return client.get(urlsplit(LINEITEMS_URL).path, headers=bearer(client, key)).get_json()


# Starting a deep linking request


@pytest.mark.parametrize("user_id", ["instructor-1", "ta-1"])
def test_staff_deep_linking_initiation_redirects_to_the_tools_login(client: FlaskClient, user_id: str) -> None:
    response = client.get(f"/deep-link/{user_id}")

    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{TOOL_URL}/lti/login"
    assert login_params(response) == {
        "iss": SANDBOX_URL,
        "login_hint": user_id,
        "target_link_uri": f"{TOOL_URL}/lti/launch",
        "lti_message_hint": "deep-linking:iframe",
        "client_id": CLIENT_ID,
        "lti_deployment_id": DEPLOYMENT_ID,
    }


def test_a_student_cannot_start_deep_linking(client: FlaskClient) -> None:
    login = client.get("/deep-link/student-1")
    page = client.get("/course/deep-link-as/student-1")

    assert login.status_code == 403
    assert "Amara Okafor (Student) cannot add activities" in unescape(login.get_data(as_text=True))
    assert "Location" not in login.headers
    assert page.status_code == 403
    assert 'id="tool-frame"' not in page.get_data(as_text=True)
    assert client.get("/deep-link/nobody").status_code == 404


def test_course_page_offers_adding_an_activity_to_staff_only(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)

    assert "Add an activity with peerlti as Ada Instructor" in page
    assert "Add an activity with peerlti as Tariq Haddad" in page
    assert 'href="/course/deep-link-as/instructor-1"' in page
    assert 'href="/course/deep-link-as/ta-1"' in page
    assert "/course/deep-link-as/student-" not in page


def test_deep_link_as_page_frames_the_deep_linking_login(client: FlaskClient) -> None:
    page = client.get("/course/deep-link-as/ta-1").get_data(as_text=True)

    iframe = re.search(r"<iframe[^>]*>", page)
    assert iframe is not None
    assert 'id="tool-frame"' in iframe.group(0)
    assert 'name="tool-frame"' in iframe.group(0)
    assert 'src="/deep-link/ta-1"' in iframe.group(0)


# The deep linking request


def test_auth_for_a_deep_linking_hint_issues_a_deep_linking_request(client: FlaskClient) -> None:
    claims = deep_linking_claims(client, "instructor-1")

    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingRequest"
    assert claims[CLAIM + "version"] == "1.3.0"
    assert claims[CLAIM + "deployment_id"] == DEPLOYMENT_ID
    assert claims[CLAIM + "target_link_uri"] == f"{TOOL_URL}/lti/launch"
    assert claims["sub"] == "instructor-1"
    assert claims["nonce"] == "nonce-123"
    assert claims[CLAIM + "roles"] == [INSTRUCTOR]
    assert claims[CLAIM + "context"]["id"] == CONTEXT_ID
    assert CLAIM + "resource_link" not in claims
    settings = claims[DL_CLAIM + "deep_linking_settings"]
    assert settings["deep_link_return_url"] == f"{SANDBOX_URL}/deep-link/return"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["accept_multiple"] is False
    assert settings["auto_create"] is True
    assert settings["title"]
    assert isinstance(settings["data"], str)
    assert len(settings["data"]) >= 20
    assert claims[AGS_CLAIM]["lineitems"] == LINEITEMS_URL
    assert "lineitem" not in claims[AGS_CLAIM]
    assert set(claims[AGS_CLAIM]["scope"]) == {SCOPE_LINEITEM, SCOPE_RESULT, SCOPE_SCORE}
    assert claims[NRPS_CLAIM] == {"context_memberships_url": MEMBERSHIPS_URL, "service_versions": ["2.0"]}


def test_each_deep_linking_request_sends_its_own_data(client: FlaskClient) -> None:
    assert data_sent(client) != data_sent(client)


def test_auth_refuses_a_deep_linking_request_for_a_student(client: FlaskClient) -> None:
    login = login_params(client.get("/deep-link/instructor-1")) | {"login_hint": "student-2"}

    response = client.get("/auth", query_string=authorisation_params(login))

    assert response.status_code == 403
    assert 'name="id_token"' not in response.get_data(as_text=True)


# The tool's response


def test_a_valid_response_adds_the_link_and_its_gradebook_column(client: FlaskClient, tool_key: ToolKey) -> None:
    token = sign(response_claims(data_sent(client), **{DL_CLAIM + "msg": "Essay 2 is ready"}), tool_key)

    status, page = post_response(client, token)

    assert status == 200, page
    assert "Activity added" in page
    assert "Essay 2 is ready" in page
    assert "Chosen by Ada Instructor" in page
    assert f"<code>{NEW_LINK}</code>" in page
    assert "“Essay 2 (peer review)” out of 20" in page
    assert f'href="/course/launch-as/student-1?link={NEW_LINK}"' in page
    assert '<base target="_top">' in page
    course = unescape(client.get("/").get_data(as_text=True))
    assert "<h2>Peer review: Essay 2</h2>" in course
    assert f'href="/course/launch-as/student-3?link={NEW_LINK}"' in course
    assert "peerlti_assignment=a1b2c3" in course
    gradebook = unescape(client.get("/gradebook").get_data(as_text=True))
    assert "Essay 2 (peer review)" in gradebook
    assert f"<code>{NEW_LINK}</code>" in gradebook
    added = [item for item in line_items(client, tool_key) if item.get("resourceLinkId") == NEW_LINK]
    assert [(i["label"], i["scoreMaximum"], i["resourceId"], i["tag"]) for i in added] == [
        ("Essay 2 (peer review)", 20, "a1b2c3", "peerlti")
    ]


def test_a_launch_of_the_added_link_carries_its_id_custom_parameters_and_line_item(
    client: FlaskClient, tool_key: ToolKey
) -> None:
    post_response(client, sign(response_claims(data_sent(client)), tool_key))
    line_item = next(item for item in line_items(client, tool_key) if item.get("resourceLinkId") == NEW_LINK)

    login = login_params(client.get("/launch/student-4", query_string={"link": NEW_LINK}))
    claims = launch_claims(client, "student-4", NEW_LINK)

    assert login["lti_message_hint"] == f"{NEW_LINK}:iframe"
    assert login["target_link_uri"] == ITEM_URL
    assert claims[CLAIM + "message_type"] == "LtiResourceLinkRequest"
    assert claims[CLAIM + "resource_link"] == {"id": NEW_LINK, "title": "Peer review: Essay 2"}
    assert claims[CLAIM + "target_link_uri"] == ITEM_URL
    assert claims[CLAIM + "custom"] == CUSTOM
    assert claims[AGS_CLAIM]["lineitem"] == line_item["id"]
    assert claims[AGS_CLAIM]["lineitems"] == LINEITEMS_URL
    demo = launch_claims(client, "student-4", "sandbox-link-1")
    assert demo[CLAIM + "resource_link"]["id"] == "sandbox-link-1"
    assert CLAIM + "custom" not in demo
    assert demo[AGS_CLAIM]["lineitem"] != line_item["id"]


def test_the_launch_as_page_frames_the_added_link(client: FlaskClient, tool_key: ToolKey) -> None:
    post_response(client, sign(response_claims(data_sent(client)), tool_key))

    page = client.get("/course/launch-as/student-2", query_string={"link": NEW_LINK}).get_data(as_text=True)

    assert "<h1>Peer review: Essay 2</h1>" in page
    assert f'src="/launch/student-2?link={NEW_LINK}&amp;storage=on"' in page
    assert client.get("/course/launch-as/student-2?link=sandbox-link-9").status_code == 404
    assert client.get("/launch/student-2?link=sandbox-link-9").status_code == 404


def test_an_item_without_a_line_item_adds_a_link_without_a_gradebook_column(client: FlaskClient, tool_key: ToolKey) -> None:
    item = {k: v for k, v in content_item().items() if k not in ("lineItem", "url")}
    token = sign(response_claims(data_sent(client), **{DL_CLAIM + "content_items": [item]}), tool_key)

    status, page = post_response(client, token)
    claims = launch_claims(client, "student-1", NEW_LINK)

    assert status == 200, page
    assert "the tool asked for no line item" in page
    assert len(line_items(client, tool_key)) == 1
    assert "lineitem" not in claims[AGS_CLAIM]
    assert claims[CLAIM + "target_link_uri"] == f"{TOOL_URL}/lti/launch"


def test_added_links_survive_recreating_the_app(config: SandboxConfig, client: FlaskClient, tool_key: ToolKey) -> None:
    post_response(client, sign(response_claims(data_sent(client)), tool_key))

    second = create_sandbox_app(config).test_client()

    claims = launch_claims(second, "student-1", NEW_LINK)
    assert claims[CLAIM + "custom"] == CUSTOM
    assert claims[AGS_CLAIM]["lineitem"].startswith(LINEITEMS_URL + "/")
    post_response(second, sign(response_claims(data_sent(second)), tool_key))
    assert "sandbox-link-3" in second.get("/").get_data(as_text=True)


def test_an_empty_response_adds_nothing_and_shows_the_tools_messages(client: FlaskClient, tool_key: ToolKey) -> None:
    claims = response_claims(
        data_sent(client),
        **{DL_CLAIM + "content_items": [], DL_CLAIM + "msg": "Cancelled", DL_CLAIM + "errormsg": "No rubric chosen"},
    )

    status, page = post_response(client, sign(claims, tool_key))

    assert status == 200, page
    assert "Nothing was added" in page
    assert "Cancelled" in page
    assert "No rubric chosen" in page
    assert "sandbox-link-2" not in client.get("/").get_data(as_text=True)
    assert len(line_items(client, tool_key)) == 1


def test_a_replayed_response_is_refused_because_its_data_was_used(client: FlaskClient, tool_key: ToolKey) -> None:
    token = sign(response_claims(data_sent(client)), tool_key)
    assert post_response(client, token)[0] == 200

    status, page = post_response(client, token)

    assert status == 400
    assert "data was already used" in page
    assert "sandbox-link-3" not in client.get("/").get_data(as_text=True)
    assert len(line_items(client, tool_key)) == 2


def _with(**claims: Any) -> Callable[[str, ToolKey], str]:
    return lambda data, key: sign(response_claims(data, **claims), key)


def _dated(*, iat: int, exp: int) -> Callable[[str, ToolKey], str]:
    """iat and exp this many seconds from when the test runs (collection may be many minutes earlier)."""

    def signed(data: str, key: ToolKey) -> str:
        now = int(time.time())
        return sign(response_claims(data, iat=now + iat, exp=now + exp), key)

    return signed


def _items(*items: Any) -> Callable[[str, ToolKey], str]:
    return _with(**{DL_CLAIM + "content_items": list(items)})


def _without(name: str) -> Callable[[str, ToolKey], str]:
    def make(data: str, key: ToolKey) -> str:
        claims = response_claims(data)
        del claims[name]
        return sign(claims, key)

    return make


def _new_tool_key_as(key: ToolKey) -> ToolKey:
    """Another private key presented under the registered key's kid: a forged signature."""
    return replace(key, private_pem=new_tool_key().private_pem)


REFUSED = [
    ("wrong-data", lambda data, key: sign(response_claims("not-the-data-we-sent"), key), "data does not match"),
    ("no-data", _without(DL_CLAIM + "data"), "data claim is missing"),
    ("bad-signature", lambda data, key: sign(response_claims(data), _new_tool_key_as(key)), "Bad signature"),
    ("unknown-kid", lambda data, key: jwt.encode(response_claims(data), key.private_pem, "RS256", {"kid": "k9"}), "k9"),
    ("no-kid", lambda data, key: jwt.encode(response_claims(data), key.private_pem, "RS256"), "no kid"),
    ("not-a-jwt", lambda data, key: "not.a.jwt", "not a signed JSON Web Token"),
    ("wrong-message-type", _with(**{CLAIM + "message_type": "LtiResourceLinkRequest"}), "message_type must be"),
    ("wrong-version", _with(**{CLAIM + "version": "1.1"}), "version must be 1.3.0"),
    ("wrong-deployment", _with(**{CLAIM + "deployment_id": "elsewhere"}), "deployment_id must be"),
    ("wrong-aud", _with(aud="http://other-lms.test"), "aud must be"),
    ("extra-aud", _with(aud=[SANDBOX_URL, "http://other-lms.test"]), "aud must name only"),
    ("wrong-iss", _with(iss="another-client"), "iss must be the tool's client_id"),
    ("expired", _dated(iat=-900, exp=-300), "expired"),
    ("issued-in-future", _dated(iat=600, exp=900), "in the future"),
    ("no-nonce", _without("nonce"), "nonce claim is missing"),
    ("two-items", _items(content_item(), content_item(title="Other")), "accept_multiple false"),
    ("html-item", _items({"type": "html", "html": "<p>Hi</p>"}), "type 'html'"),
    ("url-off-tool", _items(content_item(url="http://evil.test/lti/launch")), "is not on the tool"),
    ("custom-not-strings", _items(content_item(custom={"n": 3})), "custom must be"),
    ("bad-line-item", _items(content_item(lineItem={"label": "X", "scoreMaximum": 0})), "scoreMaximum"),
]


@pytest.mark.parametrize(("make_token", "complaint"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_response_that_fails_a_check_is_refused_and_adds_nothing(
    client: FlaskClient, tool_key: ToolKey, make_token: Callable[[str, ToolKey], str], complaint: str
) -> None:
    data = data_sent(client)

    status, page = post_response(client, make_token(data, tool_key))

    assert status == 400
    assert "deep linking response was refused" in page
    assert complaint in page
    assert NEW_LINK not in client.get("/").get_data(as_text=True)
    assert len(line_items(client, tool_key)) == 1


def test_a_refused_response_leaves_the_request_open_for_a_corrected_one(client: FlaskClient, tool_key: ToolKey) -> None:
    data = data_sent(client)
    assert post_response(client, sign(response_claims(data), _new_tool_key_as(tool_key)))[0] == 400

    status, page = post_response(client, sign(response_claims(data), tool_key))

    assert status == 200, page
    assert NEW_LINK in client.get("/").get_data(as_text=True)


def test_a_return_without_a_jwt_field_is_refused(client: FlaskClient) -> None:
    status, page = post_response(client, "")

    assert status == 400
    assert "no JWT field" in page
