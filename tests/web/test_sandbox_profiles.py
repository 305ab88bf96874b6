"""The sandbox behaves like Canvas or like Moodle when asked: their endpoints, paging, claims and refusals."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from sandbox.__main__ import main as sandbox_cli
from sandbox.app import create_sandbox_app
from sandbox.endpoints import Endpoints
from sandbox.profiles import CANVAS_COURSE_ID, CANVAS_ISSUER, MOODLE_COURSE_ID
from sandbox.registration import registration_record
from sandbox.throttle import LeakyBucket, ThrottleSettings
from tests.support.sandbox_setup import SANDBOX_URL, TOOL_URL, ToolKey, new_tool_key, sandbox_config
from tests.web.test_sandbox_platform import ALL_SCOPES, CLIENT_ID, authorisation_params, launch_form, token_request

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.fixture(scope="module")
def tool_key() -> ToolKey:
    return new_tool_key()


def profile_app(tmp_path, key: ToolKey, lms: str, **options: Any) -> Flask:
    return create_sandbox_app(replace(sandbox_config(tmp_path, key), lms=lms, **options))


def endpoints_of(app: Flask) -> Endpoints:
    return app.extensions["sandbox"].endpoints


def bearer(client: FlaskClient, key: ToolKey, endpoints: Endpoints) -> dict[str, str]:
    now = int(time.time())
    assertion = jwt.encode({"iss": CLIENT_ID, "sub": CLIENT_ID, "aud": endpoints.token, "iat": now, "exp": now + 60,
                            "jti": str(uuid.uuid4())}, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
    response = client.post(urlsplit(endpoints.token).path, data=token_request(assertion, ALL_SCOPES))
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def relative(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def claims_of_launch(client: FlaskClient, app: Flask, login_hint: str = "student-1") -> dict[str, Any]:
    endpoints = endpoints_of(app)
    response = client.get(urlsplit(endpoints.auth).path, query_string=authorisation_params(login_hint=login_hint),
                          follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    id_token = launch_form(response.get_data(as_text=True))["id_token"]
    keys = client.get(urlsplit(endpoints.jwks).path).get_json()["keys"]
    return jwt.decode(id_token, jwt.PyJWK(keys[0]).key, algorithms=["RS256"], audience=CLIENT_ID,
                      issuer=endpoints.issuer)


def score(user_id: str, at: datetime, given: float | None = 80, **extra: Any) -> dict[str, Any]:
    body = {"userId": user_id, "scoreMaximum": 100, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": at.isoformat()} | extra
    if given is not None:
        body["scoreGiven"] = given
    return body


def demo_line_item(client: FlaskClient, app: Flask) -> str:
    return claims_of_launch(client, app)[AGS_CLAIM]["lineitem"]


def scores_url(lineitem: str) -> str:
    path, _, query = relative(lineitem).partition("?")
    return f"{path}/scores" + (f"?{query}" if query else "")


# Endpoint shapes


def test_the_canvas_profile_has_the_shared_issuer_and_canvas_endpoint_paths(tmp_path, tool_key) -> None:
    config = replace(sandbox_config(tmp_path, tool_key), lms="canvas")

    record = registration_record(config)

    assert record["issuer"] == CANVAS_ISSUER
    assert record["auth_login_url"] == f"{SANDBOX_URL}/api/lti/authorize_redirect"
    assert record["auth_token_url"] == record["audience"] == f"{SANDBOX_URL}/login/oauth2/token"
    assert record["key_set_url"] == f"{SANDBOX_URL}/api/lti/security/jwks"


def test_the_moodle_profile_has_moodles_php_endpoints(tmp_path, tool_key) -> None:
    record = registration_record(replace(sandbox_config(tmp_path, tool_key), lms="moodle"))

    assert record["issuer"] == SANDBOX_URL
    assert (record["auth_login_url"], record["auth_token_url"], record["key_set_url"]) == (
        f"{SANDBOX_URL}/mod/lti/auth.php", f"{SANDBOX_URL}/mod/lti/token.php", f"{SANDBOX_URL}/mod/lti/certs.php")


def test_the_command_line_serves_and_prints_each_profile(capsys) -> None:
    assert sandbox_cli(["registration", "--lms", "moodle", "--base-url", "http://lms.test"]) == 0
    assert '"auth_token_url": "http://lms.test/mod/lti/token.php"' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        sandbox_cli(["registration", "--lms", "blackboard"])


def test_the_spec_profile_keeps_its_own_paths_and_answers_nothing_at_canvas_or_moodle_paths(tmp_path, tool_key):
    client = profile_app(tmp_path, tool_key, "spec").test_client()

    assert client.get("/jwks").status_code == 200
    assert client.get("/api/lti/security/jwks").status_code == 404
    assert client.get("/mod/lti/certs.php").status_code == 404


def test_canvas_authorize_redirect_sends_the_browser_on_to_the_account_authorize_endpoint(tmp_path, tool_key):
    client = profile_app(tmp_path, tool_key, "canvas").test_client()

    response = client.post("/api/lti/authorize_redirect", data=authorisation_params())

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/api/lti/authorize"
    assert parse_qs(location.query)["nonce"] == ["nonce-123"]


@pytest.mark.parametrize("lms, lineitems, memberships", [
    ("canvas", f"{SANDBOX_URL}/api/lti/courses/{CANVAS_COURSE_ID}/line_items",
     f"{SANDBOX_URL}/api/lti/courses/{CANVAS_COURSE_ID}/names_and_roles"),
    ("moodle", f"{SANDBOX_URL}/mod/lti/services.php/{MOODLE_COURSE_ID}/lineitems?type_id=1",
     f"{SANDBOX_URL}/mod/lti/services.php/CourseSection/{MOODLE_COURSE_ID}/bindings/1/memberships"),
])
def test_launches_name_the_service_urls_of_the_profile(tmp_path, tool_key, lms, lineitems, memberships) -> None:
    app = profile_app(tmp_path, tool_key, lms)

    claims = claims_of_launch(app.test_client(), app)

    assert claims[AGS_CLAIM]["lineitems"] == lineitems
    assert claims[AGS_CLAIM]["lineitem"].startswith(lineitems.partition("?")[0] + "/")
    assert claims[NRPS_CLAIM]["context_memberships_url"] == memberships


# Claims and login parameters


def test_canvas_launches_carry_its_placement_platform_and_an_opaque_context_id(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "canvas")

    claims = claims_of_launch(app.test_client(), app)

    assert claims["iss"] == CANVAS_ISSUER
    assert claims["https://www.instructure.com/placement"] == "assignment_selection"
    assert claims[CLAIM + "tool_platform"]["product_family_code"] == "canvas"
    assert claims[CLAIM + "context"]["id"] != CANVAS_COURSE_ID and len(claims[CLAIM + "context"]["id"]) == 40
    assert claims[CLAIM + "lti11_legacy_user_id"]


def test_canvas_logins_name_the_deployment_deployment_id_and_offer_storage_from_the_course_page(tmp_path, tool_key):
    client = profile_app(tmp_path, tool_key, "canvas").test_client()

    plain = parse_qs(urlsplit(client.get("/launch/student-1").headers["Location"]).query)
    offered = parse_qs(urlsplit(client.get("/launch/student-1?storage=on").headers["Location"]).query)

    assert plain["deployment_id"] == ["sandbox-deployment-1"] and "lti_deployment_id" not in plain
    assert plain["canvas_environment"] == ["prod"]
    assert "lti_storage_target" not in plain and offered["lti_storage_target"]


def test_canvas_expands_the_students_own_due_date_in_custom_parameters(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "canvas",
                      custom_fields={"due_at": "$Canvas.assignment.dueAt.iso8601", "unknown": "$Canvas.nothing"},
                      due_dates={"*": "2026-12-01T23:59:00Z", "student-2": "2026-12-08T23:59:00Z"})
    client = app.test_client()

    first, second = claims_of_launch(client, app, "student-1"), claims_of_launch(client, app, "student-2")

    assert first[CLAIM + "custom"] == {"due_at": "2026-12-01T23:59:00Z", "unknown": "$Canvas.nothing"}
    assert second[CLAIM + "custom"]["due_at"] == "2026-12-08T23:59:00Z"


def test_moodle_launches_carry_its_ext_claim_and_site_administrators_roles(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "moodle")
    client = app.test_client()

    student, admin = claims_of_launch(client, app), claims_of_launch(client, app, "admin-1")

    assert student[CLAIM + "ext"] == {"user_username": "student-1", "lms": "moodle-2"}
    assert student[CLAIM + "tool_platform"]["product_family_code"] == "moodle"
    assert student[CLAIM + "context"]["id"] == MOODLE_COURSE_ID
    assert set(admin[CLAIM + "roles"]) == {LIS + "membership#Instructor", LIS + "system/person#Administrator",
                                           LIS + "institution/person#Administrator"}
    assert parse_qs(urlsplit(client.get("/launch/student-1").headers["Location"]).query)["lti_deployment_id"]


# Paging


def test_canvas_pages_the_roster_by_fifty_with_page_and_per_page_links(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "canvas")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    url = relative(endpoints_of(app).memberships(CANVAS_COURSE_ID))

    response = client.get(url + "?limit=2", headers=headers)
    over = client.get(url + "?limit=500", headers=headers)

    assert len(response.get_json()["members"]) == 2
    links = response.headers["Link"].split(",")
    assert any('rel="next"' in link and "page=2" in link and "per_page=2" in link for link in links)
    assert not any("limit=" in link for link in links)
    assert {'rel="current"', 'rel="first"', 'rel="last"'} <= {link.rpartition("; ")[2] for link in links}
    assert len(over.get_json()["members"]) == len(app.extensions["sandbox"].course.people) <= 50


def test_canvas_pages_line_items_by_ten_unless_asked(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "canvas")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    url = relative(endpoints_of(app).lineitems(CANVAS_COURSE_ID))
    for number in range(11):
        assert client.post(url, json={"label": f"Item {number}", "scoreMaximum": 10}, headers=headers).status_code == 201

    first = client.get(url, headers=headers)

    assert len(first.get_json()) == 10
    assert 'rel="next"' in first.headers["Link"]


def test_moodle_roster_pages_with_limit_and_from_and_its_next_page_forgets_the_role_filter(tmp_path, tool_key):
    app = profile_app(tmp_path, tool_key, "moodle")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    url = relative(endpoints_of(app).memberships(MOODLE_COURSE_ID))

    whole = client.get(url, headers=headers)
    page = client.get(url + "?role=Learner&limit=2", headers=headers)

    assert "Link" not in whole.headers and len(whole.get_json()["members"]) == 9
    next_url = page.headers["Link"].partition(">")[0].lstrip("<")
    assert parse_qs(urlsplit(next_url).query) == {"limit": ["2"], "from": ["2"]}


def test_moodle_line_item_links_use_typographic_quotes_that_rel_next_readers_miss(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "moodle")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    url = relative(endpoints_of(app).lineitems(MOODLE_COURSE_ID))
    client.post(url, json={"label": "Second", "scoreMaximum": 10}, headers=headers)

    page = client.get(url + "&limit=1", headers=headers)

    link = page.headers["Link"].encode("latin-1").decode("utf-8")
    assert "rel=\u201cnext\u201d" in link and 'rel="next"' not in link
    assert "type_id=1" in link and "from=1" in link


# Refusals


def test_canvas_refuses_a_score_for_a_non_student_or_in_a_concluded_course_with_422(tmp_path, tool_key) -> None:
    now = datetime.now(UTC)
    for options, user in (({}, "instructor-1"), ({"course_concluded": True}, "student-1")):
        app = profile_app(tmp_path / str(len(options)), tool_key, "canvas", **options)
        client = app.test_client()
        headers = bearer(client, tool_key, endpoints_of(app))

        response = client.post(scores_url(demo_line_item(client, app)), json=score(user, now), headers=headers)

        assert response.status_code == 422
        assert response.get_json() == {"errors": {"type": "unprocessable_entity",
                                                  "message": "User not found in course or is not a student"}}


def test_canvas_refuses_only_an_older_timestamp_and_answers_a_result_url(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "canvas")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    url = scores_url(demo_line_item(client, app))
    now = datetime.now(UTC)

    first = client.post(url, json=score("student-1", now), headers=headers)
    same = client.post(url, json=score("student-1", now, given=90), headers=headers)
    older = client.post(url, json=score("student-1", now - timedelta(seconds=1)), headers=headers)

    assert first.status_code == same.status_code == 200
    assert first.get_json()["resultUrl"].endswith("/results/student-1")
    assert older.status_code == 400 and "before last updated timestamp" in older.get_json()["errors"]["message"]


def test_canvas_answers_412_for_a_score_naming_another_resource_link(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "canvas")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))

    response = client.post(scores_url(demo_line_item(client, app)),
                           json=score("student-1", datetime.now(UTC), resourceLinkId="other-link"), headers=headers)

    assert response.status_code == 412 and response.get_json()["errors"]["type"] == "precondition_failed"


def test_moodle_refuses_an_equal_timestamp_with_409_and_drops_a_score_that_is_not_fully_graded(tmp_path, tool_key):
    app = profile_app(tmp_path, tool_key, "moodle")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    lineitem = demo_line_item(client, app)
    url, now = scores_url(lineitem), datetime.now(UTC)

    pending = client.post(url, json=score("student-1", now, gradingProgress="PendingManual"), headers=headers)
    again = client.post(url, json=score("student-1", now), headers=headers)
    teacher = client.post(url, json=score("instructor-1", now), headers=headers)
    stored = app.extensions["sandbox"].store.score_history(lineitem.partition("?")[0].rsplit("/", 2)[1])

    assert pending.status_code == 200 and pending.get_data() == b""
    assert stored["student-1"][-1]["scoreGiven"] is None
    assert again.status_code == 409 and again.status.startswith("409 Refusing score with an earlier timestamp")
    assert teacher.status_code == 400 and teacher.status == "400 Incorrect score received"


def test_moodle_refuses_service_calls_that_drop_the_type_id(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "moodle")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    lineitem = demo_line_item(client, app)

    assert client.get(relative(lineitem), headers=headers).status_code == 200
    assert client.get(relative(endpoints_of(app).lineitems(MOODLE_COURSE_ID)).partition("?")[0],
                      headers=headers).status_code == 401
    assert client.post(scores_url(lineitem).partition("?")[0], json=score("student-1", datetime.now(UTC)),
                       headers=headers).status_code == 403


@pytest.mark.parametrize("lms, status, body", [
    ("canvas", 401, {"errors": {"type": "unauthorized", "message": "Insufficient permissions"}}),
    ("moodle", 403, None),
])
def test_a_roster_the_lms_withholds_is_refused_as_that_lms_refuses_it(tmp_path, tool_key, lms, status, body) -> None:
    app = profile_app(tmp_path, tool_key, lms, roster_refused=True)
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    course_id = app.extensions["sandbox"].service_course_id

    response = client.get(relative(endpoints_of(app).memberships(course_id)), headers=headers)

    assert response.status_code == status
    assert response.get_json(silent=True) == body
    assert NRPS_CLAIM not in claims_of_launch(client, app)


# Throttling


@pytest.mark.parametrize("status", [403, 429])
def test_canvas_throttles_a_client_whose_bucket_is_full_and_says_how_much_is_left(tmp_path, tool_key, status) -> None:
    settings = ThrottleSettings(hwm=100, maximum=200, outflow=0.0, up_front_cost=50, request_cost=40, status=status)
    app = profile_app(tmp_path, tool_key, "canvas", throttle=settings)
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    url = relative(endpoints_of(app).memberships(CANVAS_COURSE_ID))

    answers = [client.get(url, headers=headers) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, status]
    assert [a.headers["X-Rate-Limit-Remaining"] for a in answers] == ["60.0", "20.0", "-20.0", "0.0"]
    assert answers[3].get_data(as_text=True).endswith("(Rate Limit Exceeded)\n")
    assert "X-Request-Cost" not in answers[3].headers


def test_canvas_throttle_leaks_so_a_client_that_waits_is_served_again() -> None:
    clock = [0.0]
    bucket = LeakyBucket(ThrottleSettings(hwm=10, maximum=10.5, outflow=1.0), clock=lambda: clock[0])
    bucket.fill()

    refused = bucket.reserve()
    clock[0] += 1.0
    served = bucket.reserve()

    assert (refused, served) == (False, True)


def test_spec_and_moodle_profiles_do_not_throttle(tmp_path, tool_key) -> None:
    for lms in ("spec", "moodle"):
        app = profile_app(tmp_path / lms, tool_key, lms, throttle=ThrottleSettings(hwm=0))
        assert app.extensions["sandbox"].throttle is None


def test_moodle_posts_a_refused_authentication_back_to_the_tool_with_its_error_and_state(tmp_path, tool_key) -> None:
    client = profile_app(tmp_path, tool_key, "moodle").test_client()

    answer = client.get("/mod/lti/auth.php", query_string=authorisation_params(login_hint="somebody-else"))
    unregistered = client.get("/mod/lti/auth.php", query_string=authorisation_params(
        login_hint="somebody-else", redirect_uri="https://elsewhere.test/"))

    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and f'action="{TOOL_URL}/lti/launch"' in page
    assert 'name="error" value="access_denied"' in page and 'name="state" value="state-456"' in page
    assert unregistered.status_code == 400 and 'name="error"' not in unregistered.get_data(as_text=True)


@pytest.mark.parametrize(("headers", "refused"), [
    ({"Sec-Fetch-Site": "cross-site"}, True),
    ({"Origin": "https://tool.example.org"}, True),
    ({"Sec-Fetch-Site": "same-site", "Origin": "https://tool.example.org"}, False),
    ({}, False),
])
def test_moodle_loses_its_lax_session_cookie_on_a_cross_site_post_to_auth_php(tmp_path, tool_key, headers, refused):
    client = profile_app(tmp_path, tool_key, "moodle").test_client()

    posted = client.post("/mod/lti/auth.php", data=authorisation_params(), headers=headers)
    fetched = client.get("/mod/lti/auth.php", query_string=authorisation_params(), headers=headers)

    page = posted.get_data(as_text=True)
    assert ('name="error" value="access_denied"' in page) is refused
    assert 'name="id_token"' in fetched.get_data(as_text=True)


@pytest.mark.parametrize("lms", ["canvas", "spec"])
def test_a_cross_site_post_to_the_auth_endpoint_is_answered_outside_moodle(tmp_path, tool_key, lms) -> None:
    app = profile_app(tmp_path, tool_key, lms)
    client = app.test_client()

    posted = client.post(urlsplit(endpoints_of(app).auth).path, data=authorisation_params(),
                         headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=True)

    assert 'name="id_token"' in posted.get_data(as_text=True)


CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"
CANVAS_SUBMISSION_TYPE = "https://canvas.instructure.com/lti/submission_type"


def test_canvas_keeps_a_line_items_submission_type_and_refuses_an_unknown_one(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "canvas")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    url = relative(endpoints_of(app).lineitems(CANVAS_COURSE_ID))
    extension = {"type": "external_tool", "external_tool_url": f"{TOOL_URL}/lti/launch"}

    kept = client.post(url, json={"label": "Essay", "scoreMaximum": 10, CANVAS_SUBMISSION_TYPE: extension},
                       headers=headers)
    unknown = client.post(url, json={"label": "Essay", "scoreMaximum": 10,
                                     CANVAS_SUBMISSION_TYPE: {"type": "online_upload"}}, headers=headers)
    no_url = client.post(url, json={"label": "Essay", "scoreMaximum": 10,
                                    CANVAS_SUBMISSION_TYPE: {"type": "external_tool"}}, headers=headers)

    assert kept.status_code == 201 and kept.get_json()[CANVAS_SUBMISSION_TYPE] == extension
    assert unknown.status_code == no_url.status_code == 400


def test_other_profiles_drop_canvas_line_item_extensions(tmp_path, tool_key) -> None:
    app = profile_app(tmp_path, tool_key, "moodle")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    url = relative(endpoints_of(app).lineitems(MOODLE_COURSE_ID))

    created = client.post(url, json={"label": "Essay", "scoreMaximum": 10, CANVAS_SUBMISSION_TYPE: {
        "type": "external_tool", "external_tool_url": f"{TOOL_URL}/lti/launch"}}, headers=headers)

    assert created.status_code == 201 and CANVAS_SUBMISSION_TYPE not in created.get_json()


def test_canvas_refuses_a_submission_dated_in_the_future_or_unreadable_and_keeps_a_valid_one(tmp_path, tool_key):
    app = profile_app(tmp_path, tool_key, "canvas")
    client = app.test_client()
    headers = bearer(client, tool_key, endpoints_of(app))
    url = scores_url(demo_line_item(client, app))
    now = datetime.now(UTC)

    def posted(submitted_at: str, at: datetime):
        return client.post(url, headers=headers, json=score("student-1", at, **{CANVAS_SUBMISSION: {
            "submission_type": "basic_lti_launch", "submission_data": f"{TOOL_URL}/lti/launch?for_user=student-1",
            "submitted_at": submitted_at}}))

    future = posted((now + timedelta(minutes=2)).isoformat(), now)
    within_a_minute = posted((now + timedelta(seconds=30)).isoformat(), now)
    unreadable = posted("yesterday", now + timedelta(seconds=1))

    assert future.status_code == 400 and "in the future" in future.get_json()["errors"]["message"]
    assert within_a_minute.status_code == 200
    assert unreadable.status_code == 400 and "not a valid timestamp" in unreadable.get_json()["errors"]["message"]
