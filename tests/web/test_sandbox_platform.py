"""The sandbox LMS behaves as an LTI 1.3 platform: launches, tokens, AGS, NRPS and its gradebook."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from jwcrypto.jwk import JWK
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.registration import Registration
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from sandbox.__main__ import main as sandbox_cli
from sandbox.app import create_sandbox_app
from sandbox.config import SandboxConfig
from sandbox.registration import registration_record
from tests.support.sandbox_setup import SANDBOX_URL, TOOL_URL, ToolKey, new_tool_key, sandbox_config
from tests.support.tokens import FreshTokenConnector

CLIENT_ID = "peerlti-sandbox"
DEPLOYMENT_ID = "sandbox-deployment-1"
CONTEXT_ID = "sandbox-course-1"
LINEITEMS_URL = f"{SANDBOX_URL}/api/courses/{CONTEXT_ID}/lineitems"
MEMBERSHIPS_URL = f"{SANDBOX_URL}/api/courses/{CONTEXT_ID}/memberships"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
STUDENTS = [f"student-{n}" for n in range(1, 7)]

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ALL_SCOPES = [SCOPE_LINEITEM, SCOPE_RESULT, SCOPE_SCORE, SCOPE_NRPS]

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"




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


def client_assertion(key: ToolKey, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": f"{SANDBOX_URL}/token",
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    } | overrides
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


def token_request(assertion: str, scopes: list[str]) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
        "scope": " ".join(scopes),
    }


def bearer(client: FlaskClient, key: ToolKey, scopes: list[str]) -> dict[str, str]:
    response = client.post("/token", data=token_request(client_assertion(key), scopes))
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def score(user_id: str, given: float, at: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "userId": user_id,
        "scoreGiven": given,
        "scoreMaximum": 100,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": at.isoformat(),
    } | extra


def authorisation_params(**overrides: str) -> dict[str, str]:
    return {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": CLIENT_ID,
        "redirect_uri": f"{TOOL_URL}/lti/launch",
        "login_hint": "student-1",
        "lti_message_hint": "sandbox-link-1:iframe",
        "nonce": "nonce-123",
        "state": "state-456",
    } | overrides


def launch_form(html: str) -> dict[str, str]:
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', html))
    assert action is not None
    return {"action": unescape(action.group(1)), **fields}


def verified_id_token(client: FlaskClient, id_token: str) -> dict[str, Any]:
    keys = client.get("/jwks").get_json()["keys"]
    header = jwt.get_unverified_header(id_token)
    key = next(k for k in keys if k["kid"] == header["kid"])
    return jwt.decode(id_token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=CLIENT_ID, issuer=SANDBOX_URL)


def launch_claims(client: FlaskClient, login_hint: str) -> dict[str, Any]:
    response = client.get("/auth", query_string=authorisation_params(login_hint=login_hint))
    assert response.status_code == 200, response.get_data(as_text=True)
    return verified_id_token(client, launch_form(response.get_data(as_text=True))["id_token"])


# Registration and keys


def test_registration_record_names_the_sandbox_endpoints(config: SandboxConfig) -> None:
    assert registration_record(config) == {
        "name": "peerlti sandbox LMS",
        "issuer": SANDBOX_URL,
        "client_id": CLIENT_ID,
        "auth_login_url": f"{SANDBOX_URL}/auth",
        "auth_token_url": f"{SANDBOX_URL}/token",
        "key_set_url": f"{SANDBOX_URL}/jwks",
        "audience": f"{SANDBOX_URL}/token",
        "deployment_ids": [DEPLOYMENT_ID],
        "accept_new_deployments": False,
    }


def test_registration_command_prints_the_record_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = sandbox_cli(["registration", "--base-url", "http://lms.test:5001", "--client-id", "other-client"])

    printed = capsys.readouterr().out
    assert exit_code == 0
    assert '"issuer": "http://lms.test:5001"' in printed
    assert '"client_id": "other-client"' in printed
    assert '"auth_login_url": "http://lms.test:5001/auth"' in printed


def test_jwks_publishes_the_platform_key_with_a_kid_for_rs256(client: FlaskClient) -> None:
    keys = client.get("/jwks").get_json()["keys"]

    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["alg"] == "RS256"
    assert keys[0]["use"] == "sig"
    assert keys[0]["kid"] == JWK(**keys[0]).thumbprint()
    assert "d" not in keys[0]


# Pages


def test_course_page_offers_a_launch_for_the_instructor_and_every_student(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)

    assert "Demo course: Academic Writing" in page
    assert "Launch as Ada Instructor" in page
    for user_id in STUDENTS:
        assert f"/course/launch-as/{user_id}" in page
    assert 'href="/gradebook"' in page
    assert 'href="/roster"' in page


def test_the_demo_course_of_make_run_has_a_team_project_link_with_its_gradebook_column(config: SandboxConfig,
                                                                                       tool_key: ToolKey) -> None:
    plain = create_sandbox_app(config).test_client()
    demo = create_sandbox_app(replace(config, team_project=True,
                                      instance_path=config.instance_path + "-demo")).test_client()
    headers = bearer(demo, tool_key, [SCOPE_LINEITEM])

    assert "Team project: Poster" not in plain.get("/").get_data(as_text=True)
    page = demo.get("/").get_data(as_text=True)
    assert "Team project: Poster" in page
    assert "/course/launch-as/student-3?link=sandbox-link-2" in page
    columns = demo.get(urlsplit(LINEITEMS_URL).path, headers=headers).get_json()
    assert [(item["label"], item["resourceLinkId"]) for item in columns] == [
        ("Peer review: Essay 1", "sandbox-link-1"), ("Team project: Poster", "sandbox-link-2")]


def test_launch_as_page_frames_the_tool_launch_and_offers_a_new_window(client: FlaskClient) -> None:
    response = client.get("/course/launch-as/student-2")
    page = response.get_data(as_text=True)

    iframe = re.search(r"<iframe[^>]*>", page)
    assert iframe is not None
    assert 'name="tool-frame"' in iframe.group(0)
    assert 'id="tool-frame"' in iframe.group(0)
    assert 'src="/launch/student-2?storage=on"' in iframe.group(0)  # it offers LTI platform storage
    assert "allow=" in iframe.group(0)
    assert 'href="/launch/student-2?presentation=window"' in page
    assert "X-Frame-Options" not in response.headers
    assert "sandbox_session=" in response.headers["Set-Cookie"]


def test_roster_page_lists_everyone_with_their_email(client: FlaskClient) -> None:
    page = client.get("/roster").get_data(as_text=True)

    assert "ada@example.edu" in page
    assert page.count("#Learner") >= 6


# Launch


def test_login_initiation_redirects_to_the_tools_login_with_every_parameter(client: FlaskClient) -> None:
    response = client.get("/launch/student-3")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{TOOL_URL}/lti/login"
    params = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert params == {
        "iss": SANDBOX_URL,
        "login_hint": "student-3",
        "target_link_uri": f"{TOOL_URL}/lti/launch",
        "lti_message_hint": "sandbox-link-1:iframe",
        "client_id": CLIENT_ID,
        "lti_deployment_id": DEPLOYMENT_ID,
    }


def test_login_initiation_for_an_unknown_person_is_not_found(client: FlaskClient) -> None:
    assert client.get("/launch/nobody").status_code == 404


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"redirect_uri": "http://evil.test/lti/launch"}, "redirect_uri"),
        ({"client_id": "someone-else"}, "client_id"),
        ({"login_hint": "stranger-9"}, "login_hint"),
        ({"response_type": "code"}, "response_type"),
        ({"scope": "profile"}, "scope"),
        ({"nonce": ""}, "nonce"),
        ({"lti_message_hint": "forged-link:iframe"}, "lti_message_hint"),
    ],
)
def test_authorisation_refuses_a_request_it_cannot_trust_with_a_readable_400(
    client: FlaskClient, override: dict[str, str], complaint: str
) -> None:
    response = client.get("/auth", query_string=authorisation_params(**override))

    assert response.status_code == 400
    assert complaint in response.get_data(as_text=True)
    assert 'name="id_token"' not in response.get_data(as_text=True)


def test_authorisation_posts_a_signed_id_token_with_the_lti_claims_to_the_tool(client: FlaskClient) -> None:
    response = client.post("/auth", data=authorisation_params(login_hint="student-1"))

    form = launch_form(response.get_data(as_text=True))
    assert response.status_code == 200
    assert form["action"] == f"{TOOL_URL}/lti/launch"
    assert form["state"] == "state-456"
    assert jwt.get_unverified_header(form["id_token"])["alg"] == "RS256"
    claims = verified_id_token(client, form["id_token"])
    assert claims["sub"] == "student-1"
    assert claims["nonce"] == "nonce-123"
    assert claims["exp"] > claims["iat"] >= time.time() - 60
    assert (claims["name"], claims["given_name"], claims["family_name"]) == ("Amara Okafor", "Amara", "Okafor")
    assert claims["email"] == "amara.okafor@example.edu"
    assert claims[CLAIM + "version"] == "1.3.0"
    assert claims[CLAIM + "message_type"] == "LtiResourceLinkRequest"
    assert claims[CLAIM + "deployment_id"] == DEPLOYMENT_ID
    assert claims[CLAIM + "target_link_uri"] == f"{TOOL_URL}/lti/launch"
    assert claims[CLAIM + "resource_link"] == {"id": "sandbox-link-1", "title": "Peer review: Essay 1"}
    assert claims[CLAIM + "context"] == {
        "id": CONTEXT_ID,
        "label": "DEMO101",
        "title": "Demo course: Academic Writing",
        "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
    }
    assert claims[CLAIM + "tool_platform"]["product_family_code"] == "peerlti-sandbox"
    assert claims[CLAIM + "tool_platform"]["guid"]
    assert claims[CLAIM + "launch_presentation"] == {"document_target": "iframe", "return_url": f"{SANDBOX_URL}/"}
    assert set(claims[AGS_CLAIM]["scope"]) == {SCOPE_LINEITEM, SCOPE_RESULT, SCOPE_SCORE}
    assert claims[AGS_CLAIM]["lineitems"] == LINEITEMS_URL
    assert claims[AGS_CLAIM]["lineitem"].startswith(LINEITEMS_URL + "/")
    assert claims[NRPS_CLAIM] == {"context_memberships_url": MEMBERSHIPS_URL, "service_versions": ["2.0"]}


@pytest.mark.parametrize(("user_id", "role"), [("instructor-1", INSTRUCTOR), ("student-6", LEARNER)])
def test_id_token_carries_the_roles_of_the_person_launching(client: FlaskClient, user_id: str, role: str) -> None:
    assert launch_claims(client, user_id)[CLAIM + "roles"] == [role]


def test_new_window_launch_says_so_in_the_launch_presentation(client: FlaskClient) -> None:
    hint = urlsplit(client.get("/launch/student-1?presentation=window").headers["Location"]).query
    message_hint = parse_qs(hint)["lti_message_hint"][0]
    response = client.get("/auth", query_string=authorisation_params(lti_message_hint=message_hint))

    claims = verified_id_token(client, launch_form(response.get_data(as_text=True))["id_token"])
    assert claims[CLAIM + "launch_presentation"]["document_target"] == "window"


def test_a_launch_in_another_language_sends_its_locale_in_the_launch_presentation(client: FlaskClient) -> None:
    page = client.get("/course/launch-as/student-1?locale=hi-IN").get_data(as_text=True)
    frame_src = unescape(re.search(r'<iframe[^>]*src="([^"]+)"', page).group(1))
    hint = urlsplit(client.get(frame_src).headers["Location"]).query
    message_hint = parse_qs(hint)["lti_message_hint"][0]
    response = client.get("/auth", query_string=authorisation_params(lti_message_hint=message_hint))

    claims = verified_id_token(client, launch_form(response.get_data(as_text=True))["id_token"])
    assert claims[CLAIM + "launch_presentation"] == {"document_target": "iframe", "return_url": f"{SANDBOX_URL}/",
                                                     "locale": "hi-IN"}
    assert client.get("/launch/student-1?locale=hi-IN%3Biframe").status_code == 400


def test_the_link_line_item_of_the_launch_is_readable_with_a_token(client: FlaskClient, tool_key: ToolKey) -> None:
    line_item_url = launch_claims(client, "student-1")[AGS_CLAIM]["lineitem"]

    response = client.get(urlsplit(line_item_url).path, headers=bearer(client, tool_key, [SCOPE_LINEITEM]))

    assert response.mimetype == "application/vnd.ims.lis.v2.lineitem+json"
    assert response.get_json() == {
        "id": line_item_url,
        "label": "Peer review: Essay 1",
        "scoreMaximum": 100.0,
        "resourceLinkId": "sandbox-link-1",
    }


# Access tokens


def test_token_endpoint_issues_a_bearer_token_for_a_valid_client_assertion(
    client: FlaskClient, tool_key: ToolKey
) -> None:
    response = client.post("/token", data=token_request(client_assertion(tool_key), ALL_SCOPES))

    body = response.get_json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert set(body["scope"].split()) == set(ALL_SCOPES)
    assert body["access_token"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("make_assertion", "complaint"),
    [
        (lambda key: client_assertion(replace(key, private_pem=new_tool_key().private_pem)), "signature"),
        (lambda key: client_assertion(key, iat=int(time.time()) - 600, exp=int(time.time()) - 300), "expired"),
        (lambda key: client_assertion(key, aud="http://elsewhere.test/token"), "aud"),
        (lambda key: client_assertion(replace(key, kid="unknown-kid")), "kid"),
        (lambda key: client_assertion(key, iss="another-client", sub="another-client"), "issuer"),
    ],
    ids=["bad-signature", "expired", "wrong-aud", "unknown-kid", "wrong-client"],
)
def test_token_endpoint_refuses_a_client_assertion_it_cannot_trust(
    client: FlaskClient, tool_key: ToolKey, make_assertion: Any, complaint: str
) -> None:
    response = client.post("/token", data=token_request(make_assertion(tool_key), ALL_SCOPES))

    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert complaint in response.get_json()["error_description"]


def test_token_endpoint_refuses_other_grant_types_and_unknown_scopes(client: FlaskClient, tool_key: ToolKey) -> None:
    wrong_grant = token_request(client_assertion(tool_key), ALL_SCOPES) | {"grant_type": "password"}
    unknown_scope = token_request(client_assertion(tool_key), ["https://example.test/scope/everything"])

    assert client.post("/token", data=wrong_grant).get_json()["error"] == "unsupported_grant_type"
    assert client.post("/token", data=unknown_scope).get_json()["error"] == "invalid_scope"
    assert client.post("/token", data={"grant_type": "client_credentials"}).status_code == 400


# Assignment and Grade Services


def link_line_item_path(client: FlaskClient, key: ToolKey) -> str:
    response = client.get(
        urlsplit(LINEITEMS_URL).path,
        query_string={"resource_link_id": "sandbox-link-1"},
        headers=bearer(client, key, [SCOPE_LINEITEM]),
    )
    return urlsplit(response.get_json()[0]["id"]).path


def test_score_post_without_a_token_is_unauthorised(client: FlaskClient, tool_key: ToolKey) -> None:
    path = link_line_item_path(client, tool_key)

    response = client.post(f"{path}/scores", json=score("student-1", 80, datetime.now(UTC)))

    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_score_post_with_a_token_lacking_the_score_scope_is_forbidden(client: FlaskClient, tool_key: ToolKey) -> None:
    path = link_line_item_path(client, tool_key)

    response = client.post(
        f"{path}/scores",
        json=score("student-1", 80, datetime.now(UTC)),
        headers=bearer(client, tool_key, [SCOPE_RESULT]),
    )

    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"


def test_score_post_with_a_forged_token_is_unauthorised(client: FlaskClient, tool_key: ToolKey) -> None:
    path = link_line_item_path(client, tool_key)
    forged = jwt.encode({"iss": SANDBOX_URL, "scopes": SCOPE_SCORE}, tool_key.private_pem, algorithm="RS256")

    response = client.post(
        f"{path}/scores",
        json=score("student-1", 80, datetime.now(UTC)),
        headers={"Authorization": f"Bearer {forged}"},
    )

    assert response.status_code == 401


def test_posted_score_shows_on_the_gradebook(client: FlaskClient, tool_key: ToolKey) -> None:
    path = link_line_item_path(client, tool_key)
    posted = score("student-4", 87.5, datetime.now(UTC), comment="Clear thesis & good sources")

    response = client.post(
        f"{path}/scores",
        data=json.dumps(posted),
        content_type="application/vnd.ims.lis.v1.score+json",
        headers=bearer(client, tool_key, [SCOPE_SCORE]),
    )

    assert response.status_code == 200
    assert response.get_json() == {}
    page = client.get("/gradebook").get_data(as_text=True)
    cell = re.search(r'<td data-user-id="student-4"[^>]*>(.*?)</td>', page, re.DOTALL)
    assert cell is not None
    assert "87.5/100" in cell.group(1)
    assert "FullyGraded" in cell.group(1)
    assert "Clear thesis &amp; good sources" in cell.group(1)
    assert posted["timestamp"] in cell.group(1)


def test_gradebook_keeps_every_score_newest_first(client: FlaskClient, tool_key: ToolKey) -> None:
    path = link_line_item_path(client, tool_key)
    headers = bearer(client, tool_key, [SCOPE_SCORE])
    first = datetime.now(UTC) - timedelta(minutes=5)
    client.post(f"{path}/scores", json=score("student-2", 40, first), headers=headers)
    client.post(f"{path}/scores", json=score("student-2", 70, first + timedelta(minutes=1)), headers=headers)

    page = client.get("/gradebook").get_data(as_text=True)

    cell = re.search(r'<td data-user-id="student-2"[^>]*>(.*?)</td>', page, re.DOTALL)
    assert cell is not None
    assert cell.group(1).index("70/100") < cell.group(1).index("40/100")
    assert "1 earlier" in cell.group(1)


def test_score_with_a_timestamp_not_newer_than_the_last_is_refused(client: FlaskClient, tool_key: ToolKey) -> None:
    path = link_line_item_path(client, tool_key)
    headers = bearer(client, tool_key, [SCOPE_SCORE])
    moment = datetime.now(UTC)
    assert client.post(f"{path}/scores", json=score("student-5", 60, moment), headers=headers).status_code == 200

    same = client.post(f"{path}/scores", json=score("student-5", 65, moment), headers=headers)
    older = client.post(f"{path}/scores", json=score("student-5", 65, moment - timedelta(seconds=1)), headers=headers)

    assert same.status_code == 400
    assert older.status_code == 400
    assert "timestamp" in older.get_json()["error_description"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (score("student-1", 101, datetime.now(UTC)), 400),
        (score("stranger-9", 50, datetime.now(UTC)), 400),
        (score("instructor-1", 50, datetime.now(UTC)), 422),
        ({k: v for k, v in score("student-1", 50, datetime.now(UTC)).items() if k != "timestamp"}, 400),
        (score("student-1", 50, datetime.now(UTC), activityProgress="Almost"), 400),
        (score("student-1", 50, datetime.now(UTC), gradingProgress=None), 400),
        (score("student-1", 50, datetime.now(UTC), timestamp="2024-05-01T10:00:00"), 400),
        (score("student-1", 50, datetime.now(UTC), scoreMaximum=None), 400),
    ],
    ids=[
        "above-maximum",
        "unknown-user",
        "not-a-student",
        "no-timestamp",
        "bad-activity",
        "no-grading",
        "naive-time",
        "no-maximum",
    ],
)
def test_score_that_breaks_the_ags_rules_is_refused(
    client: FlaskClient, tool_key: ToolKey, body: dict[str, Any], status: int
) -> None:
    path = link_line_item_path(client, tool_key)

    response = client.post(f"{path}/scores", json=body, headers=bearer(client, tool_key, [SCOPE_SCORE]))

    assert response.status_code == status
    assert response.get_json()["error_description"]


def test_line_items_can_be_created_listed_and_filtered(client: FlaskClient, tool_key: ToolKey) -> None:
    headers = bearer(client, tool_key, [SCOPE_LINEITEM])
    path = urlsplit(LINEITEMS_URL).path
    created = client.post(
        path,
        json={"label": "Reviewing grade", "scoreMaximum": 10, "tag": "reviewing", "resourceId": "assignment-7"},
        headers=headers,
    )

    assert created.status_code == 201
    assert created.mimetype == "application/vnd.ims.lis.v2.lineitem+json"
    new_id = created.get_json()["id"]
    assert new_id.startswith(LINEITEMS_URL + "/")
    listed = client.get(path, headers=headers)
    assert listed.mimetype == "application/vnd.ims.lis.v2.lineitemcontainer+json"
    assert [item["label"] for item in listed.get_json()] == ["Peer review: Essay 1", "Reviewing grade"]
    for query in ({"tag": "reviewing"}, {"resource_id": "assignment-7"}):
        assert [item["id"] for item in client.get(path, query_string=query, headers=headers).get_json()] == [new_id]
    by_link = client.get(path, query_string={"resource_link_id": "sandbox-link-1"}, headers=headers).get_json()
    assert [item["label"] for item in by_link] == ["Peer review: Essay 1"]
    assert client.get(path, query_string={"tag": "nothing"}, headers=headers).get_json() == []


def test_line_item_list_pages_with_a_next_link(client: FlaskClient, tool_key: ToolKey) -> None:
    headers = bearer(client, tool_key, [SCOPE_LINEITEM])
    path = urlsplit(LINEITEMS_URL).path
    for number in range(3):
        client.post(path, json={"label": f"Extra {number}", "scoreMaximum": 5}, headers=headers)

    first = client.get(path, query_string={"limit": 3}, headers=headers)

    assert len(first.get_json()) == 3
    next_url = re.fullmatch(r'<([^>]+)>; rel="next"', first.headers["Link"])
    assert next_url is not None
    second = client.get(next_url.group(1).removeprefix(SANDBOX_URL), headers=headers)
    assert [item["label"] for item in second.get_json()] == ["Extra 2"]
    assert "Link" not in second.headers


def test_line_item_creation_needs_a_label_and_a_positive_maximum(client: FlaskClient, tool_key: ToolKey) -> None:
    headers = bearer(client, tool_key, [SCOPE_LINEITEM])
    path = urlsplit(LINEITEMS_URL).path

    assert client.post(path, json={"scoreMaximum": 10}, headers=headers).status_code == 400
    assert client.post(path, json={"label": "Zero", "scoreMaximum": 0}, headers=headers).status_code == 400
    assert (
        client.post(path, json={"label": "X", "scoreMaximum": 1, "resourceLinkId": "nope"}, headers=headers).status_code
        == 400
    )


def test_line_item_can_be_updated_and_deleted(client: FlaskClient, tool_key: ToolKey) -> None:
    headers = bearer(client, tool_key, [SCOPE_LINEITEM])
    created = client.post(urlsplit(LINEITEMS_URL).path, json={"label": "Draft", "scoreMaximum": 10}, headers=headers)
    item_path = urlsplit(created.get_json()["id"]).path

    updated = client.put(item_path, json={"label": "Final", "scoreMaximum": 20}, headers=headers)

    assert updated.status_code == 200
    assert client.get(item_path, headers=headers).get_json()["label"] == "Final"
    assert client.delete(item_path, headers=headers).status_code == 204
    assert client.get(item_path, headers=headers).status_code == 404


def test_read_only_line_item_scope_cannot_create_line_items(client: FlaskClient, tool_key: ToolKey) -> None:
    headers = bearer(client, tool_key, ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"])
    path = urlsplit(LINEITEMS_URL).path

    assert client.get(path, headers=headers).status_code == 200
    assert client.post(path, json={"label": "X", "scoreMaximum": 1}, headers=headers).status_code == 403


def test_results_give_the_latest_score_of_each_student(client: FlaskClient, tool_key: ToolKey) -> None:
    path = link_line_item_path(client, tool_key)
    headers = bearer(client, tool_key, [SCOPE_SCORE, SCOPE_RESULT])
    moment = datetime.now(UTC)
    client.post(f"{path}/scores", json=score("student-1", 50, moment), headers=headers)
    client.post(f"{path}/scores", json=score("student-1", 90, moment + timedelta(seconds=1)), headers=headers)
    client.post(f"{path}/scores", json=score("student-3", 30, moment, comment="Needs sources"), headers=headers)

    response = client.get(f"{path}/results", headers=headers)

    assert response.mimetype == "application/vnd.ims.lis.v2.resultcontainer+json"
    results = {result["userId"]: result for result in response.get_json()}
    assert results["student-1"]["resultScore"] == 90
    assert results["student-1"]["resultMaximum"] == 100
    assert results["student-1"]["scoreOf"] == SANDBOX_URL + path
    assert results["student-3"]["comment"] == "Needs sources"
    only = client.get(f"{path}/results", query_string={"user_id": "student-3"}, headers=headers).get_json()
    assert [result["userId"] for result in only] == ["student-3"]


# Names and Role Provisioning Services


def test_nrps_lists_the_instructor_and_every_student(client: FlaskClient, tool_key: ToolKey) -> None:
    response = client.get(urlsplit(MEMBERSHIPS_URL).path, headers=bearer(client, tool_key, [SCOPE_NRPS]))

    body = response.get_json()
    assert response.mimetype == "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    assert body["context"] == {"id": CONTEXT_ID, "label": "DEMO101", "title": "Demo course: Academic Writing"}
    members = {member["user_id"]: member for member in body["members"]}
    assert members["instructor-1"] == {
        "status": "Active",
        "user_id": "instructor-1",
        "name": "Ada Instructor",
        "given_name": "Ada",
        "family_name": "Instructor",
        "email": "ada@example.edu",
        "roles": [INSTRUCTOR],
    }
    assert all(members[user_id]["roles"] == [LEARNER] for user_id in STUDENTS)


def test_nrps_filters_by_role(client: FlaskClient, tool_key: ToolKey) -> None:
    headers = bearer(client, tool_key, [SCOPE_NRPS])

    learners = client.get(urlsplit(MEMBERSHIPS_URL).path, query_string={"role": LEARNER}, headers=headers)
    short = client.get(urlsplit(MEMBERSHIPS_URL).path, query_string={"role": "Learner"}, headers=headers)

    assert [m["user_id"] for m in learners.get_json()["members"]] == STUDENTS
    assert [m["user_id"] for m in short.get_json()["members"]] == STUDENTS


def test_nrps_pages_with_a_next_link_until_everyone_is_listed(client: FlaskClient, tool_key: ToolKey) -> None:
    headers = bearer(client, tool_key, [SCOPE_NRPS])
    url: str | None = f"{MEMBERSHIPS_URL}?limit=3"
    seen: list[str] = []
    pages = 0

    while url:
        response = client.get(url.removeprefix(SANDBOX_URL), headers=headers)
        seen += [member["user_id"] for member in response.get_json()["members"]]
        link = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
        url = link.group(1) if link else None
        pages += 1

    assert pages == 3
    assert seen == ["instructor-1", "ta-1", *STUDENTS]


def test_nrps_without_the_membership_scope_is_forbidden(client: FlaskClient, tool_key: ToolKey) -> None:
    response = client.get(urlsplit(MEMBERSHIPS_URL).path, headers=bearer(client, tool_key, [SCOPE_SCORE]))

    assert response.status_code == 403


# Persistence


def test_gradebook_and_keys_survive_recreating_the_app_on_the_same_instance_path(
    config: SandboxConfig, tool_key: ToolKey
) -> None:
    first = create_sandbox_app(config).test_client()
    path = link_line_item_path(first, tool_key)
    first.post(
        urlsplit(LINEITEMS_URL).path,
        json={"label": "Kept", "scoreMaximum": 3},
        headers=bearer(first, tool_key, [SCOPE_LINEITEM]),
    )
    first.post(
        f"{path}/scores", json=score("student-6", 77, datetime.now(UTC)), headers=bearer(first, tool_key, [SCOPE_SCORE])
    )
    kid = first.get("/jwks").get_json()["keys"][0]["kid"]

    second = create_sandbox_app(config).test_client()

    assert second.get("/jwks").get_json()["keys"][0]["kid"] == kid
    page = second.get("/gradebook").get_data(as_text=True)
    assert "77/100" in page
    assert "Kept" in page
    headers = bearer(second, tool_key, [SCOPE_LINEITEM])
    assert len(second.get(urlsplit(LINEITEMS_URL).path, headers=headers).get_json()) == 2


# A real tool client over HTTP


@dataclass(frozen=True)
class LiveSandbox:
    base_url: str
    tool_key: ToolKey


@pytest.fixture
def live_sandbox(tmp_path, tool_key: ToolKey) -> Iterator[LiveSandbox]:
    """The sandbox on a real port; the same server plays the tool's JWKS URL so keys are fetched over HTTP."""
    apps: dict[str, Flask] = {}

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/tool/lti/jwks":
            return Response(json.dumps(tool_key.jwks), mimetype="application/json")(environ, start_response)
        return apps["sandbox"](environ, start_response)

    server = make_server("127.0.0.1", 0, application, threaded=True)
    base_url = f"http://127.0.0.1:{server.port}"
    apps["sandbox"] = create_sandbox_app(
        SandboxConfig(base_url=base_url, tool_base_url=f"{base_url}/tool", instance_path=str(tmp_path / "live"))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveSandbox(base_url, tool_key)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_pylti1p3_client_gets_a_token_posts_a_score_and_reads_the_roster_over_http(
    live_sandbox: LiveSandbox,
) -> None:
    base_url = live_sandbox.base_url
    with requests.Session() as http:
        auth = http.get(
            f"{base_url}/auth",
            params=authorisation_params(login_hint="instructor-1", redirect_uri=f"{base_url}/tool/lti/launch"),
            timeout=10,
        )
        id_token = launch_form(auth.text)["id_token"]
        claims = jwt.decode(id_token, options={"verify_signature": False})
        registration = (
            Registration()
            .set_issuer(base_url)
            .set_client_id(CLIENT_ID)
            .set_auth_token_url(f"{base_url}/token")
            .set_auth_audience(f"{base_url}/token")
            .set_tool_private_key(live_sandbox.tool_key.private_pem)
            .set_tool_public_key(live_sandbox.tool_key.public_pem)
        )
        connector = FreshTokenConnector(registration, requests_session=http)
        ags = AssignmentsGradesService(connector, claims[AGS_CLAIM])
        nrps = NamesRolesProvisioningService(
            connector, {"context_memberships_url": claims[NRPS_CLAIM]["context_memberships_url"] + "?limit=3"}
        )

        grade = (
            Grade()
            .set_user_id("student-1")
            .set_score_given(8)
            .set_score_maximum(10)
            .set_activity_progress("Completed")
            .set_grading_progress("FullyGraded")
            .set_timestamp(datetime.now(UTC).isoformat())
            .set_comment("Posted by pylti1p3")
        )
        link_response = ags.put_grade(grade)
        reviewing = ags.find_or_create_lineitem(
            LineItem().set_tag("reviewing").set_label("Reviewing grade").set_score_maximum(10)
        )
        ags.put_grade(grade, reviewing)
        grades = ags.get_grades()
        members = nrps.get_members()
        gradebook = http.get(f"{base_url}/gradebook", timeout=10).text

    assert link_response["body"] == {}
    assert reviewing.get_id().startswith(f"{base_url}/api/courses/{CONTEXT_ID}/lineitems/")
    assert [(g["userId"], g["resultScore"]) for g in grades] == [("student-1", 8)]
    assert [member["user_id"] for member in members] == ["instructor-1", "ta-1", *STUDENTS]
    assert gradebook.count("8/10") == 2
    assert "Posted by pylti1p3" in gradebook
