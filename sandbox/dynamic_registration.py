"""LTI Dynamic Registration, platform side: the OpenID configuration, the registration endpoint, the admin page."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, render_template, request, url_for
from lti1p3platform.exceptions import PreflightRequestValidationException

from sandbox.flask_request import FlaskRequest
from sandbox.launch import MessageHint, SandboxLogin
from sandbox.runtime import Sandbox, current_sandbox
from sandbox.service_responses import json_response, service_error
from sandbox.tool_registrations import ToolRegistration

blueprint = Blueprint("dynamic_registration", __name__)

TOOL_CONFIGURATION_CLAIM = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION_CLAIM = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)


@blueprint.get("/lti/openid-configuration")
def openid_configuration() -> Response:
    endpoints = current_sandbox().endpoints
    return json_response({
        "issuer": endpoints.issuer,
        "authorization_endpoint": endpoints.auth,
        "token_endpoint": endpoints.token,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": endpoints.jwks,
        "registration_endpoint": f"{endpoints.base_url}{url_for('dynamic_registration.register_tool')}",
        "scopes_supported": ["openid", *SCOPES],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "sub", "aud", "name", "given_name", "family_name", "email"],
        PLATFORM_CONFIGURATION_CLAIM: {
            "product_family_code": endpoints.profile.product_family_code,
            "version": "1.0",
            "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
        },
    })


@blueprint.post("/lti/registrations")
def register_tool() -> Response:
    """Register a tool with a single-use registration token (Dynamic Registration §3.6, §3.6.2)."""
    sandbox = current_sandbox()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not sandbox.tools.redeem_token(token.strip()):
        return service_error(401, "invalid_token", "A registration token this platform issued, used once, is required.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return service_error(400, "invalid_client_metadata", "The registration must be a JSON object.")
    problem = _metadata_problem(body)
    if problem is not None:
        return service_error(400, "invalid_client_metadata", problem)
    tool = _tool_from(body)
    sandbox.tools.add(tool)
    answer = body | {
        "client_id": tool.client_id,
        "scope": " ".join(tool.scopes),
        TOOL_CONFIGURATION_CLAIM: body[TOOL_CONFIGURATION_CLAIM] | {"deployment_id": tool.deployment_id},
    }
    return json_response(answer)


def _metadata_problem(body: dict[str, Any]) -> str | None:
    """What is wrong with a tool's registration request, in words, or None."""
    configuration = body.get(TOOL_CONFIGURATION_CLAIM)
    if not isinstance(configuration, dict):
        return f"{TOOL_CONFIGURATION_CLAIM} is required."
    urls = {
        "initiate_login_uri": body.get("initiate_login_uri"),
        "jwks_uri": body.get("jwks_uri"),
        "target_link_uri": configuration.get("target_link_uri"),
    }
    redirect_uris = body.get("redirect_uris")
    if not isinstance(redirect_uris, list) or not redirect_uris:
        return "redirect_uris must list at least one URL."
    for name, url in [*urls.items(), *(("redirect_uris", uri) for uri in redirect_uris)]:
        if not _is_web_url(url):
            return f"{name} must be an http(s) URL."
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        return "token_endpoint_auth_method must be private_key_jwt."
    if "id_token" not in (body.get("response_types") or []):
        return "response_types must include id_token."
    if not {"implicit", "client_credentials"} <= set(body.get("grant_types") or []):
        return "grant_types must include implicit and client_credentials."
    return None


def _is_web_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _tool_from(body: dict[str, Any]) -> ToolRegistration:
    configuration = body[TOOL_CONFIGURATION_CLAIM]
    deep_linking = next(
        (message for message in configuration.get("messages", [])
         if isinstance(message, dict) and message.get("type") == "LtiDeepLinkingRequest"),
        None,
    )
    requested = str(body.get("scope", "")).split()
    number = secrets.token_hex(6)
    return ToolRegistration(
        client_id=f"dynamic-{number}",
        deployment_id=f"dynamic-deployment-{number}",
        client_name=str(body.get("client_name") or "LTI tool")[:200],
        login_url=body["initiate_login_uri"],
        redirect_uris=tuple(body["redirect_uris"]),
        jwks_url=body["jwks_uri"],
        target_link_uri=configuration["target_link_uri"],
        deep_linking_url=(deep_linking or {}).get("target_link_uri") if deep_linking else None,
        # Only the scopes this platform offers are granted.
        scopes=tuple(scope for scope in requested if scope in SCOPES),
    )


@blueprint.get("/admin/tools")
def tools_page() -> str | tuple[str, int]:
    """Register a tool from its registration URL (opened in a frame, as Moodle does) and list the tools."""
    sandbox = current_sandbox()
    registration_url = request.args.get("registration_url", "").strip()
    frame_url = None
    if registration_url:
        if not _is_web_url(registration_url):
            return _tools_page(sandbox, registration_url, None, "The registration URL must be an http(s) URL."), 400
        openid = f"{sandbox.endpoints.base_url}{url_for('dynamic_registration.openid_configuration')}"
        separator = "&" if urlsplit(registration_url).query else "?"
        query = urlencode({"openid_configuration": openid, "registration_token": sandbox.tools.issue_token()})
        frame_url = f"{registration_url}{separator}{query}"
    return _tools_page(sandbox, registration_url, frame_url, None)


def _tools_page(sandbox: Sandbox, registration_url: str, frame_url: str | None, problem: str | None) -> str:
    default_url = f"{sandbox.endpoints.tool_base_url}/lti/register"
    return render_template(
        "tools.html", course=sandbox.course, tools=sandbox.tools.all(), config_client_id=sandbox.config.client_id,
        registration_url=registration_url or default_url,
        frame_url=frame_url, problem=problem,
        frame_origin="{0.scheme}://{0.netloc}".format(urlsplit(frame_url)) if frame_url else "",
    )


@blueprint.get("/admin/tools/<client_id>/launch/<user_id>")
def launch_with_tool(client_id: str, user_id: str) -> Response | tuple[str, int]:
    """Open the course's first activity with a dynamically registered tool, as one person, in this window."""
    sandbox = current_sandbox()
    tool = sandbox.tools.find(client_id)
    if tool is None or sandbox.course.person(user_id) is None:
        return render_template("problem.html", title="Unknown tool or person",
                               message=f"No tool {client_id!r} or no person {user_id!r} here."), 404
    link = sandbox.course.resource_links[0]
    login = SandboxLogin(FlaskRequest(request), sandbox.new_platform(tool))
    login.set_lti_message_hint(message_hint=str(MessageHint(link.id, "window")))
    try:
        return login.initiate_login(user_id)
    except PreflightRequestValidationException:
        message = "The tool's registration is incomplete."
        return render_template("problem.html", title="Launch not possible", message=message), 400
