"""The Canvas developer-key JSON, and the page of registration values and who may open it."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from jwcrypto.jwk import JWK
from sqlalchemy import select

from lti_tool.installation.canvas import canvas_configuration
from lti_tool.installation.invites import RegistrationInvite, valid_invite
from lti_tool.installation.values import ToolValues
from lti_tool.registry import ToolKey
from tests.support.access import visitor_of_kind
from tests.support.rows import see_committed
from tests.support.tokens import CLAIM, genuine_launch, sign_token
from tests.support.visitor import Visitor, page_text

# What Canvas's "Configuring LTI Advantage Tools" documentation says a developer key's JSON holds.
CANVAS_REQUIRED = {"title": str, "description": str, "oidc_initiation_url": str, "target_link_uri": str}
CANVAS_OPTIONAL = {"scopes": list, "extensions": list, "custom_fields": dict, "public_jwk": dict, "public_jwk_url": str}
CANVAS_SCOPES = {
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}
PRIVACY_LEVELS = {"public", "name_only", "email_only", "anonymous"}
# Placements that accept a deep linking request, and some that take resource link launches.
DEEP_LINKING_PLACEMENTS = {"assignment_selection", "link_selection", "editor_button", "homework_submission",
                           "migration_selection", "course_assignments_menu", "module_index_menu_modal"}
RESOURCE_LINK_PLACEMENTS = {"course_navigation", "account_navigation", "user_navigation", "assignment_selection",
                            "link_selection", "global_navigation"}


def _canvas_problems(config: dict[str, Any]) -> list[str]:
    """Every way the JSON departs from Canvas's documented fields."""
    problems = [f"{name} missing or not {kind.__name__}" for name, kind in CANVAS_REQUIRED.items()
                if not isinstance(config.get(name), kind)]
    problems += [f"{name} is not {kind.__name__}" for name, kind in CANVAS_OPTIONAL.items()
                 if name in config and not isinstance(config[name], kind)]
    problems += [f"unknown field {name}" for name in config if name not in CANVAS_REQUIRED | CANVAS_OPTIONAL]
    if ("public_jwk" in config) == ("public_jwk_url" in config):
        problems.append("exactly one of public_jwk and public_jwk_url")
    for name in ("oidc_initiation_url", "target_link_uri", "public_jwk_url"):
        if name in config and urlsplit(str(config[name])).scheme not in ("http", "https"):
            problems.append(f"{name} is not a URL")
    problems += [f"unknown scope {scope}" for scope in config.get("scopes", []) if scope not in CANVAS_SCOPES]
    for extension in config.get("extensions", []):
        problems += _extension_problems(extension)
    return problems


def _extension_problems(extension: dict[str, Any]) -> list[str]:
    problems = []
    if extension.get("platform") != "canvas.instructure.com":
        problems.append("extension platform must be canvas.instructure.com")
    if extension.get("privacy_level") not in PRIVACY_LEVELS:
        problems.append("privacy_level unknown")
    for placement in extension.get("settings", {}).get("placements", []):
        name, message_type = placement.get("placement"), placement.get("message_type")
        allowed = DEEP_LINKING_PLACEMENTS if message_type == "LtiDeepLinkingRequest" else RESOURCE_LINK_PLACEMENTS
        if message_type not in ("LtiResourceLinkRequest", "LtiDeepLinkingRequest") or name not in allowed:
            problems.append(f"placement {name} cannot take {message_type}")
        if urlsplit(str(placement.get("target_link_uri"))).scheme not in ("http", "https"):
            problems.append(f"placement {name} has no target_link_uri")
    return problems


def test_the_canvas_json_holds_exactly_the_fields_canvas_documents(lms):
    response = requests.get(f"{lms.tool.url}/lti/canvas.json", timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    config = response.json()
    assert _canvas_problems(config) == []
    assert config["oidc_initiation_url"] == f"{lms.tool.url}/lti/login"
    assert config["public_jwk_url"] == f"{lms.tool.url}/lti/jwks"
    placements = {p["placement"]: p["message_type"] for p in config["extensions"][0]["settings"]["placements"]}
    assert placements == {"assignment_selection": "LtiDeepLinkingRequest", "link_selection": "LtiDeepLinkingRequest",
                          "course_navigation": "LtiResourceLinkRequest"}
    assert config["extensions"][0]["privacy_level"] == "public"


def test_the_canvas_checker_notices_what_canvas_would_refuse():
    config = canvas_configuration(ToolValues("https://peerlti.example.edu"))
    broken = config | {"public_jwk": {}, "oidc_initiation_url": "peerlti/login", "scopes": ["https://x/scope"]}
    broken["extensions"] = [config["extensions"][0] | {"privacy_level": "everyone", "settings": {"placements": [
        {"placement": "course_navigation", "message_type": "LtiDeepLinkingRequest", "target_link_uri": "x"}]}}]

    assert len(_canvas_problems(broken)) == 6


EXPECTED = {
    "anonymous": 403,
    "student": 403,
    "student of another course": 403,
    "teaching assistant": 200,
    "instructor": 200,
    "instructor of another course": 403,
}


@pytest.mark.parametrize("kind", EXPECTED)
def test_the_registration_values_page_is_for_the_course_staff(lms, kind):
    instructor = Visitor(lms, "instructor-1")
    instructor.launch()
    visitor = visitor_of_kind(lms, kind, instructor.link_id)

    response = visitor.get("/links/{link}/install")

    assert response.status_code == EXPECTED[kind]


def test_the_registration_values_page_shows_each_value_with_a_copy_button(lms):
    instructor = Visitor(lms, "instructor-1")
    instructor.launch()

    page = instructor.get("/links/{link}/install").text

    values = {name: unescape(value) for name, value in re.findall(r'<pre class="copyable" id="([^"]+)">([^<]*)</pre>', page)}
    assert values["tool-url"] == values["deep-linking-url"] == values["redirect-uris"] == f"{lms.tool.url}/lti/launch"
    assert values["login-url"] == f"{lms.tool.url}/lti/login"
    assert values["jwks-url"] == f"{lms.tool.url}/lti/jwks"
    assert values["dynamic-registration-url"] == f"{lms.tool.url}/lti/register"
    assert values["canvas-json-url"] == f"{lms.tool.url}/lti/canvas.json"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in values["scopes"]
    assert set(re.findall(r'data-copy-target="([^"]+)"', page)) == set(values)
    served = requests.get(f"{lms.tool.url}/lti/jwks", timeout=10).json()["keys"][0]
    assert JWK.from_pem(values["public-key"].encode()).thumbprint() == JWK(**served).thumbprint()


INSTITUTION_ADMINISTRATOR = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


def _administrator(lms, role: str = INSTITUTION_ADMINISTRATOR) -> Visitor:
    """The sandbox instructor, launched with an LMS administrator's role added to the course role."""
    pending, claims, header = genuine_launch(lms, "instructor-1")
    claims[CLAIM + "roles"] = [*claims[CLAIM + "roles"], role]
    landing = pending.post(id_token=sign_token(lms, claims, header))
    assert landing.status_code == 200, landing.text[:300]
    visitor = Visitor(lms, "instructor-1", browser=pending.browser, link_id=int(landing.url.rsplit("/", 1)[1]))
    visitor._remember_csrf(landing.text)
    return visitor


INVITE_PAGE = "/links/{link}/registration-invites"


@pytest.mark.parametrize(("kind", "status"), [("anonymous", 403), ("student", 403), ("teaching assistant", 403),
                                              ("instructor", 403), ("instructor of another course", 403)])
def test_only_platform_administrators_open_the_invitation_page(lms, session, kind, status):
    instructor = Visitor(lms, "instructor-1")
    instructor.launch()
    visitor = visitor_of_kind(lms, kind, instructor.link_id)

    page = visitor.get(INVITE_PAGE)
    made = visitor.post(INVITE_PAGE, {"hours": "24", "csrf_token": visitor._csrf or instructor.csrf_token()},
                        csrf=False)

    assert (page.status_code, made.status_code) == (status, status if visitor._csrf else 400)
    assert session.scalars(select(RegistrationInvite)).all() == []


@pytest.mark.parametrize("role", [INSTITUTION_ADMINISTRATOR, "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"])
def test_a_platform_administrator_makes_a_registration_link_that_works_once(lms, session, role):
    administrator = _administrator(lms, role)

    assert administrator.get(INVITE_PAGE).status_code == 200
    made = administrator.post(INVITE_PAGE, {"hours": "6"})

    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    link = unescape(re.search(r'<pre class="copyable" id="registration-link">([^<]+)</pre>', made.text).group(1))
    assert link.startswith(f"{lms.tool.url}/lti/register?invite=")
    invite = see_committed(session).scalars(select(RegistrationInvite)).one()
    assert "on the invitation page" in invite.created_by
    assert valid_invite(session, link.split("invite=", 1)[1]) is not None


def test_a_course_administrator_is_not_a_platform_administrator(lms, session):
    administrator = _administrator(lms, "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator")

    assert administrator.get(INVITE_PAGE).status_code == 403


@pytest.mark.parametrize("hours", ["0", "100000", "soon"])
def test_an_invitation_lifetime_out_of_range_is_refused_with_the_form(lms, session, hours):
    administrator = _administrator(lms)

    response = administrator.post(INVITE_PAGE, {"hours": hours})

    assert response.status_code == 400 and 'name="hours"' in response.text
    assert session.scalars(select(RegistrationInvite)).all() == []


def test_the_tools_own_address_says_what_it_is_and_links_to_the_installation_page(client):
    response = client.get("/")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "peer assessment" in page and "LTI 1.3" in page
    assert 'href="/install"' in page


def test_the_public_installation_page_gives_every_address_and_no_key_or_invitation(client, session):
    response = client.get("/install")

    page = response.get_data(as_text=True)
    values = {name: unescape(value) for name, value in re.findall(r'<pre class="copyable" id="([^"]+)">([^<]*)</pre>', page)}
    assert response.status_code == 200
    assert values["dynamic-registration-url"] == "http://localhost:5000/lti/register"
    assert values["canvas-json-url"] == "http://localhost:5000/lti/canvas.json"
    assert values["jwks-url"] == "http://localhost:5000/lti/jwks"
    assert "public-key" not in values and "registration-invites" not in page
    assert session.scalar(select(ToolKey.id)) is None  # a visit by anyone makes no key


@pytest.mark.parametrize("path", ["/", "/install"])
def test_the_public_pages_only_answer_reading(client, path):
    assert client.post(path).status_code in (400, 405)


def test_the_installation_page_gives_canvas_its_add_canvas_step(lms):
    instructor = Visitor(lms, "instructor-1")
    instructor.launch()

    text = page_text(instructor.get("/links/{link}/install"))

    assert "peerlti platform add-canvas --client-id" in text
